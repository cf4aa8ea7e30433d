import { App, Stack } from 'aws-cdk-lib';
import { WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
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
