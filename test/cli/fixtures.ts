import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildExamplesApp } from '../../examples/app-builder';
import { Saga, Step, WorkflowFunction } from '../../src';

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `csw-${prefix}-`));
}

/** Synthesizes the examples app (every pattern) into a fresh cdk.out, without bundling. */
export function synthExamples(): string {
  const outdir = tempDir('examples');
  const { app } = buildExamplesApp({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  app.synth();
  return outdir;
}

/**
 * A small app: a two-step saga whose alarms notify an SNS topic, in a Stage-less stack, with
 * construct path metadata (as `cdk synth` writes it).
 */
export function synthNotifyingSaga(): string {
  const outdir = tempDir('notify');
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'NotifyStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const fn = (id: string): WorkflowFunction => new WorkflowFunction(stack, id, { code: lambda.Code.fromInline('exports.handler = async (e) => e;'), provisionedConcurrency: 0 });
  const topic = new sns.Topic(stack, 'OnCall');
  new Saga(stack, 'Payment', {
    steps: [
      { action: Step.lambda('Charge', fn('Charge')), compensation: Step.lambda('Refund', fn('Refund')) },
      { action: Step.lambda('Book', fn('Book')) },
    ],
    alarms: { topic },
  });
  app.synth();
  return outdir;
}
