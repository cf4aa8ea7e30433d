import { CfnResource, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The rule ids that ask for a dead-letter queue on a Lambda function, in the packs that have one.
 */
export const LAMBDA_DLQ_RULES = ['Serverless-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ'] as const;

/**
 * Why a WorkflowFunction has no dead-letter queue. Lambda sends an event to a DLQ only for
 * asynchronous invocations ("Adding a dead-letter queue", AWS Lambda Developer Guide:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq);
 * Step Functions invokes the function synchronously (lambda:invoke, RequestResponse), and a failed
 * invocation returns to the state machine, which retries, catches and alarms on it.
 */
export const SYNCHRONOUS_INVOCATION_REASON = 'A WorkflowFunction is invoked synchronously by Step Functions (lambda:invoke, RequestResponse): a failed invocation returns to the state machine, which retries it with backoff, catches it and alarms on it. Lambda uses a dead-letter queue for asynchronous invocations only (AWS Lambda Developer Guide, Adding a dead-letter queue). If you also invoke the function asynchronously, give it an on-failure destination or DLQ yourself.';

/**
 * Acknowledges the DLQ rules on the function's own CloudFormation resource only (not on its role,
 * alias or anything else under the construct), with the reason above.
 */
export function acknowledgeSynchronousInvocation(fn: lambda.Function): void {
  const resource = fn.node.defaultChild as CfnResource;
  for (const id of LAMBDA_DLQ_RULES) {
    Validations.of(resource).acknowledge({ id, reason: SYNCHRONOUS_INVOCATION_REASON });
  }
}
