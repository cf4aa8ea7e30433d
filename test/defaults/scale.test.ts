import { CfnResource, Stack } from 'aws-cdk-lib';
import { IWorkflowStep, SequentialWorkflow, Step, WorkflowFunction } from '../../src';
import { inlineFunction, newStack } from '../util';

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
