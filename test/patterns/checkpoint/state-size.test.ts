import { App } from 'aws-cdk-lib';
import { handler as notify } from '../../../examples/functions/checkpoint/notify';
import { handler as ocr } from '../../../examples/functions/checkpoint/ocr';
import { handler as thumbnail } from '../../../examples/functions/checkpoint/thumbnail';
import { handler as cancelShipment } from '../../../examples/functions/saga/cancel-shipment';
import { handler as releaseFunds } from '../../../examples/functions/saga/release-funds';
import { handler as reserveFunds } from '../../../examples/functions/saga/reserve-funds';
import { handler as restock } from '../../../examples/functions/saga/restock';
import { handler as sendConfirmation } from '../../../examples/functions/saga/send-confirmation';
import { handler as shipItem } from '../../../examples/functions/saga/ship-item';
import { handler as updateInventory } from '../../../examples/functions/saga/update-inventory';
import { register as registerSaga } from '../../../examples/stacks/04-saga';
import { register as registerCheckpoint } from '../../../examples/stacks/05-checkpoint';
import { CheckpointedWorkflow, Saga } from '../../../src';
import { Faults, LocalWorkflowRunner, TaskHandler } from '../../../src/testing';

/**
 * The largest state each pattern carries, per step, measured on the example workflows with the
 * example handlers: the size (JSON bytes) of the state every step receives. For the Saga that is
 * `event.input` (the whole state: input + kept results + on a rollback the saga's bookkeeping);
 * for the CheckpointedWorkflow the event is the state itself (input + results + checkpoint).
 * Print the table with STATE_FIGURES=1.
 */
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

type Handlers = Record<string, (e: any) => unknown>;

function measuring(sizes: Record<string, number>, handlers: Handlers, stateOf: (e: any) => unknown): Record<string, TaskHandler> {
  return Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name, async (e: any) => {
    sizes[name] = Math.max(sizes[name] ?? 0, bytes(stateOf(e)));
    return fn(e);
  }]));
}

describe('largest state per step (example workflows)', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const sagaStack = registerSaga(app);
  const checkpointStack = registerCheckpoint(app);
  const saga = sagaStack.node.findAll().find((c): c is Saga => c instanceof Saga)!;
  const checkpointed = checkpointStack.node.findAll().find((c): c is CheckpointedWorkflow => c instanceof CheckpointedWorkflow)!;

  test('Saga: the state grows by each kept result; a rollback adds the caught error', async () => {
    const sizes: Record<string, number> = {};
    const runner = await LocalWorkflowRunner.create(saga, {
      handlers: measuring(sizes, {
        'Reserve funds': reserveFunds,
        'Ship item': shipItem,
        'Update inventory': updateInventory,
        'Send confirmation': sendConfirmation,
        'Release funds': releaseFunds,
        'Cancel shipment': cancelShipment,
        'Restock': restock,
      } as any, (e) => e.input),
    });
    try {
      const input = { orderId: 'o-1', amount: 42, itemId: 'i-1', quantity: 1 };
      expect((await runner.run(input)).status).toBe('SUCCEEDED');
      const rolledBack = await runner.run(input, { faults: { 'Update inventory': Faults.fail('Inventory.Unavailable') } });
      expect(rolledBack.status).toBe('FAILED');
      if (process.env.STATE_FIGURES) process.stdout.write(`STATE saga input=${bytes(input)} ${JSON.stringify(sizes)}\n`);
      expect(Math.max(...Object.values(sizes))).toBeLessThan(2_000);
    } finally {
      await runner.close();
    }
  });

  test('CheckpointedWorkflow: input + results + checkpoint bookkeeping', async () => {
    const sizes: Record<string, number> = {};
    const runner = await LocalWorkflowRunner.create(checkpointed, {
      handlers: measuring(sizes, { 'Generate thumbnail': thumbnail, 'Run OCR': ocr, 'Send notification': notify } as any, (e) => e),
    });
    try {
      const input = { imageKey: 'uploads/receipt-1.png' };
      const r = await runner.run(input);
      expect(r.status).toBe('SUCCEEDED');
      if (process.env.STATE_FIGURES) process.stdout.write(`STATE checkpoint input=${bytes(input)} output=${bytes(r.output)} ${JSON.stringify(sizes)}\n`);
      expect(Math.max(...Object.values(sizes))).toBeLessThan(2_000);
    } finally {
      await runner.close();
    }
  });
});
