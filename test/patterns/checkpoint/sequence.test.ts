import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { checkpointFirstAsSomeoneElse, FakeClock, stepCalls, stepHandlers } from './helpers';
import { CheckpointedWorkflow, Step } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN a Standard checkpointed workflow of six Lambda steps, each computing from the previous result
const STEPS = ['Fetch', 'Validate', 'Enrich', 'Score', 'Store', 'Notify'];
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Job', {
  keyPath: '$.jobId',
  steps: STEPS.map((name) => ({ step: Step.lambda(name, fn) })),
});
const clock = new FakeClock();
const calls = new Map<string, number>();
/** Each step returns a value derived from the input and the previous step's stored result. */
const impl = async (step: string, event: any) => {
  if (event.conflict === step) {
    // another writer (e.g. an execution whose lease was broken by hand) checkpoints this step first
    await checkpointFirstAsSomeoneElse(runner, workflow, step, event);
  }
  const i = STEPS.indexOf(step);
  const previous = i === 0 ? event.seed : event.results[STEPS[i - 1]].value;
  const result = { value: previous * 3 + i, seen: Object.keys(event.results).sort() };
  // a result larger than a DynamoDB item (400 KB) when asked to
  return event.huge && step === 'Score' ? { ...result, blob: 'x'.repeat(450_000) } : result;
};
let runner: LocalWorkflowRunner;
const leaseSeconds = workflow.leaseDuration.toSeconds();

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => runner, clock, impl, calls) });
});
afterAll(async () => {
  await runner.close();
});

/** Results of an uninterrupted run, computed once. */
let reference: any;
beforeAll(async () => {
  const r = await runner.run({ jobId: 'reference', seed: 7 });
  expect(r.status).toBe('SUCCEEDED');
  reference = r.output;
});

describe('CheckpointedWorkflow (sequence of 6) executed with the local runner', () => {
  test('happy path: every step once, results fed forward, checkpoints written with TTL, generation and execution', async () => {
    // WHEN
    const r = await runner.run({ jobId: 'happy', seed: 7 }, { executionName: 'happy-1' });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, r)).toEqual(Object.fromEntries(STEPS.map((s) => [s, 1])));
    expect(r.output).toEqual({
      jobId: 'happy',
      seed: 7,
      results: reference.results,
      checkpoint: { key: 'happy' },
    });
    expect(reference.results).toEqual({
      Fetch: { value: 21, seen: [] },
      Validate: { value: 64, seen: ['Fetch'] },
      Enrich: { value: 194, seen: ['Fetch', 'Validate'] },
      Score: { value: 585, seen: ['Enrich', 'Fetch', 'Validate'] },
      Store: { value: 1759, seen: ['Enrich', 'Fetch', 'Score', 'Validate'] },
      Notify: { value: 5282, seen: ['Enrich', 'Fetch', 'Score', 'Store', 'Validate'] },
    });
    expect(r.statesEntered).toEqual([
      'Checkpoint: start', 'Checkpoint: resume?',
      // one chain: every step after the first is entered through its skip Choice
      ...STEPS.flatMap((s, i) => [...(i > 0 ? [`${s}?`] : []), s, `${s}: checkpoint`]),
      'Checkpoint: done',
    ]);

    const table = runner.tableName(workflow.table.table);
    const items = await runner.dynamodb.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `${workflow.namespace}#happy` } },
    }));
    expect(items.Items).toHaveLength(STEPS.length + 1);
    const fetch = items.Items!.find((i) => i.sk.S === 'step#Fetch')!;
    expect(fetch).toEqual({
      pk: { S: 'TestStack/Job#happy' },
      sk: { S: 'step#Fetch' },
      step: { S: 'Fetch' },
      result: { S: JSON.stringify({ value: 21, seen: [] }) },
      executionId: { S: r.executionArn },
      executionStartedAt: { S: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      generation: { S: r.executionArn },
      expiresAt: { N: String(Math.floor(clock.nowMs / 1000) + 30 * 24 * 3600) },
      // the execution owned the item until its lease ends (checked by every checkpoint write)
      leaseOwner: { S: r.executionArn },
      leaseExpiresAt: { S: new Date((Math.floor(clock.nowMs / 1000) + leaseSeconds) * 1000).toISOString() },
    });
    const lease = items.Items!.find((i) => i.sk.S === '#lease')!;
    expect(lease).toMatchObject({
      businessKey: { S: 'happy' },
      generation: { S: r.executionArn },
      leaseUntil: { N: '0' },
      lastExecutionId: { S: r.executionArn },
      lastStatus: { S: 'SUCCEEDED' },
    });
    expect(lease.leaseOwner).toBeUndefined();
  });

  test.each(STEPS.map((s, i) => [i + 1, s]))('crash after the checkpoint of step %i (%s), rerun: completed steps are not called again, the rest once, same output', async (k, stepName) => {
    // GIVEN a run that dies right after step k was checkpointed (the lease stays held)
    const jobId = `crash-${k}`;
    const crashed = await runner.run({ jobId, seed: 7 }, { faults: { [`${stepName}: checkpoint`]: Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');
    expect(crashed.crashedAfter).toBe(`${stepName}: checkpoint`);
    expect(stepCalls(workflow, crashed)).toEqual(Object.fromEntries(STEPS.slice(0, k).map((s) => [s, 1])));

    // WHEN the same key runs again after the dead run's lease expired
    clock.advance(leaseSeconds + 1);
    const rerun = await runner.run({ jobId, seed: 7 });

    // THEN steps 1..k are not called again, k+1..N once, and the output equals an uninterrupted run
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual(Object.fromEntries(STEPS.slice(k).map((s) => [s, 1])));
    expect(rerun.output).toEqual({ ...reference, jobId, checkpoint: { key: jobId } });
    // the rerun jumped straight to step k+1 (later steps are entered through their skip Choice)
    expect(rerun.statesEntered.slice(0, 3)).toEqual(['Checkpoint: start', 'Checkpoint: resume?', k < STEPS.length ? STEPS[k] : 'Checkpoint: done']);
  });

  test('a rerun while the crashed run still holds the lease fails fast with Checkpoint.KeyLocked and runs nothing', async () => {
    // GIVEN
    const crashed = await runner.run({ jobId: 'locked', seed: 7 }, { faults: { 'Enrich: checkpoint': Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');

    // WHEN
    const blocked = await runner.run({ jobId: 'locked', seed: 7 });

    // THEN
    expect(blocked.status).toBe('FAILED');
    expect(blocked.error).toBe('Checkpoint.KeyLocked');
    expect(JSON.parse(blocked.cause!).errorMessage).toMatch(new RegExp(`checkpoint key 'locked' is being processed by ${crashed.executionArn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(lease until .*\\); this execution did not run any step`));
    expect(stepCalls(workflow, blocked)).toEqual({});
    expect(blocked.statesEntered).toEqual(['Checkpoint: start']);

    // and once the lease expires the key resumes after Enrich
    clock.advance(leaseSeconds + 1);
    const resumed = await runner.run({ jobId: 'locked', seed: 7 });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, resumed)).toEqual({ Score: 1, Store: 1, Notify: 1 });
  });

  test('a crash between a step and its checkpoint write re-runs that step once (the documented at-least-once window)', async () => {
    const crashed = await runner.run({ jobId: 'window', seed: 7 }, { faults: { Score: Faults.crashAfter() } });
    expect(stepCalls(workflow, crashed)).toEqual({ Fetch: 1, Validate: 1, Enrich: 1, Score: 1 });
    clock.advance(leaseSeconds + 1);
    const rerun = await runner.run({ jobId: 'window', seed: 7 });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Score: 1, Store: 1, Notify: 1 });
    expect(rerun.output).toEqual({ ...reference, jobId: 'window', checkpoint: { key: 'window' } });
  });

  test('a failing step releases the lease and fails with its own error; a rerun resumes at that step at once', async () => {
    // GIVEN Score fails with a non-retryable error
    const failed = await runner.run({ jobId: 'fail', seed: 7 }, { faults: { Score: Faults.fail('ScoringUnavailable', { cause: 'model offline' }) } });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('ScoringUnavailable');
    expect(failed.cause).toBe('model offline');
    expect(failed.statesEntered.slice(-3)).toEqual(['Score', 'Checkpoint: release after failure', 'Checkpoint: failed']);
    const lease = await runner.dynamodb.send(new GetItemCommand({
      TableName: runner.tableName(workflow.table.table),
      Key: { pk: { S: `${workflow.namespace}#fail` }, sk: { S: '#lease' } },
    }));
    expect(lease.Item).toMatchObject({ lastStatus: { S: 'FAILED' }, leaseUntil: { N: '0' } });
    expect(lease.Item!.leaseOwner).toBeUndefined();

    // WHEN rerun immediately (no lease wait)
    const rerun = await runner.run({ jobId: 'fail', seed: 7 });

    // THEN
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Score: 1, Store: 1, Notify: 1 });
    expect(rerun.output).toEqual({ ...reference, jobId: 'fail', checkpoint: { key: 'fail' } });
  });

  test('a result over 256 KiB fails with the uncatchable States.DataLimitExceeded; the key stays locked until its lease ends, then resumes from the checkpoints', async () => {
    // Step Functions fails the execution at once: no Catch (not even States.ALL) runs, so the lease is
    // not released (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). A result
    // under 256 KiB always fits a 400 KB checkpoint item, so Checkpoint.ResultTooLarge is not reachable on AWS.
    const r = await runner.run({ jobId: 'huge', seed: 7, huge: true });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.statesEntered).not.toContain('Checkpoint: release after failure');
    const locked = await runner.run({ jobId: 'huge', seed: 7 });
    expect(locked.error).toBe('Checkpoint.KeyLocked');
    clock.advance(leaseSeconds + 1);
    const rerun = await runner.run({ jobId: 'huge', seed: 7 });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Score: 1, Store: 1, Notify: 1 });
  });

  test('a step already checkpointed by another writer of the same generation fails with Checkpoint.Conflict', async () => {
    const r = await runner.run({ jobId: 'conflict', seed: 7, conflict: 'Enrich' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Checkpoint.Conflict');
    expect(r.cause).toMatch(/^The checkpoint write was refused: this execution no longer holds the key's lease .* or another execution already checkpointed this step/);
    expect(r.statesEntered.slice(-5)).toEqual(['Enrich: checkpoint', 'Checkpoint: write failed', 'Checkpoint: conflict', 'Checkpoint: release after failure', 'Checkpoint: failed']);
  });

  test('a completed key returns the stored results without calling any step', async () => {
    const first = await runner.run({ jobId: 'twice', seed: 7 });
    const again = await runner.run({ jobId: 'twice', seed: 7 });
    expect(again.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, again)).toEqual({});
    expect(again.statesEntered).toEqual(['Checkpoint: start', 'Checkpoint: resume?', 'Checkpoint: done']);
    expect(again.output).toEqual(first.output);
  });

  test('checkpointRestart: true ignores the old checkpoints and runs every step; stale items never leak into later runs', async () => {
    // GIVEN a completed key whose results came from seed 7
    await runner.run({ jobId: 'restart', seed: 7 });

    // WHEN restarted with another seed, crashing after Validate
    const restarted = await runner.run({ jobId: 'restart', seed: 1, checkpointRestart: true }, { faults: { 'Validate: checkpoint': Faults.crashAfter() } });
    expect(stepCalls(workflow, restarted)).toEqual({ Fetch: 1, Validate: 1 });
    clock.advance(leaseSeconds + 1);
    const resumed = await runner.run({ jobId: 'restart', seed: 1 });

    // THEN the resume uses the new generation only: Enrich.. run again on seed-1 results, not the old seed-7 items
    expect(resumed.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, resumed)).toEqual({ Enrich: 1, Score: 1, Store: 1, Notify: 1 });
    const fresh = await runner.run({ jobId: 'restart-ref', seed: 1 });
    expect((resumed.output as any).results).toEqual((fresh.output as any).results);
    expect((resumed.output as any).results).not.toEqual(reference.results);
  });

  test('concurrent runs of one key: each step handler is called once in total, the loser fails with Checkpoint.KeyLocked', async () => {
    // WHEN three executions of the same key start at the same time
    const before = new Map(calls);
    const runs = await Promise.all([1, 2, 3].map(() => runner.run({ jobId: 'race', seed: 7 })));

    // THEN exactly one ran the steps, the others failed fast
    const statuses = runs.map((r) => r.status).sort();
    expect(statuses).toEqual(['FAILED', 'FAILED', 'SUCCEEDED']);
    for (const loser of runs.filter((r) => r.status === 'FAILED')) {
      expect(loser.error).toBe('Checkpoint.KeyLocked');
      expect(stepCalls(workflow, loser)).toEqual({});
    }
    for (const step of STEPS) {
      expect((calls.get(step) ?? 0) - (before.get(step) ?? 0)).toBe(1);
    }
  });

  test('bad input fails at the coordinator with a named error and no lease taken', async () => {
    const missing = await runner.run({ seed: 7 });
    expect(missing.error).toBe('Checkpoint.InvalidKey');
    expect(JSON.parse(missing.cause!).errorMessage).toMatch(/the checkpoint key at \$\.jobId must be a non-empty string .* got nothing/);
    const reserved = await runner.run({ jobId: 'x', results: {} });
    expect(reserved.error).toBe('Checkpoint.InvalidInput');
    expect(JSON.parse(reserved.cause!).errorMessage).toMatch(/has a field 'results', which a checkpointed workflow reserves/);
    const numeric = await runner.run({ jobId: 42, seed: 7 });
    expect(numeric.status).toBe('SUCCEEDED');
    expect(numeric.output).toMatchObject({ checkpoint: { key: '42' } });
  });
});
