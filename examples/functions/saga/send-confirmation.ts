import { Order, SagaActionEvent } from './types';

/** Sends the order confirmation: after the pivot, retried forward, never compensated. */
export const handler = async (event: SagaActionEvent<Order>) => {
  return { messageId: `msg-${event.input.orderId}`, dedupKey: event.idempotencyKey };
};
