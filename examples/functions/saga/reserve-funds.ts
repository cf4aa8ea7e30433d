import { Order, OrderError, SagaActionEvent } from './types';

/** Places a hold on the customer's funds; the idempotency key makes a retried call return the same hold. */
export const handler = async (event: SagaActionEvent<Order>) => {
  const { orderId, amount } = event.input;
  if (!(amount > 0)) {
    throw new OrderError('InvalidAmount', `order ${orderId}: amount must be positive`);
  }
  return { holdId: `hold-${event.idempotencyKey}`, amount };
};
