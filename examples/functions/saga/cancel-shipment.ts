import { SagaCompensationEvent } from './types';

/** Cancels the shipment booked by "Ship item". */
export const handler = async (event: SagaCompensationEvent<{ shipmentId: string }>) => {
  return { cancelled: event.result?.shipmentId };
};
