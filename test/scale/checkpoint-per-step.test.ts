import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { CheckpointedWorkflow, Step } from '../../src';
import { templateOf } from '../defaults/alarm-queries';
import { inlineFunction } from '../util';
import { expectEachStackWithinLimits, nestedStacksUnder } from './helpers';

/*
 * Issue 12, "Scale": a 200-step CheckpointedWorkflow with a function per step synthesizes within
 * every limit with every default: its definition fits (one copy per step, docs/scale.md) and the
 * functions past 460 resources go to nested stacks on their own.
 */
test('a 200-step CheckpointedWorkflow with a function per step: every stack within 500 resources, 200 outputs and parameters, 1 MB', () => {
  const app = new App(); // aws-cdk-lib's own 500-resource check stays on
  const stack = new Stack(app, 'Ck', { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = Array.from({ length: 200 }, (_, i) => inlineFunction(stack, `F${i}`));
  const workflow = new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', steps: fns.map((f, i) => ({ step: Step.lambda(`S${i}`, f) })) });
  app.synth();
  const nested = nestedStacksUnder(stack);
  expect(nested.map((n) => n.node.id).sort()).toEqual(['FunctionAlarms', 'FunctionAlarms2', 'WorkflowFunctions', 'WorkflowFunctions2']);
  expectEachStackWithinLimits([stack, ...nested]);
  // the state machine invokes exactly its 200 aliases (plus the coordinator's), no wildcard
  const resources = templateOf(stack).Resources;
  const roleId = stack.getLogicalId(workflow.stateMachine.role.node.defaultChild as CfnResource);
  const invoked = Object.values<any>(resources)
    .filter((r) => /^AWS::IAM::(Managed)?Policy$/.test(r.Type) && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((st: any) => [st.Action].flat().includes('lambda:InvokeFunction'))
    .flatMap((st: any) => [st.Resource].flat().map((x: unknown) => JSON.stringify(x)));
  expect(new Set(invoked).size).toBe(201);
  expect(invoked.join()).not.toContain('*');
});
