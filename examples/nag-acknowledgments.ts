import { Stack, Validations } from 'aws-cdk-lib';
import { Workflow, WorkflowFunction } from '../src';

/**
 * The cdk-nag findings this library's defaults raise by design, acknowledged one by one with the
 * reason. Everything else must be fixed, not acknowledged. The nag test runs AwsSolutionsChecks and
 * ServerlessChecks over every example stack and fails on any finding not listed here.
 */
export function acknowledgeLibraryDefaults(stack: Stack): void {
  for (const construct of stack.node.findAll()) {
    if (construct instanceof WorkflowFunction) {
      Validations.of(construct.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so AWS requires Resource "*".',
      });
      Validations.of(construct.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Step Functions invokes workflow functions synchronously (RequestResponse); failures return to the state machine, which retries and catches them. A DLQ applies to asynchronous invocations only.',
      });
    }
    if (construct instanceof Workflow) {
      Validations.of(construct.stateMachine.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets), CloudWatch Logs vended log delivery (logs:CreateLogDelivery, ...) and, for a Saga, cloudwatch:PutMetricData (restricted by a cloudwatch:namespace = CdkStatefulWorkflows condition) support no resource-level permissions, so AWS requires Resource "*".',
      });
    }
  }
}
