import { Order, SagaActionEvent } from './types';

/** Decrements the stock of the ordered SKU: the saga's pivot. */
export const handler = async (event: SagaActionEvent<Order>) => {
  const { sku, quantity } = event.input;
  return { sku, decremented: quantity, requestId: event.idempotencyKey };
};
