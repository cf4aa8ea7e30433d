/**
 * A mixed saga EXECUTED with the local runner: Lambda, AWS SDK (DynamoDB on dynalite) and
 * child-workflow steps, a step without compensation, steps that compensate their own failure,
 * a pivot and forward retries after it.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  CheckpointTable, IWorkflow, IWorkflowStep, Saga, SequentialWorkflow, Step, StepBindOptions, StepBinding,
} from '../../../src';
import { Faults, LocalWorkflowRunner, RunOptions, RunResult, TaskHandler } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

/**
 * A user-written step: runs a child workflow synchronously (`states:startExecution.sync:2`) with
 * the saga payload as its input, keeping the child's output. Shows that any IWorkflowStep fits.
 */
class ChildWorkflowStep implements IWorkflowStep {
  public readonly idempotent = false;
  public readonly waitsForCallback = false;
  public constructor(public readonly name: string, private readonly child: IWorkflow) {}
  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const task = new tasks.StepFunctionsStartExecution(scope, options.stateName ?? this.name, {
      stateMachine: this.child.stateMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: options.payload,
      resultSelector: { 'output.$': '$.Output' },
      resultPath: options.resultPath,
    });
    return { state: task };
  }
}

const RESERVE = "Reserve {customer's} funds";
const RELEASE = "Release {customer's} funds";
/** The saga's first state: the check of the reserved input keys. */
const CHECK = 'Saga: check input';

// GIVEN
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const table = new CheckpointTable(stack, 'Orders');
const shipping = new SequentialWorkflow(stack, 'Shipping', {
  steps: [Step.lambda('Pack parcel', fn), Step.lambda('Book courier', fn)],
});
const orderKey = { pk: { 'S.$': '$.orderId' }, sk: { S: 'order' } };
const saga = new Saga(stack, 'Order', {
  steps: [
    { action: Step.lambda(RESERVE, fn), compensation: Step.lambda(RELEASE, fn) },
    {
      action: Step.awsSdk('Record order', {
        service: 'dynamodb',
        action: 'putItem',
        iamResources: [table.tableArn],
        parameters: { TableName: table.tableName, Item: { ...orderKey, status: { S: 'reserved' } } },
      }),
      compensation: Step.awsSdk('Delete order', {
        service: 'dynamodb',
        action: 'deleteItem',
        iamResources: [table.tableArn],
        parameters: { TableName: table.tableName, Key: orderKey },
      }),
    },
    { action: Step.lambda('Check fraud', fn) },
    { action: new ChildWorkflowStep('Ship item', shipping), compensation: Step.lambda('Cancel shipment', fn), compensateOnFailure: true },
    { action: Step.lambda('Update inventory', fn), compensation: Step.lambda('Restock', fn), pivot: true, compensateOnFailure: true },
    { action: Step.lambda('Send confirmation', fn) },
    { action: Step.lambda('Publish analytics', fn) },
  ],
});

const events = new Map<string, Record<string, any>>();
const echo = (state: string, result: unknown = { ok: state }): TaskHandler => async (event, ctx) => {
  const byState = events.get(ctx.executionName) ?? {};
  byState[state] = event;
  events.set(ctx.executionName, byState);
  return result;
};
const handlers: Record<string, TaskHandler> = {
  [RESERVE]: echo(RESERVE, { reservationId: 'r-1' }),
  [RELEASE]: echo(RELEASE),
  'Check fraud': echo('Check fraud', { score: 3 }),
  'Pack parcel': echo('Pack parcel', { parcel: 'p-1' }),
  'Book courier': echo('Book courier', { tracking: 't-1' }),
  'Cancel shipment': echo('Cancel shipment'),
  'Cancel shipment (on failure)': echo('Cancel shipment (on failure)'),
  'Update inventory': echo('Update inventory', { sku: 'sku-1', left: 9 }),
  'Restock': echo('Restock'),
  'Send confirmation': echo('Send confirmation', { sent: true }),
  'Publish analytics': echo('Publish analytics', { published: true }),
};

let runner: LocalWorkflowRunner;
let seq = 0;
beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(saga, { handlers });
});
afterAll(async () => {
  await runner?.close();
});

const FORWARD = [RESERVE, 'Record order', 'Check fraud', 'Ship item', 'Update inventory', 'Send confirmation', 'Publish analytics'];

async function run(faults: RunOptions['faults'] = {}): Promise<{ result: RunResult; orderId: string; seen: Record<string, any> }> {
  const orderId = `o-${++seq}`;
  const result = await runner.run({ orderId }, { executionName: `exec-${orderId}`, faults });
  return { result, orderId, seen: events.get(`exec-${orderId}`) ?? {} };
}

async function orderItem(orderId: string): Promise<unknown> {
  const out = await runner.dynamodb.send(new GetItemCommand({ TableName: runner.tableName(table.table), Key: { pk: { S: orderId }, sk: { S: 'order' } } }));
  return out.Item;
}

describe('Saga with Lambda, AWS SDK and child-workflow steps', () => {
  test('happy path: every action once (the child workflow too), the order is recorded, no compensation', async () => {
    const { result, orderId, seen } = await run();

    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual([CHECK, ...FORWARD]);
    expect(result.transitions).toBe(FORWARD.length + 1);
    expect(result.executions.map((e) => [e.stateMachine.replace(/[0-9A-F]{8}$/, ''), e.status])).toEqual([
      ['OrderStateMachine', 'SUCCEEDED'], ['ShippingStateMachine', 'SUCCEEDED'],
    ]);
    expect(await orderItem(orderId)).toEqual({ pk: { S: orderId }, sk: { S: 'order' }, status: { S: 'reserved' } });
    expect((result.output as any).results.Ship_item.output.results).toEqual({ Pack_parcel: { parcel: 'p-1' }, Book_courier: { tracking: 't-1' } });
    // the idempotency key survives quotes and braces in the step name
    expect(seen[RESERVE].idempotencyKey).toBe(`exec-${orderId}:${RESERVE}`);
    // the child workflow received the saga payload as its input
    expect(result.executions[1].input).toEqual({ input: expect.objectContaining({ orderId }), idempotencyKey: `exec-${orderId}:Ship item` });
  });

  test('the pivot fails: it compensates its own partial effect, then every compensated step before it (skipping Check fraud)', async () => {
    const { result, orderId, seen } = await run({ 'Update inventory': Faults.fail('StockMismatch', { cause: 'sku-1 count drifted' }) });

    expect(result.statesEntered).toEqual([
      CHECK, ...FORWARD.slice(0, 5), 'Restock', 'Cancel shipment', 'Delete order', RELEASE, 'Rollback complete', 'Saga rolled back',
    ]);
    expect(result.error).toBe('StockMismatch');
    expect(result.cause).toBe('sku-1 count drifted');
    expect(Object.keys(result.calls).sort()).toEqual([...FORWARD.slice(0, 5), 'Book courier', 'Pack parcel', 'Restock', 'Cancel shipment', 'Delete order', RELEASE].sort());
    expect(Object.values(result.calls).every((n) => n === 1)).toBe(true);
    // Restock compensates the pivot's own failure: no result, stepFailed
    expect(seen.Restock).toEqual(expect.objectContaining({ step: 'Update inventory', stepFailed: true, idempotencyKey: `exec-${orderId}:Restock` }));
    expect(seen.Restock.result).toBeUndefined();
    // Cancel shipment compensates a completed step: it gets the child workflow's result
    expect(seen['Cancel shipment'].stepFailed).toBe(false);
    expect(seen['Cancel shipment'].result.output.results.Book_courier).toEqual({ tracking: 't-1' });
    // the AWS SDK compensation really deleted the order
    expect(await orderItem(orderId)).toBeUndefined();
  });

  test('the child workflow fails: its "(on failure)" compensation runs, then the earlier ones; the error the compensations saw is the final one', async () => {
    const { result, orderId, seen } = await run({ 'Book courier': Faults.fail('NoCourier', { cause: 'none available' }) });

    expect(result.statesEntered).toEqual([
      CHECK, ...FORWARD.slice(0, 4), 'Cancel shipment (on failure)', 'Delete order', RELEASE, 'Rollback complete', 'Saga rolled back',
    ]);
    expect(result.executions[1].status).toBe('FAILED');
    expect(result.executions[1].error).toBe('NoCourier');
    const compensationSaw = seen['Cancel shipment (on failure)'];
    expect(compensationSaw).toEqual(expect.objectContaining({ step: 'Ship item', stepFailed: true, idempotencyKey: `exec-${orderId}:Cancel shipment` }));
    expect(compensationSaw.error.Error).toBe('States.TaskFailed');
    expect(JSON.parse(compensationSaw.error.Cause)).toEqual(expect.objectContaining({ Error: 'NoCourier', Cause: 'none available', Status: 'FAILED' }));
    expect(result.error).toBe(compensationSaw.error.Error);
    expect(result.cause).toBe(compensationSaw.error.Cause);
    expect(await orderItem(orderId)).toBeUndefined();
  });

  test('a failure after the pivot retries forward, then fails with the original error WITHOUT rolling anything back', async () => {
    const { result, orderId } = await run({ 'Send confirmation': Faults.fail('SmtpRejected', { cause: 'mailbox full' }) });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SmtpRejected');
    expect(result.cause).toBe('mailbox full');
    expect(result.statesEntered).toEqual([CHECK, ...FORWARD.slice(0, 6)]);
    expect(result.calls['Send confirmation']).toBe(6);
    expect(result.retries.map((r) => [r.state, r.intervalSeconds, r.jitter])).toEqual([
      ['Send confirmation', 1, 'FULL'], ['Send confirmation', 2, 'FULL'], ['Send confirmation', 4, 'FULL'],
      ['Send confirmation', 8, 'FULL'], ['Send confirmation', 16, 'FULL'],
    ]);
    for (const compensation of ['Restock', 'Cancel shipment', 'Delete order', RELEASE]) {
      expect(result.calls[compensation]).toBeUndefined();
    }
    expect(await orderItem(orderId)).toBeDefined();
  });

  test('a transient failure after the pivot is retried forward and the saga completes', async () => {
    const { result } = await run({ 'Publish analytics': Faults.failTimes(2, 'Lambda.ServiceException') });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.calls['Publish analytics']).toBe(3);
    expect(result.transitions).toBe(FORWARD.length + 3);
  });

  test('an AWS SDK compensation that keeps failing stops the rollback with Saga.CompensationFailed naming its step', async () => {
    const { result, orderId } = await run({
      'Check fraud': Faults.fail('FraudSuspected', { cause: 'score 99' }),
      'Delete order': Faults.fail('DynamoDb.ProvisionedThroughputExceededException', { cause: 'throttled' }),
    });

    expect(result.error).toBe('Saga.CompensationFailed');
    expect(result.cause).toContain("Compensation 'Delete order' of step 'Record order' failed after its retries");
    expect(result.cause).toContain('{"Error":"FraudSuspected","Cause":"score 99"}');
    expect(result.statesEntered).toEqual([CHECK, ...FORWARD.slice(0, 3), 'Delete order', 'Delete order failed', 'Record compensation failure', 'Saga compensation failed']);
    expect(result.calls[RELEASE]).toBeUndefined();
    expect(result.metrics).toHaveLength(1);
    // the order was not deleted: that is what the human must repair
    expect(await orderItem(orderId)).toBeDefined();
  });

  test('a compensation with quotes and braces in its name fails with a readable cause', async () => {
    const { result } = await run({ 'Record order': Faults.fail('ConditionalCheckFailed'), [RELEASE]: Faults.fail('LedgerDown') });

    expect(result.error).toBe('Saga.CompensationFailed');
    expect(result.cause).toMatch(/^Compensation 'Release \{customer's\} funds' of step 'Reserve \{customer's\} funds' failed after its retries/);
  });
});
