import type { SyncEvent, SyncResult } from './types';

/**
 * Synchronises one partner's catalogue from its feed. The downstream API allows only a few
 * concurrent calls, which is why the workflow caps the fan-out at 10. A feed that cannot be read
 * fails this record only (the workflow tolerates up to 10% of the records failing).
 */
export const handler = async (event: SyncEvent): Promise<SyncResult> => {
  const { partnerId, feedUrl } = event.item;
  if (!/^https:\/\//.test(feedUrl)) {
    throw Object.assign(new Error(`feed of ${partnerId} is not an https URL: ${feedUrl}`), { name: 'InvalidFeed' });
  }
  const response = await fetch(feedUrl, { signal: AbortSignal.timeout(20_000) });
  if (response.status === 429 || response.status >= 500) {
    // transient: let Step Functions retry the record with backoff
    throw Object.assign(new Error(`feed of ${partnerId} answered ${response.status}`), { name: 'FeedUnavailable' });
  }
  if (!response.ok) {
    throw Object.assign(new Error(`feed of ${partnerId} answered ${response.status}`), { name: 'InvalidFeed' });
  }
  const products = (await response.json()) as unknown[];
  return { partnerId, products: Array.isArray(products) ? products.length : 0, syncedAt: new Date().toISOString() };
};
