import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { JsonPath } from 'aws-cdk-lib/aws-stepfunctions';
import { EXAMPLE_ENV } from '../app-builder';
import { CheckpointTable, SequentialWorkflow, Step, WorkflowFunction } from '../../src';

/**
 * The smallest useful workflow: a WorkflowFunction (alias + provisioned concurrency) that
 * validates a job, and an AWS SDK step that records it in a CheckpointTable, with the default
 * alarms, tracing and logging.
 */
export function register(app: App): Stack {
  const stack = new Stack(app, 'FoundationExample', { env: EXAMPLE_ENV });
  const validate = new WorkflowFunction(stack, 'ValidateJob', {
    entry: path.join(__dirname, '..', 'functions', 'echo.ts'),
    environment: { STEP_NAME: 'Validate job' },
  });
  const table = new CheckpointTable(stack, 'Jobs');
  new SequentialWorkflow(stack, 'JobIntake', {
    steps: [
      Step.lambda('Validate job', validate),
      Step.awsSdk('Record job', {
        service: 'dynamodb',
        action: 'putItem',
        parameters: {
          TableName: table.tableName,
          Item: {
            pk: { 'S.$': '$.jobId' },
            sk: { S: 'intake' },
          },
        },
        iamResources: [table.tableArn],
      }),
      Step.pass('Done', { parameters: { 'jobId.$': '$.jobId', 'status': 'accepted', 'at': JsonPath.stringAt('$$.State.EnteredTime') } }),
    ],
  });
  return stack;
}
