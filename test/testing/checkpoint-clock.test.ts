/**
 * The checkpoint coordinator (the library's own function, run by the runner with its real code)
 * reads the runner's virtual clock: leases and checkpoint TTLs expire with runner.advance().
 */
import { Duration } from 'aws-cdk-lib';
import { frozen } from './asl';
import { CheckpointedWorkflow, Step } from '../../src';
import { Faults, LocalWorkflowRunner } from '../../src/testing';
import { inlineFunction, newStack } from '../util';

const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Job', {
  keyPath: '$.jobId',
  checkpointTtl: Duration.days(7),
  steps: ['Fetch', 'Store'].map((name) => ({ step: Step.lambda(name, fn) })),
});
const calls: Record<string, number> = {};
const handlers = Object.fromEntries(workflow.stepNames.flatMap((step) => workflow.stateNamesOf(step).map((state) => [state, async () => {
  calls[step] = (calls[step] ?? 0) + 1;
  return { step };
}])));

test('lease expiry and checkpoint TTL follow the virtual clock (coordinator not stubbed)', async () => {
  const runner = await LocalWorkflowRunner.create(workflow, { clock: frozen, handlers });
  try {
    // the process dies after Fetch was checkpointed: the key stays leased
    const crashed = await runner.run({ jobId: 'j-1' }, { faults: { 'Fetch: checkpoint': Faults.crashAfter() } });
    expect(crashed.crashedAfter).toBe('Fetch: checkpoint');
    expect((await runner.run({ jobId: 'j-1' })).error).toBe('Checkpoint.KeyLocked');

    // past the lease (execution timeout + 1 minute): the rerun resumes, Fetch is not repeated
    await runner.advance(workflow.leaseDuration.toMilliseconds() + 1000);
    const resumed = await runner.run({ jobId: 'j-1' });
    expect([resumed.status, resumed.error, resumed.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(calls).toEqual({ Fetch: 1, Store: 1 });

    // eight days later the checkpoints are expired (TTL 7 days) but not yet swept: DynamoDB still
    // returns them. The coordinator reads the virtual clock, sees an expired generation and starts a
    // fresh one that overwrites them: every step runs once more, no Checkpoint.Conflict (issue 10, defect 2)
    await runner.advance('8d');
    const again = await runner.run({ jobId: 'j-1' });
    expect([again.status, again.error]).toEqual(['SUCCEEDED', undefined]);
    expect(calls).toEqual({ Fetch: 2, Store: 2 });

    // eight more days, and this time the TTL sweeper deleted them: again a fresh start
    await runner.advance('8d');
    expect(await runner.sweepExpiredItems()).toBeGreaterThan(0);
    const fresh = await runner.run({ jobId: 'j-1' });
    expect([fresh.status, fresh.error, fresh.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(calls).toEqual({ Fetch: 3, Store: 3 });
  } finally {
    await runner.close();
  }
});
