import { App } from 'aws-cdk-lib';
import { FakeClock, stepCalls, stepHandlers } from './helpers';
import { handler as notify } from '../../../examples/functions/checkpoint/notify';
import { handler as ocr } from '../../../examples/functions/checkpoint/ocr';
import { handler as thumbnail } from '../../../examples/functions/checkpoint/thumbnail';
import { register } from '../../../examples/stacks/05-checkpoint';
import { CheckpointedWorkflow } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';

// GIVEN the image pipeline example, run with its own Lambda handlers
const stack = register(new App());
const workflow = stack.node.findAll().find((c): c is CheckpointedWorkflow => c instanceof CheckpointedWorkflow)!;
const clock = new FakeClock();
const calls = new Map<string, number>();
const implementations: Record<string, (event: any) => Promise<unknown>> = {
  'Generate thumbnail': thumbnail,
  'Run OCR': ocr,
  'Send notification': notify,
};
let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, {
    handlers: stepHandlers(workflow, () => runner, clock, (step, event) => implementations[step](event), calls),
  });
});
afterAll(async () => {
  await runner.close();
});

describe('example 05: image pipeline (thumbnail | OCR) ; notification if text was found', () => {
  test('plan: thumbnail and OCR in parallel, then the conditional notification', () => {
    expect(workflow.executionPlan).toBe('(Generate thumbnail | Run OCR) ; Send notification');
  });

  test('text found: the notification is sent; OCR throttled twice is retried and succeeds (3 calls), never run again on a rerun', async () => {
    // WHEN
    const r = await runner.run({ imageKey: 'uploads/receipt-1.png' }, { faults: { 'Run OCR': Faults.failTimes(2, 'OcrRateLimited') } });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, r)).toEqual({ 'Generate thumbnail': 1, 'Run OCR': 3, 'Send notification': 1 });
    expect(r.retries.map((x) => [x.state, x.attempt, x.error])).toEqual([['Run OCR', 1, 'OcrRateLimited'], ['Run OCR', 2, 'OcrRateLimited']]);
    expect((r.output as any).results).toEqual({
      Generate_thumbnail: { thumbnailKey: 'thumbnails/uploads/receipt-1-256.jpg', width: 256 },
      Run_OCR: { textFound: true, text: 'TOTAL 42.00 EUR', idempotencyKey: 'uploads/receipt-1.png#ocr' },
      Send_notification: { sent: true, message: 'Text found in uploads/receipt-1.png (thumbnail thumbnails/uploads/receipt-1-256.jpg): TOTAL 42.00 EUR' },
    });

    // and a rerun of the same image calls nothing, the paid OCR included
    const again = await runner.run({ imageKey: 'uploads/receipt-1.png' });
    expect(stepCalls(workflow, again)).toEqual({});
    expect(again.output).toEqual(r.output);
  });

  test('no text: the notification is skipped (and the skip is checkpointed)', async () => {
    const r = await runner.run({ imageKey: 'uploads/cat.png' });
    expect(r.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, r)).toEqual({ 'Generate thumbnail': 1, 'Run OCR': 1 });
    expect(r.statesEntered).toEqual(expect.arrayContaining(['Send notification?', 'Send notification: skipped', 'Send notification: checkpoint']));
    expect((r.output as any).results.Send_notification).toEqual({ skipped: true });
    const again = await runner.run({ imageKey: 'uploads/cat.png' });
    expect(again.statesEntered).toEqual(['Checkpoint: start', 'Checkpoint: resume?', 'Checkpoint: done']);
  });

  test('OCR still rate limited after 3 retries: the run fails with OcrRateLimited and releases the key; a rerun finishes at once', async () => {
    const failed = await runner.run({ imageKey: 'uploads/receipt-2.png' }, { faults: { 'Run OCR': Faults.fail('OcrRateLimited', { cause: 'quota' }) } });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('OcrRateLimited');
    expect(stepCalls(workflow, failed)['Run OCR']).toBe(4);
    const rerun = await runner.run({ imageKey: 'uploads/receipt-2.png' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toMatchObject({ 'Run OCR': 1, 'Send notification': 1 });
  });

  test('the pipeline crashes after OCR was checkpointed: the rerun never calls OCR again', async () => {
    const crashed = await runner.run({ imageKey: 'uploads/receipt-3.png' }, { faults: { 'Run OCR: checkpoint': Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');
    expect(stepCalls(workflow, crashed)['Run OCR']).toBe(1);
    clock.advance(workflow.leaseDuration.toSeconds() + 1);
    const rerun = await runner.run({ imageKey: 'uploads/receipt-3.png' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)['Run OCR']).toBeUndefined();
    expect((rerun.output as any).results.Send_notification.sent).toBe(true);
  });
});
