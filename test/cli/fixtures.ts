import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildExamplesApp } from '../../examples/app-builder';
import { HybridWorkflow, Placement, Saga, Step, WorkflowFunction } from '../../src';

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

/**
 * A HybridWorkflow whose Express child the library placed in a nested stack, synthesized with or
 * without asset metadata (`cdk synth` adds it; a bare App does not).
 */
export function synthNestedHybrid(assetMetadata: boolean): string {
  const outdir = tempDir('nested');
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': assetMetadata } });
  const stack = new Stack(app, 'NestedStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const fn = (id: string): WorkflowFunction => new WorkflowFunction(stack, id, { code: lambda.Code.fromInline('exports.handler = async (e) => e;'), provisionedConcurrency: 0 });
  new HybridWorkflow(stack, 'Orders', {
    steps: [
      { step: Step.lambda('Validate order', fn('Validate'), { idempotent: true, timeout: Duration.seconds(10) }), express: true },
      { step: Step.lambda('Charge', fn('Charge')) },
    ],
    expressChildren: { placement: Placement.NESTED_STACK },
  });
  app.synth();
  return outdir;
}
