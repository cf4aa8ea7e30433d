import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Placement, Saga, Step, WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
import { alarmsAcrossNestedStacks, templateOf } from '../defaults/alarm-queries';
import { inlineFunction } from '../util';
import { expectEachStackWithinLimits, nestedStacksUnder, ownResources } from './helpers';

/*
 * Issue 12, "Scale": a 200-step Saga with an action and a compensation function per step (400
 * WorkflowFunctions, 1,600 resources of functions alone) synthesizes within every limit with every
 * default: the 121st function of the stack and later ones go to nested stacks of 60 functions on
 * their own, the function alarms to nested stacks of 150, and the library says so.
 */

interface Built { app: App; stack: Stack; saga: Saga; functions: WorkflowFunction[] }

function build(steps: number): Built {
  const app = new App(); // aws-cdk-lib's own 500-resource check stays on
  const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'us-east-1' } });
  const functions: WorkflowFunction[] = [];
  const sagaSteps = [];
  for (let i = 0; i < steps; i++) {
    const action = inlineFunction(stack, `Do${i}`);
    const compensation = inlineFunction(stack, `Undo${i}`);
    functions.push(action, compensation);
    sagaSteps.push({ action: Step.lambda(`Do ${i}`, action), compensation: Step.lambda(`Undo ${i}`, compensation) });
  }
  const saga = new Saga(stack, 'Saga', { steps: sagaSteps });
  return { app, stack, saga, functions };
}

describe('a 200-step Saga with 400 WorkflowFunctions (issue 12)', () => {
  let built: Built;
  let assembly: ReturnType<App['synth']>;
  beforeAll(() => {
    built = build(200);
    assembly = built.app.synth();
  });

  test('every stack within 500 resources, 200 outputs and 200 parameters; every template within 1 MB', () => {
    const stacks = [built.stack, ...nestedStacksUnder(built.stack)];
    const shards = stacks.filter((s) => /WorkflowFunctions\d*$/.test(s.node.id));
    // 286 functions in nested stacks of 60 (the last holds 46)
    expect(shards.map((s) => s.node.id)).toEqual(['WorkflowFunctions', 'WorkflowFunctions2', 'WorkflowFunctions3', 'WorkflowFunctions4', 'WorkflowFunctions5']);
    expectEachStackWithinLimits(stacks);
    // the saga's stack: 114 functions x 4 and their log group, the workflow, and one resource per nested stack
    expect(ownResources(built.stack).length).toBeLessThanOrEqual(500);
    const definition = JSON.stringify(assembly.getStackByName('Orders').template).length;
    expect(definition).toBeLessThan(1_000_000);
  });

  test('functions beyond the 120th are placed in nested stacks, and the library says so', () => {
    // the shared log group and 114 functions (457 resources); the 115th would make 461
    const inStack = built.functions.filter((f) => Stack.of(f.function) === built.stack);
    expect(inStack).toHaveLength(114);
    const moved = built.functions.filter((f) => Stack.of(f.function) !== built.stack);
    expect(moved).toHaveLength(286);
    // the construct stays where the user created it
    expect(moved[0].node.path).toBe(`Orders/${moved[0].node.id}`);
    expect(Stack.of(moved[0].function).node.path).toBe('Orders/WorkflowFunctions');
    // read from the synthesized assembly (Annotations.fromStack would synthesize the app again)
    const infos = assembly.getStackByName('Orders').messages.filter((m) => m.level === 'info' && m.id === `/${moved[0].node.path}`);
    expect(infos.map((m) => String(m.entry.data))).toEqual([expect.stringMatching(/nested stack Orders\/WorkflowFunctions .*already holds \d+ resources.*460 for functions and 40 for the workflows/)]);
  });

  test('least privilege: every function role holds only its own grants; the state machine invokes exactly the aliases it runs', () => {
    for (const fn of built.functions) {
      const stack = Stack.of(fn.function);
      const resources = templateOf(stack).Resources;
      const roleId = stack.getLogicalId(fn.role.node.defaultChild as CfnResource);
      const text = JSON.stringify(resources[roleId]);
      expect(text).not.toContain('lambda:InvokeFunction');
      // its role's policies name its own log group only
      const logs = [...text.matchAll(/"(logs:[A-Za-z]+)"/g)].map((m) => m[1]);
      expect(new Set(logs)).toEqual(new Set(['logs:CreateLogStream', 'logs:PutLogEvents']));
    }
    const stack = built.stack;
    const resources = templateOf(stack).Resources;
    const smRoleId = stack.getLogicalId(built.saga.stateMachine.role.node.defaultChild as CfnResource);
    const policies = Object.values<any>(resources).filter((r) => r.Type.match(/^AWS::IAM::(Managed)?Policy$/) && JSON.stringify(r.Properties.Roles).includes(`"${smRoleId}"`));
    const invoked: string[] = [];
    for (const p of policies) {
      expect(estimateResolvedSize(stack, p.Properties.PolicyDocument)).toBeLessThanOrEqual(p.Type === 'AWS::IAM::Policy' ? MAX_INLINE_SIZE : MAX_MANAGED_SIZE);
      for (const st of p.Properties.PolicyDocument.Statement) {
        if ([st.Action].flat().includes('lambda:InvokeFunction')) {
          expect(st.Condition).toBeUndefined();
          invoked.push(...[st.Resource].flat().map((x: any) => JSON.stringify(x)));
        }
      }
    }
    // at most 10 managed policies attached to a role (IAM quota)
    expect(policies.filter((p) => p.Type === 'AWS::IAM::ManagedPolicy').length).toBeLessThanOrEqual(10);
    // 399 aliases: the last compensation never runs; no wildcard
    expect(invoked).toHaveLength(399);
    expect(new Set(invoked).size).toBe(399);
    expect(invoked.join()).not.toContain('*');
  });

  test('every function the saga runs reaches one errors alarm that names it', () => {
    const queries = Object.values<any>(alarmsAcrossNestedStacks(built.stack))
      .filter((a) => a.Properties.Metrics && JSON.stringify(a).includes('SELECT SUM(Errors)'))
      .map((a) => JSON.stringify(a.Properties.Metrics[0].Expression));
    // names of nested-stack functions reach the alarms through the parent: count the references
    const refs = queries.flatMap((q) => q.match(/\{\\?"(Ref|Fn::GetAtt)\\?":[^}]+\}/g) ?? []);
    expect(refs).toHaveLength(399);
    expect(new Set(refs).size).toBe(399);
  });
});

test('placement SAME_STACK keeps a function in its stack past 460 resources; NESTED_STACK moves the first one', () => {
  const app = new App({ context: { '@aws-cdk/core:stackResourceLimit': 1000 } });
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = Array.from({ length: 125 }, (_, i) => inlineFunction(stack, `F${i}`, { placement: Placement.SAME_STACK }));
  expect(fns.every((f) => Stack.of(f.function) === stack)).toBe(true);
  const other = new Stack(app, 'T', { env: { account: '123456789012', region: 'us-east-1' } });
  const first = inlineFunction(other, 'First', { placement: Placement.NESTED_STACK });
  expect(Stack.of(first.function).node.path).toBe('T/WorkflowFunctions');
  Annotations.fromStack(other).hasInfo('/T/First', Match.stringLikeRegexp('placement is NESTED_STACK'));
});
