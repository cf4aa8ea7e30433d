/**
 * `LocalWorkflowRunner.create` for a 10-step workflow in a fresh jest process (issue 12 goal: <= 1 s).
 * Run alone to measure: `npx jest test/testing/create-time.test.ts --coverage=false` (it prints the
 * figure). The assertion has headroom for a loaded machine; the figure is what counts.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SequentialWorkflow, Step, WorkflowFunction } from '../../src';
import { LocalWorkflowRunner } from '../../src/testing';

test('create() for a 10-step workflow: synthesis without template validation, no bundling needed', async () => {
  const t0 = performance.now();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'CreateTime', { env: { account: '123456789012', region: 'us-east-1' } });
  const steps = Array.from({ length: 10 }, (_, i) => Step.lambda(`Step ${i + 1}`, new WorkflowFunction(stack, `Fn${i + 1}`, {
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  })));
  const workflow = new SequentialWorkflow(stack, 'Workflow', { steps });
  const t1 = performance.now();
  const runner = await LocalWorkflowRunner.create(workflow, {
    handlers: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`Step ${i + 1}`, async () => ({ ok: i })])),
  });
  const t2 = performance.now();
  try {
    const result = await runner.run({});
    expect(result.status).toBe('SUCCEEDED');
  } finally {
    await runner.close();
  }
  // eslint-disable-next-line no-console
  console.log(`construct ${Math.round(t1 - t0)} ms; LocalWorkflowRunner.create ${Math.round(t2 - t1)} ms (fresh process, CDK_VALIDATION=${process.env.CDK_VALIDATION ?? 'unset'})`);
  expect(t2 - t1).toBeLessThan(5000);
});
