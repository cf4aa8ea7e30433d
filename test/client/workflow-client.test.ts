/**
 * WorkflowClient against runner.serve(): the real @aws-sdk/client-sfn (and client-dynamodb for the
 * checkpoint table) talking to the local runner's SFN-compatible endpoint and dynalite.
 */
import { CheckpointedWorkflow, Saga, Step, WorkflowType } from '../../src';
import { WorkflowClient, WorkflowClientError, executionNameForKey } from '../../src/client';
import { LocalSfnServer, LocalWorkflowRunner, TaskHandler } from '../../src/testing';
import { inlineFunction, newStack } from '../util';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

// GIVEN a Standard saga (Reserve/Release, Charge/Refund, Ship), an Express saga, and a checkpointed job of 4 steps
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const sagaSteps = () => [
  { action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) },
  { action: Step.lambda('Charge', fn), compensation: Step.lambda('Refund', fn) },
  { action: Step.lambda('Ship', fn) },
];
const saga = new Saga(stack, 'Order', { steps: sagaSteps() });
const expressSaga = new Saga(stack, 'QuickOrder', { type: WorkflowType.EXPRESS, steps: sagaSteps() });
const JOB_STEPS = ['Fetch', 'Parse', 'Enrich', 'Store'];
const job = new CheckpointedWorkflow(stack, 'Job', { keyPath: '$.jobId', steps: JOB_STEPS.map((name) => ({ step: Step.lambda(name, fn) })) });
const quickJob = new CheckpointedWorkflow(stack, 'QuickJob', {
  type: WorkflowType.EXPRESS, keyPath: '$.jobId', steps: JOB_STEPS.map((name) => ({ step: Step.lambda(name, fn) })),
});

/** Calls per execution name and state. */
const calls: Array<{ execution: string; state: string }> = [];
const count = (execution: string | RegExp, state: string) =>
  calls.filter((c) => (typeof execution === 'string' ? c.execution === execution : execution.test(c.execution)) && c.state === state).length;
/** Gates that keep an execution running until opened. */
const gates = new Map<string, () => void>();
const gate = (name: string) => new Promise<void>((resolve) => gates.set(name, resolve));

const sagaHandler = (state: string): TaskHandler => async (event: any, ctx) => {
  calls.push({ execution: ctx.executionName, state });
  const input = event.input ?? event;
  if (input.holdAt === state) await gate(input.orderId);
  if (input.failAt === state) throw Object.assign(new Error(`${state} failed`), { name: `${state}.Failed` });
  if (state === 'Refund' && input.refundBroken) throw Object.assign(new Error('refund API down'), { name: 'Refund.Unavailable' });
  return { state, orderId: input.orderId };
};
const sagaHandlers = Object.fromEntries(['Reserve', 'Release', 'Charge', 'Refund', 'Ship'].map((s) => [s, sagaHandler(s)]));
/** Job steps fail while `broken` names them. */
const broken = new Set<string>();
const jobHandlers: Record<string, TaskHandler> = {};
for (const step of JOB_STEPS) {
  for (const state of [...job.stateNamesOf(step), ...quickJob.stateNamesOf(step)]) {
    jobHandlers[state] = async (_event: any, ctx) => {
      calls.push({ execution: ctx.executionName, state: step });
      if (broken.has(step)) throw Object.assign(new Error(`${step} is broken`), { name: `${step}.Broken` });
      return { step };
    };
  }
}

let sagaRunner: LocalWorkflowRunner;
let expressRunner: LocalWorkflowRunner;
let jobRunner: LocalWorkflowRunner;
let sagaServer: LocalSfnServer;
let expressServer: LocalSfnServer;
let jobServer: LocalSfnServer;
let quickJobRunner: LocalWorkflowRunner;
let quickJobServer: LocalSfnServer;
let quickJobs: WorkflowClient;
let orders: WorkflowClient;
let quickOrders: WorkflowClient;
let jobs: WorkflowClient;

beforeAll(async () => {
  [sagaRunner, expressRunner, jobRunner] = await Promise.all([
    LocalWorkflowRunner.create(saga, { handlers: sagaHandlers }),
    LocalWorkflowRunner.create(expressSaga, { handlers: sagaHandlers }),
    LocalWorkflowRunner.create(job, { handlers: jobHandlers }),
  ]);
  quickJobRunner = await LocalWorkflowRunner.create(quickJob, { handlers: jobHandlers });
  quickJobServer = await quickJobRunner.serve();
  quickJobs = new WorkflowClient({
    stateMachineArn: quickJobRunner.stateMachineArn,
    type: 'EXPRESS',
    endpoint: quickJobServer.endpoint,
    region,
    credentials,
    dynamodbEndpoint: quickJobRunner.dynamodbEndpoint,
    checkpoint: { tableName: quickJobRunner.tableName(quickJob.table.table), namespace: quickJob.namespace, stepNames: quickJob.stepNames },
  });
  [sagaServer, expressServer, jobServer] = await Promise.all([sagaRunner.serve({ redrive: 'rerun' }), expressRunner.serve(), jobRunner.serve()]);
  orders = new WorkflowClient({ stateMachineArn: sagaRunner.stateMachineArn, saga: true, endpoint: sagaServer.endpoint, region, credentials });
  quickOrders = new WorkflowClient({ stateMachineArn: expressRunner.stateMachineArn, type: 'EXPRESS', saga: true, endpoint: expressServer.endpoint, region, credentials });
  jobs = new WorkflowClient({
    stateMachineArn: jobRunner.stateMachineArn,
    endpoint: jobServer.endpoint,
    region,
    credentials,
    dynamodbEndpoint: jobRunner.dynamodbEndpoint,
    checkpoint: { tableName: jobRunner.tableName(job.table.table), namespace: job.namespace, stepNames: job.stepNames },
  });
});

afterAll(async () => {
  for (const open of gates.values()) open();
  for (const c of [orders, quickOrders, jobs, quickJobs]) c?.destroy();
  await Promise.all([sagaServer?.close(), expressServer?.close(), jobServer?.close(), quickJobServer?.close()]);
  await Promise.all([sagaRunner?.close(), expressRunner?.close(), jobRunner?.close(), quickJobRunner?.close()]);
});

const executionsOf = (server: LocalSfnServer, key: string) => server.executions.filter((e) => e.name.startsWith(executionNameForKey(key)));

describe('WorkflowClient.start: idempotent by business key', () => {
  test('20 concurrent starts of one key (same input) -> one execution, one run of each step', async () => {
    // WHEN
    const started = await Promise.all(Array.from({ length: 20 }, () => orders.start('order-1', { orderId: 'order-1' })));

    // THEN
    expect(new Set(started.map((s) => s.executionArn))).toEqual(new Set([orders.executionArn('order-1')]));
    expect(started[0].executionName).toBe(executionNameForKey('order-1'));
    const outcome = await orders.result('order-1', { waitFor: 10_000, pollInterval: 10 });
    expect(outcome.status).toBe('SUCCEEDED');
    expect((outcome.output as any).results).toMatchObject({ Reserve: { state: 'Reserve' }, Ship: { state: 'Ship' } });
    expect(executionsOf(sagaServer, 'order-1')).toHaveLength(1);
    expect(count(executionNameForKey('order-1'), 'Reserve')).toBe(1);
  });

  test('20 concurrent starts of one key with DIFFERENT inputs -> still one execution (the others get it back)', async () => {
    // WHEN
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => orders.start('order/2 ü', { orderId: 'order-2', attemptNo: i })));

    // THEN
    expect(new Set(started.map((s) => s.executionArn)).size).toBe(1);
    expect(executionsOf(sagaServer, 'order/2 ü')).toHaveLength(1);
    expect(started.filter((s) => s.existingStatus !== undefined).length).toBeGreaterThanOrEqual(19);
    await orders.result('order/2 ü', { pollInterval: 10 });
    // a start after the end returns the closed execution instead of running the order again
    const again = await orders.start('order/2 ü', { orderId: 'order-2' });
    expect(again).toMatchObject({ executionArn: started[0].executionArn, existingStatus: 'SUCCEEDED' });
    expect(executionsOf(sagaServer, 'order/2 ü')).toHaveLength(1);
  });

  test('Express without checkpoints: start() refuses (names do not deduplicate Express); startSync() runs it', async () => {
    await expect(quickOrders.start('q-1', { orderId: 'q-1' })).rejects.toThrow(/Express workflows do not enforce/);
    const outcome = await quickOrders.startSync('q-1', { orderId: 'q-1' });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.executionArn).toContain(':express:');
    expect(outcome.executionArn).toContain(executionNameForKey('q-1'));
    const failed = await quickOrders.startSync('q-2', { orderId: 'q-2', failAt: 'Ship' });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Ship.Failed' });
  });
});

describe('WorkflowClient.status: the saga outcome', () => {
  test('a saga whose compensation keeps failing: COMPENSATION_FAILED with the cause naming it; listStuck reports it', async () => {
    // WHEN Ship fails and Refund keeps failing
    await orders.start('order-3', { orderId: 'order-3', failAt: 'Ship', refundBroken: true });
    await orders.result('order-3', { pollInterval: 10 });
    const status = await orders.status('order-3');

    // THEN
    expect(status).toMatchObject({ status: 'FAILED', error: 'Saga.CompensationFailed', saga: 'COMPENSATION_FAILED', attempt: 1 });
    expect(status.cause).toContain("Compensation 'Refund' of step 'Charge' failed");
    expect(count(executionNameForKey('order-3'), 'Refund')).toBeGreaterThan(1); // retried before giving up
    const stuck = await orders.listStuck();
    expect(stuck.filter((s) => s.reason === 'COMPENSATION_FAILED').map((s) => s.executionName)).toEqual([executionNameForKey('order-3')]);
  });

  test('a saga that rolled back completely: ROLLED_BACK with the original error', async () => {
    await orders.start('order-4', { orderId: 'order-4', failAt: 'Ship' });
    const outcome = await orders.result('order-4', { pollInterval: 10 });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Ship.Failed' });
    expect(await orders.status('order-4')).toMatchObject({ status: 'FAILED', error: 'Ship.Failed', saga: 'ROLLED_BACK' });
  });

  test('NOT_STARTED for an unknown key; RUNNING while it runs', async () => {
    expect(await orders.status('never')).toMatchObject({ status: 'NOT_STARTED', attempt: 0, executionName: executionNameForKey('never') });
    await orders.start('order-5', { orderId: 'order-5', holdAt: 'Charge' });
    expect(await orders.status('order-5')).toMatchObject({ status: 'RUNNING', saga: 'RUNNING' });
    gates.get('order-5')?.();
    expect((await orders.result('order-5', { pollInterval: 10 })).status).toBe('SUCCEEDED');
  });
});

describe('WorkflowClient: stop, result timeout, listStuck, retry, redrive', () => {
  test('stop() aborts a running execution; the saga reports ABORTED (nothing compensated)', async () => {
    await orders.start('order-6', { orderId: 'order-6', holdAt: 'Charge' });
    await expect(orders.result('order-6', { waitFor: 50, pollInterval: 10 })).rejects.toThrow(/still RUNNING after 50 ms/);
    // RUNNING longer than the threshold, as seen from a clock one hour ahead
    const later = new WorkflowClient({
      stateMachineArn: sagaRunner.stateMachineArn, endpoint: sagaServer.endpoint, region, credentials, clock: () => new Date(Date.now() + 3_600_000),
    });
    const stuck = await later.listStuck({ runningLongerThan: 30 * 60_000 });
    later.destroy();
    expect(stuck).toEqual([expect.objectContaining({ reason: 'RUNNING_TOO_LONG', executionName: executionNameForKey('order-6') })]);
    expect(await orders.listStuck()).toEqual([expect.objectContaining({ reason: 'COMPENSATION_FAILED' })]);

    // WHEN
    const status = await orders.stop('order-6', { error: 'Ops.Cancelled', cause: 'customer cancelled' });

    // THEN
    expect(status).toBe('ABORTED');
    gates.get('order-6')?.();
    await sagaServer.idle();
    expect(await orders.status('order-6')).toMatchObject({ status: 'ABORTED', saga: 'ABORTED', error: 'Ops.Cancelled' });
    expect(count(executionNameForKey('order-6'), 'Refund')).toBe(0);
    expect(await orders.stop('order-6')).toBe('ABORTED'); // no-op once closed
  });

  test('redrive(): refused while running or succeeded; a FAILED Standard execution is redriven under its ARN', async () => {
    await expect(orders.redrive('order-1')).rejects.toThrow(/status is SUCCEEDED/);
    await expect(orders.redrive('never')).rejects.toThrow(/no execution of key 'never'/);
    // WHEN
    const date = await orders.redrive('order-4');
    // THEN
    expect(date).toBeInstanceOf(Date);
    await orders.result('order-4', { pollInterval: 10 });
    expect(await orders.status('order-4')).toMatchObject({ redriveCount: 1, attempt: 1 });
    await expect(quickOrders.redrive('q-2')).rejects.toThrow(/Standard workflows only/);
  });

  test('retry(): a new attempt (…-a2) after a failure; the running or succeeded execution otherwise', async () => {
    const second = await orders.retry('order-4', { orderId: 'order-4' });
    expect(second).toMatchObject({ attempt: 2, executionName: `${executionNameForKey('order-4')}-a2` });
    expect((await orders.result('order-4', { pollInterval: 10 })).status).toBe('SUCCEEDED');
    expect(await orders.status('order-4')).toMatchObject({ attempt: 2, status: 'SUCCEEDED', saga: 'SUCCEEDED' });
    // start() and retry() now return attempt 2 instead of starting more
    expect(await orders.start('order-4', { orderId: 'order-4' })).toMatchObject({ attempt: 2, existingStatus: 'SUCCEEDED' });
    expect(await orders.retry('order-4', { orderId: 'order-4' })).toMatchObject({ attempt: 2, existingStatus: 'SUCCEEDED' });
    expect(executionsOf(sagaServer, 'order-4')).toHaveLength(2);
  });
});

describe('WorkflowClient with a CheckpointedWorkflow', () => {
  test('status() reports the completed steps from the checkpoint table; redrive is refused; retry() resumes from the checkpoints', async () => {
    // GIVEN Enrich is broken
    broken.add('Enrich');
    await jobs.start('job-1', { jobId: 'job-1' });
    expect((await jobs.result('job-1', { pollInterval: 10 })).status).toBe('FAILED');

    // WHEN
    const status = await jobs.status('job-1');

    // THEN
    expect(status.status).toBe('FAILED');
    expect(status.checkpoint).toMatchObject({ key: 'job-1', remaining: ['Enrich', 'Store'], complete: false, running: false });
    expect(status.checkpoint!.completed.map((s) => s.name)).toEqual(['Fetch', 'Parse']);
    expect(status.checkpoint!.completed[0].executionId).toBe(jobs.executionArn('job-1'));
    await expect(jobs.redrive('job-1')).rejects.toThrow(/checkpointed .* Use retry\(key, input\)/);
    await expect(jobs.redrive('job-1')).rejects.toBeInstanceOf(WorkflowClientError);

    // WHEN the step is fixed and the key retried
    broken.delete('Enrich');
    const retried = await jobs.retry('job-1', { jobId: 'job-1' });
    expect((await jobs.result('job-1', { pollInterval: 10 })).status).toBe('SUCCEEDED');

    // THEN the new attempt skipped the completed steps
    expect(retried.attempt).toBe(2);
    expect(count(retried.executionName, 'Fetch')).toBe(0);
    expect(count(retried.executionName, 'Enrich')).toBe(1);
    const done = await jobs.status('job-1');
    expect(done).toMatchObject({ attempt: 2, status: 'SUCCEEDED', checkpoint: { complete: true, remaining: [] } });
    expect(done.checkpoint!.completed.map((s) => s.name)).toEqual(JOB_STEPS);
  });

  test('status() of a key never run: NOT_STARTED, no completed steps', async () => {
    expect(await jobs.status('job-none')).toMatchObject({ status: 'NOT_STARTED', checkpoint: { completed: [], remaining: JOB_STEPS, running: false } });
  });
});

describe('WorkflowClient with an Express CheckpointedWorkflow', () => {
  test('5 concurrent start() of one key: 5 Express executions, yet each step runs once (checkpoint lease and done flags); status() reads the progress', async () => {
    // WHEN five starts race
    const started = await Promise.all(Array.from({ length: 5 }, () => quickJobs.start('qj-1', { jobId: 'qj-1' })));
    await quickJobServer.idle();

    // THEN Express does not deduplicate the name...
    expect(new Set(started.map((s) => s.executionArn)).size).toBe(5);
    const runs = quickJobServer.executions.map((e) => e.result!);
    expect(runs).toHaveLength(5);
    // ...but every run either did or skipped the work, or was refused the key; no step ran twice
    for (const r of runs) expect(r.status === 'SUCCEEDED' || r.error === 'Checkpoint.KeyLocked').toBe(true);
    expect(runs.some((r) => r.status === 'SUCCEEDED')).toBe(true);
    for (const step of JOB_STEPS) expect(count(executionNameForKey('qj-1'), step)).toBe(1);
    // the lease owner is each execution's own (unique) Express ARN, as $$.Execution.Id on AWS
    expect(new Set(quickJobServer.executions.map((e) => e.executionArn)).size).toBe(5);
    const status = await quickJobs.status('qj-1');
    expect(status).toMatchObject({ status: 'UNKNOWN', checkpoint: { complete: true, running: false } });
    await expect(quickJobs.result('qj-1')).rejects.toThrow(/Express state machines do not support/);
  });
});
