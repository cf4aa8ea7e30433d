import { Order, SagaCompensationEvent } from './types';

/**
 * Puts the stock back. It runs only when "Update inventory" itself failed (compensateOnFailure),
 * so there is no result: it reconciles by request id, restocking only what was decremented.
 */
export const handler = async (event: SagaCompensationEvent<never, Order>) => {
  return { reconciled: event.input.sku, stepFailed: event.stepFailed };
};
