import { checkpointedSteps, FakeClock, settle, stepCalls, stepHandlers } from './helpers';
import { CheckpointedWorkflow, Step } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN a DAG with a parallel block nested inside a branch: A ; (B ; (C | D) ; E | F) ; G
const DEPENDS: Record<string, string[]> = { A: [], B: ['A'], C: ['B'], D: ['B'], E: ['C', 'D'], F: ['A'], G: ['E', 'F'] };
const STEPS = Object.keys(DEPENDS);
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Nested', {
  keyPath: '$.id',
  steps: STEPS.map((name) => ({ step: Step.lambda(name, fn), dependsOn: DEPENDS[name] })),
});
const clock = new FakeClock();
const impl = async (step: string, event: any) => {
  if (event.fail === step) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    throw Object.assign(new Error('boom'), { name: 'Boom' });
  }
  for (const dep of DEPENDS[step]) {
    if (event.results[dep] === undefined) throw new Error(`${step} started before ${dep}`);
  }
  return { value: DEPENDS[step].reduce((sum, d) => sum + event.results[d].value, 1) * 2 };
};
let runner: LocalWorkflowRunner;
let reference: any;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => runner, clock, impl, new Map()) });
  reference = (await runner.run({ id: 'reference' })).output;
});
afterAll(async () => {
  await runner.close();
});

describe('CheckpointedWorkflow with a nested parallel block', () => {
  test('plan; every step is rendered once', () => {
    expect(workflow.executionPlan).toBe('A ; (B ; (C | D) ; E | F) ; G');
    expect(workflow.stateNamesOf('C')).toEqual(['C']);
    expect(reference.results).toEqual({
      A: { value: 2 }, B: { value: 6 }, C: { value: 14 }, D: { value: 14 }, E: { value: 58 }, F: { value: 6 }, G: { value: 130 },
    });
  });

  test.each(STEPS)('crash after the checkpoint of %s, rerun: exactly the steps without a checkpoint run, same output', async (step) => {
    const id = `crash-${step}`;
    await runner.run({ id }, { faults: { [`${step}: checkpoint`]: Faults.crashAfter() } });
    await settle();
    clock.advance(workflow.leaseDuration.toSeconds() + 1);
    const rerun = await runner.run({ id });
    // the checkpoints the rerun found (a crash may leave writes of branches in flight landing late)
    const done = clock.loaded.get(id)!;
    expect(done).toContain(step);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual(Object.fromEntries(STEPS.filter((s) => !done.includes(s)).map((s) => [s, 1])));
    expect(rerun.output).toEqual({ ...reference, id, checkpoint: { key: id } });
  });

  test('D fails after C and F were checkpointed: the rerun resumes inside the nested block (D, E, G only)', async () => {
    const failed = await runner.run({ id: 'deep', fail: 'D' });
    expect(failed.error).toBe('Boom');
    expect(await checkpointedSteps(runner, workflow, 'deep')).toEqual(['A', 'B', 'C', 'F']);
    const rerun = await runner.run({ id: 'deep' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ D: 1, E: 1, G: 1 });
    expect(rerun.statesEntered).toEqual(expect.arrayContaining(['Parallel 1: B | F', 'Parallel 2: C | D', 'D', 'E']));
    // the checkpointed steps were skipped by their Choice, not run
    expect(rerun.statesEntered).toEqual(expect.arrayContaining(['B?', 'C?', 'F?']));
    expect(rerun.statesEntered.filter((s) => ['A', 'B', 'C', 'F'].includes(s))).toEqual([]);
    expect(rerun.output).toEqual({ ...reference, id: 'deep', checkpoint: { key: 'deep' } });
  });

  test('D fails again on the rerun, where the other branch holds B\'s stored result (an unmarked copy): the block still sees the failure, re-raises it, and runs neither E nor G', async () => {
    // GIVEN B, C and F checkpointed (D failed once)
    const first = await runner.run({ id: 'twice', fail: 'D' });
    expect(first.error).toBe('Boom');
    expect(await checkpointedSteps(runner, workflow, 'twice')).toEqual(['A', 'B', 'C', 'F']);
    // WHEN D fails again: the failing branch marks B (checkpointed, skipped) with the error, while
    // F's branch carries B's stored result from the coordinator; merging the branches' results
    // lets the later branch's copy win, so the failure check reads each branch's own first step
    const again = await runner.run({ id: 'twice', fail: 'D' });
    // THEN
    expect(again.status).toBe('FAILED');
    expect(again.error).toBe('Boom');
    expect(stepCalls(workflow, again)).toEqual({ D: 1 });
    expect(again.statesEntered).toContain('Parallel 1: branch 1 failed');
    // and a third run completes with the same results as an uninterrupted one
    const done = await runner.run({ id: 'twice' });
    expect(done.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, done)).toEqual({ D: 1, E: 1, G: 1 });
    expect(done.output).toEqual({ ...reference, id: 'twice', checkpoint: { key: 'twice' } });
  });
});
