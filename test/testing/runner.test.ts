import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { newStack, OrderWorkflow } from './fixtures';
import { Faults, LocalWorkflowRunner, TaskHandler } from '../../src/testing';

const stack = newStack();
const workflow = new OrderWorkflow(stack, 'Order');

const shipped: string[] = [];
const handlers: Record<string, TaskHandler> = {
  'Reserve funds': async (event: { orderId: string; amount: number }) => ({ reservationId: `r-${event.orderId}`, amount: event.amount }),
  'Charge card': async (event: { orderId: string; card?: string }) => {
    if (event.card === 'declined') {
      const err = new Error(`card of ${event.orderId} declined`);
      err.name = 'PaymentDeclined';
      throw err;
    }
    return { chargeId: `c-${event.orderId}` };
  },
  'Release funds': async () => ({ released: true }),
  'Ship': async (event: { orderId: string }) => {
    shipped.push(event.orderId);
    return { trackingId: `t-${event.orderId}` };
  },
};

let runner: LocalWorkflowRunner;
let ids = 0;
const newOrder = (extra: Record<string, unknown> = {}) => ({ orderId: `o-${++ids}`, amount: 42, ...extra });

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers });
});

afterAll(async () => {
  await runner.close();
});

describe('LocalWorkflowRunner with Lambda and DynamoDB tasks', () => {
  test('success path: every step runs once, output and DynamoDB item are real', async () => {
    // GIVEN
    const order = newOrder();

    // WHEN
    const result = await runner.run(order, { executionName: 'happy' });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      orderId: order.orderId,
      charge: { chargeId: `c-${order.orderId}` },
      shipment: { trackingId: `t-${order.orderId}` },
      execution: 'happy',
    });
    expect(result.statesEntered).toEqual(['Reserve funds', 'Save order', 'Charge card', 'Ship', 'Emit metric', 'Done']);
    expect(result.transitions).toBe(6);
    expect(result.calls).toEqual({ 'Reserve funds': 1, 'Save order': 1, 'Charge card': 1, 'Ship': 1, 'Emit metric': 1 });
    expect(result.retries).toEqual([]);
    expect(result.executions).toHaveLength(1);
    expect(result.executions[0]).toMatchObject({ stateMachine: runner.stateMachineLogicalId, type: 'STANDARD', status: 'SUCCEEDED', transitions: 6 });
    expect(result.executionArn).toBe(`${runner.stateMachineArn.replace(':stateMachine:', ':execution:')}:happy`);

    const item = await runner.dynamodb.send(new GetItemCommand({ TableName: runner.tableName(workflow.table), Key: { pk: { S: order.orderId } } }));
    expect(item.Item).toEqual({ pk: { S: order.orderId }, amount: { N: '42' } });

    expect(result.metrics).toEqual([
      {
        state: 'Emit metric',
        namespace: 'Orders',
        executionName: 'happy',
        metricData: [{ MetricName: 'OrderCompleted', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'Workflow', Value: expect.stringMatching(/^OrderStateMachine/) }] }],
      },
    ]);
    expect(runner.metrics).toEqual(expect.arrayContaining(result.metrics));
  });

  test('transient failures are retried and the intended backoff schedule is recorded', async () => {
    // GIVEN Reserve funds is throttled 3 times (retrier: 2 s, x3, max 10 s, 4 attempts)
    const faults = { 'Reserve funds': Faults.failTimes(3, 'Lambda.TooManyRequestsException') };

    // WHEN
    const result = await runner.run(newOrder(), { faults });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.calls['Reserve funds']).toBe(4);
    expect(result.retries).toEqual([
      { state: 'Reserve funds', attempt: 1, error: 'Lambda.TooManyRequestsException', intervalSeconds: 2, jitter: 'NONE', execution: 0 },
      { state: 'Reserve funds', attempt: 2, error: 'Lambda.TooManyRequestsException', intervalSeconds: 6, jitter: 'NONE', execution: 0 },
      { state: 'Reserve funds', attempt: 3, error: 'Lambda.TooManyRequestsException', intervalSeconds: 10, jitter: 'NONE', execution: 0 },
    ]);
    expect(result.transitions).toBe(6 + 3);
  });

  test('retries stop at MaxAttempts and the error fails the execution', async () => {
    // WHEN Reserve funds is always throttled
    const result = await runner.run(newOrder(), { faults: { 'Reserve funds': Faults.fail('Lambda.TooManyRequestsException', { cause: 'Rate exceeded' }) } });

    // THEN 1 call + 4 retries, then the unhandled error is the execution's
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.TooManyRequestsException');
    expect(result.cause).toBe('Rate exceeded');
    expect(result.calls['Reserve funds']).toBe(5);
    expect(result.retries.map((r) => r.intervalSeconds)).toEqual([2, 6, 10, 10]);
    expect(result.statesEntered).toEqual(['Reserve funds']);
  });

  test('an error the retrier does not match is not retried', async () => {
    const result = await runner.run(newOrder(), { faults: { 'Reserve funds': Faults.failTimes(1, 'Lambda.ServiceException') } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.ServiceException');
    expect(result.retries).toEqual([]);
  });

  test('a handler error is caught, with Lambda-style error and cause in ResultPath', async () => {
    // GIVEN
    let released: unknown;
    runner.setHandler('Release funds', async (event) => {
      released = event;
      return { released: true };
    });
    const order = newOrder({ card: 'declined' });

    // WHEN
    const result = await runner.run(order);

    // THEN
    expect(result.statesEntered).toEqual(['Reserve funds', 'Save order', 'Charge card', 'Release funds', 'Order failed']);
    expect(released).toMatchObject({
      orderId: order.orderId,
      error: {
        Error: 'PaymentDeclined',
        Cause: JSON.stringify({ errorType: 'PaymentDeclined', errorMessage: `card of ${order.orderId} declined`, trace: [] }),
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OrderFailed');
    expect(result.cause).toBe('payment was declined');
    expect(result.calls.Ship).toBeUndefined();
    runner.setHandler('Release funds', handlers['Release funds']);
  });

  test('a timeout fault raises States.Timeout like an expired TimeoutSeconds', async () => {
    // WHEN
    const result = await runner.run(newOrder(), { faults: { Ship: Faults.timeout() } });

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
    expect(result.statesEntered.at(-1)).toBe('Ship');
    expect(result.calls.Ship).toBe(1);
  });

  test('a timeout fault with runHandler keeps the side effects of the handler', async () => {
    const order = newOrder();
    const result = await runner.run(order, { faults: { Ship: Faults.timeout({ runHandler: true }) } });
    expect(result.error).toBe('States.Timeout');
    expect(shipped).toContain(order.orderId);
  });

  test('two identical runs give identical state sequences and outputs', async () => {
    // GIVEN the same input, execution name and faults; the order item is deleted between runs
    const input = { orderId: 'same', amount: 7 };
    const faults = { 'Reserve funds': Faults.failTimes(2, 'Lambda.TooManyRequestsException') };
    const key = { TableName: runner.tableName(workflow.table), Key: { pk: { S: 'same' } } };

    // WHEN
    const a = await runner.run(input, { executionName: 'det', faults });
    await runner.dynamodb.send(new DeleteItemCommand(key));
    const b = await runner.run(input, { executionName: 'det', faults });

    // THEN
    expect(a.status).toBe('SUCCEEDED');
    expect(b.statesEntered).toEqual(a.statesEntered);
    expect(b.output).toEqual(a.output);
    expect(b.retries).toEqual(a.retries);
    expect(b.calls).toEqual(a.calls);
    expect(b.transitions).toBe(a.transitions);
    expect(a.output).toEqual({ orderId: 'same', charge: { chargeId: 'c-same' }, shipment: { trackingId: 't-same' }, execution: 'det' });
  });

  test('concurrent runs of the same workflow share dynalite and do not interfere', async () => {
    // GIVEN slow async handlers
    runner.setHandler('Charge card', async (event: { orderId: string }) => {
      await new Promise((r) => setTimeout(r, 20 + (Number(event.orderId.replace(/\D/g, '')) % 5) * 5));
      return { chargeId: `c-${event.orderId}` };
    });
    const orders = Array.from({ length: 8 }, () => newOrder());

    // WHEN
    const results = await Promise.all(orders.map((o) => runner.run(o)));

    // THEN
    results.forEach((r, i) => {
      expect(r.status).toBe('SUCCEEDED');
      expect((r.output as { orderId: string; charge: { chargeId: string } }).charge.chargeId).toBe(`c-${orders[i].orderId}`);
      expect(r.calls['Charge card']).toBe(1);
    });
    expect(new Set(results.map((r) => r.executionName)).size).toBe(8);
    runner.setHandler('Charge card', handlers['Charge card']);
  });

  test('the DynamoDB conditional write conflict surfaces as DynamoDB.ConditionalCheckFailedException', async () => {
    // GIVEN
    const order = newOrder();
    const first = await runner.run(order);

    // WHEN the same key is written again
    const second = await runner.run(order);

    // THEN
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(second.cause).toMatch(/^The conditional request failed/);
    expect(second.statesEntered).toEqual(['Reserve funds', 'Save order']);
  });

  test('crash after a step stops the run: earlier writes stay, later handlers are not called', async () => {
    // GIVEN
    const order = newOrder();
    const before = shipped.length;

    // WHEN
    const result = await runner.run(order, { faults: { 'Save order': Faults.crashAfter() } });

    // THEN
    expect(result.status).toBe('ABORTED');
    expect(result.crashedAfter).toBe('Save order');
    expect(result.output).toBeUndefined();
    expect(result.calls).toEqual({ 'Reserve funds': 1, 'Save order': 1 });
    expect(result.statesEntered).toEqual(['Reserve funds', 'Save order']);
    expect(shipped.length).toBe(before);
    const item = await runner.dynamodb.send(new GetItemCommand({ TableName: runner.tableName(workflow.table), Key: { pk: { S: order.orderId } } }));
    expect(item.Item?.pk).toEqual({ S: order.orderId });
  });

  test('a Lambda task without handler is a clear error listing the registered names', async () => {
    // GIVEN a runner without the Ship handler
    const { Ship: _ship, ...withoutShip } = handlers;
    const partial = await LocalWorkflowRunner.create(workflow, { handlers: withoutShip });
    try {
      // WHEN / THEN
      await expect(partial.run(newOrder())).rejects.toThrow(
        /no handler registered for Lambda task 'Ship'.*Registered handlers: 'Reserve funds', 'Charge card', 'Release funds'/,
      );
    } finally {
      await partial.close();
    }
  });

  test('faults and handlers naming unknown states are rejected', async () => {
    await expect(runner.run(newOrder(), { faults: { 'Reserve fund': Faults.crashAfter() } })).rejects.toThrow(/'Reserve fund', which is not a Task state/);
    expect(() => runner.setHandler('Shipp', async () => ({}))).toThrow(/'Shipp' is not a Task state/);
  });
});
