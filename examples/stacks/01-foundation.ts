import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { JsonPath } from 'aws-cdk-lib/aws-stepfunctions';
import { EXAMPLE_ENV } from '../app-builder';
import { CheckpointTable, SequentialWorkflow, Step, WorkflowAlarms, WorkflowFunction } from '../../src';

/**
 * The smallest useful workflow: a WorkflowFunction (alias + provisioned concurrency) that
 * validates a job, and an AWS SDK step that records it in a CheckpointTable, with the default
 * alarms, tracing and logging. Every alarm of the stack notifies one encrypted topic, wired once.
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
  // One call wires every workflow alarm of the stack (also those added later) to the on-call topic;
  // the topic's customer key lets CloudWatch publish.
  const alertsKey = new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true, description: 'On-call alarm topic' });
  WorkflowAlarms.notifyAllByTopic(stack, new sns.Topic(stack, 'OnCall', { masterKey: alertsKey, enforceSSL: true }));
  return stack;
}
