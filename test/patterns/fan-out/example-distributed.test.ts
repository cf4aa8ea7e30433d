/**
 * The fan-out example's DISTRIBUTED path, EXECUTED with the local runner over 5,000 items: every
 * product runs in its own Express child execution, the results are written to the local S3 server
 * by the ResultWriter, and the example's own report handler reads the manifest and result files.
 * Within the 1% tolerance the workflow succeeds; one failure more and the Map Run fails with
 * States.ExceedToleratedFailureThreshold, which the construct turns into FanOut.ToleranceExceeded.
 */
import { App } from 'aws-cdk-lib';
import { makeHandler } from '../../../examples/functions/fan-out/resync-report';
import { handler as syncProduct } from '../../../examples/functions/fan-out/sync-product';
import { register } from '../../../examples/stacks/06-fan-out';
import { FanOutFanIn, FanOutMode } from '../../../src';
import { LocalWorkflowRunner } from '../../../src/testing';

const ITEMS = 5000;
const app = new App();
const stack = register(app);
const weekly = stack.node.findChild('WeeklyResync') as FanOutFanIn;
let runner: LocalWorkflowRunner;

/** 5,000 products, the first `invalid` of them with an SKU the worker rejects (InvalidProduct). */
function products(invalid: number) {
  return Array.from({ length: ITEMS }, (_, i) => ({ sku: i < invalid ? `bad sku ${i}` : `SKU-${String(i).padStart(5, '0')}` }));
}

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(weekly, { handlers: { 'Sync product': syncProduct } });
  runner.setHandler('Write resync report', makeHandler(await runner.s3.client()));
}, 120_000);
afterAll(async () => runner?.close());

test('the weekly resync runs DISTRIBUTED with Express children and a results bucket', () => {
  expect(weekly.mode).toBe(FanOutMode.DISTRIBUTED);
  expect(weekly.modeReason).toMatch(/expectedItems 5000 would take about 35,020 history events inline/);
  expect(weekly.resultBucket).toBeDefined();
});

test('GIVEN 5,000 products with 50 invalid (1%) WHEN run THEN it succeeds and the report reads the written results', async () => {
  const started = performance.now();
  const result = await runner.run({ runDate: '2026-12-06', products: products(50) });
  const ms = performance.now() - started;
  // eslint-disable-next-line no-console
  console.log(`5,000-item distributed fan-out (within tolerance): ${Math.round(ms)} ms wall time, ${result.executions.length - 1} child executions`);

  expect(result.status).toBe('SUCCEEDED');
  const children = result.executions.filter((e) => e.parent === 0);
  expect(children).toHaveLength(ITEMS);
  expect(children.every((c) => c.type === 'EXPRESS')).toBe(true);
  expect(children.filter((c) => c.status === 'FAILED').map((c) => c.error)).toEqual(Array(50).fill('InvalidProduct'));
  const report = result.output as any;
  expect(report).toMatchObject({ runDate: '2026-12-06', synced: 4950, failed: 50 });
  expect(report.failures[0]).toEqual({ sku: 'bad sku 0', error: 'InvalidProduct' });
  expect(report.mapRunArn).toMatch(/:mapRun:WeeklyResyncStateMachine[0-9A-F]+\/FanOut:/);

  // what the report read is really in the local bucket, under the construct's prefix
  const bucket = runner.s3.bucketName(weekly.resultBucket!);
  const keys = await runner.s3.listKeys(bucket, 'fan-out-results/');
  expect(keys.map((k) => k.split('/').pop()).sort()).toEqual(['FAILED_0.json', 'SUCCEEDED_0.json', 'manifest.json']);
}, 300_000);

test('GIVEN 51 invalid products (over 1%) WHEN run THEN the Map Run fails with States.ExceedToleratedFailureThreshold and the workflow with FanOut.ToleranceExceeded', async () => {
  const started = performance.now();
  const result = await runner.run({ runDate: '2026-12-13', products: products(51) });
  // eslint-disable-next-line no-console
  console.log(`5,000-item distributed fan-out (beyond tolerance): ${Math.round(performance.now() - started)} ms wall time`);

  expect([result.status, result.error, result.cause]).toEqual(['FAILED', 'FanOut.ToleranceExceeded', expect.any(String)]);
  expect(result.cause).toBe('The specified tolerated failure threshold was exceeded');
  expect(result.statesEntered).toEqual(['Fan out', 'Fan out: tolerance exceeded']);
  expect(result.calls['Write resync report'] ?? 0).toBe(0);
}, 300_000);
