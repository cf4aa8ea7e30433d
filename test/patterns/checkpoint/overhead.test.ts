import { baselineMachine } from './baseline';
import { DIAMOND_CHAIN_FAN, FakeClock, stepHandlers } from './helpers';
import { CheckpointedWorkflow, SequentialWorkflow, Step, WorkflowType } from '../../../src';
import { LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN the same steps with and without checkpointing: a sequence of 6 (baseline: SequentialWorkflow)
// and a DAG with a diamond, a chain in a branch and a fan of 3 (baseline: the same chain/Parallel
// structure hand-written with aws-cdk-lib states)
const SEQUENCE = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
const DAG = DIAMOND_CHAIN_FAN;
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const seq = new CheckpointedWorkflow(stack, 'Seq', { keyPath: '$.id', steps: SEQUENCE.map((s) => ({ step: Step.lambda(s, fn) })) });
const seqBase = new SequentialWorkflow(stack, 'SeqBase', { steps: SEQUENCE.map((s) => Step.lambda(s, fn)) });
const dag = new CheckpointedWorkflow(stack, 'Dag', {
  keyPath: '$.id',
  type: WorkflowType.EXPRESS,
  steps: Object.entries(DAG).map(([s, dependsOn]) => ({ step: Step.lambda(s, fn), dependsOn })),
});
const dagBase = baselineMachine(stack, 'DagBase', fn.alias, DAG);
const clock = new FakeClock();
const runners: LocalWorkflowRunner[] = [];
const result = (step: string) => ({ step });

async function runnerFor(source: any, workflow?: CheckpointedWorkflow): Promise<LocalWorkflowRunner> {
  let runner: LocalWorkflowRunner;
  const names = workflow ? workflow.stepNames : [...SEQUENCE, ...Object.keys(DAG)];
  const handlers = workflow
    ? stepHandlers(workflow, () => runner, clock, result, new Map())
    : Object.fromEntries(names.map((n) => [n, async () => result(n)]));
  runner = await LocalWorkflowRunner.create(source, {
    handlers: Object.fromEntries(Object.entries(handlers).filter(([n]) => workflow || names.includes(n))),
  });
  runners.push(runner);
  return runner;
}

afterAll(async () => {
  await Promise.all(runners.map((r) => r.close()));
});

describe('happy-path overhead of checkpointing, measured with the runner', () => {
  // Every step is rendered once (so that 200 steps fit the 1 MB definition limit, issue 12): the
  // element after another one is entered through a Choice that skips it when it is checkpointed.
  // That Choice is one transition on the happy path too.
  test('sequence of 6: per step one checkpoint write, per step after the first one skip Choice, plus 3 (coordinator, resume Choice, release)', async () => {
    const [ckpt, base] = [await runnerFor(seq, seq), await runnerFor(seqBase.stateMachine)];
    const [a, b] = [await ckpt.run({ id: 'o-1' }), await base.run({ id: 'o-1' })];
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(b.transitions).toBe(6);
    expect(a.transitions).toBe(b.transitions + SEQUENCE.length + (SEQUENCE.length - 1) + 3);
    expect((a.output as any).results).toEqual((b.output as any).results);
  });

  test('DAG of 9 (diamond + fan), Express: one checkpoint write per step, one skip Choice per element after the first (4 top-level, 6 branch heads and chain links), plus 3, plus per parallel block one Choice (re-raises a settled branch failure) and one Pass (moves the merged results)', async () => {
    const [ckpt, base] = [await runnerFor(dag, dag), await runnerFor(dagBase)];
    const [a, b] = [await ckpt.run({ id: 'd-1' }), await base.run({ id: 'd-1' })];
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(b.transitions).toBe(9 + 2); // 9 tasks, 2 Parallel states
    // plan: Ingest ; (Resize ; Tag | Detect) ; Merge ; (Fan1 | Fan2 | Fan3) ; Publish
    expect(dag.executionPlan).toBe('Ingest ; (Resize ; Tag | Detect) ; Merge ; (Fan1 | Fan2 | Fan3) ; Publish');
    expect(a.transitions).toBe(b.transitions + Object.keys(DAG).length + (4 + 6) + 3 + 2 * 2);
    expect((a.output as any).results).toEqual((b.output as any).results);
  });
});
