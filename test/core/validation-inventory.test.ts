import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CheckpointClient, CheckpointedWorkflow, FanOutFanIn, FanOutMode, HybridWorkflow, IWorkflowStep, Saga, SequentialWorkflow, Step, StepPlacement,
  Workflow,
  WorkflowFunction, WorkflowType,
} from '../../src';
import { aslOf, inlineFunction, newStack } from '../util';

/**
 * The synth-time errors and warnings of docs/validation.md that had no test of their own, proven
 * through the public API (one test per row of the document).
 */

function warnings(stack: Stack, text: RegExp): any[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(text.source));
}
function infos(stack: Stack, text: RegExp): any[] {
  return Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp(text.source));
}

class Custom extends Workflow {
  public constructor(scope: Construct, id: string, run: (self: Custom) => void, props = {}) {
    super(scope, id, props);
    run(this);
  }
  public bind(step: IWorkflowStep, placement: StepPlacement = {}) { return this.bindStep(step, placement); }
  public create(def: sfn.IChainable) { return this.createStateMachine(def); }
  public chain(states: sfn.IChainable[]) { return this.chainStates(states); }
}

describe('Workflow base', () => {
  test('empty step name', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('  ')] })).toThrow(/^\[TestStack\/Wf\] a step name is empty \('  '\)/);
  });
  test('step name with control characters', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('A\tB')] })).toThrow(/^\[TestStack\/Wf\] step name "A\\tB" contains control characters/);
  });
  test('step name over 80 characters', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('x'.repeat(81))] })).toThrow(/step name 'x+' is 81 characters long; Step Functions state names are at most 80/);
  });
  test('kmsDataKeyReusePeriod without encryptionKey', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { kmsDataKeyReusePeriod: Duration.seconds(120), steps: [Step.pass('P')] }))
      .toThrow(/^\[TestStack\/Wf\] kmsDataKeyReusePeriod is set without encryptionKey/);
  });
  test('logging.logGroup together with retention', () => {
    const stack = newStack();
    const group = new logs.LogGroup(stack, 'G');
    expect(() => new SequentialWorkflow(stack, 'Wf', { logging: { logGroup: group, retention: logs.RetentionDays.ONE_DAY }, steps: [Step.pass('P')] }))
      .toThrow(/^\[TestStack\/Wf\] logging\.logGroup is set together with logging\.retention\/removalPolicy/);
  });
  test('stateMachine read before the pattern created it', () => {
    expect(() => new Custom(newStack(), 'Wf', (self) => self.stateMachine)).toThrow(/^\[TestStack\/Wf\] stateMachine was read before the pattern created it/);
  });
  test('createStateMachine called twice', () => {
    expect(() => new Custom(newStack(), 'Wf', (self) => {
      self.create(new sfn.Pass(self, 'A'));
      self.create(new sfn.Pass(self, 'B'));
    })).toThrow(/^\[TestStack\/Wf\] createStateMachine\(\) was called twice/);
  });
  test('a pattern that never creates its state machine (validation at synth)', () => {
    const stack = newStack();
    new Custom(stack, 'Wf', () => undefined);
    expect(() => stack.node.root.node.tryFindChild('x') ?? (stack.node.root as any).synth()).toThrow(/TestStack\/Wf: the pattern never called createStateMachine\(\)/);
  });
  test('comment that is not a string', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { comment: 42 as any, steps: [Step.pass('P')] })).toThrow(/^\[TestStack\/Wf\] comment is 42; it must be a string/);
  });
  test('chainStates with no state', () => {
    expect(() => new Custom(newStack(), 'Wf', (self) => self.chain([]))).toThrow(/^\[TestStack\/Wf\] steps is empty/);
  });
  test('grantStartSyncExecution on a Standard workflow', () => {
    const stack = newStack();
    const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')] });
    expect(() => wf.grantStartSyncExecution(inlineFunction(stack, 'Fn').function)).toThrow(/^\[TestStack\/Wf\] grantStartSyncExecution\(\) applies to Express workflows only/);
  });
  test('an imported encryption key (warning)', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/abc');
    new SequentialWorkflow(stack, 'Wf', { encryptionKey: key, steps: [Step.pass('P')] });
    expect(warnings(stack, /encryptionKey is an imported KMS key whose policy this app cannot change/)).toHaveLength(1);
  });
  test('a pattern wrapping the whole result (\'output.$\': \'$\') gets the step\'s selection in its place', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new Custom(stack, 'Wf', (self) => self.create(self.bind(Step.lambda('Work', fn, { resultSelector: { 'a.$': '$.a' } }), { resultSelector: { 'failed': false, 'output.$': '$' } }).state));
    const asl = aslOf(Template.fromStack(stack));
    expect(asl.States.Work.ResultSelector).toEqual({ failed: false, output: { 'a.$': '$.a' } });
  });
  test('a placement resultSelector and the step\'s own resultSelector', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new Custom(stack, 'Wf', (self) => self.create(self.bind(Step.lambda('Work', fn, { resultSelector: { 'a.$': '$.a' } }), { resultSelector: { 'b.$': '$.b' } }).state)))
      .toThrow(/^\[TestStack\/Wf\] step 'Work' sets resultSelector, but the pattern already reshapes this step's result/);
  });
});

describe('steps', () => {
  test('retry.errors empty', () => {
    const stack = newStack();
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', inlineFunction(stack, 'Fn'), { retry: { errors: [] } })] }))
      .toThrow(/^\[TestStack\/Wf\/Work\] retry\.errors is empty/);
  });
  test('an unqualified Lambda function (warning)', () => {
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Plain', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambdaFunction('Work', fn)] });
    expect(warnings(stack, /Step 'Work' invokes the unqualified function TestStack\/Plain/)).toHaveLength(1);
  });
  test('AWS SDK step without service or action', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.awsSdk('S', { service: '', action: 'putItem', iamResources: ['*'] })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'S': service is ""/);
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.awsSdk('S', { service: 'dynamodb', action: '', iamResources: ['*'] })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'S': action is ""/);
  });
  test('Step.callback without target, Step.lambda without function', () => {
    expect(() => Step.callback('C', { timeout: Duration.hours(1) } as any)).toThrow(/Step\.callback\('C'\): target is undefined/);
    expect(() => Step.lambda('L', undefined as any)).toThrow(/Step\.lambda\('L'\): the function is undefined/);
  });
  test('child workflow step: no child, name too long, token resultPath, bad resultSelector, unknown child key (info)', () => {
    const stack = newStack();
    expect(() => Step.childWorkflow('C', undefined as any)).toThrow(/step 'C': the child workflow is undefined/);
    const child = new SequentialWorkflow(stack, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    expect(() => new SequentialWorkflow(stack, 'A', { steps: [Step.childWorkflow('x'.repeat(70), child)] }))
      .toThrow(/step name 'x+' is 70 characters long; a child workflow step also renders states named '<step> - describe failure'/);
    expect(() => new Custom(stack, 'B', (self) => self.create(self.bind(Step.childWorkflow('Run', child), { resultPath: Token.asString(Lazy.string({ produce: () => '$.x' })) }).state)))
      .toThrow(/step 'Run': resultPath is an unresolved token/);
    expect(() => new SequentialWorkflow(stack, 'C', { steps: [Step.childWorkflow('Run', child, { resultSelector: { 'a.$': 'nope' } })] }))
      .toThrow(/resultSelector value 'nope' is neither a JSONPath nor an intrinsic function/);
    const clean = newStack();
    const child2 = new SequentialWorkflow(clean, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    const foreign = { node: new Construct(clean, 'Foreign').node, stateMachine: child2.stateMachine, workflowType: WorkflowType.EXPRESS, timeout: Duration.minutes(1) } as any;
    new SequentialWorkflow(clean, 'D', { steps: [Step.childWorkflow('Run', foreign)] });
    expect(infos(clean, /Child workflow TestStack\/Foreign is not a Workflow of this library/)).toHaveLength(1);
  });
});

describe('defaults (owned by the defaults helper, proven through the public API)', () => {
  test('WorkflowFunction: entry and code, bundling with code, logGroup with logRetention, memorySize', () => {
    const stack = newStack();
    const code = lambda.Code.fromInline('x');
    expect(() => new WorkflowFunction(stack, 'A', { entry: 'x.ts', code })).toThrow(/^\[TestStack\/A\] both `entry` and `code` are set/);
    expect(() => new WorkflowFunction(stack, 'B', { code, bundling: { minify: true } })).toThrow(/^\[TestStack\/B\] `bundling`\/`depsLockFilePath` apply to `entry` only/);
    expect(() => new WorkflowFunction(stack, 'C', { code, logGroup: new logs.LogGroup(stack, 'G'), logRetention: logs.RetentionDays.ONE_DAY }))
      .toThrow(/^\[TestStack\/C\] `logGroup` and `logRetention`\/`logRemovalPolicy` are both set/);
    expect(() => new WorkflowFunction(stack, 'D', { code, memorySize: 64 })).toThrow(/^\[TestStack\/D\] memorySize is 64; Lambda accepts whole numbers of MB from 128 to 10240/);
  });
  test('WorkflowFunction: provisioned concurrency scaling', () => {
    const stack = newStack();
    const code = lambda.Code.fromInline('x');
    expect(() => new WorkflowFunction(stack, 'A', { code, provisionedConcurrency: 0, provisionedConcurrencyScaling: { maxCapacity: 4 } }))
      .toThrow(/^\[TestStack\/A\] provisionedConcurrencyScaling is set but provisionedConcurrency is 0/);
    expect(() => new WorkflowFunction(stack, 'B', { code, provisionedConcurrency: 5, provisionedConcurrencyScaling: { maxCapacity: 2 } }))
      .toThrow(/^\[TestStack\/B\] provisionedConcurrencyScaling\.maxCapacity \(2\) is below minCapacity \(5\)/);
    expect(() => new WorkflowFunction(stack, 'C', { code, provisionedConcurrencyScaling: { maxCapacity: 4, utilizationTarget: 0.95 } }))
      .toThrow(/^\[TestStack\/C\] provisionedConcurrencyScaling\.utilizationTarget is 0\.95; use a value from 0\.1 to 0\.9/);
  });
  test('alarms: datapointsToAlarm above evaluationPeriods', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { alarms: { executionsFailed: { datapointsToAlarm: 3, evaluationPeriods: 2 } }, steps: [Step.pass('P')] }))
      .toThrow(/^\[TestStack\/Wf\/Alarms\] alarm ExecutionsFailed: datapointsToAlarm \(3\) exceeds evaluationPeriods \(2\)/);
  });
  test('alarms: topic encrypted with an imported key (warning)', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'T', { masterKey: kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:us-east-1:123456789012:key/abc') });
    new SequentialWorkflow(stack, 'Wf', { alarms: { topic }, steps: [Step.pass('P')] });
    expect(warnings(stack, /The alarm topic is encrypted with an imported KMS key/)).toHaveLength(1);
  });
});

describe('patterns (owned by their helpers, proven through the public API)', () => {
  test('Saga: empty steps, no action, two pivots (a backslash is accepted)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new Saga(stack, 'A', { steps: [] })).toThrow(/^\[TestStack\/A\] steps is empty\. Give at least one step with a compensation/);
    expect(() => new Saga(stack, 'B', { steps: [{} as any] })).toThrow(/^\[TestStack\/B\] steps\[0\] has no action/);
    expect(() => new Saga(stack, 'C', { steps: [{ action: Step.lambda('A\\B', fn), compensation: Step.lambda('U', fn) }, { action: Step.lambda('X', fn) }] }))
      .not.toThrow();
    expect(() => new Saga(stack, 'D', {
      steps: [{ action: Step.lambda('A', fn), compensation: Step.lambda('U', fn) }, { action: Step.lambda('X', fn), pivot: true }, { action: Step.lambda('Y', fn), pivot: true }],
    })).toThrow(/^\[TestStack\/D\] steps\[1\] \('X'\) and steps\[2\] \('Y'\) are all marked pivot/);
  });
  test('CheckpointedWorkflow: empty steps, entry without step, keyPath is the restart field, not series-parallel (warning)', () => {
    const stack = newStack();
    expect(() => new CheckpointedWorkflow(stack, 'A', { keyPath: '$.id', steps: [] })).toThrow(/^\[TestStack\/A\] steps is empty/);
    expect(() => new CheckpointedWorkflow(stack, 'B', { keyPath: '$.id', steps: [{} as any] })).toThrow(/^\[TestStack\/B\] a steps entry has no step/);
    expect(() => new CheckpointedWorkflow(stack, 'C', { keyPath: '$.again', restartField: 'again', steps: [{ step: Step.pass('P') }] }))
      .toThrow(/^\[TestStack\/C\] keyPath '\$\.again' is the restart field/);
    const clean = newStack();
    new CheckpointedWorkflow(clean, 'D', {
      keyPath: '$.id',
      steps: [
        { step: Step.pass('A') }, { step: Step.pass('B') },
        { step: Step.pass('C'), dependsOn: ['A'] }, { step: Step.pass('D'), dependsOn: ['A', 'B'] }, { step: Step.pass('E'), dependsOn: ['B'] },
      ],
    });
    expect(warnings(clean, /The step dependencies are not series-parallel/)).toHaveLength(1);
  });
  test('CheckpointedWorkflow: a step rendering a state that cannot be followed (a Fail)', () => {
    const failing: IWorkflowStep = {
      name: 'Stop',
      idempotent: true,
      waitsForCallback: false,
      bind: (scope: Construct) => ({ state: new sfn.Fail(scope, 'Stop', { error: 'X' }) }),
    };
    expect(() => new CheckpointedWorkflow(newStack(), 'Job', { keyPath: '$.id', steps: [{ step: failing }] }))
      .toThrow(/^\[TestStack\/Job\] step 'Stop' rendered a Fail state, which cannot be followed by the checkpoint write/);
  });
  test('CheckpointClient: empty tableName, namespace, stepNames', () => {
    expect(() => new CheckpointClient({ tableName: '', namespace: 'n', stepNames: ['A'] } as any)).toThrow(/CheckpointClient: tableName is empty/);
    expect(() => new CheckpointClient({ tableName: 't', namespace: '', stepNames: ['A'] } as any)).toThrow(/CheckpointClient: namespace is empty/);
    expect(() => new CheckpointClient({ tableName: 't', namespace: 'n', stepNames: [] } as any)).toThrow(/CheckpointClient: stepNames is empty/);
  });
  test('FanOutFanIn: no worker, unknown mode, token maxConcurrency under AUTO, token expectedItems, token tolerance inline', () => {
    const stack = newStack();
    const worker = Step.pass('Work');
    const tok = () => Token.asNumber(Lazy.number({ produce: () => 5 }));
    expect(() => new FanOutFanIn(stack, 'A', {} as any)).toThrow(/^\[TestStack\/A\] worker is missing/);
    expect(() => new FanOutFanIn(stack, 'B', { worker, mode: 'FAST' as any })).toThrow(/^\[TestStack\/B\] mode 'FAST' is not a FanOutMode/);
    expect(() => new FanOutFanIn(stack, 'C', { worker, maxConcurrency: tok() })).toThrow(/^\[TestStack\/C\] maxConcurrency is a token, so mode AUTO cannot tell/);
    expect(() => new FanOutFanIn(stack, 'D', { worker, expectedItems: tok() })).toThrow(/^\[TestStack\/D\] expectedItems is a token/);
    expect(() => new FanOutFanIn(stack, 'E', { worker, mode: FanOutMode.INLINE, toleratedFailurePercentage: tok() }))
      .toThrow(/^\[TestStack\/E\] toleratedFailurePercentage is a token; an inline fan-out compares it in the ASL/);
    expect(() => new FanOutFanIn(stack, 'F', { worker, mode: FanOutMode.INLINE, toleratedFailureCount: tok() }))
      .toThrow(/^\[TestStack\/F\] toleratedFailureCount is a token/);
  });
  test('FanOutFanIn: the chosen mode and results in the state (info)', () => {
    const stack = newStack();
    new FanOutFanIn(stack, 'A', { type: WorkflowType.STANDARD, worker: Step.pass('Work'), mode: FanOutMode.DISTRIBUTED });
    expect(infos(stack, /FanOutFanIn runs DISTRIBUTED/)).toHaveLength(1);
    expect(infos(stack, /The Distributed Map returns its results in the state \(256 KiB at most\)/)).toHaveLength(1);
  });
  test('HybridWorkflow: empty steps, missing step, catch without errors, group timeouts, the groups (info)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const quick = (name: string, seconds: number) => Step.lambda(name, fn, { idempotent: true, timeout: Duration.seconds(seconds) });
    expect(() => new HybridWorkflow(stack, 'A', { steps: [] })).toThrow(/^\[TestStack\/A\] steps is empty/);
    expect(() => new HybridWorkflow(stack, 'B', { steps: [{} as any] })).toThrow(/^\[TestStack\/B\] a step is undefined/);
    expect(() => new HybridWorkflow(stack, 'C', { steps: [{ step: quick('Q', 10), express: true }], catches: [{ errors: [], handler: Step.pass('H') }] }))
      .toThrow(/^\[TestStack\/C\] catch handler 'H' has no errors/);
    expect(() => new HybridWorkflow(stack, 'D', { steps: [{ step: quick('Q1', 200), express: true }, { step: quick('Q2', 200), express: true }] }))
      .toThrow(/^\[TestStack\/D\] the express steps 'Q1', 'Q2' \(Express child 1\) declare 400 s of timeouts in total/);
    const clean = newStack();
    const fn2 = inlineFunction(clean, 'Fn');
    new HybridWorkflow(clean, 'E', { steps: [{ step: Step.lambda('Q', fn2, { idempotent: true, timeout: Duration.seconds(10) }), express: true }, { step: Step.pass('S') }] });
    expect(infos(clean, /Express children:/)).toHaveLength(1);
  });
});

describe('steps bound outside a Workflow keep their own checks', () => {
  test('heartbeat not shorter than the timeout, when a step is bound directly', () => {
    const stack = newStack();
    const step = Step.lambda('Work', inlineFunction(stack, 'Fn'), { timeout: Duration.seconds(5), heartbeat: Duration.seconds(5) });
    expect(() => step.bind(new Construct(stack, 'Scope'), { workflowType: WorkflowType.STANDARD }))
      .toThrow(/^\[TestStack\/Scope\] step 'Work': heartbeat \(5 seconds\) must be shorter than the timeout \(5 seconds\)/);
  });
  test('retry limits, when a step is bound directly', () => {
    const stack = newStack();
    const step = Step.lambda('Work', inlineFunction(stack, 'Fn'), { retry: { interval: Duration.seconds(0) } });
    expect(() => step.bind(new Construct(stack, 'Scope'), { workflowType: WorkflowType.STANDARD }))
      .toThrow(/^\[TestStack\/Scope\/Work\] retry\.interval is 0 s/);
  });
});
