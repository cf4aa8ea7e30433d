import { App, CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Saga, Step, WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
import { alarmsAcrossNestedStacks, nestedStacksOf, templateOf } from '../defaults/alarm-queries';
import { inlineFunction } from '../util';
import { ownResources } from './helpers';

/*
 * Issue 12, "Scale": a 60-step Saga with a compensation function per step (120 WorkflowFunctions,
 * every default: alias with provisioned concurrency, X-Ray, logs, alarms) against the 500-resource
 * limit of a stack. The functions' own floor is 480 (Function, Role, Version, Alias each); the
 * workflow adds its state machine, role, log group, the functions' shared log group, the role's
 * policies and the alarms.
 *
 * Counted from the construct tree (aws-cdk-lib refuses to synthesize a stack above 500).
 */

interface Built { stack: Stack; saga: Saga; functions: WorkflowFunction[]; template: any; assembly: CloudAssembly }

function build(named: boolean): Built {
  // aws-cdk-lib's own 500-resource check stays on: both variants must fit
  const app = new App();
  const stack = new Stack(app, 'Orders', { env: { account: '123456789012', region: 'us-east-1' } });
  const functions: WorkflowFunction[] = [];
  const steps = [];
  for (let i = 0; i < 60; i++) {
    const action = inlineFunction(stack, `Do${i}`, named ? { functionName: `orders-do-${i}` } : {});
    const compensation = inlineFunction(stack, `Undo${i}`, named ? { functionName: `orders-undo-${i}` } : {});
    functions.push(action, compensation);
    steps.push({ action: Step.lambda(`Do ${i}`, action), compensation: Step.lambda(`Undo ${i}`, compensation) });
  }
  const saga = new Saga(stack, 'Saga', { steps });
  const assembly = app.synth();
  const template = assembly.getStackByName('Orders').template;
  return { stack, saga, functions, template, assembly };
}

/**
 * How the saga's stack refers to `resource`: `{"Ref":...}` in the stack itself; for a resource of a
 * nested stack, the output of the nested stack that carries its Ref.
 */
function refInParent(stack: Stack, resource: CfnResource): string | undefined {
  const home = Stack.of(resource);
  if (home === stack) return JSON.stringify({ Ref: stack.getLogicalId(resource) });
  const id = home.getLogicalId(resource);
  // a resource nothing outside its stack reads has no output
  const [name] = Object.entries<any>(templateOf(home).Outputs).find(([, o]) => JSON.stringify(o.Value) === JSON.stringify({ Ref: id })) ?? [];
  if (!name) return undefined;
  return JSON.stringify({ 'Fn::GetAtt': [stack.getLogicalId((home as NestedStack).nestedStackResource!), `Outputs.${name}`] });
}

function byType(stack: Stack): { [type: string]: number } {
  const out: { [type: string]: number } = {};
  for (const r of ownResources(stack)) out[r.cfnResourceType] = (out[r.cfnResourceType] ?? 0) + 1;
  return out;
}

/** The CloudFormation JSON of every resource, by logical id. */
function resourcesOf(built: Built): { [id: string]: any } {
  return built.template.Resources;
}

function alarmQueries(alarms: { [id: string]: any }): Array<[string, string]> {
  return Object.entries(alarms).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Metrics)
    .map(([id, r]) => [id, JSON.stringify(r.Properties.Metrics[0].Expression)]);
}

describe('a 60-step Saga with 120 WorkflowFunctions (issue 12)', () => {
  let defaults: Built;
  let named: Built;
  beforeAll(() => {
    defaults = build(false);
    named = build(true);
  });

  test('the saga\'s stack: 114 functions, 6 in a nested stack, the workflow, and the nested stack of the function alarms: 468 resources', () => {
    const types = byType(defaults.stack);
    expect(types).toEqual({
      // the shared log group and 114 functions are 457 resources; the 115th function would make the
      // stack hold more than the 460 the library keeps for functions (docs/scale.md), so the last 6
      // go to the nested stack WorkflowFunctions
      'AWS::Lambda::Function': 114,
      'AWS::Lambda::Version': 114,
      'AWS::Lambda::Alias': 114,
      'AWS::IAM::Role': 115,
      'AWS::Logs::LogGroup': 2,
      'AWS::StepFunctions::StateMachine': 1,
      // the merged lambda:InvokeFunction statement: the DefaultPolicy, then the LibraryPolicy and LibraryPolicy2
      'AWS::IAM::Policy': 1,
      'AWS::IAM::ManagedPolicy': 2,
      // ExecutionsFailed, timed out/aborted/throttled, CompensationFailed
      'AWS::CloudWatch::Alarm': 3,
      // WorkflowFunctions (6 functions) and Saga/Alarms/FunctionAlarms (6 alarms per metric: 119
      // functions over queries of at most 23 CloudFormation-generated names)
      'AWS::CloudFormation::Stack': 2,
    });
    expect(Object.keys(defaults.template.Resources)).toHaveLength(468);
    const nested = nestedStacksOf(defaults.stack);
    expect(nested.map((n) => n.node.path)).toEqual(['Orders/WorkflowFunctions', 'Orders/Saga/Alarms/FunctionAlarms']);
    expect(byType(nested[0])).toEqual({
      'AWS::Lambda::Function': 6, 'AWS::Lambda::Version': 6, 'AWS::Lambda::Alias': 6, 'AWS::IAM::Role': 6, 'AWS::Logs::LogGroup': 1,
    });
    expect(byType(nested[1])).toEqual({ 'AWS::CloudWatch::Alarm': 3 * 6 });
    // one parameter per function name the queries need (119) and nothing else: within the 200 of a template
    expect(Object.keys(templateOf(nested[1]).Parameters)).toHaveLength(119);
    expect(Object.keys(templateOf(nested[0]).Outputs).length).toBeLessThanOrEqual(200);
    // the library says where it put what (read from the assembly: no second synthesis)
    const infos = defaults.assembly.getStackByName('Orders').messages.filter((m) => m.level === 'info').map((m) => `${m.id}: ${m.entry.data}`);
    expect(infos).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/Orders\/Saga\/Alarms: The 18 function alarms of 119 functions are in 1 nested stack/),
      expect.stringMatching(/^\/Orders\/Undo59: The resources of this WorkflowFunction are in the nested stack Orders\/WorkflowFunctions/),
    ]));
  });

  test('with function names of the user\'s (up to 15 characters here): 3 queries per metric, also in a nested stack', () => {
    expect(Object.keys(named.template.Resources)).toHaveLength(468);
    expect(byType(named.stack)['AWS::CloudWatch::Alarm']).toBe(3);
    expect(byType(nestedStacksOf(named.stack)[1])).toEqual({ 'AWS::CloudWatch::Alarm': 3 * 3 });
  });

  test.each([['defaults', () => defaults], ['named', () => named]])('%s: one role per function with only its own grants; the state machine invokes exactly the 119 aliases it runs', (_, get) => {
    const { stack, saga, functions } = get();
    const resources = resourcesOf(get());
    // the logical ids of the functions of each stack (the saga's, or the nested stack WorkflowFunctions)
    const idsByStack = new Map<Stack, Set<string>>();
    for (const f of functions) {
      const home = Stack.of(f.function);
      if (!idsByStack.has(home)) idsByStack.set(home, new Set());
      idsByStack.get(home)!.add(home.getLogicalId(f.function.node.defaultChild as CfnResource));
    }
    for (const fn of functions) {
      const home = Stack.of(fn.function);
      const homeResources = templateOf(home).Resources;
      const functionIds = idsByStack.get(home)!;
      const role = fn.function.role!.node.defaultChild as CfnResource;
      const roleId = home.getLogicalId(role);
      // the function's role is its own
      expect(Object.values<any>(homeResources).filter((r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties.Role).includes(`"${roleId}"`))).toHaveLength(1);
      // every policy of that role names no other function, alias or invoke permission
      const own = home.getLogicalId(fn.function.node.defaultChild as CfnResource);
      const text = JSON.stringify([homeResources[roleId], ...Object.values<any>(homeResources).filter((r) => r.Type.startsWith('AWS::IAM::') && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))]);
      expect(text).not.toContain('lambda:InvokeFunction');
      for (const other of functionIds) {
        if (other !== own) expect(text).not.toContain(`"${other}"`);
      }
    }
    const aliasIds = functions.map((fn) => refInParent(stack, fn.alias.node.defaultChild as CfnResource));
    const smRoleId = stack.getLogicalId(saga.stateMachine.role.node.defaultChild as CfnResource);
    const invoked: string[] = [];
    for (const r of Object.values(resources)) {
      if (!r.Type.match(/^AWS::IAM::(Managed)?Policy$/) || !JSON.stringify(r.Properties.Roles).includes(`"${smRoleId}"`)) continue;
      for (const st of r.Properties.PolicyDocument.Statement) {
        if ([st.Action].flat().includes('lambda:InvokeFunction')) {
          expect(st.Effect).toBe('Allow');
          expect(st.Condition).toBeUndefined();
          invoked.push(...[st.Resource].flat().map((x: any) => JSON.stringify(x)));
        }
      }
    }
    // the last step's compensation never runs (nothing after it can fail), so it is not granted
    expect(aliasIds.filter((id) => id === undefined)).toHaveLength(functions.some((f) => f.node.id === 'Undo59' && Stack.of(f.alias) !== stack) ? 1 : 0);
    expect(invoked.sort()).toEqual(aliasIds.filter((_id, i) => functions[i].node.id !== 'Undo59').sort());
    // every policy of the role within the IAM size limits, estimated on the resolved policy
    const policies = Object.values(resources).filter((r) => r.Type.match(/^AWS::IAM::(Managed)?Policy$/) && JSON.stringify(r.Properties.Roles).includes(`"${smRoleId}"`));
    for (const p of policies) {
      expect(estimateResolvedSize(stack, p.Properties.PolicyDocument)).toBeLessThanOrEqual(p.Type === 'AWS::IAM::Policy' ? MAX_INLINE_SIZE : MAX_MANAGED_SIZE);
    }
  });

  test.each([['defaults', () => defaults], ['named', () => named]])('%s: every function the saga runs is a contributor of one errors, one throttles and one spillover alarm', (_, get) => {
    const { stack, functions } = get();
    const queries = alarmQueries(alarmsAcrossNestedStacks(stack));
    const run = functions.filter((f) => f.node.id !== 'Undo59');
    for (const metric of ['Errors', 'Throttles', 'ProvisionedConcurrencySpilloverInvocations']) {
      const ofMetric = queries.filter(([, q]) => q.includes(`SELECT SUM(${metric})`));
      for (const fn of run) {
        const given = stack.resolve((fn.function.node.defaultChild as any).functionName);
        const needle = given ? `'${given}'` : refInParent(stack, fn.function.node.defaultChild as CfnResource)!;
        expect([fn.node.id, metric, ofMetric.filter(([, q]) => q.includes(needle)).length]).toEqual([fn.node.id, metric, 1]);
      }
    }
    // each query within the 2,048 characters of MetricDataQuery.Expression once CloudFormation has
    // put the names in (a generated Lambda name is at most 64 characters)
    for (const [, q] of queries) {
      const resolvedMax = JSON.parse(q.replace(/\{"Ref":"[^"]+"\}/g, `"${'x'.repeat(64)}"`));
      const text = typeof resolvedMax === 'string' ? resolvedMax : resolvedMax['Fn::Join'][1].join('');
      expect(text.length).toBeLessThanOrEqual(2048);
    }
  });
});
