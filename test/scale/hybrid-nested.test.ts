import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { HybridWorkflow, Placement, Step } from '../../src';
import { Faults, LocalWorkflowRunner } from '../../src/testing';
import { templateOf } from '../defaults/alarm-queries';
import { inlineFunction, newStack } from '../util';
import { expectEachStackWithinLimits, nestedStacksUnder } from './helpers';

/*
 * Issue 12, "Scale": a HybridWorkflow's Express children go to nested stacks on their own when the
 * stack would otherwise pass its limit, and the parent still calls them: the generated machines run
 * locally across the stacks (the runner merges nested templates into their root's).
 */

describe('Express children in a nested stack run locally', () => {
  const stack = newStack();
  const express = { idempotent: true, timeout: Duration.seconds(15) };
  const fn = (id: string) => inlineFunction(stack, id, { provisionedConcurrency: 0 });
  const workflow = new HybridWorkflow(stack, 'Orders', {
    steps: [
      { step: Step.lambda('Validate order', fn('Validate'), express), express: true },
      { step: Step.lambda('Reserve stock', fn('Reserve')) },
      { step: Step.lambda('Price order', fn('Price'), express), express: true },
      { step: Step.lambda('Charge payment', fn('Charge')) },
    ],
    expressChildren: { placement: Placement.NESTED_STACK, retry: { errors: ['PricingUnavailable'], maxAttempts: 2, interval: Duration.seconds(1), jitter: false } },
  });
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        'Validate order': async () => ({ valid: true }),
        'Reserve stock': async () => ({ reservation: 'r-1' }),
        'Price order': async () => ({ cents: 900 }),
        'Charge payment': async (input: { results: { Price_order: { cents: number } } }) => ({ charged: input.results.Price_order.cents }),
      },
    });
  });
  afterAll(async () => {
    await runner.close();
  });

  test('the children are in the nested stack ExpressChildren, and the library says so', () => {
    expect(workflow.expressChildren.map((c) => Stack.of(c).node.path)).toEqual(['TestStack/Orders/ExpressChildren', 'TestStack/Orders/ExpressChildren']);
    Annotations.fromStack(stack).hasInfo('/TestStack/Orders', Match.stringLikeRegexp('The 2 Express children are in 1 nested stack.*expressChildren.placement is NESTED_STACK'));
    // the parent starts the children through the nested stack's outputs
    const parent = JSON.stringify(templateOf(stack));
    expect(parent).toMatch(/"Fn::GetAtt":\["OrdersExpressChildrenNestedStack[^"]*","Outputs\.[^"]*ExpressGroup1StateMachine[^"]*"\]/);
  });

  test('success: each child runs in its own Express execution and the parent collects the results', async () => {
    const r = await runner.run({ orderId: 'o-1' });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executions.map((e) => [e.type, e.status])).toEqual([['STANDARD', 'SUCCEEDED'], ['EXPRESS', 'SUCCEEDED'], ['EXPRESS', 'SUCCEEDED']]);
    expect((r.output as any).results).toEqual({
      Validate_order: { valid: true }, Reserve_stock: { reservation: 'r-1' }, Price_order: { cents: 900 }, Charge_payment: { charged: 900 },
    });
  });

  test('a child failing once is retried by the parent as a whole', async () => {
    const r = await runner.run({ orderId: 'o-2' }, { faults: { 'Price order': Faults.failTimes(1, 'PricingUnavailable') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executions.map((e) => [e.type, e.status])).toEqual([['STANDARD', 'SUCCEEDED'], ['EXPRESS', 'SUCCEEDED'], ['EXPRESS', 'FAILED'], ['EXPRESS', 'SUCCEEDED']]);
    expect(r.calls).toMatchObject({ 'Price order': 2, 'Charge payment': 1 });
  });
});

test('a 200-step HybridWorkflow with a function per step (20 Express children) synthesizes within the limits, placing functions and children in nested stacks', () => {
  const app = new App(); // aws-cdk-lib's own 500-resource check stays on
  const stack = new Stack(app, 'Big', { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = Array.from({ length: 200 }, (_, i) => inlineFunction(stack, `F${i}`));
  const hybrid = new HybridWorkflow(stack, 'Hybrid', {
    steps: fns.map((f, i) => ({ step: Step.lambda(`S${i}`, f, { idempotent: true }), express: Math.floor(i / 5) % 2 === 1 })),
  });
  const assembly = app.synth();
  expect(hybrid.expressChildren).toHaveLength(20);
  const nested = nestedStacksUnder(stack);
  // the parent's function alarms watch all 200 functions (the children have none of their own): 2 alarm stacks of up to 150
  expect(nested.map((n) => n.node.id).sort()).toEqual(['ExpressChildren', 'ExpressChildren2', 'FunctionAlarms', 'FunctionAlarms2', 'WorkflowFunctions', 'WorkflowFunctions2']);
  expectEachStackWithinLimits([stack, ...nested]);
  const infos = assembly.getStackByName('Big').messages.filter((m) => m.level === 'info').map((m) => String(m.entry.data));
  expect(infos).toEqual(expect.arrayContaining([expect.stringMatching(/^The 20 Express children are in 2 nested stack\(s\).*already holds \d+ resources/)]));
});
