import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Saga, Step, WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
import { alarmsAcrossNestedStacks, nestedStacksOf } from '../defaults/alarm-queries';
import { inlineFunction } from '../util';

/*
 * Issue 12, "Scale": a 60-step Saga with a compensation function per step (120 WorkflowFunctions,
 * every default: alias with provisioned concurrency, X-Ray, logs, alarms) against the 500-resource
 * limit of a stack. The functions' own floor is 480 (Function, Role, Version, Alias each); the
 * workflow adds its state machine, role, log group, the functions' shared log group, the role's
 * policies and the alarms.
 *
 * Counted from the construct tree (aws-cdk-lib refuses to synthesize a stack above 500).
 */

interface Built { stack: Stack; saga: Saga; functions: WorkflowFunction[]; template: any }

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
  const template = app.synth().getStackByName('Orders').template;
  return { stack, saga, functions, template };
}

function cfnResources(stack: Stack): CfnResource[] {
  // the stack's own resources (a nested stack's are its own)
  return stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
}

function byType(stack: Stack): { [type: string]: number } {
  const out: { [type: string]: number } = {};
  for (const r of cfnResources(stack)) out[r.cfnResourceType] = (out[r.cfnResourceType] ?? 0) + 1;
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

  test('the workflow\'s own overhead: 1 state machine, 1 role with 3 policies, 2 log groups, 3 alarms and the nested stack of the function alarms: 491 resources', () => {
    const types = byType(defaults.stack);
    expect(types).toEqual({
      'AWS::Lambda::Function': 120,
      'AWS::Lambda::Version': 120,
      'AWS::Lambda::Alias': 120,
      'AWS::IAM::Role': 121,
      'AWS::Logs::LogGroup': 2,
      'AWS::StepFunctions::StateMachine': 1,
      // the merged lambda:InvokeFunction statement: the DefaultPolicy, then the LibraryPolicy and LibraryPolicy2
      'AWS::IAM::Policy': 1,
      'AWS::IAM::ManagedPolicy': 2,
      // ExecutionsFailed, timed out/aborted/throttled, CompensationFailed
      'AWS::CloudWatch::Alarm': 3,
      // the function alarms (6 per metric: 119 functions over queries of at most 23
      // CloudFormation-generated names, see docs/scale.md) are in a nested stack
      'AWS::CloudFormation::Stack': 1,
    });
    // 508 with the function alarms in the stack (512 before issue 12's first pass)
    expect(Object.keys(defaults.template.Resources)).toHaveLength(491);
    const [nested] = nestedStacksOf(defaults.stack);
    expect(byType(nested)).toEqual({ 'AWS::CloudWatch::Alarm': 3 * 6 });
    // one parameter per function name the queries need (119) and nothing else: within the 200 of a template
    expect(Object.keys(Template.fromStack(nested).toJSON().Parameters)).toHaveLength(119);
    Annotations.fromStack(defaults.stack).hasInfo('/Orders/Saga/Alarms', Match.stringLikeRegexp('The 18 function alarms of 119 functions are in 1 nested stack'));
  });

  test('with function names of the user\'s (up to 15 characters here): 3 queries per metric, also in the nested stack', () => {
    expect(Object.keys(named.template.Resources)).toHaveLength(491);
    expect(byType(named.stack)['AWS::CloudWatch::Alarm']).toBe(3);
    expect(byType(nestedStacksOf(named.stack)[0])).toEqual({ 'AWS::CloudWatch::Alarm': 3 * 3 });
  });

  test.each([['defaults', () => defaults], ['named', () => named]])('%s: one role per function with only its own grants; the state machine invokes exactly the 119 aliases it runs', (_, get) => {
    const { stack, saga, functions } = get();
    const resources = resourcesOf(get());
    const functionIds = new Set(functions.map((f) => stack.getLogicalId(f.function.node.defaultChild as CfnResource)));
    const aliasIds = functions.map((f) => stack.getLogicalId(f.alias.node.defaultChild as CfnResource));
    for (const fn of functions) {
      const role = fn.function.role!.node.defaultChild as CfnResource;
      const roleId = stack.getLogicalId(role);
      // the function's role is its own
      expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties.Role).includes(`"${roleId}"`))).toHaveLength(1);
      // every policy of that role names no other function, alias or invoke permission
      const own = stack.getLogicalId(fn.function.node.defaultChild as CfnResource);
      const text = JSON.stringify([resources[roleId], ...Object.values(resources).filter((r) => r.Type.startsWith('AWS::IAM::') && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))]);
      expect(text).not.toContain('lambda:InvokeFunction');
      for (const other of functionIds) {
        if (other !== own) expect(text).not.toContain(`"${other}"`);
      }
    }
    const smRoleId = stack.getLogicalId(saga.stateMachine.role.node.defaultChild as CfnResource);
    const invoked: string[] = [];
    for (const r of Object.values(resources)) {
      if (!r.Type.match(/^AWS::IAM::(Managed)?Policy$/) || !JSON.stringify(r.Properties.Roles).includes(`"${smRoleId}"`)) continue;
      for (const st of r.Properties.PolicyDocument.Statement) {
        if ([st.Action].flat().includes('lambda:InvokeFunction')) {
          expect(st.Effect).toBe('Allow');
          expect(st.Condition).toBeUndefined();
          invoked.push(...[st.Resource].flat().map((x: any) => x.Ref));
        }
      }
    }
    // the last step's compensation never runs (nothing after it can fail), so it is not granted
    expect(invoked.sort()).toEqual(aliasIds.filter((id) => !id.startsWith('Undo59')).sort());
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
        const name = JSON.stringify(given ?? stack.resolve(fn.function.functionName));
        const needle = name.startsWith('"') ? `'${JSON.parse(name)}'` : name;
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
