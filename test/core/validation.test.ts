import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CallbackTarget, CheckpointedWorkflow, IWorkflowStep, RetryPolicy, Saga, SequentialWorkflow, Step, StepPlacement, Workflow, WorkflowFunction,
  WorkflowAlarms, WorkflowType,
} from '../../src';
import { aslOf, inlineFunction, newStack } from '../util';

/**
 * Step validation owned by the Workflow base: every pattern gets the same rules, and every message
 * names the construct path, the bad value and the fix (docs/validation.md lists them all).
 */

function callbackStep(stack: Stack, name = 'Approve'): IWorkflowStep {
  const queue = new sqs.Queue(stack, `${name.replace(/\W/g, '')}Queue`);
  return Step.callback(name, { target: CallbackTarget.sqs(queue), timeout: Duration.hours(1) });
}

function warningsOf(stack: Stack, pattern: RegExp): any[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(pattern.source));
}

/** A one-step pattern placing the step with a given retry override (as the Saga does for compensations). */
class Placed extends Workflow {
  public constructor(scope: Construct, id: string, step: IWorkflowStep, placement: StepPlacement, type?: WorkflowType) {
    super(scope, id, { type });
    this.createStateMachine(this.bindStep(step, placement).state);
  }
}

describe('Express workflows refuse callbacks and steps longer than 5 minutes, in every pattern', () => {
  test('SequentialWorkflow: a .waitForTaskToken step', () => {
    const stack = newStack();
    expect(() => new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [callbackStep(stack)] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Approve' waits for a callback \(\.waitForTaskToken\), which Express workflows do not support.*Use WorkflowType\.STANDARD/);
  });

  test('Saga: a .waitForTaskToken action', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new Saga(stack, 'Saga', {
      type: WorkflowType.EXPRESS,
      steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: callbackStep(stack) }],
    })).toThrow(/^\[TestStack\/Saga\] step 'Approve' waits for a callback/);
  });

  test('CheckpointedWorkflow: a .waitForTaskToken step', () => {
    const stack = newStack();
    expect(() => new CheckpointedWorkflow(stack, 'Job', { type: WorkflowType.EXPRESS, keyPath: '$.id', steps: [{ step: callbackStep(stack) }] }))
      .toThrow(/^\[TestStack\/Job\] step 'Approve' waits for a callback/);
  });

  test('a Lambda step whose function may run longer than 5 minutes (timeout derived from the function)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.minutes(10) });
    expect(() => new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [Step.lambda('Crunch', fn)] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Crunch' may run 10 minutes 5 seconds \(derived from its function's timeout 10 minutes plus 5 s\), longer than the 5 minutes an Express execution lives\. Shorten/);
  });

  test('a Lambda step with an explicit timeout above 5 minutes, in a Saga and a CheckpointedWorkflow', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const long = () => Step.lambda('Crunch', fn, { timeout: Duration.minutes(6) });
    expect(() => new Saga(stack, 'Saga', {
      type: WorkflowType.EXPRESS,
      steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: long() }],
    })).toThrow(/^\[TestStack\/Saga\] step 'Crunch' may run 6 minutes, longer than the 5 minutes/);
    expect(() => new CheckpointedWorkflow(stack, 'Job', { type: WorkflowType.EXPRESS, keyPath: '$.id', steps: [{ step: long() }] }))
      .toThrow(/^\[TestStack\/Job\] step 'Crunch' may run 6 minutes/);
  });

  test('the same steps are accepted in Standard workflows', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.minutes(10) });
    new SequentialWorkflow(stack, 'Wf', { steps: [callbackStep(stack), Step.lambda('Crunch', fn)] });
    expect(aslOf(Template.fromStack(stack)).States.Crunch.TimeoutSeconds).toBe(605);
  });

  test('an Express parent refuses a .sync call of a Standard child, before any timeout rule', () => {
    const stack = newStack();
    const child = new SequentialWorkflow(stack, 'Child', { steps: [Step.pass('P')] });
    expect(() => new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [Step.childWorkflow('Run child', child, { timeout: Duration.seconds(10) })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Run child': an Express workflow cannot call the Standard workflow TestStack\/Child synchronously/);
  });

  test('a child step timeout above an Express parent\'s 5 minutes', () => {
    const stack = newStack();
    const child = new SequentialWorkflow(stack, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    expect(() => new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [Step.childWorkflow('Run child', child, { timeout: Duration.minutes(7) })] }))
      .toThrow(/^\[TestStack\/Wf\] child workflow step 'Run child' has timeout 7 minutes, longer than the 5 minutes an Express parent lives/);
  });

  test('a child step timeout below the child\'s own timeout', () => {
    const stack = newStack();
    const child = new SequentialWorkflow(stack, 'Child', { timeout: Duration.minutes(30), steps: [Step.pass('P')] });
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.childWorkflow('Run child', child, { timeout: Duration.minutes(10) })] }))
      .toThrow(/^\[TestStack\/Wf\] child workflow step 'Run child' has timeout 10 minutes, shorter than the child's own execution timeout \(30 minutes\).*Raise the step's timeout/);
  });
});

describe('retry policies are checked against what Step Functions accepts', () => {
  const cases: Array<[string, RetryPolicy | undefined, string[] | undefined, RegExp]> = [
    ['interval 0 s', { interval: Duration.seconds(0) }, undefined,
      /\[TestStack\/Wf\] retry\.interval is 0 s; Step Functions accepts 1 to 99999999 s\. Step Functions waits at least 1 second/],
    ['interval in milliseconds (aws-cdk-lib: "cannot be converted into a whole number of seconds")', { interval: Duration.millis(1500) }, undefined,
      /\[TestStack\/Wf\] retry\.interval is 1 second 500 millis \(1\.5 s\), but Step Functions counts it in whole seconds\. Use Duration\.seconds\(2\)/],
    ['maxAttempts above 99,999,999', { maxAttempts: 100_000_000 }, undefined,
      /\[TestStack\/Wf\] retry\.maxAttempts is 100000000; Step Functions accepts a whole number from 0 to 99999999/],
    ['maxAttempts 2.5', { maxAttempts: 2.5 }, undefined, /retry\.maxAttempts is 2\.5/],
    ['maxDelay below interval', { interval: Duration.seconds(10), maxDelay: Duration.seconds(2) }, undefined,
      /\[TestStack\/Wf\] retry\.maxDelay \(2 seconds\) is shorter than retry\.interval \(10 seconds\).*Raise maxDelay/],
    ['maxDelay in milliseconds', { maxDelay: Duration.millis(2500) }, undefined, /retry\.maxDelay is 2 seconds 500 millis \(2\.5 s\), but Step Functions counts it in whole seconds/],
    ['backoffRate below 1', { backoffRate: 0.5 }, undefined, /\[TestStack\/Wf\] retry\.backoffRate is 0\.5; Step Functions accepts 1\.0 or more/],
    ['States.ALL with other errors (aws-cdk-lib: "States.ALL must appear alone in an error list")', { errors: ['States.ALL', 'Custom'] }, undefined,
      /\[TestStack\/Wf\] retry\.errors is \["States\.ALL","Custom"\]; Step Functions requires 'States\.ALL' to appear alone/],
    ['an empty error name', { errors: [''] }, undefined, /retry\.errors contains an empty error name/],
    ['nonRetryableErrors: [States.ALL]', undefined, ['States.ALL'],
      /\[TestStack\/Wf\] nonRetryableErrors contains 'States\.ALL'.*To retry nothing, set retry: \{ maxAttempts: 0 \}/],
    ['an empty non-retryable error name', undefined, [''], /nonRetryableErrors contains an empty error name/],
  ];
  test.each(cases)('%s', (_name, retry, nonRetryableErrors, message) => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { retry, nonRetryableErrors })] })).toThrow(message);
  });

  test('the maxDelay of a year is refused with its limit', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { retry: { maxDelay: Duration.days(367) } })] }))
      .toThrow(/retry\.maxDelay is 31708800 s; Step Functions accepts 1 to 31622400 s/);
  });

  test('a retry override placed by a pattern is checked too (e.g. a Saga compensation retry)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new Saga(stack, 'Saga', {
      compensationRetry: { interval: Duration.seconds(0) },
      steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: Step.lambda('Pay', fn) }],
    })).toThrow(/^\[TestStack\/Saga\] retry\.interval is 0 s/);
  });

  test('token values skip the numeric checks (a token maxAttempts used to be refused as "-1.888e+289")', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const attempts = Token.asNumber(Lazy.number({ produce: () => 4 }));
    const rate = Token.asNumber(Lazy.number({ produce: () => 3 }));
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { retry: { maxAttempts: attempts, backoffRate: rate } })] });
    const retry = aslOf(Template.fromStack(stack)).States.Work.Retry[0];
    expect(retry).toMatchObject({ MaxAttempts: 4, BackoffRate: 3 });
  });

  test('token durations skip the timing rules (Express limit, heartbeat, whole seconds, retries x timeout)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const seconds = (n: number) => Duration.seconds(Token.asNumber(Lazy.number({ produce: () => n })));
    new SequentialWorkflow(stack, 'Wf', {
      type: WorkflowType.EXPRESS,
      steps: [Step.lambda('Work', fn, { timeout: seconds(60), heartbeat: seconds(10), retry: { interval: seconds(2), maxDelay: seconds(20) } })],
    });
    const state = aslOf(Template.fromStack(stack)).States.Work;
    expect(state).toMatchObject({ TimeoutSeconds: 60, HeartbeatSeconds: 10 });
    expect(state.Retry[0]).toMatchObject({ IntervalSeconds: 2, MaxDelaySeconds: 20 });
  });
});

describe('inputs aws-cdk-lib refuses with a message that names no step are refused first, naming it', () => {
  test('step timeout in milliseconds', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { timeout: Duration.millis(1500) })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Work': timeout is 1 second 500 millis \(1\.5 s\), but Step Functions counts it in whole seconds\. Use Duration\.seconds\(2\)/);
  });

  test('step heartbeat in milliseconds', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { heartbeat: Duration.millis(2500) })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Work': heartbeat is 2 seconds 500 millis \(2\.5 s\), but Step Functions counts it in whole seconds/);
  });

  test('step timeout of 0 s', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { timeout: Duration.seconds(0) })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Work': timeout is 0 s; Step Functions accepts 1 to 99999999 s/);
  });

  test('workflow timeout in milliseconds', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { timeout: Duration.millis(90500), steps: [Step.pass('P')] }))
      .toThrow(/^\[TestStack\/Wf\] timeout is 1 minute 30 seconds \(90\.5 s\), but Step Functions counts it in whole seconds\. Use Duration\.seconds\(91\)/);
  });

  test('KMS data key reuse period in milliseconds', () => {
    const stack = newStack();
    expect(() => new SequentialWorkflow(stack, 'Wf', { encryptionKey: new kms.Key(stack, 'Key'), kmsDataKeyReusePeriod: Duration.millis(60500), steps: [Step.pass('P')] }))
      .toThrow(/^\[TestStack\/Wf\] kmsDataKeyReusePeriod is 1 minute 500 millis \(60\.5 s\), but Step Functions counts it in whole seconds/);
  });

  test('AWS SDK action not in camelCase (aws-cdk-lib: "action must be camelCase, got: PutItem")', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.awsSdk('Save', { service: 'dynamodb', action: 'PutItem', iamResources: ['arn:aws:dynamodb:us-east-1:123456789012:table/t'] })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Save': action 'PutItem' must be camelCase.*Use 'putItem'/);
  });

  test('AWS SDK parameter names not in PascalCase (aws-cdk-lib: "parameter names must be PascalCase")', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.awsSdk('Save', { service: 'dynamodb', action: 'putItem', parameters: { tableName: 't' }, iamResources: ['arn:aws:dynamodb:us-east-1:123456789012:table/t'] })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Save': parameter names 'tableName' must be PascalCase/);
  });

  test('AWS SDK step without IAM resources (aws-cdk-lib: "A PolicyStatement used in an identity-based policy must specify at least one resource", at deploy-time validation)', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.awsSdk('Save', { service: 'dynamodb', action: 'putItem', iamResources: [] })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Save': iamResources is empty.*List the ARNs it calls/);
  });

  test('an undefined entry in the step list (used to be "Cannot read properties of undefined")', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('A'), undefined as any] }))
      .toThrow(/^\[TestStack\/Wf\] steps\[1\] is undefined, not a workflow step/);
  });

  test('a pattern binding a non-step (e.g. a Saga action that is not a step)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new Placed(stack, 'Wf', { name: 'X' } as any, {}))
      .toThrow(/^\[TestStack\/Wf\] a step is \{"name":"X"\}, not a workflow step/);
    void fn;
  });

  test('heartbeat not shorter than the derived Lambda timeout', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.seconds(10) });
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { heartbeat: Duration.seconds(20) })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Work': heartbeat \(20 seconds\) must be shorter than the timeout \(15 seconds\); Step Functions rejects HeartbeatSeconds >= TimeoutSeconds/);
  });

  test('a callback step without timeout', () => {
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Q');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.callback('Approve', { target: CallbackTarget.sqs(queue) })] }))
      .toThrow(/^\[TestStack\/Wf\] callback step 'Approve' has no timeout.*Set timeout/);
  });

  test('two steps whose names map to the same result key', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('Get price'), Step.pass('Get-price')] }))
      .toThrow(/^\[TestStack\/Wf\] steps 'Get price' and 'Get-price' would both store their result at \$\.results\.Get_price/);
  });
});

describe('warnings', () => {
  test('a step timeout shorter than its function\'s timeout', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.seconds(60) });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { timeout: Duration.seconds(20) })] });
    expect(warningsOf(stack, /step 'Work' times out after 20 seconds, before its function may finish \(1 minute\)/)).toHaveLength(1);
  });

  test('no warning when the step timeout is derived from the function', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.seconds(60) });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn)] });
    expect(warningsOf(stack, /times out after/)).toHaveLength(0);
    expect(warningsOf(stack, /may take/)).toHaveLength(0);
  });

  test('retries x timeout beyond the workflow timeout', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { timeout: Duration.seconds(60) });
    new SequentialWorkflow(stack, 'Wf', {
      timeout: Duration.minutes(3),
      steps: [Step.lambda('Work', fn, { retry: { maxAttempts: 3, interval: Duration.seconds(1), backoffRate: 2 } })],
    });
    // 4 attempts x 65 s + (1 + 2 + 4) s of waits = 267 s > 180 s
    expect(warningsOf(stack, /step 'Work' may take 267 s \(4 attempt\(s\) x 65 s timeout \+ 7 s of retry waits\), more than the workflow's 180 s timeout/)).toHaveLength(1);
  });

  test('an Express workflow logging below ALL', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, logging: { level: sfn.LogLevel.ERROR }, steps: [Step.pass('P')] });
    expect(warningsOf(stack, /logging\.level is ERROR on an Express workflow/)).toHaveLength(1);
  });
});

describe('shared helpers of the base', () => {
  class Helpers extends Workflow {
    public constructor(scope: Construct, id: string, run: (self: Helpers) => void) {
      super(scope, id);
      run(this);
    }
    public generated(base: string, suffix: string): string {
      return this.generatedStateName(base, suffix);
    }
    public build(steps: IWorkflowStep[]): void {
      const states = steps.map((s) => this.bindStep(s, { resultPath: this.resultPathOf(s.name) }).state);
      const fail = new sfn.Fail(this, 'Failed', { error: 'X' });
      this.claimStateName('Failed');
      states.forEach((s) => this.catchAll(s, fail, '$.error'));
      this.createStateMachine(this.chainStates(states));
    }
  }

  test('generatedStateName refuses a name over 80 characters, saying how long the base may be', () => {
    expect(() => new Helpers(newStack(), 'Wf', (self) => self.generated('x'.repeat(70), ' (on failure)')))
      .toThrow(/^\[TestStack\/Wf\] the workflow generates the state 'x+ \(on failure\)' from 'x+', which is 83 characters long \(at most 80\)\. Shorten 'x+' to at most 67 characters/);
  });

  test('resultPathOf, chainStates and catchAll render the result convention and a catch-all', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new Helpers(stack, 'Wf', (self) => self.build([Step.lambda('Get price', fn), Step.pass('Label')]));
    const asl = aslOf(Template.fromStack(stack));
    expect(asl.StartAt).toBe('Get price');
    expect(asl.States['Get price']).toMatchObject({ ResultPath: '$.results.Get_price', Next: 'Label', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }] });
    expect(asl.States.Label).toMatchObject({ Type: 'Pass', ResultPath: '$.results.Label', End: true });
    expect(asl.States.Label.Catch).toBeUndefined();
  });
});

// keep the import used when the file is type-checked in isolation
void WorkflowFunction;

describe('no noise on defaults', () => {
  test('an Express parent calling an Express child with default timeout and retry raises no warning', () => {
    const stack = newStack();
    const child = new SequentialWorkflow(stack, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [Step.childWorkflow('Run child', child)] });
    // (the stack-wide reminder that no alarm notifies anyone is the alarms' business, not a step rule)
    WorkflowAlarms.acknowledgeNoNotifications(stack, 'test stack: nobody to page');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
