import { Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { Placement, Saga, Step } from '../../src';
import { LocalWorkflowRunner } from '../../src/testing';
import { inlineFunction, newStack } from '../util';

/*
 * Functions placed in nested stacks (Placement) are reached by the workflow across the
 * stacks: the generated machine runs locally like any other, compensations included.
 */
test('a saga whose functions live in a nested stack runs and compensates locally', async () => {
  const stack = newStack();
  const steps = ['Reserve', 'Charge', 'Ship'].map((name) => ({
    action: Step.lambda(name, inlineFunction(stack, name, { placement: Placement.NESTED_STACK })),
    compensation: Step.lambda(`Undo ${name}`, inlineFunction(stack, `Undo${name}`, { placement: Placement.NESTED_STACK })),
  }));
  const saga = new Saga(stack, 'Saga', { steps });
  const calls: string[] = [];
  const runner = await LocalWorkflowRunner.create(saga, {
    handlers: {
      'Reserve': async () => { calls.push('reserve'); return { ok: true }; },
      'Charge': async () => { calls.push('charge'); throw Object.assign(new Error('declined'), { name: 'PaymentDeclined' }); },
      'Ship': async () => { calls.push('ship'); return {}; },
      'Undo Reserve': async () => { calls.push('undo reserve'); return {}; },
      'Undo Charge': async () => { calls.push('undo charge'); return {}; },
    },
  });
  try {
    const result = await runner.run({ orderId: 'o-1' });
    expect(result.status).toBe('FAILED');
    expect(calls).toEqual(['reserve', 'charge', 'undo reserve']);
  } finally {
    await runner.close();
  }
});

test('aspects on a moved function or a construct around it (Tags.of) reach its resources in the nested stack', () => {
  const stack = newStack();
  const service = new Construct(stack, 'Billing');
  const fn = inlineFunction(service, 'Charge', { placement: Placement.NESTED_STACK });
  Tags.of(service).add('team', 'billing');
  Tags.of(fn).add('cost-center', '42');
  const nested = Stack.of(fn.function);
  expect(nested).not.toBe(stack);
  const template = Template.fromStack(nested);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Tags: Match.arrayWith([{ Key: 'cost-center', Value: '42' }, { Key: 'team', Value: 'billing' }]),
  });
  template.hasResourceProperties('AWS::IAM::Role', {
    Tags: Match.arrayWith([{ Key: 'cost-center', Value: '42' }, { Key: 'team', Value: 'billing' }]),
  });
});
