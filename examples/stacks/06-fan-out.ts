import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { EXAMPLE_ENV } from '../app-builder';
import { FanOutFanIn, Step, WorkflowFunction } from '../../src';

/** The partners whose catalogues are synchronised every night. */
const PARTNERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne'];

/**
 * Two fan-outs over records.
 *
 * A nightly job over a list of records: every night at 02:00 UTC, sync each partner's catalogue
 * (one worker call per partner), at most 10 at a time so that the partners' APIs and ours are not
 * overwhelmed, tolerate up to 10% failed partners, and write one summary report as the fan-in.
 *
 * AUTO mode stays inline here: about 200 records with small results fit the Standard history and
 * the payload limit (the info annotation on the construct says so).
 *
 * A weekly full catalogue resync over about 5,000 products: AUTO picks a Distributed Map (5,000
 * inline iterations would take about 35,000 history events, over the 25,000-event Standard
 * history), each product runs in its own Express child execution, at most 50 at a time, up to 1%
 * may fail, and the results are written to S3 (`writeResults`: a bucket the construct creates) so
 * that they are not bound by the 256 KiB payload limit; the report step reads the ResultWriter
 * manifest and result files.
 */
export function register(app: App): Stack {
  const stack = new Stack(app, 'NightlySyncExample', { env: EXAMPLE_ENV });
  const syncRecord = new WorkflowFunction(stack, 'SyncRecord', {
    entry: path.join(__dirname, '..', 'functions', 'fan-out', 'sync-record.ts'),
    timeout: Duration.seconds(30),
    // at most 10 records run at a time: keep that many warm
    provisionedConcurrency: 10,
  });
  const summaryReport = new WorkflowFunction(stack, 'SummaryReport', {
    entry: path.join(__dirname, '..', 'functions', 'fan-out', 'summary-report.ts'),
    // runs once a night: no provisioned concurrency
    provisionedConcurrency: 0,
  });

  const nightly = new FanOutFanIn(stack, 'NightlySync', {
    worker: Step.lambda('Sync partner', syncRecord, {
      idempotent: true,
      retry: {
        maxAttempts: 4,
        interval: Duration.seconds(5),
        errors: ['FeedUnavailable', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException'],
      },
      nonRetryableErrors: ['InvalidFeed'],
    }),
    itemsPath: '$.partners',
    maxConcurrency: 10,
    toleratedFailurePercentage: 10,
    expectedItems: 200, // the partner list is expected to grow to about 200
    expectedResultSize: Size.bytes(120),
    aggregate: Step.lambda('Write summary report', summaryReport),
    timeout: Duration.hours(2),
  });

  new scheduler.Schedule(stack, 'EveryNight', {
    description: 'Starts the nightly partner sync at 02:00 UTC',
    schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }),
    target: new targets.StepFunctionsStartExecution(nightly.stateMachine, {
      input: scheduler.ScheduleTargetInput.fromObject({
        runDate: scheduler.ContextAttribute.scheduledTime,
        partners: PARTNERS.map((partnerId) => ({ partnerId, feedUrl: `https://feeds.example.com/${partnerId}/catalogue.json` })),
      }),
      retryAttempts: 3,
    }),
  });

  const syncProduct = new WorkflowFunction(stack, 'SyncProduct', {
    entry: path.join(__dirname, '..', 'functions', 'fan-out', 'sync-product.ts'),
    // runs weekly, 50 at a time: no provisioned concurrency
    provisionedConcurrency: 0,
  });
  const resyncReport = new WorkflowFunction(stack, 'ResyncReport', {
    entry: path.join(__dirname, '..', 'functions', 'fan-out', 'resync-report.ts'),
    provisionedConcurrency: 0,
    timeout: Duration.minutes(2),
  });
  const weekly = new FanOutFanIn(stack, 'WeeklyResync', {
    worker: Step.lambda('Sync product', syncProduct, { idempotent: true, nonRetryableErrors: ['InvalidProduct'] }),
    itemsPath: '$.products',
    expectedItems: 5000,
    expectedResultSize: Size.bytes(80),
    maxConcurrency: 50,
    toleratedFailurePercentage: 1,
    writeResults: true,
    resultRetention: Duration.days(14),
    aggregate: Step.lambda('Write resync report', resyncReport),
    timeout: Duration.hours(6),
  });
  // the report reads the results of the Map Runs (keys <prefix>/<map run id>/...), nothing else
  weekly.grantReadResults(resyncReport);
  return stack;
}
