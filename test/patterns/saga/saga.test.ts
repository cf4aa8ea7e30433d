import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IWorkflowStep, Saga, SagaStep, Step, WorkflowAlarms, WorkflowType } from '../../../src';
import { aslOf, DEFAULT_LAMBDA_RETRY as LAMBDA_RETRY, inlineFunction, logicalIdOf, newStack } from '../../util';

const SAGA_RETRY = { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' };

describe('Saga: rendered ASL of a saga with a pivot that compensates its own failure', () => {
  // GIVEN reserve (compensated) -> charge (pivot, compensated on its own failure) -> receipt (forward)
  const stack = newStack();
  const payments = inlineFunction(stack, 'Payments');
  const mail = inlineFunction(stack, 'Mail');
  new Saga(stack, 'Checkout', {
    steps: [
      { action: Step.lambda('Reserve funds', payments), compensation: Step.lambda('Release funds', payments) },
      { action: Step.lambda('Charge card', payments), compensation: Step.lambda('Refund card', payments), pivot: true, compensateOnFailure: true },
      { action: Step.lambda('Send receipt', mail) },
    ],
  });
  const template = Template.fromStack(stack);
  const asl = aslOf(template);
  const pay = `\${Ref:${logicalIdOf(template, 'AWS::Lambda::Alias', 'Payments')}}`;
  const mailer = `\${Ref:${logicalIdOf(template, 'AWS::Lambda::Alias', 'Mail')}}`;

  test('the happy path is one Task per action, each with the idempotency key and its result under $.results', () => {
    // the first state refuses the reserved input keys; every other input goes to the first action
    expect(asl.StartAt).toBe('Saga: check input');
    expect(asl.States['Saga: check input']).toEqual({
      Type: 'Choice',
      Comment: "Refuses an input that uses the keys the saga reserves ('results', 'saga').",
      Choices: [
        { Variable: '$.results', IsPresent: true, Next: 'Saga: reserved input key results' },
        { Variable: '$.saga', IsPresent: true, Next: 'Saga: reserved input key saga' },
      ],
      Default: 'Reserve funds',
    });
    expect(asl.States['Saga: reserved input key saga']).toEqual({
      Type: 'Fail',
      Error: 'Saga.ReservedInputKey',
      Cause: "The execution input has the key 'saga', which the saga reserves for its own state ('results', 'saga'); no step ran. Rename the input key 'saga', or nest your input under another key.",
    });
    expect(asl.States['Reserve funds']).toEqual({
      Type: 'Task',
      Resource: pay,
      Parameters: { 'input.$': '$', 'idempotencyKey.$': "States.Format('{}:Reserve funds', $$.Execution.Name)" },
      ResultPath: '$.results.Reserve_funds',
      TimeoutSeconds: 35,
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saga.error', Next: 'Rollback complete' }],
      Next: 'Charge card',
    });
    expect(asl.States['Charge card']).toEqual({
      Type: 'Task',
      Resource: pay,
      Parameters: { 'input.$': '$', 'idempotencyKey.$': "States.Format('{}:Charge card', $$.Execution.Name)" },
      ResultPath: '$.results.Charge_card',
      TimeoutSeconds: 35,
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saga.error', Next: 'Refund card' }],
      Next: 'Send receipt',
    });
    // after the pivot: forward retry on any error, no Catch (a failure fails with the original error)
    expect(asl.States['Send receipt']).toEqual({
      Type: 'Task',
      Resource: mailer,
      Parameters: { 'input.$': '$', 'idempotencyKey.$': "States.Format('{}:Send receipt', $$.Execution.Name)" },
      ResultPath: '$.results.Send_receipt',
      TimeoutSeconds: 35,
      Retry: [SAGA_RETRY],
      End: true,
    });
  });

  test('compensations: retried on any error, result discarded, caught into a per-step failure state', () => {
    expect(asl.States['Refund card']).toEqual({
      Type: 'Task',
      Resource: pay,
      Parameters: {
        'input.$': '$',
        'step': 'Charge card',
        'stepFailed': true,
        'error.$': '$.saga.error',
        'idempotencyKey.$': "States.Format('{}:Refund card', $$.Execution.Name)",
      },
      ResultPath: null,
      TimeoutSeconds: 35,
      Retry: [SAGA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saga.compensationError', Next: 'Refund card failed' }],
      Next: 'Release funds',
    });
    expect(asl.States['Release funds']).toEqual({
      Type: 'Task',
      Resource: pay,
      Parameters: {
        'input.$': '$',
        'step': 'Reserve funds',
        'stepFailed': false,
        'error.$': '$.saga.error',
        'result.$': '$.results.Reserve_funds',
        'idempotencyKey.$': "States.Format('{}:Release funds', $$.Execution.Name)",
      },
      ResultPath: null,
      TimeoutSeconds: 35,
      Retry: [SAGA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saga.compensationError', Next: 'Release funds failed' }],
      Next: 'Rollback complete',
    });
  });

  test('a complete rollback re-raises the original error and cause (Cause defaulted so CausePath always resolves)', () => {
    expect(asl.States['Rollback complete']).toEqual({
      Type: 'Pass',
      Comment: 'Every compensation ran; re-raise the error that started the rollback.',
      Parameters: { 'error.$': 'States.JsonMerge(States.StringToJson(States.Format(\'\\{"Cause":""\\}\')), $.saga.error, false)' },
      ResultPath: '$.saga',
      Next: 'Saga rolled back',
    });
    expect(asl.States['Saga rolled back']).toEqual({
      Type: 'Fail',
      Comment: 'The saga was rolled back; it fails with the original error and cause.',
      ErrorPath: '$.saga.error.Error',
      CausePath: '$.saga.error.Cause',
    });
  });

  test('a failing compensation names its step, publishes the metric and fails with Saga.CompensationFailed', () => {
    expect(asl.States['Release funds failed']).toEqual({
      Type: 'Pass',
      Comment: "Compensation 'Release funds' of step 'Reserve funds' failed after its retries.",
      Parameters: {
        'step': 'Reserve funds',
        'compensation': 'Release funds',
        'cause.$': "States.Format('Compensation \\'Release funds\\' of step \\'Reserve funds\\' failed after its retries with {}. " +
          "The rollback stopped: \\'Reserve funds\\' and the steps before it are NOT compensated and need manual repair. " +
          "The rollback was started by {}.', States.JsonToString($.saga.compensationError), States.JsonToString($.saga.error))",
      },
      ResultPath: '$.saga.failure',
      Next: 'Record compensation failure',
    });
    expect(asl.States['Refund card failed'].Next).toBe('Record compensation failure');
    expect(asl.States['Record compensation failure']).toEqual({
      Type: 'Task',
      Comment: 'Counts the failure in CdkStatefulWorkflows/SagaCompensationFailed (alarmed).',
      Resource: 'arn:${AWS::Partition}:states:::aws-sdk:cloudwatch:putMetricData',
      Parameters: {
        Namespace: 'CdkStatefulWorkflows',
        MetricData: [{
          MetricName: 'SagaCompensationFailed',
          Unit: 'Count',
          Value: 1,
          Dimensions: [{ 'Name': 'StateMachineName', 'Value.$': '$$.StateMachine.Name' }],
        }],
      },
      ResultPath: null,
      // rendered through the step model: MaxDelaySeconds 30 is explicit now (never reached by waits of 1 s and 2 s)
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saga.metricError', Next: 'Saga compensation failed' }],
      Next: 'Saga compensation failed',
    });
    expect(asl.States['Saga compensation failed']).toEqual({
      Type: 'Fail',
      Comment: 'A compensation failed after its retries: the rollback stopped and needs a human.',
      Error: 'Saga.CompensationFailed',
      CausePath: '$.saga.failure.cause',
    });
  });

  test('nothing else is generated: actions + compensations + 2 failure states + 4 shared states + the input check and its 2 Fail states', () => {
    expect(Object.keys(asl.States).sort()).toEqual([
      'Charge card', 'Record compensation failure', 'Refund card', 'Refund card failed', 'Release funds', 'Release funds failed',
      'Reserve funds', 'Rollback complete', 'Saga compensation failed', 'Saga rolled back',
      'Saga: check input', 'Saga: reserved input key results', 'Saga: reserved input key saga', 'Send receipt',
    ]);
  });

  test('IAM: invoke exactly the aliases; PutMetricData only in the saga namespace', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'cloudwatch:PutMetricData',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkStatefulWorkflows' } },
            Effect: 'Allow',
            Resource: '*',
          },
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('CheckoutStateMachineRole') }],
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Action === 'lambda:InvokeFunction');
    // (the per-step grants are merged into one statement listing the aliases: same actions and resources)
    expect(statements.flatMap((s: any) => [s.Resource].flat().map((r: any) => r.Ref)).sort()).toEqual([
      logicalIdOf(template, 'AWS::Lambda::Alias', 'Mail'),
      logicalIdOf(template, 'AWS::Lambda::Alias', 'Payments'),
    ].sort());
  });

  test('default alarm on the compensation-failed metric of this state machine', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkStatefulWorkflows',
      MetricName: 'SagaCompensationFailed',
      Dimensions: [{ Name: 'StateMachineName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('CheckoutStateMachine'), 'Name'] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('Saga: compensateOnFailure before the pivot, skipped steps, overrides', () => {
  // GIVEN a step that compensates its own failure AND can be rolled back by a later step
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const saga = new Saga(stack, 'Orders', {
    type: WorkflowType.EXPRESS,
    compensationRetry: { maxAttempts: 8, maxDelay: Duration.seconds(10) },
    forwardRetry: { errors: ['Lambda.TooManyRequestsException'], maxAttempts: 10 },
    compensationFailedAlarm: { threshold: 2, evaluationPeriods: 3, datapointsToAlarm: 2 },
    steps: [
      { action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn, { nonRetryableErrors: ['NotFound'] }) },
      { action: Step.lambda('Check fraud', fn) },
      { action: Step.lambda('Ship', fn), compensation: Step.lambda('Cancel shipment', fn), compensateOnFailure: true },
      { action: Step.lambda('Invoice', fn), pivot: true },
      { action: Step.lambda('Notify', fn) },
    ],
  });
  const template = Template.fromStack(stack);
  const asl = aslOf(template);

  test('a failing step with compensateOnFailure enters its "(on failure)" copy, without a result', () => {
    expect(asl.States.Ship.Catch[0].Next).toBe('Cancel shipment (on failure)');
    expect(asl.States['Cancel shipment (on failure)'].Parameters).toEqual({
      'input.$': '$',
      'step': 'Ship',
      'stepFailed': true,
      'error.$': '$.saga.error',
      'idempotencyKey.$': "States.Format('{}:Cancel shipment', $$.Execution.Name)",
    });
    expect(asl.States['Cancel shipment (on failure)'].Next).toBe('Release');
    // the chained copy (a later step failed) gets the step's result
    expect(asl.States['Cancel shipment'].Parameters['result.$']).toBe('$.results.Ship');
    expect(asl.States['Cancel shipment'].Next).toBe('Release');
    expect(asl.States['Cancel shipment (on failure)'].Catch[0].Next).toBe('Cancel shipment failed');
    expect(asl.States['Cancel shipment'].Catch[0].Next).toBe('Cancel shipment failed');
  });

  test('steps without compensation are skipped in the chain', () => {
    expect(asl.States.Invoice.Catch[0].Next).toBe('Cancel shipment');
    expect(asl.States['Check fraud'].Catch[0].Next).toBe('Release');
    expect(asl.States.Reserve.Catch[0].Next).toBe('Rollback complete');
    expect(asl.States.Release.Next).toBe('Rollback complete');
  });

  test('compensationRetry and forwardRetry are merged field-wise with the defaults; non-retryable errors of the compensation stay first', () => {
    expect(asl.States.Release.Retry).toEqual([
      { ErrorEquals: ['NotFound'], MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 8, BackoffRate: 2, MaxDelaySeconds: 10, JitterStrategy: 'FULL' },
    ]);
    expect(asl.States.Notify.Retry).toEqual([
      { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 1, MaxAttempts: 10, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ]);
    expect(asl.States.Notify.Catch).toBeUndefined();
    expect(asl.States.Invoice.Retry).toEqual([LAMBDA_RETRY]);
  });

  test('Express state machine; the alarm override applies', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SagaCompensationFailed', Threshold: 2, EvaluationPeriods: 3, DatapointsToAlarm: 2,
    });
    expect(saga.compensationFailedAlarm).toBeDefined();
  });
});

describe('Saga: idempotency keys of steps that build their own request', () => {
  test('Saga.idempotencyKey escapes the reserved characters of intrinsic strings', () => {
    expect(Saga.idempotencyKey('Ship item')).toBe("States.Format('{}:Ship item', $$.Execution.Name)");
    expect(Saga.idempotencyKey("Bob's {box}")).toBe("States.Format('{}:Bob\\'s \\{box\\}', $$.Execution.Name)");
    // a backslash is escaped too (AWS reads `\\` as one backslash in an intrinsic string:
    // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html)
    expect(Saga.idempotencyKey('a\\b')).toBe("States.Format('{}:a\\\\b', $$.Execution.Name)");
  });

  test('an AWS SDK action reads its key with Saga.idempotencyKey', () => {
    // GIVEN
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new Saga(stack, 'S', {
      steps: [
        {
          action: Step.awsSdk('Start export', {
            service: 'ec2',
            action: 'createImage',
            iamResources: ['*'],
            parameters: { 'InstanceId.$': '$.instance', 'ClientToken.$': Saga.idempotencyKey('Start export') },
          }),
          compensation: Step.lambda('Delete image', fn),
        },
        { action: Step.lambda('Publish', fn) },
      ],
    });
    // THEN the SDK task keeps its own parameters (it ignores the saga payload), result under $.results
    const asl = aslOf(Template.fromStack(stack));
    expect(asl.States['Start export'].Parameters).toEqual({
      'InstanceId.$': '$.instance',
      'ClientToken.$': "States.Format('{}:Start export', $$.Execution.Name)",
    });
    expect(asl.States['Start export'].ResultPath).toBe('$.results.Start_export');
    expect(asl.States['Start export'].Catch[0].Next).toBe('Rollback complete');
  });
});

describe('Saga: bad input', () => {
  function build(steps: SagaStep[], extra: Record<string, unknown> = {}): void {
    const stack = newStack();
    new Saga(stack, 'Bad', { steps, ...extra });
  }
  const stack = newStack('Steps');
  const fn = inlineFunction(stack, 'Fn');
  const s = (name: string): IWorkflowStep => Step.lambda(name, fn);

  test('no steps', () => {
    expect(() => build([])).toThrow(/\[TestStack\/Bad\] steps is empty/);
  });

  test('duplicate step names (action/compensation, and a shared compensation object)', () => {
    expect(() => build([{ action: s('A'), compensation: s('A') }, { action: s('B') }]))
      .toThrow(/\[TestStack\/Bad\] the step name 'A' is used twice \(steps\[0\]\.action and steps\[0\]\.compensation\).*Rename one of them/);
    const undo = s('Undo');
    expect(() => build([{ action: s('A'), compensation: undo }, { action: s('B'), compensation: undo }, { action: s('C') }]))
      .toThrow(/the step name 'Undo' is used twice \(steps\[0\]\.compensation and steps\[1\]\.compensation\).*create two steps with distinct names/);
  });

  test('two actions whose result keys collide', () => {
    expect(() => build([{ action: s('Ship item'), compensation: s('U') }, { action: s('Ship-item') }]))
      .toThrow(/actions 'Ship item' and 'Ship-item' would both store their result at \$\.results\.Ship_item/);
  });

  test('two pivots', () => {
    expect(() => build([{ action: s('A'), compensation: s('U') }, { action: s('B'), pivot: true }, { action: s('C'), pivot: true }]))
      .toThrow(/steps\[1\] \('B'\) and steps\[2\] \('C'\) are all marked pivot; a saga has at most one pivot.*Keep pivot: true on one step only/);
  });

  test('a compensation after the pivot', () => {
    expect(() => build([{ action: s('A'), compensation: s('U') }, { action: s('B'), pivot: true }, { action: s('C'), compensation: s('Undo C') }]))
      .toThrow(/steps\[2\] \('C'\) has the compensation 'Undo C' but comes after the pivot steps\[1\] \('B'\).*Remove the compensation, or move the pivot/);
  });

  test('a compensation on the pivot that could never run', () => {
    expect(() => build([{ action: s('A'), compensation: s('U') }, { action: s('B'), pivot: true, compensation: s('Undo B') }]))
      .toThrow(/the pivot steps\[1\] \('B'\) has the compensation 'Undo B', which could never run.*set compensateOnFailure: true/);
  });

  test('compensateOnFailure without a compensation', () => {
    expect(() => build([{ action: s('A'), compensation: s('U') }, { action: s('B'), compensateOnFailure: true }]))
      .toThrow(/steps\[1\] \('B'\) sets compensateOnFailure but has no compensation/);
  });

  test('a saga with no compensable step', () => {
    expect(() => build([{ action: s('A') }, { action: s('B') }]))
      .toThrow(/no step of this saga can be compensated: give a compensation to a step before the last step \('B'\).*use SequentialWorkflow/);
    // the only compensation is on the last step: it could never run
    expect(() => build([{ action: s('A') }, { action: s('B'), compensation: s('U') }]))
      .toThrow(/no step of this saga can be compensated/);
    expect(() => build([{ action: s('A'), pivot: true }, { action: s('B') }]))
      .toThrow(/before the pivot \('A'\)/);
  });

  test('a backslash in a step name is accepted (escaped in the generated intrinsics; executed in saga-defects.test.ts)', () => {
    expect(() => build([{ action: s('A\\1'), compensation: s('U') }, { action: s('B') }])).not.toThrow();
  });

  test('a compensation name too long for its generated states', () => {
    const long = 'x'.repeat(75);
    expect(() => build([{ action: s('A'), compensation: s(long) }, { action: s('B') }]))
      .toThrow(/generates the state 'x+ failed'.*82 characters long.*at most 73 characters/);
  });

  test('compensateOnFailure on a step that cannot fail', () => {
    expect(() => build([{ action: Step.pass('Shape'), compensation: s('U'), compensateOnFailure: true }, { action: s('B') }]))
      .toThrow(/steps\[0\] \('Shape'\) sets compensateOnFailure, but its state \(Pass\) cannot fail or be caught/);
  });

  test('an invalid compensationRetry', () => {
    expect(() => build([{ action: s('A'), compensation: s('U') }, { action: s('B') }], { compensationRetry: { maxAttempts: -1 } }))
      .toThrow(/retry\.maxAttempts is -1/);
  });
});

describe('Saga: warnings', () => {
  test('a compensation on the last step is reported, not silently dropped', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new Saga(stack, 'S', {
      steps: [{ action: Step.lambda('A', fn), compensation: Step.lambda('U', fn) }, { action: Step.lambda('B', fn), compensation: Step.lambda('Undo B', fn) }],
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/S', Match.stringLikeRegexp("steps\\[1\\] \\('B'\\) is the last step, so its compensation 'Undo B' could never run"));
    expect(Object.keys(aslOf(Template.fromStack(stack)).States)).not.toContain('Undo B');
  });

  test('a rollback whose retry waits alone outlast the timeout', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new Saga(stack, 'S', {
      type: WorkflowType.EXPRESS,
      compensationRetry: { maxAttempts: 10, maxDelay: Duration.minutes(1) },
      steps: [
        { action: Step.lambda('A', fn), compensation: Step.lambda('UA', fn) },
        { action: Step.lambda('B', fn), compensation: Step.lambda('UB', fn) },
        { action: Step.lambda('C', fn) },
      ],
    });
    // 1+2+4+8+16+32+60*4 = 303 s per compensation, 2 compensations
    Annotations.fromStack(stack).hasWarning('/TestStack/S', Match.stringLikeRegexp('up to 606 s in compensation retries alone \\(2 compensation\\(s\\) x 303 s\\), more than the 300 s timeout'));
  });

  test('the defaults raise no warning; an alarm override with alarms off does', () => {
    const stack = newStack();
    // the app-wide "alarms notify no one" reminder is acknowledged: this test is about the saga's own warnings
    WorkflowAlarms.acknowledgeNoNotifications(stack, 'unit test of the saga warnings, no one on call');
    const fn = inlineFunction(stack, 'Fn');
    const steps = [{ action: Step.lambda('A', fn), compensation: Step.lambda('UA', fn) }, { action: Step.lambda('B', fn) }];
    new Saga(stack, 'Quiet', { type: WorkflowType.EXPRESS, steps });
    const stack2 = newStack();
    const fn2 = inlineFunction(stack2, 'Fn');
    const saga = new Saga(stack2, 'NoAlarms', {
      alarms: { enabled: false },
      compensationFailedAlarm: { threshold: 3 },
      steps: [{ action: Step.lambda('A', fn2), compensation: Step.lambda('UA', fn2) }, { action: Step.lambda('B', fn2) }],
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    Annotations.fromStack(stack2).hasWarning('/TestStack/NoAlarms', Match.stringLikeRegexp('compensationFailedAlarm is set but alarms are switched off'));
    Template.fromStack(stack2).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(saga.compensationFailedAlarm).toBeUndefined();
  });
});

test('metricCompensationFailed: the alarmed metric, with overridable options', () => {
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const saga = new Saga(stack, 'S', { steps: [{ action: Step.lambda('A', fn), compensation: Step.lambda('UA', fn) }, { action: Step.lambda('B', fn) }] });
  const metric = saga.metricCompensationFailed({ period: Duration.minutes(1) });
  expect(metric.namespace).toBe('CdkStatefulWorkflows');
  expect(metric.metricName).toBe('SagaCompensationFailed');
  expect(metric.period.toSeconds()).toBe(60);
  expect(stack.resolve(metric.dimensions)).toEqual({ StateMachineName: { 'Fn::GetAtt': [expect.stringMatching(/^SStateMachine/), 'Name'] } });
});
