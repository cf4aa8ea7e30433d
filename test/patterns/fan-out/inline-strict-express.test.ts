/**
 * The inline fan-out WITHOUT a tolerance, in an EXPRESS workflow, executed with the local runner:
 * the default concurrency cap (40), raw results in item order, and the first item that still fails
 * after its retries failing the whole run with that item's error.
 */
import { FanOutFanIn, Step, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

interface ItemEvent { readonly index: number; readonly item: { readonly sku: string; readonly bad?: boolean } }

const stack = newStack();
const workflow = new FanOutFanIn(stack, 'PriceCheck', {
  type: WorkflowType.EXPRESS,
  itemsPath: '$.skus',
  worker: Step.lambda('Check price', inlineFunction(stack, 'Worker'), { idempotent: true }),
});

let live = 0;
let maxLive = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, {
    handlers: {
      'Check price': async (event: ItemEvent) => {
        live++;
        maxLive = Math.max(maxLive, live);
        try {
          await sleep(10);
          if (event.item.bad) {
            throw Object.assign(new Error(`unknown sku ${event.item.sku}`), { name: 'UnknownSku' });
          }
          return { sku: event.item.sku, price: event.index * 10 };
        } finally {
          live--;
        }
      },
    },
  });
});

afterAll(async () => {
  await runner.close();
});

beforeEach(() => {
  live = 0;
  maxLive = 0;
});

const skus = (n: number, bad: number[] = []) => Array.from({ length: n }, (_, i) => ({ sku: `s${i}`, ...(bad.includes(i) ? { bad: true } : {}) }));

describe('inline FanOutFanIn without tolerance in an EXPRESS workflow, executed locally', () => {
  test('runs as EXPRESS; at most 40 items at a time (the default cap); raw results in item order', async () => {
    // GIVEN 50 items
    const input = { batch: 'b-1', skus: skus(50) };

    // WHEN
    const r = await runner.run(input);

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executions[0].type).toBe('EXPRESS');
    expect(r.calls['Check price']).toBe(50);
    expect(maxLive).toBe(40);
    expect(r.output).toEqual({
      ...input,
      fanOut: { results: input.skus.map((s, i) => ({ sku: s.sku, price: i * 10 })), total: 50, failedCount: 0 },
    });
  });

  test('an item that fails for good fails the run with that item\'s error (no tolerance)', async () => {
    // GIVEN item 3 of 6 is rejected
    const input = { skus: skus(6, [3]) };

    // WHEN
    const r = await runner.run(input);

    // THEN
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('UnknownSku');
    expect(r.cause).toContain('unknown sku s3');
    expect(r.retries).toEqual([]); // a business error is not retried
  });

  test('a transient error that outlasts the retry policy fails the run after 1 + 3 attempts of the item', async () => {
    // GIVEN every call is throttled
    const input = { skus: skus(1) };

    // WHEN
    const r = await runner.run(input, { faults: { 'Check price': Faults.fail('Lambda.TooManyRequestsException') } });

    // THEN
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Lambda.TooManyRequestsException');
    expect(r.calls['Check price']).toBe(4);
    expect(r.retries.map((x) => [x.attempt, x.intervalSeconds])).toEqual([[1, 1], [2, 2], [3, 4]]);
  });
});
