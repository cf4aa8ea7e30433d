import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CallbackTarget, Saga, SequentialWorkflow, Step } from '../../src';
import { LocalWorkflowRunner } from '../../src/testing';
import { aslOf, DEFAULT_LAMBDA_RETRY, inlineFunction, logicalIdOf, newStack } from '../util';

/** The statements of a workflow's role policy that are not logging / X-Ray. */
function taskStatements(template: Template): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const id = Object.keys(policies).find((p) => p.startsWith('WfStateMachineRoleDefaultPolicy'))!;
  return (policies[id].Properties.PolicyDocument.Statement as any[]).filter((s) => !JSON.stringify(s.Action).match(/logs:|xray:/));
}

describe('Step.callback: a .waitForTaskToken task, rendered with IAM derived from the graph', () => {
  test('SQS target: the default message carries the token and the state; timeout, heartbeat, retry on SQS transient errors', () => {
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Approvals');
    new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.callback('Approve', { target: CallbackTarget.sqs(queue), timeout: Duration.hours(24), heartbeat: Duration.minutes(10) })],
    });
    const template = Template.fromStack(stack);
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'Approvals');
    expect(aslOf(template).States.Approve).toEqual({
      Type: 'Task',
      Resource: 'arn:${AWS::Partition}:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: { QueueUrl: `\${Ref:${queueId}}`, MessageBody: { 'taskToken.$': '$$.Task.Token', 'input.$': '$' } },
      ResultPath: '$.results.Approve',
      TimeoutSeconds: 86400,
      HeartbeatSeconds: 600,
      Retry: [{ ErrorEquals: ['SQS.SdkClientException', 'SQS.AmazonSQSException'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' }],
      End: true,
    });
    expect(taskStatements(template)).toEqual([{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }]);
  });

  test('SNS target', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Reviews');
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.callback('Review', { target: CallbackTarget.sns(topic), timeout: Duration.days(3) })] });
    const template = Template.fromStack(stack);
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', 'Reviews');
    expect(aslOf(template).States.Review).toMatchObject({
      Resource: 'arn:${AWS::Partition}:states:::sns:publish.waitForTaskToken',
      Parameters: { TopicArn: `\${Ref:${topicId}}`, Message: { 'taskToken.$': '$$.Task.Token', 'input.$': '$' } },
      TimeoutSeconds: 259200,
    });
    expect(taskStatements(template)).toEqual([{ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } }]);
  });

  test('Lambda target through the WorkflowFunction alias; the pattern\'s payload is kept and the token added (Saga)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const approver = inlineFunction(stack, 'Approver');
    new Saga(stack, 'Wf', {
      steps: [
        { action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) },
        { action: Step.callback('Approve', { target: CallbackTarget.lambda(approver), timeout: Duration.hours(1) }) },
      ],
    });
    const template = Template.fromStack(stack);
    const aliasId = logicalIdOf(template, 'AWS::Lambda::Alias', 'Approver');
    const state = aslOf(template).States.Approve;
    expect(state).toMatchObject({
      Resource: 'arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: `\${Ref:${aliasId}}`,
        Payload: { 'input.$': '$', 'idempotencyKey.$': "States.Format('{}:Approve', $$.Execution.Name)", 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 3600,
      Retry: [DEFAULT_LAMBDA_RETRY],
    });
    const invoke = taskStatements(template).filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke)).toContain(aliasId);
  });

  test('AWS SDK target: .waitForTaskToken on the SDK integration, the call\'s own IAM', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.callback('Notify', {
        target: CallbackTarget.awsSdk({
          service: 'eventbridge',
          action: 'putEvents',
          parameters: { Entries: [{ Source: 'orders', DetailType: 'approval', Detail: { token: sfn.JsonPath.taskToken } }] },
          iamAction: 'events:PutEvents',
          iamResources: ['arn:aws:events:us-east-1:123456789012:event-bus/default'],
        }),
        timeout: Duration.hours(2),
      })],
    });
    const template = Template.fromStack(stack);
    expect(aslOf(template).States.Notify).toMatchObject({
      Resource: 'arn:${AWS::Partition}:states:::aws-sdk:eventbridge:putEvents.waitForTaskToken',
      Parameters: { Entries: [{ Source: 'orders', DetailType: 'approval', Detail: { 'token.$': '$$.Task.Token' } }] },
      Retry: [{ ErrorEquals: expect.arrayContaining(['EventBridge.ThrottlingException']) }],
    });
    expect(taskStatements(template)).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }]);
  });

  test('a message without the task token is refused (nobody could answer it)', () => {
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Q');
    expect(() => new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.callback('Approve', { target: CallbackTarget.sqs(queue, sfn.TaskInput.fromObject({ order: 'x' })), timeout: Duration.hours(1) })],
    })).toThrow(/^\[TestStack\/Wf\] callback step 'Approve': its message does not contain the task token/);
    expect(() => new SequentialWorkflow(stack, 'Wf2', {
      steps: [Step.callback('Notify', {
        target: CallbackTarget.awsSdk({ service: 'eventbridge', action: 'putEvents', parameters: { Entries: [] }, iamResources: ['*'] }),
        timeout: Duration.hours(1),
      })],
    })).toThrow(/callback step 'Notify': the parameters of eventbridge:putEvents do not contain the task token/);
  });

  test('waitsForCallback is true, so Express patterns refuse it (see validation tests)', () => {
    const stack = newStack();
    const step = Step.callback('Approve', { target: CallbackTarget.sqs(new sqs.Queue(stack, 'Q')), timeout: Duration.hours(1) });
    expect(step.waitsForCallback).toBe(true);
    expect(step.timeout?.toSeconds()).toBe(3600);
  });
});

describe('Step.callback executed locally (the answer sent with the token is the step result)', () => {
  // A .waitForTaskToken task waits for SendTaskSuccess/SendTaskFailure with its token; what the
  // Lambda returns is not the step's result:
  // https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
  test('the Lambda receives the token and the state; the answer sent with the token is the step result', async () => {
    const stack = newStack();
    const approver = inlineFunction(stack, 'Approver');
    const workflow = new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.callback('Approve', { target: CallbackTarget.lambda(approver), timeout: Duration.hours(1), resultSelector: { 'approved.$': '$.approved' } })],
    });
    const events: any[] = [];
    const runner = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        Approve: async (event: any) => {
          events.push(event);
          return { ignored: 'the invocation result of a callback task is not its output' };
        },
      },
    });
    try {
      const done = runner.run({ orderId: 'o-1' });
      const pending = await runner.waitForCallback('Approve');
      expect(pending.stateName).toBe('Approve');
      expect(events).toHaveLength(1);
      expect(events[0].input).toEqual({ orderId: 'o-1' });
      expect(events[0].taskToken).toBe(pending.token);
      runner.sendTaskSuccess(pending.token, { approved: true, by: 'alice', note: 'x'.repeat(1000) });
      const result = await done;
      expect(result).toMatchObject({ error: undefined, cause: undefined });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ orderId: 'o-1', results: { Approve: { approved: true } } });
    } finally {
      await runner.close();
    }
  });
});
