import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Condition } from 'aws-cdk-lib/aws-stepfunctions';
import { EXAMPLE_ENV } from '../app-builder';
import { CheckpointedWorkflow, Step, WorkflowFunction } from '../../src';

/**
 * The image pipeline: generate a thumbnail and run OCR in parallel (OCR is a paid third-party call
 * that must never run twice for one image; it is retried up to 3 times on rate limiting), then,
 * only if text was found, send a notification. Checkpoints are keyed by the image key: running the
 * pipeline again for an image does only what is not done yet.
 */
export function register(app: App): Stack {
  const stack = new Stack(app, 'CheckpointExample', { env: EXAMPLE_ENV });
  const fn = (id: string, file: string) => new WorkflowFunction(stack, id, {
    entry: path.join(__dirname, '..', 'functions', 'checkpoint', file),
  });
  const thumbnail = fn('Thumbnail', 'thumbnail.ts');
  const ocr = fn('Ocr', 'ocr.ts');
  const notify = fn('Notify', 'notify.ts');

  new CheckpointedWorkflow(stack, 'ImagePipeline', {
    keyPath: '$.imageKey',
    timeout: Duration.minutes(15),
    steps: [
      { step: Step.lambda('Generate thumbnail', thumbnail), dependsOn: [] },
      {
        step: Step.lambda('Run OCR', ocr, {
          retry: {
            maxAttempts: 3,
            errors: ['OcrRateLimited', 'Lambda.TooManyRequestsException', 'Lambda.ServiceException'],
          },
        }),
        dependsOn: [],
      },
      {
        step: Step.lambda('Send notification', notify),
        dependsOn: ['Generate thumbnail', 'Run OCR'],
        condition: Condition.booleanEquals('$.results.Run_OCR.textFound', true),
      },
    ],
  });
  return stack;
}
