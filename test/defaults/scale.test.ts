import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { HybridWorkflow, IWorkflowStep, SequentialWorkflow, Step, WorkflowFunction } from '../../src';
import { inlineFunction, newStack, thrownMessage } from '../util';

/**
 * A saga-like set: per step an action (provisioned concurrency 1) and a compensation (0, as the
 * order saga example chooses for code that rarely runs), every other default on, in one workflow.
 */
function sagaLike(steps: number): { stack: Stack; functions: WorkflowFunction[] } {
  const stack = newStack();
  const functions: WorkflowFunction[] = [];
  const chain: IWorkflowStep[] = [];
  for (let i = 0; i < steps; i++) {
    const action = inlineFunction(stack, `Action${i}`);
    const compensation = inlineFunction(stack, `Compensation${i}`, { provisionedConcurrency: 0 });
    functions.push(action, compensation);
    chain.push(Step.lambda(`Do ${i}`, action), Step.lambda(`Undo ${i}`, compensation));
  }
  new SequentialWorkflow(stack, 'Saga', { steps: chain });
  return { stack, functions };
}

/**
 * CloudFormation resources (by type) a function owns: under the construct itself, or, for one the
 * library placed in a nested stack (Placement.AUTO), under its home there.
 */
function ownedResources(fn: WorkflowFunction): string[] {
  return fn.function.node.scope!.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c)).map((c) => c.cfnResourceType).sort();
}

describe('scale (issue 12)', () => {
  test('every function owns exactly Function, Role, Version and Alias, at any size', () => {
    const { stack, functions } = sagaLike(60);
    expect(functions).toHaveLength(120);
    for (const fn of functions) {
      expect(ownedResources(fn)).toEqual(['AWS::IAM::Role', 'AWS::Lambda::Alias', 'AWS::Lambda::Function', 'AWS::Lambda::Version']);
    }
    // past 460 resources the functions go to a nested stack (docs/scale.md): 114 stay
    expect(functions.filter((f) => Stack.of(f.function) === stack)).toHaveLength(114);
    // logs: one log group per stack for all its functions
    const logGroups = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Logs::LogGroup');
    expect(logGroups.map((g) => Stack.of(g).node.path)).toEqual(['TestStack', 'TestStack/WorkflowFunctions', 'TestStack']); // + the state machine's
    // function alarms: 3 metrics, ceil(functions / 22) alarms each (spillover: only the 60 with provisioned concurrency)
    const alarms = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(2 + 6 + 6 + 3); // failed + timed out/aborted/throttled
  });
  // the whole-stack figures of a real 60-step Saga are asserted in test/scale/saga60.test.ts
});

describe('Placement.AUTO and resources added after it decided (issue 12)', () => {
  /** A stack with `fns` AUTO functions in one workflow, then `later` resources of the user's. */
  function lateResources(fns: number, later: number, context?: Record<string, unknown>): { synth: () => void } {
    const app = new App({ context });
    const stack = new Stack(app, 'Late', { env: { account: '123456789012', region: 'us-east-1' } });
    const functions = Array.from({ length: fns }, (_, i) => inlineFunction(stack, `Fn${i}`));
    new SequentialWorkflow(stack, 'Wf', { steps: functions.map((f, i) => Step.lambda(`S${i}`, f)), alarms: { enabled: false } });
    for (let i = 0; i < later; i++) new CfnResource(stack, `Topic${i}`, { type: 'AWS::SNS::Topic' });
    return { synth: () => app.synth() };
  }

  test('a stack pushed over 500 by resources created after the functions fails with an error that names the kept functions and the fix', () => {
    // 100 functions (400 resources) fit when created; 150 topics added afterwards take the stack past 500
    const { synth } = lateResources(100, 150);
    const message = thrownMessage(synth);
    expect(message).toMatch(/\[Late\] Late holds \d+ resources, more than its limit of 500/);
    expect(message).toMatch(/Placement\.AUTO kept 100 WorkflowFunction\(s\), 4 resources each \(Late\/Fn0, Late\/Fn1, Late\/Fn2, Late\/Fn3, … Late\/Fn99\) in it because the stack had room when they were created/);
    const held = Number(/holds (\d+) resources/.exec(message)![1]);
    expect(held).toBeGreaterThan(550);
    expect(message).toContain(`Set placement: Placement.NESTED_STACK on WorkflowFunctions (at least ${Math.ceil((held - 500) / 4)} of them)`);
    // ours comes first: aws-cdk-lib's own count per type is not what the user sees
    expect(message).not.toMatch(/Number of resources in stack/);
  });

  test('the limit is the one aws-cdk-lib applies: @aws-cdk/core:stackResourceLimit raises it, 0 turns both checks off', () => {
    expect(() => lateResources(100, 150, { '@aws-cdk/core:stackResourceLimit': 1000 }).synth()).not.toThrow();
    expect(() => lateResources(100, 150, { '@aws-cdk/core:stackResourceLimit': 0 }).synth()).not.toThrow();
    expect(() => lateResources(100, 150, { '@aws-cdk/core:stackResourceLimit': 450 }).synth()).toThrow(/more than its limit of 450/);
  });

  test('control: the same stack under the limit synthesizes, and functions that AUTO placed in nested stacks are not named', () => {
    expect(() => lateResources(100, 40).synth()).not.toThrow();
    // 120 functions: 114 stay (460 resources), 6 go to WorkflowFunctions; 100 topics then push the stack over
    const message = thrownMessage(() => lateResources(120, 100).synth());
    expect(message).toMatch(/Placement\.AUTO kept 114 WorkflowFunction\(s\)/);
  });

  test('a HybridWorkflow whose Express children AUTO kept in the stack is named with its own setting', () => {
    const app = new App();
    const stack = new Stack(app, 'LateHybrid', { env: { account: '123456789012', region: 'us-east-1' } });
    const fn = inlineFunction(stack, 'Fn');
    new HybridWorkflow(stack, 'H', {
      steps: [
        { step: Step.lambda('Check', fn, { idempotent: true, timeout: Duration.seconds(10) }), express: true },
        { step: Step.lambda('Book', fn) },
      ],
      alarms: { enabled: false },
    });
    for (let i = 0; i < 500; i++) new CfnResource(stack, `Topic${i}`, { type: 'AWS::SNS::Topic' });
    expect(() => app.synth()).toThrow(/Placement\.AUTO kept 1 WorkflowFunction\(s\).* and the Express children of LateHybrid\/H \(about 8 resources\) in it.*or expressChildren: \{ placement: Placement\.NESTED_STACK \} on the HybridWorkflow/);
  });
});
