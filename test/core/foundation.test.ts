import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CheckpointTable, IWorkflowStep, SequentialWorkflow, Step, Workflow, WorkflowFunction, WorkflowType } from '../../src';
import { aslOf, DEFAULT_LAMBDA_RETRY, inlineFunction, logicalIdOf, newStack } from '../util';

/** One synthesized workflow shared by the default-wiring assertions below. */
function buildDefaultWorkflow(): { stack: Stack; template: Template } {
  const stack = newStack();
  const reserve = inlineFunction(stack, 'Reserve');
  const table = new CheckpointTable(stack, 'Checkpoints');
  new SequentialWorkflow(stack, 'Orders', {
    steps: [
      Step.lambda('Reserve funds', reserve),
      Step.awsSdk('Record', {
        service: 'dynamodb',
        action: 'putItem',
        parameters: { TableName: table.tableName, Item: { pk: { S: 'x' }, sk: { S: 'y' } } },
        iamResources: [table.tableArn],
      }),
    ],
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('defaults wired by Workflow + Step.lambda + WorkflowFunction', () => {
  const { template } = buildDefaultWorkflow();
  const aliasId = logicalIdOf(template, 'AWS::Lambda::Alias', 'Reserve');

  test('the Lambda task invokes the alias ARN, with a state timeout and backoff+jitter retry', () => {
    const asl = aslOf(template);
    expect(asl.StartAt).toBe('Reserve funds');
    expect(asl.TimeoutSeconds).toBe(3600);
    expect(asl.States['Reserve funds']).toEqual({
      Type: 'Task',
      Resource: `\${Ref:${aliasId}}`,
      ResultPath: '$.results.Reserve_funds',
      TimeoutSeconds: 35,
      Retry: [DEFAULT_LAMBDA_RETRY],
      Next: 'Record',
    });
    expect(asl.States.Record.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:dynamodb:putItem');
    expect(asl.States.Record.Retry[0].ErrorEquals).toContain('DynamoDb.ProvisionedThroughputExceededException');
  });

  test('IAM names exactly the alias ARN (no function:* wildcard)', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const invokeStatements = Object.values(policies)
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Action === 'lambda:InvokeFunction' || (Array.isArray(s.Action) && s.Action.includes('lambda:InvokeFunction')));
    expect(invokeStatements).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { Ref: aliasId } }]);
    expect(JSON.stringify(policies)).not.toMatch(/:\*"/);
  });

  test('alias "live" carries provisioned concurrency 1 on the current version', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReserveFunctionCurrentVersion'), 'Version'] },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 },
    });
  });

  test('function: newest Node runtime, ARM64, active tracing, explicit memory/timeout, the stack\'s shared log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Timeout: 30,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^WorkflowFunctionLogs') } },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.absent(), RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
    });
    // least-privilege role: no AWSLambdaBasicExecutionRole managed policy
    const roles = template.findResources('AWS::IAM::Role');
    expect(JSON.stringify(roles)).not.toContain('AWSLambdaBasicExecutionRole');
  });

  test('state machine: tracing on, logging ALL without execution data to a vendedlogs group', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrdersLogs'), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'),
      RetentionInDays: 30,
    });
  });

  test('checkpoint table: keys, on-demand, PITR, TTL, AWS-managed encryption, deletion protection, RETAIN', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('default alarms: failed + (timed out, aborted, throttled) execution alarms + one Metrics Insights alarm each for errors/throttles/spillover, NOT_BREACHING', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    const metricNames = alarms.map((a) => a.Properties.MetricName).filter(Boolean).sort();
    expect(metricNames).toEqual(['ExecutionsFailed']);
    // the rare execution outcomes: one metric-math alarm on their sum
    const rare = alarms.filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('FILL('));
    expect(rare).toHaveLength(1);
    expect(rare[0].Properties.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName).filter(Boolean).sort())
      .toEqual(['ExecutionThrottled', 'ExecutionsAborted', 'ExecutionsTimedOut']);
    const queries = alarms.filter((a) => a.Properties.Metrics && !rare.includes(a)).map((a) => JSON.stringify(a.Properties.Metrics[0].Expression));
    expect(queries).toHaveLength(3);
    expect(queries.join()).toMatch(/SELECT SUM\(Errors\)/);
    expect(queries.join()).toMatch(/SELECT SUM\(Throttles\)/);
    expect(queries.join()).toMatch(/SELECT SUM\(ProvisionedConcurrencySpilloverInvocations\)/);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        TreatMissingData: 'notBreaching',
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      if (alarm.Properties.MetricName) {
        expect(alarm.Properties).toMatchObject({ Period: 300, Statistic: 'Sum' });
      } else if (rare.includes(alarm)) {
        expect(alarm.Properties.Metrics[0]).toMatchObject({ ReturnData: true });
        expect(alarm.Properties.Metrics.slice(1).map((m: any) => [m.MetricStat.Period, m.MetricStat.Stat])).toEqual([[300, 'Sum'], [300, 'Sum'], [300, 'Sum']]);
      } else {
        expect(alarm.Properties.Metrics[0]).toMatchObject({ Period: 300, ReturnData: true });
      }
    }
  });
});

describe('overrides', () => {
  test('Express: type, 5-minute timeout, ALL logging; alarm overrides, SNS action and topic key policy', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'TopicKey');
    const topic = new sns.Topic(stack, 'Alerts', { masterKey: key });
    const fn = inlineFunction(stack, 'Fn', { provisionedConcurrency: 0 });
    const table = new CheckpointTable(stack, 'Table');
    const wf = new SequentialWorkflow(stack, 'Wf', {
      type: WorkflowType.EXPRESS,
      steps: [Step.lambda('Only', fn)],
      alarms: {
        topic,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        executionsFailed: { threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 2, period: Duration.minutes(1) },
        executionsAborted: { enabled: false },
      },
    });
    wf.alarms!.addAlarm('TableThrottles', table.metricThrottles(), 'throttles');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    expect(aslOf(template).TimeoutSeconds).toBe(300);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Period: 60,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
    });
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.MetricName);
    expect(names).not.toContain('ExecutionsAborted');
    // no provisioned concurrency -> no spillover alarm and no PC config
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('ProvisionedConcurrencySpilloverInvocations');
    template.hasResourceProperties('AWS::Lambda::Alias', { ProvisionedConcurrencyConfig: Match.absent() });
    // the table alarm added through the consumer API sums read+write throttles
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'reads + writes' })]),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } })]) },
    });
  });

  test('alarms can be switched off', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], alarms: { enabled: false } });
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('customer-managed key: state machine encryption with reuse period, encrypted log group', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], encryptionKey: key, kmsDataKeyReusePeriod: Duration.seconds(120) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: Match.anyValue(), KmsDataKeyReusePeriodSeconds: 120 },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
  });

  test('provisioned concurrency auto scaling on utilization', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { provisionedConcurrency: 2, provisionedConcurrencyScaling: { maxCapacity: 10 } });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 0.7 }),
    });
  });

  test('step retry and non-retryable errors are rendered in order', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.lambda('Charge', fn, {
        nonRetryableErrors: ['PaymentDeclined'],
        retry: { maxAttempts: 5, interval: Duration.seconds(2), jitter: false, errors: ['States.ALL'] },
        timeout: Duration.seconds(10),
        heartbeat: Duration.seconds(5),
      })],
    });
    const state = aslOf(Template.fromStack(stack)).States.Charge;
    expect(state.Retry).toEqual([
      { ErrorEquals: ['PaymentDeclined'], MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'NONE' },
    ]);
    expect(state.TimeoutSeconds).toBe(10);
    expect(state.HeartbeatSeconds).toBe(5);
  });
});

describe('Lambda step payloads', () => {
  /** A pattern-like workflow that places one Lambda step with a given payload. */
  class OneStep extends Workflow {
    public constructor(scope: Construct, id: string, step: IWorkflowStep, payload: sfn.TaskInput) {
      super(scope, id);
      this.createStateMachine(this.bindStep(step, { payload, resultPath: '$.out' }).state);
    }
  }

  test('a JSONPath payload becomes InputPath (Parameters of a payload-only Lambda task must be an object)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new OneStep(stack, 'Wf', Step.lambda('Work', fn), sfn.TaskInput.fromJsonPathAt('$.item'));
    const state = aslOf(Template.fromStack(stack)).States.Work;
    expect(state.InputPath).toBe('$.item');
    expect(state.Parameters).toBeUndefined();
  });

  test('an object payload is rendered as Parameters', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new OneStep(stack, 'Wf', Step.lambda('Work', fn), sfn.TaskInput.fromObject({ 'id.$': '$.id', 'kind': 'x' }));
    expect(aslOf(Template.fromStack(stack)).States.Work.Parameters).toEqual({ 'id.$': '$.id', 'kind': 'x' });
  });

  test('a plain text payload is refused', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new OneStep(stack, 'Wf', Step.lambda('Work', fn), sfn.TaskInput.fromText('hello')))
      .toThrow(/step 'Work': the Lambda event must be a JSON object or a JSONPath, got the text "hello"/);
  });
});

describe('bad input fails at synth time with the construct, the value and the fix', () => {
  test('provisioned concurrency above reserved concurrency', () => {
    const stack = newStack();
    expect(() => inlineFunction(stack, 'Fn', { provisionedConcurrency: 5, reservedConcurrency: 2 }))
      .toThrow(/\[TestStack\/Fn\] provisionedConcurrency \(5\) is above reservedConcurrency \(2\).*Raise reservedConcurrency/);
  });

  test('negative provisioned concurrency', () => {
    expect(() => inlineFunction(newStack(), 'Fn', { provisionedConcurrency: -1 }))
      .toThrow(/\[TestStack\/Fn\] provisionedConcurrency is -1; it must be a whole number >= 0\. Use 0 to switch/);
  });

  test('Lambda timeout over 15 minutes', () => {
    expect(() => inlineFunction(newStack(), 'Fn', { timeout: Duration.minutes(16) }))
      .toThrow(/\[TestStack\/Fn\] timeout is 16 minutes \(960 s\); it must be between 1 second and 15 minutes/);
  });

  test('Express timeout over 5 minutes', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { type: WorkflowType.EXPRESS, timeout: Duration.minutes(6), steps: [Step.pass('P')] }))
      .toThrow(/\[TestStack\/Wf\] timeout is 6 minutes \(360 s\).*Express workflows run at most 5 minutes/);
  });

  test('a step name used twice', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('Same'), Step.pass('Same')] }))
      .toThrow(/\[TestStack\/Wf\] the name 'Same' is used by two steps/);
  });

  test('a step named like a state another step generates (a child workflow step\'s status check)', () => {
    const stack = newStack();
    const child = new SequentialWorkflow(stack, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('Inner')] });
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.childWorkflow('Price', child), Step.pass('Price - run')] }))
      .toThrow(/\[TestStack\/Wf\] the name 'Price - run' is used by two steps \(or a step and a generated state\)/);
  });

  test('an empty step list', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [] }))
      .toThrow(/\[TestStack\/Wf\] steps is empty/);
  });

  test('state machine name too long or with illegal characters', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { stateMachineName: 'x'.repeat(81), steps: [Step.pass('P')] }))
      .toThrow(/stateMachineName 'x+' is 81 characters long; Step Functions accepts 1 to 80/);
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { stateMachineName: 'orders saga*', steps: [Step.pass('P')] }))
      .toThrow(/stateMachineName 'orders saga\*' contains characters Step Functions rejects/);
  });

  test('KMS data key reuse period outside 60-900 s', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(() => new SequentialWorkflow(stack, 'Wf', { encryptionKey: key, kmsDataKeyReusePeriod: Duration.seconds(30), steps: [Step.pass('P')] }))
      .toThrow(/kmsDataKeyReusePeriod is 30 seconds \(30 s\); it must be between 1 minute and 15 minutes/);
    expect(() => new SequentialWorkflow(stack, 'Wf2', { encryptionKey: key, kmsDataKeyReusePeriod: Duration.seconds(901), steps: [Step.pass('P')] }))
      .toThrow(/kmsDataKeyReusePeriod is 15 minutes 1 second \(901 s\)/);
  });

  test('WorkflowFunction needs exactly one of entry and code', () => {
    const stack = newStack();
    expect(() => new WorkflowFunction(stack, 'Fn', {}))
      .toThrow(/neither `entry` nor `code` is set/);
  });

  test('heartbeat not shorter than timeout', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn, { timeout: Duration.seconds(5), heartbeat: Duration.seconds(5) })] }))
      .toThrow(/step 'S': heartbeat \(5 seconds\) must be shorter than the timeout \(5 seconds\)/);
  });
});
