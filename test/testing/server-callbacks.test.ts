/**
 * runner.serve() and callbacks: a `.waitForTaskToken` task answered by application code with the
 * real @aws-sdk/client-sfn (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat).
 */
import {
  DescribeExecutionCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { liveAlias } from './fixtures';
import { localSfnClient, waitForEnd } from './sfn-sdk';
import { LocalSfnServer, LocalWorkflowRunner } from '../../src/testing';

// GIVEN a Standard machine: Request approval (Lambda .waitForTaskToken, token in the payload) -> Done
const app = new App();
const stack = new Stack(app, 'CallbackStack', { env: { account: '123456789012', region: 'us-east-1' } });
const approval = new tasks.LambdaInvoke(stack, 'Request approval', {
  lambdaFunction: liveAlias(stack, 'Approver'),
  integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
  payload: sfn.TaskInput.fromObject({ token: sfn.JsonPath.taskToken, orderId: sfn.JsonPath.stringAt('$.orderId') }),
  resultPath: '$.approval',
  heartbeatTimeout: sfn.Timeout.duration(Duration.minutes(10)),
});
const machine = new sfn.StateMachine(stack, 'Approvals', {
  definitionBody: sfn.DefinitionBody.fromChainable(approval.next(new sfn.Pass(stack, 'Done'))),
});

/** What the "approval service" received: the task tokens, by order. */
const tokens = new Map<string, string>();
const tokenArrived = new Map<string, () => void>();
const arrival = (orderId: string) => new Promise<void>((resolve) => {
  if (tokens.has(orderId)) resolve();
  else tokenArrived.set(orderId, resolve);
});

let runner: LocalWorkflowRunner;
let server: LocalSfnServer;
let client: SFNClient;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(machine, {
    handlers: {
      'Request approval': async (event: any) => {
        tokens.set(event.orderId, event.token);
        tokenArrived.get(event.orderId)?.();
        return {};
      },
    },
  });
  server = await runner.serve();
  client = localSfnClient(server.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await runner?.close();
});

describe('runner.serve(): callbacks answered through the SDK', () => {
  test('SendTaskHeartbeat then SendTaskSuccess: the execution continues with the callback output', async () => {
    // WHEN
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'approve-1', input: '{"orderId":"o-1"}' }));
    await arrival('o-1');
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await client.send(new SendTaskHeartbeatCommand({ taskToken: tokens.get('o-1') }));
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens.get('o-1'), output: JSON.stringify({ approvedBy: 'alice' }) }));

    // THEN
    const done = await waitForEnd(client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ orderId: 'o-1', approval: { approvedBy: 'alice' } });
    // the token is spent
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: tokens.get('o-1'), output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  test('SendTaskFailure fails the execution with the given error and cause', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'approve-2', input: '{"orderId":"o-2"}' }));
    await arrival('o-2');
    await client.send(new SendTaskFailureCommand({ taskToken: tokens.get('o-2'), error: 'Approval.Rejected', cause: 'over budget' }));
    expect(await waitForEnd(client, executionArn!)).toMatchObject({ status: 'FAILED', error: 'Approval.Rejected', cause: 'over budget' });
  });

  test('an unknown token is InvalidToken', async () => {
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
  });
});
