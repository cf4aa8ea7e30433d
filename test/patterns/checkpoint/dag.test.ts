import { checkpointedSteps, checkpointFirstAsSomeoneElse, DIAMOND_CHAIN_FAN, FakeClock, settle, stepCalls, stepHandlers } from './helpers';
import { CheckpointedWorkflow, Step, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN an Express checkpointed DAG with a diamond (Ingest -> Resize -> Tag / Detect -> Merge), a chain
// inside a branch (Resize -> Tag) and a parallel fan (Merge -> Fan1..Fan3 -> Publish)
const DEPENDS = DIAMOND_CHAIN_FAN;
const STEPS = Object.keys(DEPENDS);
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Dag', {
  type: WorkflowType.EXPRESS,
  keyPath: '$.id',
  steps: STEPS.map((name) => ({ step: Step.lambda(name, fn), dependsOn: DEPENDS[name] })),
});
const clock = new FakeClock();
const calls = new Map<string, number>();
/** A step's value is computed from its dependencies' stored results (so a missing or wrong result shows). */
const impl = async (step: string, event: any) => {
  for (const dep of DEPENDS[step]) {
    if (event.results[dep] === undefined) throw new Error(`${step} started before its dependency ${dep}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 2 + (step.length % 3)));
  if (event.conflict === step) {
    // another writer (e.g. an execution whose lease was broken by hand) checkpoints this step first
    await checkpointFirstAsSomeoneElse(runner, workflow, step, event);
  }
  if (event.ownConditionFails === step) {
    // the step's own conditional write was refused: not a checkpoint conflict
    throw Object.assign(new Error('The conditional request failed'), { name: 'DynamoDb.ConditionalCheckFailedException' });
  }
  if ((step === 'Fan2' && event.failFan2) || (step === 'Tag' && event.failTag)) {
    // fails after its siblings were checkpointed
    await new Promise((resolve) => setTimeout(resolve, 40));
    throw Object.assign(new Error('down'), { name: 'Flaky' });
  }
  const fromDeps = DEPENDS[step].reduce((sum, dep) => sum + event.results[dep].value, 0);
  const value = (step === 'Ingest' ? event.seed : fromDeps) * 2 + STEPS.indexOf(step);
  return event.huge === step ? { value, blob: 'x'.repeat(450_000) } : { value };
};
let runner: LocalWorkflowRunner;
let reference: any;
const leaseSeconds = workflow.leaseDuration.toSeconds();

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => runner, clock, impl, calls) });
  const r = await runner.run({ id: 'reference', seed: 3 });
  expect(r.status).toBe('SUCCEEDED');
  reference = r.output;
});
afterAll(async () => {
  await runner.close();
});

/** Ancestors of a step (transitively). */
function ancestors(step: string): string[] {
  const out = new Set<string>();
  const visit = (s: string) => DEPENDS[s].forEach((d) => {
    out.add(d);
    visit(d);
  });
  visit(step);
  return [...out];
}

describe('CheckpointedWorkflow (Express DAG: diamond, chain in a branch, fan of 3) executed with the local runner', () => {
  test('the DAG is planned as series-parallel without added waits', () => {
    expect(workflow.executionPlan).toBe('Ingest ; (Resize ; Tag | Detect) ; Merge ; (Fan1 | Fan2 | Fan3) ; Publish');
  });

  test('happy path: every step once, after its dependencies, results merged, one checkpoint per step', async () => {
    const r = await runner.run({ id: 'happy', seed: 3 });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executions[0].type).toBe('EXPRESS');
    expect(stepCalls(workflow, r)).toEqual(Object.fromEntries(STEPS.map((s) => [s, 1])));
    expect(r.output).toEqual({ ...reference, id: 'happy', checkpoint: { key: 'happy' } });
    expect(reference.results).toEqual({
      Ingest: { value: 6 },
      Resize: { value: 13 },
      Tag: { value: 28 },
      Detect: { value: 15 },
      Merge: { value: 90 },
      Fan1: { value: 185 },
      Fan2: { value: 186 },
      Fan3: { value: 187 },
      Publish: { value: 1124 },
    });
    expect(await checkpointedSteps(runner, workflow, 'happy')).toEqual([...STEPS].sort());
    // every step is rendered once: no resume copies exist
    expect(r.statesEntered.filter((s) => s.includes('resume') && s !== 'Checkpoint: resume?')).toEqual([]);
  });

  test.each(STEPS.map((s, i) => [i + 1, s]))('crash after the checkpoint of step %i (%s), rerun: checkpointed steps are not called again, the rest once, same output', async (_k, step) => {
    // GIVEN a run that dies right after this step's checkpoint (siblings in flight may or may not have finished)
    const id = `crash-${step}`;
    const crashed = await runner.run({ id, seed: 3 }, { faults: { [`${step}: checkpoint`]: Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');
    await settle();

    // WHEN the key runs again after the dead run's lease expired
    clock.advance(leaseSeconds + 1);
    const rerun = await runner.run({ id, seed: 3 });
    // the checkpoints the rerun found (branches in flight at the crash may still have written theirs)
    const done = clock.loaded.get(id)!;
    expect(done).toEqual(expect.arrayContaining([step, ...ancestors(step)]));

    // THEN exactly the steps without a checkpoint run, once each, and the output equals an uninterrupted run
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual(Object.fromEntries(STEPS.filter((s) => !done.includes(s)).map((s) => [s, 1])));
    expect(rerun.output).toEqual({ ...reference, id, checkpoint: { key: id } });
  });

  test('resume inside the fan: only the missing branch runs; the other branches skip their checkpointed step', async () => {
    // GIVEN Fan2 fails after Fan1 and Fan3 were checkpointed
    const failed = await runner.run({ id: 'fan', seed: 3, failFan2: true });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('Flaky');
    expect(JSON.parse(failed.cause!).errorMessage).toBe('down');
    const done = await checkpointedSteps(runner, workflow, 'fan');
    expect(done).toEqual(['Detect', 'Fan1', 'Fan3', 'Ingest', 'Merge', 'Resize', 'Tag']);

    // WHEN rerun at once (the failure released the lease)
    const rerun = await runner.run({ id: 'fan', seed: 3 });

    // THEN
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Fan2: 1, Publish: 1 });
    expect(rerun.statesEntered).toEqual([
      'Checkpoint: start', 'Checkpoint: resume?',
      'Parallel 2: Fan1 | Fan2 | Fan3',
      'Fan1?', 'Fan2?', 'Fan3?',
      expect.stringMatching(/^Checkpoint: branch \d+ done$/), 'Fan2', expect.stringMatching(/^Checkpoint: branch \d+ done$/),
      'Fan2: checkpoint',
      // every branch settled; none failed; the next element checks its done flag
      'Parallel 2: failed?', 'Parallel 2: merged', 'Publish?',
      'Publish', 'Publish: checkpoint', 'Checkpoint: done',
    ]);
    expect(rerun.output).toEqual({ ...reference, id: 'fan', checkpoint: { key: 'fan' } });
  });

  test('resume in the middle of a chain inside a branch: Tag runs on the stored result of Resize', async () => {
    // GIVEN Tag fails after Resize and Detect were checkpointed
    const failed = await runner.run({ id: 'chain', seed: 3, failTag: true });
    expect(failed.error).toBe('Flaky');
    expect(await checkpointedSteps(runner, workflow, 'chain')).toEqual(['Detect', 'Ingest', 'Resize']);

    // WHEN
    const rerun = await runner.run({ id: 'chain', seed: 3 });

    // THEN the resumed branch jumps to Tag (fed with Resize's stored result), the Detect branch is skipped
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Tag: 1, Merge: 1, Fan1: 1, Fan2: 1, Fan3: 1, Publish: 1 });
    expect(rerun.statesEntered).toContain('Parallel 1: Resize | Detect');
    expect(rerun.statesEntered).toEqual(expect.arrayContaining(['Resize?', 'Tag?', 'Tag', 'Detect?']));
    expect(rerun.statesEntered).not.toContain('Resize');
    expect(rerun.statesEntered).not.toContain('Detect');
    expect(rerun.output).toEqual({ ...reference, id: 'chain', checkpoint: { key: 'chain' } });
  });

  test('a result over 256 KiB inside a parallel branch fails with the uncatchable States.DataLimitExceeded; the key stays locked until its lease ends, then resumes', async () => {
    // Step Functions fails the execution at once: no Catch (not even States.ALL) runs, so the lease is
    // not released (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)
    const r = await runner.run({ id: 'huge', seed: 3, huge: 'Fan3' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.statesEntered).not.toContain('Checkpoint: release after failure');
    const locked = await runner.run({ id: 'huge', seed: 3 });
    expect(locked.error).toBe('Checkpoint.KeyLocked');
    clock.advance(leaseSeconds + 1);
    const rerun = await runner.run({ id: 'huge', seed: 3 });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.output).toEqual({ ...reference, id: 'huge', checkpoint: { key: 'huge' } });
  });

  test('a refused checkpoint write inside a branch is re-raised as Checkpoint.Conflict after the siblings settled; a step\'s own ConditionalCheckFailedException keeps its name', async () => {
    const r = await runner.run({ id: 'branch-conflict', seed: 3, conflict: 'Fan2' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Checkpoint.Conflict');
    expect(r.cause).toMatch(/^The checkpoint write was refused: this execution no longer holds the key's lease/);
    expect(r.statesEntered).toEqual(expect.arrayContaining([
      'Fan2: checkpoint', expect.stringMatching(/^Checkpoint: write failed \(branch \d+\)$/),
      'Parallel 2: failed?', 'Parallel 2: branch 2 failed', 'Checkpoint: branch failed', 'Checkpoint: branch write failed',
      'Checkpoint: write failed', 'Checkpoint: conflict', 'Checkpoint: release after failure',
    ]));
    // the siblings finished and were checkpointed
    expect(await checkpointedSteps(runner, workflow, 'branch-conflict')).toEqual(expect.arrayContaining(['Fan1', 'Fan3']));

    const own = await runner.run({ id: 'own-condition', seed: 3, ownConditionFails: 'Fan2' });
    expect(own.error).toBe('DynamoDb.ConditionalCheckFailedException');
    expect(own.cause).toMatch(/conditional request failed/);
    expect(own.statesEntered).toContain('Checkpoint: branch failed');
    expect(own.statesEntered).not.toContain('Checkpoint: conflict');
    expect(own.statesEntered).not.toContain('Checkpoint: branch write failed');
  });

  test('concurrent runs of one key: each step handler is called once in total', async () => {
    const before = new Map(calls);
    const runs = await Promise.all([1, 2].map(() => runner.run({ id: 'race', seed: 3 })));
    expect(runs.map((r) => r.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(runs.find((r) => r.status === 'FAILED')!.error).toBe('Checkpoint.KeyLocked');
    for (const step of STEPS) {
      expect((calls.get(step) ?? 0) - (before.get(step) ?? 0)).toBe(1);
    }
  });
});
