import { Order, SagaActionEvent } from './types';

/** Books the shipment (the carrier deduplicates on the idempotency key). */
export const handler = async (event: SagaActionEvent<Order>) => {
  return { shipmentId: `ship-${event.input.orderId}`, carrierRequestId: event.idempotencyKey };
};
