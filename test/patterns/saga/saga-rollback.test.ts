/**
 * The generated saga EXECUTED with the local runner: a 6-step saga, Standard and Express,
 * failing at each step in turn, plus compensation retries, a stuck compensation and the
 * transition cost compared with a hand-written chain of the same Lambda tasks.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Saga, SagaStep, Step, WorkflowFunction, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner, RunResult, TaskHandler, TaskHandlerContext } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

const N = 6;
/** The saga's first state: the check of the reserved input keys. */
const CHECK = 'Saga: check input';
const actions = Array.from({ length: N }, (_, i) => `Step ${i + 1}`);
/** Steps 1..N-1 are compensated; the last one is not (nothing after it can fail). */
const compensations = Array.from({ length: N - 1 }, (_, i) => `Undo ${i + 1}`);

// GIVEN one stack: the saga as Standard and as Express, and a hand-written minimal chain of the same actions
const stack = newStack();
const fns: WorkflowFunction[] = actions.map((_, i) => inlineFunction(stack, `Fn${i + 1}`));
function sagaSteps(): SagaStep[] {
  return actions.map((name, i) => ({
    action: Step.lambda(name, fns[i]),
    compensation: i < N - 1 ? Step.lambda(compensations[i], fns[i]) : undefined,
  }));
}
const standard = new Saga(stack, 'Standard', { steps: sagaSteps() });
const express = new Saga(stack, 'Express', { type: WorkflowType.EXPRESS, steps: sagaSteps() });
// the baseline: plain aws-cdk-lib LambdaInvoke tasks on the same aliases, chained, nothing else
let baselineChain: sfn.Chain | undefined;
actions.forEach((name, i) => {
  const task = new tasks.LambdaInvoke(stack, `Baseline ${name}`, {
    stateName: name,
    lambdaFunction: fns[i].alias,
    payloadResponseOnly: true,
    resultPath: `$.results.Step_${i + 1}`,
  });
  baselineChain = baselineChain ? baselineChain.next(task) : sfn.Chain.start(task);
});
const baseline = new sfn.StateMachine(stack, 'Baseline', { definitionBody: sfn.DefinitionBody.fromChainable(baselineChain!) });

/** Every event a handler received, per execution name, in call order. */
const events = new Map<string, Array<{ state: string; event: any }>>();
function recording(result: (event: any, ctx: TaskHandlerContext) => unknown): TaskHandler {
  return async (event, ctx) => {
    const list = events.get(ctx.executionName) ?? [];
    list.push({ state: ctx.stateName, event });
    events.set(ctx.executionName, list);
    return result(event, ctx);
  };
}
const handlers: Record<string, TaskHandler> = {};
actions.forEach((name, i) => { handlers[name] = recording(() => ({ step: i + 1, ref: `ref-${i + 1}` })); });
compensations.forEach((name) => { handlers[name] = recording(() => ({ undone: true })); });

const runners: Record<'STANDARD' | 'EXPRESS', LocalWorkflowRunner> = {} as any;
let baselineRunner: LocalWorkflowRunner;
let seq = 0;

beforeAll(async () => {
  runners.STANDARD = await LocalWorkflowRunner.create(standard, { handlers });
  runners.EXPRESS = await LocalWorkflowRunner.create(express, { handlers });
  baselineRunner = await LocalWorkflowRunner.create(baseline, { handlers: Object.fromEntries(actions.map((a) => [a, handlers[a]])) });
});

afterAll(async () => {
  await Promise.all([runners.STANDARD?.close(), runners.EXPRESS?.close(), baselineRunner?.close()]);
});

const TYPES = ['STANDARD', 'EXPRESS'] as const;
const nextName = (tag: string) => `${tag}-${++seq}`;
const order = () => ({ orderId: `o-${seq}`, amount: 42 });

function expectRollbackOf(result: RunResult, k: number, error: string, cause: string): void {
  // exactly the compensations k-1..1, each once, in reverse order, after the failed action
  const expectedCompensations = compensations.slice(0, k - 1).reverse();
  expect(result.statesEntered).toEqual([CHECK, ...actions.slice(0, k), ...expectedCompensations, 'Rollback complete', 'Saga rolled back']);
  const expectedCalls: Record<string, number> = {};
  actions.slice(0, k).forEach((a) => { expectedCalls[a] = 1; });
  expectedCompensations.forEach((c) => { expectedCalls[c] = 1; });
  expect(result.calls).toEqual(expectedCalls);
  // the final error is the original one
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe(error);
  expect(result.cause).toBe(cause);
}

describe.each(TYPES)('Saga (%s) executed', (type) => {
  test('happy path: each action runs once, no compensation, results under $.results, idempotency keys in the input', async () => {
    // WHEN
    const name = nextName(`happy-${type}`);
    const input = order();
    const result = await runners[type].run(input, { executionName: name });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual([CHECK, ...actions]);
    expect(result.calls).toEqual(Object.fromEntries(actions.map((a) => [a, 1])));
    expect(result.retries).toEqual([]);
    expect(result.executions[0].type).toBe(type);
    expect(result.output).toEqual({
      ...input,
      results: Object.fromEntries(actions.map((_, i) => [`Step_${i + 1}`, { step: i + 1, ref: `ref-${i + 1}` }])),
    });
    const received = events.get(name)!;
    expect(received.map((e) => e.state)).toEqual(actions);
    expect(received[0].event).toEqual({ input, idempotencyKey: `${name}:Step 1` });
    expect(received[2].event).toEqual({
      input: { ...input, results: { Step_1: { step: 1, ref: 'ref-1' }, Step_2: { step: 2, ref: 'ref-2' } } },
      idempotencyKey: `${name}:Step 3`,
    });
  });

  test.each(Array.from({ length: N }, (_, i) => i + 1))('failure at step %i: compensations k-1..1 run once each in reverse, then the original error', async (k) => {
    // GIVEN step k fails with a non-retryable business error
    const failing = actions[k - 1];
    const cause = `order declined at ${failing}`;

    // WHEN
    const name = nextName(`fail-${type}-${k}`);
    const result = await runners[type].run(order(), { executionName: name, faults: { [failing]: Faults.fail('OrderDeclined', { cause }) } });

    // THEN
    expectRollbackOf(result, k, 'OrderDeclined', cause);
    expect(result.retries).toEqual([]);
    // the rollback costs one transition per compensation plus a constant (3: the input check, Rollback complete and the Fail)
    expect(result.transitions).toBe(k + (k - 1) + 3);
  });
});

describe('Saga (STANDARD) rollback details', () => {
  const runner = () => runners.STANDARD;

  test('each compensation receives the original input, the completed step result, the error and its idempotency key', async () => {
    // GIVEN step 3 throws from its handler (a real Lambda function error)
    const name = nextName('payload');
    const input = order();
    runner().setHandler('Step 3', recording(() => {
      const err = new Error('card expired');
      err.name = 'PaymentDeclined';
      throw err;
    }));
    try {
      // WHEN
      const result = await runner().run(input, { executionName: name });

      // THEN the Lambda error name and its cause JSON are preserved to the end
      const cause = JSON.stringify({ errorType: 'PaymentDeclined', errorMessage: 'card expired', trace: [] });
      expectRollbackOf(result, 3, 'PaymentDeclined', cause);
      const undo2 = events.get(name)!.find((e) => e.state === 'Undo 2')!.event;
      expect(undo2).toEqual({
        input: {
          ...input,
          results: { Step_1: { step: 1, ref: 'ref-1' }, Step_2: { step: 2, ref: 'ref-2' } },
          saga: { error: { Error: 'PaymentDeclined', Cause: cause } },
        },
        result: { step: 2, ref: 'ref-2' },
        error: { Error: 'PaymentDeclined', Cause: cause },
        step: 'Step 2',
        stepFailed: false,
        idempotencyKey: `${name}:Undo 2`,
      });
      expect(events.get(name)!.find((e) => e.state === 'Undo 1')!.event.result).toEqual({ step: 1, ref: 'ref-1' });
    } finally {
      runner().setHandler('Step 3', handlers['Step 3']);
    }
  });

  test('an action failing with a transient error is retried first, then rolled back with that error', async () => {
    // WHEN step 4 is throttled on every attempt
    const result = await runner().run(order(), { executionName: nextName('throttled'), faults: { 'Step 4': Faults.fail('Lambda.TooManyRequestsException', { cause: 'Rate exceeded' }) } });

    // THEN 1 + 3 attempts, then compensations 3..1 and the original error
    expect(result.statesEntered).toEqual([CHECK, ...actions.slice(0, 4), 'Undo 3', 'Undo 2', 'Undo 1', 'Rollback complete', 'Saga rolled back']);
    expect(result.calls['Step 4']).toBe(4);
    expect(result.retries.map((r) => [r.state, r.intervalSeconds])).toEqual([['Step 4', 1], ['Step 4', 2], ['Step 4', 4]]);
    expect(result.error).toBe('Lambda.TooManyRequestsException');
    expect(result.cause).toBe('Rate exceeded');
  });

  test('a compensation failing twice then succeeding completes the rollback (backoff with full jitter)', async () => {
    // WHEN step 5 fails and Undo 2 fails twice before succeeding
    const result = await runner().run(order(), {
      executionName: nextName('flaky-undo'),
      faults: { 'Step 5': Faults.fail('OutOfStock', { cause: 'sku-1' }), 'Undo 2': Faults.failTimes(2, 'InventoryUnavailable') },
    });

    // THEN the rollback completes and the original error is reported
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OutOfStock');
    expect(result.cause).toBe('sku-1');
    expect(result.calls).toEqual({ 'Step 1': 1, 'Step 2': 1, 'Step 3': 1, 'Step 4': 1, 'Step 5': 1, 'Undo 4': 1, 'Undo 3': 1, 'Undo 2': 3, 'Undo 1': 1 });
    expect(result.retries.map(({ state, attempt, error, intervalSeconds, jitter }) => ({ state, attempt, error, intervalSeconds, jitter }))).toEqual([
      { state: 'Undo 2', attempt: 1, error: 'InventoryUnavailable', intervalSeconds: 1, jitter: 'FULL' },
      { state: 'Undo 2', attempt: 2, error: 'InventoryUnavailable', intervalSeconds: 2, jitter: 'FULL' },
    ]);
    expect(result.statesEntered).toEqual([CHECK, ...actions.slice(0, 5), 'Undo 4', 'Undo 3', 'Undo 2', 'Undo 1', 'Rollback complete', 'Saga rolled back']);
    expect(result.metrics).toEqual([]);
  });

  test('a compensation failing forever ends in Saga.CompensationFailed naming the step, and is counted by the metric', async () => {
    // WHEN step 6 fails and Undo 3 never succeeds
    const name = nextName('stuck');
    const result = await runner().run(order(), {
      executionName: name,
      faults: { 'Step 6': Faults.fail('ShippingFailed', { cause: 'carrier down' }), 'Undo 3': Faults.fail('LedgerLocked', { cause: 'locked by batch' }) },
    });

    // THEN the rollback stops at Undo 3: Undo 2 and Undo 1 never run
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Saga.CompensationFailed');
    expect(result.cause).toBe(
      "Compensation 'Undo 3' of step 'Step 3' failed after its retries with {\"Error\":\"LedgerLocked\",\"Cause\":\"locked by batch\"}. " +
      "The rollback stopped: 'Step 3' and the steps before it are NOT compensated and need manual repair. " +
      'The rollback was started by {"Error":"ShippingFailed","Cause":"carrier down"}.',
    );
    expect(result.statesEntered).toEqual([CHECK, ...actions, 'Undo 5', 'Undo 4', 'Undo 3', 'Undo 3 failed', 'Record compensation failure', 'Saga compensation failed']);
    expect(result.calls['Undo 3']).toBe(6); // 1 attempt + 5 retries
    expect(result.calls['Undo 2']).toBeUndefined();
    expect(result.calls['Undo 1']).toBeUndefined();
    expect(result.retries.map((r) => r.intervalSeconds)).toEqual([1, 2, 4, 8, 16]);
    const stateMachineName = runner().stateMachineArn.split(':').pop();
    expect(result.metrics).toEqual([{
      state: 'Record compensation failure',
      namespace: 'CdkStatefulWorkflows',
      executionName: name,
      metricData: [{ MetricName: 'SagaCompensationFailed', Unit: 'Count', Value: 1, Dimensions: [{ Name: 'StateMachineName', Value: stateMachineName }] }],
    }]);
    expect(runner().metrics).toEqual(expect.arrayContaining(result.metrics));
  });

  test('if even the metric cannot be published, the execution still ends in Saga.CompensationFailed', async () => {
    const result = await runner().run(order(), {
      executionName: nextName('no-metric'),
      faults: {
        'Step 2': Faults.fail('Boom'),
        'Undo 1': Faults.fail('Down'),
        'Record compensation failure': Faults.fail('CloudWatch.InternalServiceError'),
      },
    });
    expect(result.error).toBe('Saga.CompensationFailed');
    expect(result.cause).toMatch(/^Compensation 'Undo 1' of step 'Step 1' failed after its retries/);
    expect(result.calls['Record compensation failure']).toBe(3);
  });
});

describe('reserved input keys are refused at run time', () => {
  test.each(['saga', 'results'])('an input with the key %s fails with Saga.ReservedInputKey naming it, before any step runs', async (key) => {
    // GIVEN an input that uses a key the saga keeps its own state under
    const input = { ...order(), [key]: { mine: true } };

    // WHEN
    const result = await runners.STANDARD.run(input, { executionName: nextName(`reserved-${key}`) });

    // THEN no step ran and the error names the key
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Saga.ReservedInputKey');
    expect(result.error).toBe(Saga.RESERVED_INPUT_KEY_ERROR);
    expect(result.cause).toContain(`The execution input has the key '${key}', which the saga reserves`);
    expect(result.statesEntered).toEqual([CHECK, `Saga: reserved input key ${key}`]);
    expect(result.calls).toEqual({});
  });
});

describe('transition cost compared with a hand-written chain of the same Lambda tasks', () => {
  test('the happy path costs the transitions of the minimal chain plus one (the reserved-key input check), Standard and Express', async () => {
    // WHEN the same input runs through the baseline and both sagas
    const input = order();
    const base = await baselineRunner.run(input, { executionName: nextName('baseline') });
    const std = await runners.STANDARD.run(input, { executionName: nextName('vs-baseline') });
    const exp = await runners.EXPRESS.run(input, { executionName: nextName('vs-baseline') });

    // THEN
    expect(base.status).toBe('SUCCEEDED');
    expect(base.transitions).toBe(N);
    expect(std.transitions).toBe(base.transitions + 1);
    expect(exp.transitions).toBe(base.transitions + 1);
    expect(std.statesEntered).toEqual([CHECK, ...base.statesEntered]);
  });
});
