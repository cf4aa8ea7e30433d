import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { machineId, taskStatements } from './fixtures';
import { ChildWorkflowStep, HybridWorkflow, IWorkflowStep, Step, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner, TaskHandler } from '../../../src/testing';
import { aslOf, inlineFunction, logicalIdOf, newStack, thrownMessage } from '../../util';

// GIVEN an order workflow: validate + enrich (Express child 1), reserve stock (Standard), price +
// discounts (Express child 2), charge + ship (Standard); InvalidOrder and PaymentDeclined are handled
// by 'Reject order'; an Express child is retried as a whole on PricingUnavailable.
const stack = newStack();
const fns = Object.fromEntries(['Validate', 'Enrich', 'Reserve', 'Price', 'Discount', 'Charge', 'Ship', 'Reject']
  .map((id) => [id, inlineFunction(stack, id, { provisionedConcurrency: 0, timeout: Duration.seconds(10) })]));
const express = { idempotent: true, timeout: Duration.seconds(15) };
const workflow = new HybridWorkflow(stack, 'Orders', {
  steps: [
    { step: Step.lambda('Validate order', fns.Validate, { ...express, nonRetryableErrors: ['InvalidOrder'] }), express: true },
    { step: Step.lambda('Enrich order', fns.Enrich, express), express: true },
    { step: Step.lambda('Reserve stock', fns.Reserve) },
    { step: Step.lambda('Price order', fns.Price, express), express: true },
    { step: Step.lambda('Apply discounts', fns.Discount, express), express: true },
    { step: Step.lambda('Charge payment', fns.Charge, { nonRetryableErrors: ['PaymentDeclined'] }) },
    { step: Step.lambda('Ship order', fns.Ship) },
  ],
  catches: [{ errors: ['InvalidOrder', 'PaymentDeclined'], handler: Step.lambda('Reject order', fns.Reject) }],
  expressChildren: { retry: { errors: ['PricingUnavailable'], maxAttempts: 2, interval: Duration.seconds(2), jitter: false } },
});
const template = Template.fromStack(stack);
const parentId = machineId(template, 'Orders');
const child1 = machineId(template, 'OrdersExpressGroup1');
const child2 = machineId(template, 'OrdersExpressGroup2');
const GROUP1 = 'Validate order to Enrich order (express)';
const GROUP2 = 'Price order to Apply discounts (express)';

/** The FunctionErrors alarms (logical ids) whose description lists the function TestStack/`fn`. */
function errorAlarmsWatching(alarms: Record<string, any>, fn: string): string[] {
  return Object.keys(alarms).filter((id) => /FunctionErrors/.test(id) && new RegExp(`TestStack/${fn}(,|$)`).test(alarms[id].Properties.AlarmDescription));
}

describe('HybridWorkflow: generated machines', () => {
  test('consecutive express steps become one Express child each; the parent keeps the others', () => {
    expect(workflow.expressGroupStateNames).toEqual([GROUP1, GROUP2]);
    expect(workflow.expressChildren.map((c) => c.workflowType)).toEqual([WorkflowType.EXPRESS, WorkflowType.EXPRESS]);
    const asl = aslOf(template, parentId);
    expect(asl.StartAt).toBe(GROUP1);
    expect(Object.keys(asl.States)).toEqual([GROUP1, 'Reserve stock', GROUP2, 'Charge payment', 'Ship order', 'Reject order']);
    expect(aslOf(template, child1).States).toEqual({
      'Validate order': expect.objectContaining({ ResultPath: '$.results.Validate_order', Next: 'Enrich order' }),
      'Enrich order': expect.objectContaining({ ResultPath: '$.results.Enrich_order', End: true }),
    });
    expect(Object.keys(aslOf(template, child2).States)).toEqual(['Price order', 'Apply discounts']);
  });

  test('a group call takes back exactly the results known so far (nothing else from the child), with Retry and Catch on it', () => {
    const asl = aslOf(template, parentId);
    const group2 = asl.States[GROUP2];
    expect(group2).toMatchObject({
      Type: 'Parallel',
      OutputPath: '$[0]',
      Next: 'Charge payment',
      Retry: [{ ErrorEquals: ['PricingUnavailable'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'NONE' }],
      Catch: [{ ErrorEquals: ['InvalidOrder', 'PaymentDeclined'], ResultPath: '$.error', Next: 'Reject order' }],
    });
    expect(group2.Branches[0].States[`${GROUP2} - run`]).toEqual({
      Type: 'Task',
      Resource: 'arn:${AWS::Partition}:states:::states:startExecution.sync:2',
      Parameters: { 'StateMachineArn': `\${Ref:${child2}}`, 'Input.$': 'States.JsonMerge($.state, $.correlation, false)' },
      TimeoutSeconds: 305,
      ResultSelector: {
        'Validate_order.$': '$.Output.results.Validate_order',
        'Enrich_order.$': '$.Output.results.Enrich_order',
        'Reserve_stock.$': '$.Output.results.Reserve_stock',
        'Price_order.$': '$.Output.results.Price_order',
        'Apply_discounts.$': '$.Output.results.Apply_discounts',
      },
      ResultPath: '$.state.results',
      OutputPath: '$.state',
      Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: `${GROUP2} - check` }],
      End: true,
    });
    expect(asl.States['Reserve stock']).toMatchObject({ ResultPath: '$.results.Reserve_stock', Next: GROUP2, Catch: [{ ErrorEquals: ['InvalidOrder', 'PaymentDeclined'], ResultPath: '$.error', Next: 'Reject order' }] });
    expect(asl.States['Reject order']).toMatchObject({ ResultPath: '$.results.Reject_order', End: true });
    expect(asl.States['Reject order'].Catch).toBeUndefined();
  });

  test('Express children: logging ALL, tracing, 5-minute timeout, each with its own execution alarms', () => {
    for (const id of [child1, child2]) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'EXPRESS',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      });
      expect(aslOf(template, id).TimeoutSeconds).toBe(300);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
      });
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
    // the functions of express steps are watched by the parent's function alarms, one set per
    // workflow (one aggregated FunctionErrors alarm, its description listing the functions); the
    // children have execution alarms only
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const watching = (fn: string) => errorAlarmsWatching(alarms, fn);
    expect(watching('Validate')).toEqual([expect.stringMatching(/^OrdersAlarmsFunctionErrors/)]);
    expect(watching('Charge')).toEqual([expect.stringMatching(/^OrdersAlarmsFunctionErrors/)]);
    expect(Object.keys(alarms).filter((id) => /ExpressGroup\d+AlarmsFunction/.test(id))).toEqual([]);
  });

  test('alarms: expressChildren.alarms that configures function alarms gives each child its own, and the parent watches only its own steps\' functions', () => {
    const s = newStack();
    const check = inlineFunction(s, 'Check', { provisionedConcurrency: 0, timeout: Duration.seconds(10) });
    const book = inlineFunction(s, 'Book', { provisionedConcurrency: 0 });
    new HybridWorkflow(s, 'H', {
      steps: [{ step: Step.lambda('Check', check, express), express: true }, { step: Step.lambda('Book', book) }],
      expressChildren: { alarms: { functionErrors: { threshold: 3 } } },
    });
    const alarms = Template.fromStack(s).findResources('AWS::CloudWatch::Alarm');
    const watching = (fn: string) => errorAlarmsWatching(alarms, fn);
    expect(watching('Check')).toEqual([expect.stringMatching(/^HExpressGroup1AlarmsFunctionErrors/)]);
    expect(watching('Book')).toEqual([expect.stringMatching(/^HAlarmsFunctionErrors/)]);
    expect(alarms[watching('Check')[0]].Properties.Threshold).toBe(3);
  });

  test('alarms: a child\'s execution alarms do not notify (the parent retries or catches a failed child; what it does not absorb fails the parent, whose alarm notifies); notify: true restores them', () => {
    const s = newStack();
    const topic = new sns.Topic(s, 'OnCall');
    const f = inlineFunction(s, 'F', { provisionedConcurrency: 0, timeout: Duration.seconds(10) });
    const build = (id: string, childAlarms?: object) => new HybridWorkflow(s, id, {
      steps: [{ step: Step.lambda(`${id} check`, f, express), express: true }, { step: Step.lambda(`${id} book`, f) }],
      alarms: { topic },
      expressChildren: childAlarms ? { alarms: { topic, ...childAlarms } } : undefined,
    });
    const quiet = build('Quiet');
    const loud = build('Loud', { executionsFailed: { notify: true } });
    const actionsOf = (w: HybridWorkflow) => w.alarms!.alarms.map((a) => [a.node.id, w.alarms!.notifyingAlarms.includes(a)]);
    expect(actionsOf(quiet)).toEqual(expect.arrayContaining([['ExecutionsFailed', true], ['ExecutionsTimedOutAbortedOrThrottled', true]]));
    expect(actionsOf(quiet.expressChildren[0] as any)).toEqual(expect.arrayContaining([['ExecutionsFailed', false], ['ExecutionsTimedOutAbortedOrThrottled', false]]));
    expect(actionsOf(loud.expressChildren[0] as any)).toEqual(expect.arrayContaining([['ExecutionsFailed', true]]));
    const t = Template.fromStack(s);
    const childFailed = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.MetricName === 'ExecutionsFailed' && JSON.stringify(a.Properties.Dimensions).includes('ExpressGroup1'));
    expect(childFailed.map((a) => (a.Properties.AlarmActions ?? []).length).sort()).toEqual([0, 1]);
  });

  test('IAM: the parent starts and follows its children and invokes only the Standard steps; each child invokes its own steps', () => {
    const parentStatements = taskStatements(template, 'Orders');
    // one merged statement lists every alias (LibraryRole, issue 12)
    const invoked = parentStatements.filter((s) => s.Action === 'lambda:InvokeFunction').flatMap((s) => [s.Resource].flat().map((r: any) => r.Ref)).sort();
    expect(invoked).toEqual(['Charge', 'Reject', 'Reserve', 'Ship'].map((f) => logicalIdOf(template, 'AWS::Lambda::Alias', f)).sort());
    const started = parentStatements.filter((s) => s.Action === 'states:StartExecution').map((s) => s.Resource);
    expect(started).toEqual([{ Ref: child1 }, { Ref: child2 }]);
    const childInvoked = taskStatements(template, 'OrdersExpressGroup1').filter((s) => s.Action === 'lambda:InvokeFunction').flatMap((s) => [s.Resource].flat().map((r: any) => r.Ref)).sort();
    expect(childInvoked).toEqual(['Enrich', 'Validate'].map((f) => logicalIdOf(template, 'AWS::Lambda::Alias', f)).sort());
  });
});

describe('HybridWorkflow: bad input fails at synth time with the step, the reason and the fix', () => {
  const fnIn = (s: ReturnType<typeof newStack>) => inlineFunction(s, 'Fn', { provisionedConcurrency: 0 });

  test('an express step that is not idempotent', () => {
    const s = newStack();
    expect(() => new HybridWorkflow(s, 'H', { steps: [{ step: Step.lambda('Charge', fnIn(s), { timeout: Duration.seconds(10) }), express: true }] }))
      .toThrow(/\[TestStack\/H\] step 'Charge' is marked express but is not idempotent: Express workflows are at-least-once and run at most 5 minutes, so the step may run twice\. Make it idempotent and declare idempotent: true/);
  });

  test('an express step without a declared timeout', () => {
    const s = newStack();
    expect(() => new HybridWorkflow(s, 'H', { steps: [{ step: Step.awsSdk('Look up', { service: 's3', action: 'headObject', iamResources: ['*'], idempotent: true }), express: true }] }))
      .toThrow(/step 'Look up' is marked express but declares no timeout/);
  });

  test('an express step with a timeout beyond 5 minutes', () => {
    const s = newStack();
    const long = inlineFunction(s, 'Long', { provisionedConcurrency: 0, timeout: Duration.minutes(10) });
    expect(() => new HybridWorkflow(s, 'H', { steps: [{ step: Step.lambda('Crunch', long, { idempotent: true }), express: true }] }))
      .toThrow(/step 'Crunch' is marked express but its timeout is 10 minutes 5 seconds, longer than the Express child's 5 minutes.*Shorten the step's timeout, or drop express/);
  });

  test('an express group whose declared timeouts add up beyond the child timeout', () => {
    const s = newStack();
    const f = fnIn(s);
    expect(() => new HybridWorkflow(s, 'H', {
      steps: [
        { step: Step.lambda('A', f, { idempotent: true, timeout: Duration.minutes(3) }), express: true },
        { step: Step.lambda('B', f, { idempotent: true, timeout: Duration.minutes(3) }), express: true },
      ],
    })).toThrow(/the express steps 'A', 'B' \(Express child 1\) declare 360 s of timeouts in total, more than the Express child's 5 minutes; the steps before 'B' fit\. .*split the group with a Standard step \(drop express on 'B' or an earlier one/);
  });

  test('a 1,000-step express group: the error names the first and last steps, the count, and where to split', () => {
    const s = newStack();
    const f = fnIn(s);
    const steps = Array.from({ length: 1000 }, (_, i) => ({
      step: Step.lambda(`S${i + 1}`, f, { idempotent: true, timeout: Duration.seconds(30) }), express: true,
    }));
    const message = thrownMessage(() => new HybridWorkflow(s, 'H', { steps }));
    // 10 x 30 s fit in the child's 5 minutes; the 11th is where a Standard step must split the group
    expect(message).toMatch(/^\[TestStack\/H\] the express steps 'S1', 'S2', 'S3', 'S4', 'S5', … 'S1000' \(1000 steps\) \(Express child 1\) declare 30000 s of timeouts in total, more than the Express child's 5 minutes; the steps before 'S11' fit\./);
    expect(message.length).toBeLessThan(500);
  });

  test('an express step that waits for a callback (.waitForTaskToken)', () => {
    const s = newStack();
    const approval: IWorkflowStep = {
      name: 'Wait for approval',
      idempotent: true,
      timeout: Duration.seconds(30),
      waitsForCallback: true,
      bind: (scope) => ({ state: new sfn.Pass(scope, 'Wait for approval') }),
    };
    expect(() => new HybridWorkflow(s, 'H', { steps: [{ step: approval, express: true }] }))
      .toThrow(/step 'Wait for approval' is marked express but waits for a callback \(\.waitForTaskToken\), which Express workflows do not support/);
  });

  test('an express step calling a Standard child with .sync', () => {
    const s = newStack();
    const audit = new HybridWorkflow(s, 'Audit', { steps: [{ step: Step.pass('Record') }] });
    expect(() => new HybridWorkflow(s, 'H', { steps: [{ step: Step.childWorkflow('Audit', audit, { idempotent: true, timeout: Duration.seconds(30) }), express: true }] }))
      .toThrow(/step 'Audit': an Express workflow cannot call the Standard workflow TestStack\/Audit synchronously/);
  });

  test('a child workflow calling its own parent', () => {
    const s = newStack();
    const f = fnIn(s);
    const audit = new HybridWorkflow(s, 'Audit', { steps: [{ step: Step.lambda('Record', f, { idempotent: true, timeout: Duration.seconds(5) }), express: true }] });
    // WHEN a step calling Audit is rendered into Audit's own Express child
    const callParent = new ChildWorkflowStep('Call parent', audit);
    expect(() => callParent.bind(audit.expressChildren[0], { workflowType: WorkflowType.EXPRESS }))
      .toThrow(/\[TestStack\/Audit\/ExpressGroup1\] step 'Call parent' calls workflow TestStack\/Audit, which contains this step: a workflow cannot call itself or its own parent synchronously/);
  });

  test('an Express type, an empty step list, duplicate names, a non-ALL child log level, a catch without errors', () => {
    const s = newStack();
    expect(() => new HybridWorkflow(s, 'H1', { type: WorkflowType.EXPRESS, steps: [{ step: Step.pass('P') }] }))
      .toThrow(/\[TestStack\/H1\] type is EXPRESS, but a HybridWorkflow's parent is always STANDARD/);
    expect(() => new HybridWorkflow(s, 'H2', { steps: [] })).toThrow(/\[TestStack\/H2\] steps is empty/);
    expect(() => new HybridWorkflow(s, 'H3', { steps: [{ step: Step.pass('Same'), express: true }, { step: Step.pass('Same') }] }))
      .toThrow(/the step name 'Same' is used twice\. Step names must be unique in a HybridWorkflow, including the steps that run in Express children/);
    expect(() => new HybridWorkflow(s, 'H4', { steps: [{ step: Step.pass('P') }], expressChildren: { logging: { level: sfn.LogLevel.ERROR } } }))
      .toThrow(/expressChildren\.logging\.level is ERROR; Express workflows keep no execution history/);
    expect(() => new HybridWorkflow(s, 'H5', { steps: [{ step: Step.pass('P') }], catches: [{ errors: [], handler: Step.pass('Q') }] }))
      .toThrow(/catch handler 'Q' has no errors/);
  });
});

describe('HybridWorkflow: executed with the local runner (parent and children)', () => {
  const handlers: Record<string, TaskHandler> = {
    'Validate order': async (order: { orderId: string; items: unknown[] }) => {
      if (order.items.length === 0) {
        throw Object.assign(new Error(`order ${order.orderId} has no items`), { name: 'InvalidOrder' });
      }
      return { valid: true };
    },
    'Enrich order': async () => ({ tier: 'gold' }),
    'Reserve stock': async (order: { orderId: string }) => ({ reservation: `r-${order.orderId}` }),
    'Price order': async () => ({ subtotalCents: 1000 }),
    'Apply discounts': async (input: { results: { Enrich_order: { tier: string }; Price_order: { subtotalCents: number } } }) =>
      ({ totalCents: input.results.Enrich_order.tier === 'gold' ? input.results.Price_order.subtotalCents * 0.9 : input.results.Price_order.subtotalCents }),
    'Charge payment': async (input: { orderId: string; card: string; results: { Apply_discounts: { totalCents: number } } }) => {
      if (input.card === 'declined') {
        throw Object.assign(new Error('card declined'), { name: 'PaymentDeclined' });
      }
      return { charged: input.results.Apply_discounts.totalCents };
    },
    'Ship order': async (order: { orderId: string }) => ({ trackingId: `t-${order.orderId}` }),
    'Reject order': async (input: { error: { Error: string } }) => ({ rejected: input.error.Error }),
  };
  const order = (extra: Record<string, unknown> = {}) => ({ orderId: 'o-1', card: 'ok', items: [{ sku: 'sku-book' }], ...extra });
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, { handlers });
  });
  afterAll(async () => {
    await runner.close();
  });

  test('success: each step runs once, in its machine; the results read as if every step ran inline', async () => {
    const r = await runner.run(order());
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({
      ...order(),
      results: {
        Validate_order: { valid: true },
        Enrich_order: { tier: 'gold' },
        Reserve_stock: { reservation: 'r-o-1' },
        Price_order: { subtotalCents: 1000 },
        Apply_discounts: { totalCents: 900 },
        Charge_payment: { charged: 900 },
        Ship_order: { trackingId: 't-o-1' },
      },
    });
    expect(r.executions.map((e) => [e.stateMachine, e.type, e.status, e.statesEntered])).toEqual([
      [parentId, 'STANDARD', 'SUCCEEDED', [GROUP1, `${GROUP1} - run`, 'Reserve stock', GROUP2, `${GROUP2} - run`, 'Charge payment', 'Ship order']],
      [child1, 'EXPRESS', 'SUCCEEDED', ['Validate order', 'Enrich order']],
      [child2, 'EXPRESS', 'SUCCEEDED', ['Price order', 'Apply discounts']],
    ]);
    expect(r.executions[2].input).toMatchObject({ AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: r.executionArn, results: { Reserve_stock: { reservation: 'r-o-1' } } });
  });

  test('a failure inside an Express child is caught by the parent under the child step error name', async () => {
    const r = await runner.run(order({ items: [] }));
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executions[1]).toMatchObject({ stateMachine: child1, status: 'FAILED', error: 'InvalidOrder' });
    expect((r.output as any).error.Error).toBe('InvalidOrder');
    expect(JSON.parse((r.output as any).error.Cause)).toEqual({ errorType: 'InvalidOrder', errorMessage: 'order o-1 has no items', trace: [] });
    expect((r.output as any).results).toEqual({ Reject_order: { rejected: 'InvalidOrder' } });
    expect(r.calls['Reserve stock']).toBeUndefined();
  });

  test('a failure in a Standard step is caught by the same handler', async () => {
    const r = await runner.run(order({ card: 'declined' }));
    expect(r.status).toBe('SUCCEEDED');
    expect((r.output as any).results.Reject_order).toEqual({ rejected: 'PaymentDeclined' });
    expect(r.calls['Charge payment']).toBe(1);
    expect(r.calls['Ship order']).toBeUndefined();
  });

  test('an Express child is retried by the parent as a whole (its steps are idempotent), with the configured schedule', async () => {
    const r = await runner.run(order(), { faults: { 'Apply discounts': Faults.failTimes(1, 'PricingUnavailable') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.retries).toEqual([{ state: GROUP2, attempt: 1, error: 'PricingUnavailable', intervalSeconds: 2, jitter: 'NONE', execution: 0 }]);
    expect(r.executions.map((e) => [e.stateMachine, e.status])).toEqual([
      [parentId, 'SUCCEEDED'], [child1, 'SUCCEEDED'], [child2, 'FAILED'], [child2, 'SUCCEEDED'],
    ]);
    expect(r.calls).toMatchObject({ 'Validate order': 1, 'Price order': 2, 'Apply discounts': 2, 'Charge payment': 1 });
  });

  test('an Express child that keeps failing fails the parent with the child step error once the retries are spent', async () => {
    const r = await runner.run(order(), { faults: { 'Price order': Faults.fail('PricingUnavailable', { cause: 'pricing is down' }) } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('PricingUnavailable');
    expect(r.cause).toBe('pricing is down');
    expect(r.retries.map((x) => [x.state, x.intervalSeconds])).toEqual([[GROUP2, 2], [GROUP2, 4]]);
    expect(r.calls['Charge payment']).toBeUndefined();
  });
});
