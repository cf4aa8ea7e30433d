import { App, CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import { WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
import { templateOf } from '../defaults/alarm-queries';
import { inlineFunction } from '../util';

/** Helpers of the scale tests (issue 12): a fresh app, shared functions, and the limit assertions. */

export function newApp(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'Big', { env: { account: '123456789012', region: 'us-east-1' } }) };
}

export function functions(stack: Stack, n: number): WorkflowFunction[] {
  return Array.from({ length: n }, (_, i) => inlineFunction(stack, `Fn${i}`));
}

/** Every IAM policy of the template attached to the role `roleId`, as [logical id, type, estimated resolved size]. */
export function policiesOf(template: any, roleId: string): Array<[string, string, number]> {
  const stack = new Stack();
  return Object.entries<any>(template.Resources)
    .filter(([, r]) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .map(([id, r]) => [id, r.Type, estimateResolvedSize(stack, r.Properties.PolicyDocument)]);
}

/** Asserts the CloudFormation and IAM limits on a synthesized template; returns its figures. */
export function expectWithinLimits(template: any): { resources: number; templateBytes: number } {
  const resources = Object.keys(template.Resources).length;
  const templateBytes = Buffer.byteLength(JSON.stringify(template), 'utf8');
  expect(resources).toBeLessThanOrEqual(500);
  expect(templateBytes).toBeLessThanOrEqual(1048576);
  for (const [roleId, role] of Object.entries<any>(template.Resources)) {
    if (role.Type !== 'AWS::IAM::Role') continue;
    const policies = policiesOf(template, roleId);
    const inline = policies.filter(([, type]) => type === 'AWS::IAM::Policy').reduce((sum, [, , size]) => sum + size, 0);
    expect(inline).toBeLessThanOrEqual(MAX_INLINE_SIZE);
    for (const [id, type, size] of policies) {
      if (type === 'AWS::IAM::ManagedPolicy') {
        expect([id, size <= MAX_MANAGED_SIZE]).toEqual([id, true]);
      }
    }
    expect(policies.filter(([, type]) => type === 'AWS::IAM::ManagedPolicy').length + (role.Properties.ManagedPolicyArns ?? []).length).toBeLessThanOrEqual(10);
  }
  return { resources, templateBytes };
}

/** The CloudFormation resources of `stack` itself (a nested stack's resources are its own). */
export function ownResources(stack: Stack): CfnResource[] {
  return stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
}

/** Every nested stack under `stack`, at any depth. */
export function nestedStacksUnder(stack: Stack): NestedStack[] {
  return stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack);
}

/**
 * Asserts, for each of `stacks` (synthesized), the per-template limits: at most 500 resources
 * (counted from the construct tree), 200 outputs and 200 parameters, and a template under 1 MB.
 */
export function expectEachStackWithinLimits(stacks: Stack[]): void {
  for (const s of stacks) {
    const template = templateOf(s);
    expect([s.node.path, ownResources(s).length <= 500]).toEqual([s.node.path, true]);
    expect(Object.keys(template.Outputs ?? {}).length).toBeLessThanOrEqual(200);
    expect(Object.keys(template.Parameters ?? {}).length).toBeLessThanOrEqual(200);
    expect(JSON.stringify(template).length).toBeLessThan(1_000_000);
  }
}
