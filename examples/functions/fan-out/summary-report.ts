import type { SummaryEvent } from './types';

/**
 * The fan-in: one report per night from all the records' results, listing the records that
 * failed (within the tolerance) with their error so that someone can follow up.
 */
export const handler = async (event: SummaryEvent) => {
  const { results, total, failedCount } = event.fanOut;
  const synced = results.flatMap((r) => (r.failed ? [] : [r.output]));
  const failures = results.flatMap((r) => (r.failed ? [{ partnerId: r.item.partnerId, error: r.error.Error }] : []));
  const report = {
    runDate: event.runDate,
    total,
    synced: synced.length,
    failed: failedCount,
    products: synced.reduce((sum, s) => sum + s.products, 0),
    failures,
  };
  console.log(JSON.stringify({ message: 'nightly partner sync report', ...report }));
  return report;
};
