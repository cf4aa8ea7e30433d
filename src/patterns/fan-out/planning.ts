/**
 * The numbers behind `FanOutFanIn`'s choices: AWS limits, the history-event estimate, the payload
 * estimate and the exact integer arithmetic the inline tolerance check renders as intrinsics.
 * Module-private: nothing here is part of the public API.
 */

/**
 * AWS limits and the budgets derived from them.
 * @internal
 */
export const LIMITS = {
  /** An inline Map runs at most 40 iterations at a time, whatever MaxConcurrency says. */
  inlineMaxConcurrency: 40,
  /** Most child executions a Distributed Map runs at a time. */
  distributedMaxConcurrency: 10_000,
  /** Default concurrency of Distributed child executions (Lambda's default account concurrency). */
  distributedDefaultConcurrency: 1_000,
  /** Events in one Standard execution's history. */
  standardHistoryEvents: 25_000,
  /** Share of the history AUTO lets an inline Map use; the rest absorbs retries and failure handling. */
  historyBudgetShare: 0.8,
  /** Events of one inline Map iteration (MapIterationStarted + MapIterationSucceeded). */
  eventsPerIteration: 2,
  /** Events of one Task state (Entered, Scheduled, Started, Succeeded, Exited). */
  eventsPerTask: 5,
  /** Events outside the Map (execution start/end, Map start/end, guard, tolerance and aggregate states). */
  fixedEvents: 20,
  /** Largest state payload (input, output, results): 256 KiB. */
  payloadBytes: 256 * 1024,
  /** Share of the payload limit the results may use; the rest is the input and the envelope. */
  payloadBudgetShare: 0.9,
  /** Default size of one item's result, when `expectedResultSize` is not given. */
  defaultResultBytes: 256,
  /** Bytes the tolerance envelope adds to each result (`{"failed":false,"output":...}`; failed items are listed once more while counted). */
  envelopeBytes: 48,
  /** Longest Express (child) execution, in seconds. */
  expressMaxSeconds: 300,
  /** Largest multiplier rendered as a tree of `States.MathAdd` (depth log2(128) = 7 nested calls). */
  maxMultiplier: 128,
};

/**
 * Estimated history events of a Standard execution running `items` inline iterations of a worker
 * rendering `statesPerItem` states: `fixedEvents + items * (2 + 5 * statesPerItem)`.
 * @internal
 */
export function estimateHistoryEvents(items: number, statesPerItem: number): number {
  return LIMITS.fixedEvents + items * (LIMITS.eventsPerIteration + LIMITS.eventsPerTask * statesPerItem);
}

/**
 * The most items an inline Map runs within the history budget share.
 * @internal
 */
export function maxInlineItems(statesPerItem: number): number {
  const budget = LIMITS.standardHistoryEvents * LIMITS.historyBudgetShare - LIMITS.fixedEvents;
  return Math.floor(budget / (LIMITS.eventsPerIteration + LIMITS.eventsPerTask * statesPerItem));
}

/** Greatest common divisor of two non-negative integers. */
function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The tolerance `failed / total > percentage / 100` as `failed * failedFactor > total * totalFactor`
 * with the smallest integer factors (JSONPath intrinsics add integers but cannot multiply or divide).
 * @internal
 */
export function percentageFactors(percentage: number): { failedFactor: number; totalFactor: number } {
  let scale = 1;
  while (!Number.isInteger(percentage * scale) && scale < 1e6) {
    scale *= 10;
  }
  const failedFactor = 100 * scale;
  const totalFactor = Math.round(percentage * scale);
  const divisor = gcd(failedFactor, totalFactor) || 1;
  return { failedFactor: failedFactor / divisor, totalFactor: totalFactor / divisor };
}

/**
 * `factor * path` as a balanced tree of `States.MathAdd` calls (depth `ceil(log2(factor))`).
 * @internal
 */
export function multiplyIntrinsic(path: string, factor: number): string {
  if (factor < 1 || !Number.isInteger(factor)) {
    throw new Error(`internal: multiplier ${factor} must be a positive integer`);
  }
  if (factor === 1) {
    return path;
  }
  const left = Math.floor(factor / 2);
  return `States.MathAdd(${multiplyIntrinsic(path, left)}, ${multiplyIntrinsic(path, factor - left)})`;
}

/**
 * Human-readable byte count.
 * @internal
 */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}
