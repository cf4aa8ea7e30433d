import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FakeClock, stepCalls, stepHandlers } from './helpers';
import { CheckpointClient, CheckpointedWorkflow, Step } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN a three-step workflow run locally, and a CheckpointClient on the runner's dynalite
const STEPS = ['Extract', 'Transform', 'Load'];
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Etl', { keyPath: '$.batch', steps: STEPS.map((s) => ({ step: Step.lambda(s, fn) })) });
const clock = new FakeClock();
let runner: LocalWorkflowRunner;
let client: CheckpointClient;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, {
    handlers: stepHandlers(workflow, () => runner, clock, (step) => ({ step }), new Map()),
  });
  client = new CheckpointClient({
    tableName: runner.tableName(workflow.table.table),
    namespace: workflow.namespace,
    stepNames: workflow.stepNames,
    region: 'us-east-1',
    endpoint: runner.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await runner.close();
});

describe('CheckpointClient against dynalite', () => {
  test('progress of a key never run: nothing completed, everything remaining, not running', async () => {
    expect(await client.progress('never')).toEqual({
      key: 'never',
      completed: [],
      remaining: STEPS,
      complete: false,
      running: false,
      generation: undefined,
      leaseOwner: undefined,
      leaseExpiresAt: undefined,
      lastExecutionId: undefined,
      lastStatus: undefined,
    });
  });

  test('progress after a crash: steps done (when, by which execution), which remain, and the live lease; reset refuses, unlock frees it', async () => {
    // GIVEN a run that died after Transform was checkpointed
    const crashed = await runner.run({ batch: 'b-1' }, { faults: { 'Transform: checkpoint': Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');

    // WHEN
    const progress = await client.progress('b-1');

    // THEN
    expect(progress).toMatchObject({
      key: 'b-1',
      remaining: ['Load'],
      complete: false,
      running: true,
      generation: crashed.executionArn,
      leaseOwner: crashed.executionArn,
      leaseExpiresAt: new Date((Math.floor(clock.nowMs / 1000) + 3660) * 1000).toISOString(),
    });
    expect(progress.completed).toEqual(['Extract', 'Transform'].map((name) => ({
      name,
      executionId: crashed.executionArn,
      executionStartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/),
      expiresAt: new Date((Math.floor(clock.nowMs / 1000) + 30 * 24 * 3600) * 1000).toISOString(),
    })));

    // reset refuses while the (dead) execution holds the lease
    await expect(client.reset('b-1')).rejects.toThrow(/checkpoint key 'b-1' is being processed by arn:aws:states:\S+ \(lease until [^)]+\)\. Wait for it to end, or pass \{ force: true \}/);

    // unlock releases the lease of the dead execution; checkpoints are kept; the rerun starts at once
    expect(await client.unlock('b-1')).toBe(true);
    expect(await client.unlock('b-1')).toBe(false);
    expect(await client.progress('b-1')).toMatchObject({ running: false, lastStatus: 'UNLOCKED', remaining: ['Load'] });
    const rerun = await runner.run({ batch: 'b-1' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Load: 1 });

    const done = await client.progress('b-1');
    expect(done).toMatchObject({ complete: true, remaining: [], running: false, lastStatus: 'SUCCEEDED', lastExecutionId: rerun.executionArn });
    expect(done.completed.map((c) => [c.name, c.executionId])).toEqual([
      ['Extract', crashed.executionArn],
      ['Transform', crashed.executionArn],
      ['Load', rerun.executionArn],
    ]);
  });

  test('reset deletes every item of the key; the next run does every step again', async () => {
    // GIVEN a completed key
    await runner.run({ batch: 'b-2' });
    expect((await client.progress('b-2')).complete).toBe(true);

    // WHEN
    const deleted = await client.reset('b-2');

    // THEN
    expect(deleted).toBe(STEPS.length + 1);
    expect(await client.progress('b-2')).toMatchObject({ completed: [], remaining: STEPS, generation: undefined });
    const again = await runner.run({ batch: 'b-2' });
    expect(stepCalls(workflow, again)).toEqual({ Extract: 1, Transform: 1, Load: 1 });
  });

  test('reset with force deletes even under a live lease; the dead run cannot block the key', async () => {
    await runner.run({ batch: 'b-3' }, { faults: { 'Extract: checkpoint': Faults.crashAfter() } });
    // the lease item and every step item (the crashed run owned all of them: Extract done, the others placeholders)
    expect(await client.reset('b-3', { force: true })).toBe(1 + STEPS.length);
    const again = await runner.run({ batch: 'b-3' });
    expect(again.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, again)).toEqual({ Extract: 1, Transform: 1, Load: 1 });
  });

  test('only checkpoints of the current generation that have not expired count, as a rerun would see them', async () => {
    // GIVEN a completed key, then a restart that crashed after Extract, and an expired Load item of the new generation
    await runner.run({ batch: 'b-4' });
    const restarted = await runner.run({ batch: 'b-4', checkpointRestart: true }, { faults: { 'Extract: checkpoint': Faults.crashAfter() } });
    await runner.dynamodb.send(new PutItemCommand({
      TableName: client.tableName,
      Item: {
        pk: { S: `${workflow.namespace}#b-4` },
        sk: { S: 'step#Load' },
        step: { S: 'Load' },
        result: { S: '{}' },
        executionId: { S: 'old' },
        executionStartedAt: { S: '2020-01-01T00:00:00Z' },
        generation: { S: restarted.executionArn },
        expiresAt: { N: String(Math.floor(Date.now() / 1000) - 1) },
      },
    }));

    // WHEN / THEN
    const progress = await client.progress('b-4');
    expect(progress.generation).toBe(restarted.executionArn);
    expect(progress.completed.map((c) => c.name)).toEqual(['Extract']);
    expect(progress.remaining).toEqual(['Transform', 'Load']);
  });

  test('unlock with an owner releases only that execution\'s lease', async () => {
    // GIVEN a run that died holding the key
    const crashed = await runner.run({ batch: 'b-5' }, { faults: { 'Extract: checkpoint': Faults.crashAfter() } });

    // WHEN an operator names another execution, THEN nothing is released
    expect(await client.unlock('b-5', { owner: `${crashed.executionArn}-other` })).toBe(false);
    expect(await client.progress('b-5')).toMatchObject({ running: true, leaseOwner: crashed.executionArn });

    // WHEN the dead execution is named, THEN its lease is released
    expect(await client.unlock('b-5', { owner: crashed.executionArn })).toBe(true);
    expect(await client.progress('b-5')).toMatchObject({ running: false, lastStatus: 'UNLOCKED', lastExecutionId: crashed.executionArn });
    await expect(client.unlock('b-5', { owner: '' })).rejects.toThrow(/owner "" must be the execution ARN/);
  });

  test('bad props and keys are rejected with the fix', async () => {
    expect(() => new CheckpointClient({ tableName: '', namespace: 'n', stepNames: ['A'] })).toThrow(/tableName is empty/);
    expect(() => new CheckpointClient({ tableName: 't', namespace: '', stepNames: ['A'] })).toThrow(/namespace is empty/);
    expect(() => new CheckpointClient({ tableName: 't', namespace: 'n', stepNames: [] })).toThrow(/stepNames is empty/);
    await expect(client.progress('')).rejects.toThrow(/key "" must be a non-empty string/);
  });
});
