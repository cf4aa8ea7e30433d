import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { EXAMPLE_ENV } from '../app-builder';
import { Saga, Step, WorkflowFunction } from '../../src';

/**
 * The order saga: reserve funds, ship the item, update the inventory, send the confirmation.
 * A failure rolls back what completed, in reverse: cancel the shipment, release the funds.
 * Updating the inventory is the pivot: if it fails, it is reconciled (restock) and the earlier
 * steps are compensated; once it succeeded, the confirmation is retried forward and never
 * triggers a rollback. A compensation that keeps failing ends in Saga.CompensationFailed and
 * raises the saga's alarm.
 */
export function register(app: App): Stack {
  const stack = new Stack(app, 'OrderSagaExample', { env: EXAMPLE_ENV });
  const handler = (id: string, file: string, provisionedConcurrency?: number): WorkflowFunction =>
    new WorkflowFunction(stack, id, {
      entry: path.join(__dirname, '..', 'functions', 'saga', `${file}.ts`),
      // compensations run rarely: no provisioned concurrency for them
      provisionedConcurrency,
    });

  new Saga(stack, 'OrderSaga', {
    steps: [
      {
        action: Step.lambda('Reserve funds', handler('ReserveFunds', 'reserve-funds')),
        compensation: Step.lambda('Release funds', handler('ReleaseFunds', 'release-funds', 0)),
      },
      {
        action: Step.lambda('Ship item', handler('ShipItem', 'ship-item')),
        compensation: Step.lambda('Cancel shipment', handler('CancelShipment', 'cancel-shipment', 0)),
      },
      {
        action: Step.lambda('Update inventory', handler('UpdateInventory', 'update-inventory')),
        compensation: Step.lambda('Restock', handler('Restock', 'restock', 0)),
        pivot: true,
        compensateOnFailure: true,
      },
      {
        action: Step.lambda('Send confirmation', handler('SendConfirmation', 'send-confirmation')),
      },
    ],
  });

  return stack;
}
