import { App } from 'aws-cdk-lib';
import { handler as notify } from '../../examples/functions/checkpoint/notify';
import { handler as ocr } from '../../examples/functions/checkpoint/ocr';
import { handler as thumbnail } from '../../examples/functions/checkpoint/thumbnail';
import { register } from '../../examples/stacks/05-checkpoint';
import { CheckpointedWorkflow } from '../../src';
import { Faults, LocalWorkflowRunner } from '../../src/testing';

/**
 * What a user writes: handlers for their own steps, by step name, and nothing else. The runner
 * runs the library's checkpoint coordinator itself (real logic, against dynalite) and routes the
 * resume copies of steps inside parallel blocks to the step's handler.
 */
describe('CheckpointedWorkflow as a user tests it (no internal imports)', () => {
  const stack = register(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  const workflow = stack.node.findAll().find((c): c is CheckpointedWorkflow => c instanceof CheckpointedWorkflow)!;
  const calls: Record<string, number> = {};
  const counted = (name: string, fn: (event: any) => Promise<unknown>) => async (event: any) => {
    calls[name] = (calls[name] ?? 0) + 1;
    return fn(event);
  };
  let runner: LocalWorkflowRunner;

  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        'Generate thumbnail': counted('Generate thumbnail', thumbnail),
        'Run OCR': counted('Run OCR', ocr),
        'Send notification': counted('Send notification', notify),
      },
    });
  });
  afterAll(async () => runner.close());

  test('while a crashed run still holds the key, a rerun fails fast with Checkpoint.KeyLocked and calls nothing', async () => {
    const uninterrupted = await runner.run({ imageKey: 'uploads/receipt-9.png' });
    expect(uninterrupted.status).toBe('SUCCEEDED');
    for (const key of Object.keys(calls)) delete calls[key];

    const crashed = await runner.run({ imageKey: 'uploads/receipt-10.png' }, { faults: { 'Run OCR: checkpoint': Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');
    expect(crashed.crashedAfter).toBe('Run OCR: checkpoint');
    // let the other branch of the parallel block finish what it was doing when the process "died"
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lockedKeyRun = await runner.run({ imageKey: 'uploads/receipt-10.png' });
    // the crashed execution still holds the lease on the key (until its timeout), so a rerun fails fast
    expect(lockedKeyRun.error).toBe('Checkpoint.KeyLocked');
    expect(calls['Run OCR']).toBe(1);
  });

  test('after the lease expires the rerun resumes from the checkpoints: the paid OCR is not repeated, the notification runs once', async () => {
    const key = 'uploads/receipt-11.png';
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clocked = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date(now),
      handlers: {
        'Generate thumbnail': counted('Generate thumbnail', thumbnail),
        'Run OCR': counted('Run OCR', ocr),
        'Send notification': counted('Send notification', notify),
      },
    });
    try {
      for (const k of Object.keys(calls)) delete calls[k];
      // the process dies right after OCR's result was checkpointed
      const crashed = await clocked.run({ imageKey: key }, { faults: { 'Run OCR: checkpoint': Faults.crashAfter() } });
      expect(crashed.status).toBe('ABORTED');
      await new Promise((resolve) => setTimeout(resolve, 100));
      now += 2 * 60 * 60 * 1000; // past the execution timeout (1 h) + lease margin
      const resumed = await clocked.run({ imageKey: key });
      expect(resumed.status).toBe('SUCCEEDED');
      expect(calls['Run OCR']).toBe(1);
      expect(calls['Send notification']).toBe(1);
      expect((resumed.output as any).results.Run_OCR).toEqual({ textFound: true, text: 'TOTAL 42.00 EUR', idempotencyKey: `${key}#ocr` });
    } finally {
      await clocked.close();
    }
  });

  test('the OCR step fails while the thumbnail is still being generated: the thumbnail is kept, the rerun repeats only the failed OCR', async () => {
    const key = 'uploads/receipt-12.png';
    let ocrDown = true;
    const slow = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        'Generate thumbnail': counted('Generate thumbnail', async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          return thumbnail(e);
        }),
        'Run OCR': counted('Run OCR', async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (ocrDown) throw Object.assign(new Error('provider unavailable'), { name: 'OcrProviderDown' });
          return ocr(e);
        }),
        'Send notification': counted('Send notification', notify),
      },
    });
    try {
      for (const k of Object.keys(calls)) delete calls[k];
      const failed = await slow.run({ imageKey: key });
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toBe('OcrProviderDown');
      ocrDown = false;
      const rerun = await slow.run({ imageKey: key });
      expect(rerun.status).toBe('SUCCEEDED');
      expect(calls).toEqual({ 'Generate thumbnail': 1, 'Run OCR': 2, 'Send notification': 1 });
    } finally {
      await slow.close();
    }
  });
});
