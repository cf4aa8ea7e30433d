/**
 * The inline fan-out with a tolerance, EXECUTED with the local runner: every item once, the
 * concurrency cap measured in the handler, results in item order, retries per item, failures
 * under the tolerance reported to the aggregate step, failures over it failing the execution.
 */
import { FanOutFanIn, FanOutMode, Step } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

interface Item { readonly id: string; readonly failWith?: string; readonly transientOnce?: boolean }
interface ItemEvent { readonly index: number; readonly item: Item }

const MAX_CONCURRENCY = 3;
const stack = newStack();
const workflow = new FanOutFanIn(stack, 'Nightly', {
  worker: Step.lambda('Process item', inlineFunction(stack, 'Worker')),
  aggregate: Step.lambda('Summarize', inlineFunction(stack, 'Summary')),
  mode: FanOutMode.INLINE,
  maxConcurrency: MAX_CONCURRENCY,
  toleratedFailurePercentage: 25,
  toleratedFailureCount: 2,
});

/** What the worker handler observed, reset before each run. */
let live = 0;
let maxLive = 0;
let processed: string[] = [];
const failedOnce = new Set<string>();
let aggregateEvents: any[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function processItem(event: ItemEvent) {
  live++;
  maxLive = Math.max(maxLive, live);
  try {
    await sleep(5 + (event.index % 3) * 4);
    processed.push(event.item.id);
    if (event.item.transientOnce && !failedOnce.has(event.item.id)) {
      failedOnce.add(event.item.id);
      throw Object.assign(new Error('rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    }
    if (event.item.failWith) {
      throw Object.assign(new Error(`item ${event.item.id} rejected`), { name: event.item.failWith });
    }
    return { id: event.item.id, index: event.index };
  } finally {
    live--;
  }
}

async function summarize(event: any) {
  aggregateEvents.push(event);
  const results = event.fanOut.results as any[];
  return {
    total: event.fanOut.total,
    failed: event.fanOut.failedCount,
    okIds: results.filter((r) => !r.failed).map((r) => r.output.id),
    failedIds: results.filter((r) => r.failed).map((r) => r.item.id),
  };
}

let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: { 'Process item': processItem, 'Summarize': summarize } });
});

afterAll(async () => {
  await runner.close();
});

beforeEach(() => {
  live = 0;
  maxLive = 0;
  processed = [];
  aggregateEvents = [];
});

const items = (n: number, prefix: string, extra: Record<number, Partial<Item>> = {}): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, ...extra[i] }));

describe('inline FanOutFanIn (tolerance 25% and 2 items, maxConcurrency 3) executed locally', () => {
  test('every item is processed exactly once, concurrency never exceeds 3, results come back in item order', async () => {
    // GIVEN twelve items
    const list = items(12, 'ok');

    // WHEN
    const r = await runner.run({ items: list, runDate: '2024-05-01' });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.calls['Process item']).toBe(12);
    expect([...processed].sort()).toEqual(list.map((i) => i.id).sort());
    expect(maxLive).toBe(MAX_CONCURRENCY);
    const event = aggregateEvents[0];
    expect(event.runDate).toBe('2024-05-01');
    expect(event.fanOut.total).toBe(12);
    expect(event.fanOut.failedCount).toBe(0);
    expect(event.fanOut.results.map((x: any) => x.output)).toEqual(list.map((i, index) => ({ id: i.id, index })));
    expect(event.fanOut.results.every((x: any) => x.failed === false)).toBe(true);
    expect(event.fanOut.tolerance.summary).toBe('0 of 12 items failed; tolerated: at most 25 percent of the items and at most 2 items.');
    expect(r.output).toEqual({ total: 12, failed: 0, okIds: list.map((i) => i.id), failedIds: [] });
    expect(r.statesEntered.filter((s) => s === 'Process item')).toHaveLength(12);
    expect(r.statesEntered).not.toContain('Fan out: item failed');
  });

  test('a transient error on one item is retried (with backoff) and the item succeeds', async () => {
    // GIVEN item 2 is throttled once
    const list = items(4, 'retry', { 2: { transientOnce: true } });

    // WHEN
    const r = await runner.run({ items: list });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.calls['Process item']).toBe(5);
    expect(r.retries).toEqual([expect.objectContaining({ state: 'Process item', attempt: 1, error: 'Lambda.TooManyRequestsException', intervalSeconds: 1, jitter: 'FULL' })]);
    expect(r.output).toEqual({ total: 4, failed: 0, okIds: list.map((i) => i.id), failedIds: [] });
  });

  test('failures within the tolerance: the run succeeds and the aggregate receives the failed items with their errors', async () => {
    // GIVEN 2 of 8 items fail for good (25%, 2 items: at the limit, not over it)
    const list = items(8, 'under', { 1: { failWith: 'InvalidRecord' }, 6: { failWith: 'InvalidRecord' } });

    // WHEN
    const r = await runner.run({ items: list });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.calls['Process item']).toBe(8); // business errors are not retried
    const fanOut = aggregateEvents[0].fanOut;
    expect(fanOut.total).toBe(8);
    expect(fanOut.failedCount).toBe(2);
    expect(fanOut.results[1]).toEqual({
      failed: true,
      index: 1,
      item: list[1],
      error: { Error: 'InvalidRecord', Cause: expect.stringContaining('item under-1 rejected') },
    });
    expect(fanOut.results[0]).toEqual({ failed: false, output: { id: 'under-0', index: 0 } });
    // counted with a JSONPath filter (no tally), and the filtered list is not kept in the state
    expect(Object.keys(fanOut).sort()).toEqual(['failedCount', 'results', 'tolerance', 'total']);
    expect(r.statesEntered).toContain('Fan out: count failures');
    expect(r.output).toEqual({
      total: 8,
      failed: 2,
      okIds: ['under-0', 'under-2', 'under-3', 'under-4', 'under-5', 'under-7'],
      failedIds: ['under-1', 'under-6'],
    });
    expect(r.statesEntered.filter((s) => s === 'Fan out: item failed')).toHaveLength(2);
  });

  test('a timed-out item counts as a failed item (States.Timeout is caught per item)', async () => {
    // GIVEN the first call of the worker times out
    const list = items(5, 'timeout');

    // WHEN
    const r = await runner.run({ items: list }, { faults: { 'Process item': Faults.timeout({ times: 1 }) } });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    const failed = aggregateEvents[0].fanOut.results.filter((x: any) => x.failed);
    expect(failed).toHaveLength(1);
    expect(failed[0].error.Error).toBe('States.Timeout');
  });

  test('more failed items than the percentage allows fail the execution with FanOut.ToleranceExceeded', async () => {
    // GIVEN 2 of 4 items fail: 50% > 25% (the count, 2, is within its limit)
    const list = items(4, 'pct', { 0: { failWith: 'InvalidRecord' }, 3: { failWith: 'InvalidRecord' } });

    // WHEN
    const r = await runner.run({ items: list });

    // THEN
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('FanOut.ToleranceExceeded');
    expect(r.cause).toBe('2 of 4 items failed; tolerated: at most 25 percent of the items and at most 2 items.');
    expect(r.calls['Process item']).toBe(4);
    expect(r.calls.Summarize).toBeUndefined();
  });

  test('more failed items than the count allows fail the execution even under the percentage', async () => {
    // GIVEN 3 of 20 items fail: 15% <= 25%, but 3 > 2 items
    const list = items(20, 'count', { 4: { failWith: 'X' }, 9: { failWith: 'X' }, 17: { failWith: 'X' } });

    // WHEN
    const r = await runner.run({ items: list });

    // THEN
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('FanOut.ToleranceExceeded');
    expect(r.cause).toBe('3 of 20 items failed; tolerated: at most 25 percent of the items and at most 2 items.');
    expect(aggregateEvents).toHaveLength(0);
  });

  test('every item failing fails the execution', async () => {
    const list = items(3, 'all', { 0: { failWith: 'X' }, 1: { failWith: 'X' }, 2: { failWith: 'X' } });
    const r = await runner.run({ items: list });
    expect(r.status).toBe('FAILED');
    expect(r.cause).toBe('3 of 3 items failed; tolerated: at most 25 percent of the items and at most 2 items.');
  });

  test('an empty list skips the Map and the aggregate sees zero items', async () => {
    // WHEN
    const r = await runner.run({ items: [] });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.statesEntered).toEqual(['Fan out: any items?', 'Fan out: no items', 'Summarize']);
    expect(r.calls['Process item']).toBeUndefined();
    expect(r.output).toEqual({ total: 0, failed: 0, okIds: [], failedIds: [] });
  });

  test('input without the items array fails the run instead of passing as an empty list', async () => {
    // GIVEN the items under another name, then an object instead of an array
    for (const input of [{ records: [{ id: 'x' }] }, { items: { id: 'x' } }]) {
      // WHEN
      const r = await runner.run(input);

      // THEN
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('States.Runtime');
      expect(r.calls['Process item']).toBeUndefined();
      expect(r.calls.Summarize).toBeUndefined();
    }
  });
});
