import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { EXAMPLE_ENV } from '../app-builder';
import { FanOutFanIn, Step, WorkflowFunction } from '../../src';

/** The partners whose catalogues are synchronised every night. */
const PARTNERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne'];

/**
 * A nightly job over a list of records: every night at 02:00 UTC, sync each partner's catalogue
 * (one worker call per partner), at most 10 at a time so that the partners' APIs and ours are not
 * overwhelmed, tolerate up to 10% failed partners, and write one summary report as the fan-in.
 *
 * AUTO mode stays inline here: about 200 records with small results fit the Standard history and
 * the payload limit (the info annotation on the construct says so).
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

  return stack;
}
