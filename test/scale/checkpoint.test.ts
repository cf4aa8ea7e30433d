import { App, Stack } from 'aws-cdk-lib';
import { CheckpointedWorkflow, Step, WorkflowFunction } from '../../src';
import { estimateResolvedSize, MAX_INLINE_SIZE, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';
import { inlineFunction } from '../util';

/*
 * Issue 12, "Scale": 200-step workflows of every pattern within every limit, and a clear
 * synth-time error (naming the construct, the measured value, the limit and the fix) where a
 * workflow cannot fit. Realistic shapes: the USER creates the functions, and 200 steps x 2
 * functions cannot fit one stack in any design, so the steps here share 20 functions.
 */

function newApp(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'Big', { env: { account: '123456789012', region: 'us-east-1' } }) };
}

function functions(stack: Stack, n: number): WorkflowFunction[] {
  return Array.from({ length: n }, (_, i) => inlineFunction(stack, `Fn${i}`));
}

/** Every IAM policy of the template attached to the role `roleId`, as [logical id, type, estimated resolved size]. */
function policiesOf(template: any, roleId: string): Array<[string, string, number]> {
  const stack = new Stack();
  return Object.entries<any>(template.Resources)
    .filter(([, r]) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .map(([id, r]) => [id, r.Type, estimateResolvedSize(stack, r.Properties.PolicyDocument)]);
}

/** Asserts the CloudFormation and IAM limits on a synthesized template; returns its figures. */
function expectWithinLimits(template: any): { resources: number; templateBytes: number } {
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

describe('CheckpointedWorkflow at scale (issue 12)', () => {
  test('a 100-step CheckpointedWorkflow fits; a 200-step one is refused at synth with the measured definition size, the limit and the fix', () => {
    const fits = newApp();
    const fns = functions(fits.stack, 20);
    new CheckpointedWorkflow(fits.stack, 'Job', { keyPath: '$.orderId', steps: Array.from({ length: 100 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 20]) })) });
    expectWithinLimits(fits.app.synth().getStackByName('Big').template);

    const big = newApp();
    const fns2 = functions(big.stack, 20);
    new CheckpointedWorkflow(big.stack, 'Job', { keyPath: '$.orderId', steps: Array.from({ length: 200 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns2[i % 20]) })) });
    expect(() => big.app.synth()).toThrow(/\[Big\/Job\] the state machine definition is 1\d{6} bytes \(\d+ states, .*above the Step Functions limit of 1048576 bytes .*Step\.childWorkflow/);
  });
});
