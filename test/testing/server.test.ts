/**
 * runner.serve(): the Step Functions JSON protocol over the local runner, driven with the real
 * @aws-sdk/client-sfn.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidName,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineDoesNotExist,
  StateMachineTypeNotSupported,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { lambdaStep } from './fixtures';
import { localSfnClient, waitForEnd } from './sfn-sdk';
import { LocalSfnServer, LocalWorkflowRunner } from '../../src/testing';

// GIVEN a Standard and an Express machine: Work (a Lambda step whose handler the input steers) -> Done
const app = new App();
const stack = new Stack(app, 'ServeStack', { env: { account: '123456789012', region: 'us-east-1' } });
function machine(id: string, type: sfn.StateMachineType): sfn.StateMachine {
  const work = lambdaStep(stack, `${id} Work`, { stateName: 'Work', resultPath: '$.work' });
  const done = new sfn.Pass(stack, `${id} Done`, { stateName: 'Done' });
  return new sfn.StateMachine(stack, id, { stateMachineType: type, definitionBody: sfn.DefinitionBody.fromChainable(work.next(done)) });
}
const standardMachine = machine('Standard', sfn.StateMachineType.STANDARD);
const expressMachine = machine('Express', sfn.StateMachineType.EXPRESS);

/** Calls of Work per execution name; `release` ends the handlers that wait (`hold: true`). */
const calls = new Map<string, number>();
let release: () => void = () => undefined;
let held = new Promise<void>((resolve) => { release = resolve; });
const handlers = {
  Work: async (event: any, ctx: any) => {
    calls.set(ctx.executionName, (calls.get(ctx.executionName) ?? 0) + 1);
    if (event.hold) await held;
    if (event.fail) throw Object.assign(new Error(event.fail), { name: 'Work.Failed' });
    return { doubled: event.n * 2 };
  },
};

let standard: LocalWorkflowRunner;
let express: LocalWorkflowRunner;
let standardServer: LocalSfnServer;
let expressServer: LocalSfnServer;
let sfnClient: SFNClient;
let expressClient: SFNClient;

beforeAll(async () => {
  [standard, express] = await Promise.all([
    LocalWorkflowRunner.create(standardMachine, { handlers }),
    LocalWorkflowRunner.create(expressMachine, { handlers }),
  ]);
  [standardServer, expressServer] = await Promise.all([standard.serve({ redrive: 'rerun' }), express.serve()]);
  sfnClient = localSfnClient(standardServer.endpoint);
  expressClient = localSfnClient(expressServer.endpoint);
});

afterAll(async () => {
  release();
  sfnClient?.destroy();
  expressClient?.destroy();
  await Promise.all([standardServer?.close(), expressServer?.close()]);
  await Promise.all([standard?.close(), express?.close()]);
});

describe('runner.serve() with @aws-sdk/client-sfn', () => {
  test('the endpoint listens on 127.0.0.1 on a random port', () => {
    expect(standardServer.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(standardServer.port).not.toBe(expressServer.port);
  });

  test('StartExecution runs in the background; DescribeExecution reports RUNNING, then SUCCEEDED with the output', async () => {
    // WHEN
    const started = await sfnClient.send(new StartExecutionCommand({
      stateMachineArn: standard.stateMachineArn, name: 'order-1', input: JSON.stringify({ n: 21, hold: true }),
    }));

    // THEN
    expect(started.executionArn).toBe(standard.stateMachineArn.replace(':stateMachine:', ':execution:') + ':order-1');
    expect(started.startDate).toBeInstanceOf(Date);
    const running = await sfnClient.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'order-1', stateMachineArn: standard.stateMachineArn, input: '{"n":21,"hold":true}' });
    expect(running.stopDate).toBeUndefined();
    // the history grows live: the task being worked on is entered, not exited
    const live = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    expect(live.events!.map((e) => [e.type, e.stateEnteredEventDetails?.name])).toEqual([['ExecutionStarted', undefined], ['TaskStateEntered', 'Work']]);
    release();
    const done = await waitForEnd(sfnClient, started.executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ n: 21, hold: true, work: { doubled: 42 } });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());
  });

  test('GetExecutionHistory: ExecutionStarted, each state entered/exited with its type, input and output, ExecutionSucceeded; reverseOrder and paging', async () => {
    const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'history-1', input: '{"n":1}' }));
    await waitForEnd(sfnClient, executionArn!);

    // WHEN
    const history = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn }));
    const reversed = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
    const rest = await sfnClient.send(new GetExecutionHistoryCommand({
      executionArn, reverseOrder: true, maxResults: 2, nextToken: reversed.nextToken,
    }));

    // THEN
    expect(history.events!.map((e) => [e.id, e.type, e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name])).toEqual([
      [1, 'ExecutionStarted', undefined],
      [2, 'TaskStateEntered', 'Work'],
      [3, 'TaskStateExited', 'Work'],
      [4, 'PassStateEntered', 'Done'],
      [5, 'PassStateExited', 'Done'],
      [6, 'ExecutionSucceeded', undefined],
    ]);
    expect(history.events![0].executionStartedEventDetails!.input).toBe('{"n":1}');
    expect(history.events![0].timestamp).toBeInstanceOf(Date);
    expect(JSON.parse(history.events![1].stateEnteredEventDetails!.input!)).toEqual({ n: 1 });
    expect(JSON.parse(history.events![2].stateExitedEventDetails!.output!)).toEqual({ n: 1, work: { doubled: 2 } });
    expect(reversed.events!.map((e) => e.id)).toEqual([6, 5]);
    expect(rest.events!.map((e) => e.id)).toEqual([4, 3]);
    expect(rest.nextToken).toBeDefined();
    const withoutData = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(withoutData.events![1].stateEnteredEventDetails).toEqual({ name: 'Work', inputDetails: { truncated: false } });
  });

  test('a failed execution reports the error and cause; history ends with ExecutionFailed', async () => {
    const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'fail-1', input: '{"fail":"card declined"}' }));
    const done = await waitForEnd(sfnClient, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Work.Failed' });
    expect(JSON.parse(done.cause!)).toMatchObject({ errorType: 'Work.Failed', errorMessage: 'card declined' });
    const history = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(history.events![0]).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'Work.Failed' } });
  });

  test('same name + same input while open: the same execution (no second run); different input or closed: ExecutionAlreadyExists', async () => {
    held = new Promise<void>((resolve) => { release = resolve; });
    const input = JSON.stringify({ n: 2, hold: true });
    // WHEN 20 concurrent starts with one name and input
    const starts = await Promise.all(Array.from({ length: 20 }, () =>
      sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'dup-1', input }))));
    // THEN one execution
    expect(new Set(starts.map((s) => s.executionArn)).size).toBe(1);
    expect(new Set(starts.map((s) => s.startDate!.getTime())).size).toBe(1);
    await expect(sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'dup-1', input: '{"n":3}' })))
      .rejects.toBeInstanceOf(ExecutionAlreadyExists);
    release();
    await waitForEnd(sfnClient, starts[0].executionArn!);
    expect(calls.get('dup-1')).toBe(1);
    // closed: refused whatever the input
    await expect(sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'dup-1', input })))
      .rejects.toThrow(ExecutionAlreadyExists);
  });

  test('StopExecution aborts a running execution; a stopped execution stays ABORTED', async () => {
    held = new Promise<void>((resolve) => { release = resolve; });
    const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'stop-1', input: '{"n":1,"hold":true}' }));
    // WHEN
    const stopped = await sfnClient.send(new StopExecutionCommand({ executionArn, error: 'Ops.Cancelled', cause: 'customer asked' }));
    release();
    await standardServer.idle();
    // THEN
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const d = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Ops.Cancelled', cause: 'customer asked' });
    const history = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionAborted']);
    // the run itself was aborted: nothing after the running task
    const run = standardServer.executions.find((e) => e.name === 'stop-1')!.result!;
    expect(run.status).toBe('ABORTED');
    expect(run.statesEntered).toEqual(['Work']);
  });

  test('ListExecutions: most recent first, statusFilter, paging', async () => {
    const all = await sfnClient.send(new ListExecutionsCommand({ stateMachineArn: standard.stateMachineArn }));
    const names = all.executions!.map((e) => e.name);
    expect(names.slice(-2)).toEqual(['history-1', 'order-1']);
    const failed = await sfnClient.send(new ListExecutionsCommand({ stateMachineArn: standard.stateMachineArn, statusFilter: 'FAILED' }));
    expect(failed.executions!.map((e) => e.name)).toEqual(['fail-1']);
    const first = await sfnClient.send(new ListExecutionsCommand({ stateMachineArn: standard.stateMachineArn, maxResults: 2 }));
    expect(first.executions).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    const second = await sfnClient.send(new ListExecutionsCommand({
      stateMachineArn: standard.stateMachineArn, maxResults: 2, nextToken: first.nextToken,
    }));
    expect(second.executions!.map((e) => e.name)).toEqual(names.slice(2, 4));
  });

  test('RedriveExecution (rerun mode): a FAILED execution runs again under the same ARN; SUCCEEDED is not redrivable', async () => {
    const failed = await sfnClient.send(new DescribeExecutionCommand({ executionArn: standard.stateMachineArn.replace(':stateMachine:', ':execution:') + ':fail-1' }));
    expect(failed.redriveStatus).toBe('REDRIVABLE');
    // WHEN
    const redriven = await sfnClient.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));
    const d = await waitForEnd(sfnClient, failed.executionArn!);
    // THEN
    expect(redriven.redriveDate).toBeInstanceOf(Date);
    expect(d).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    expect(calls.get('fail-1')).toBe(2);
    const history = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn: failed.executionArn }));
    expect(history.events!.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
    const ok = standard.stateMachineArn.replace(':stateMachine:', ':execution:') + ':order-1';
    await expect(sfnClient.send(new RedriveExecutionCommand({ executionArn: ok }))).rejects.toBeInstanceOf(ExecutionNotRedrivable);
  });

  test('typed errors: unknown execution, unknown machine, invalid name', async () => {
    await expect(sfnClient.send(new DescribeExecutionCommand({ executionArn: standard.stateMachineArn.replace(':stateMachine:', ':execution:') + ':nope' })))
      .rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(sfnClient.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Other' })))
      .rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(sfnClient.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, name: 'order/1' })))
      .rejects.toBeInstanceOf(InvalidName);
    await expect(sfnClient.send(new StartSyncExecutionCommand({ stateMachineArn: standard.stateMachineArn })))
      .rejects.toBeInstanceOf(StateMachineTypeNotSupported);
  });

  test('Express: StartSyncExecution returns the outcome; names are not deduplicated; Describe/List are not supported', async () => {
    // WHEN
    const ok = await expressClient.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, name: 'sync-1', input: '{"n":5}' }));
    const again = await expressClient.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, name: 'sync-1', input: '{"n":5}' }));
    const bad = await expressClient.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: '{"fail":"boom"}' }));

    // THEN
    expect(ok).toMatchObject({ status: 'SUCCEEDED', name: 'sync-1', stateMachineArn: express.stateMachineArn });
    expect(JSON.parse(ok.output!)).toEqual({ n: 5, work: { doubled: 10 } });
    expect(ok.executionArn).toMatch(/:express:.*:sync-1:[0-9a-f-]{36}$/);
    expect(again.executionArn).not.toBe(ok.executionArn);
    expect(ok.billingDetails!.billedDurationInMilliseconds! % 100).toBe(0);
    expect(bad).toMatchObject({ status: 'FAILED', error: 'Work.Failed' });
    await expect(expressClient.send(new ListExecutionsCommand({ stateMachineArn: express.stateMachineArn })))
      .rejects.toBeInstanceOf(StateMachineTypeNotSupported);
  });
});
