import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { workflowError } from '../core/errors';
import { RetryPolicy } from '../core/step';
import { isTokenValue, validateRetryPolicy } from '../core/validation';

/** Transient errors of the Lambda integration, retried by default. */
export const TRANSIENT_LAMBDA_ERRORS: readonly string[] = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Service error suffixes that mean "try again later" for AWS SDK integrations. */
const TRANSIENT_SDK_ERROR_SUFFIXES = [
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerErrorException',
  'InternalServerError',
  'InternalFailure',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
];

/** Step Functions' casing of service names in AWS SDK integration error names. */
const SDK_ERROR_PREFIX: { [service: string]: string } = {
  dynamodb: 'DynamoDb',
  cloudwatch: 'CloudWatch',
  eventbridge: 'EventBridge',
  secretsmanager: 'SecretsManager',
  sfn: 'Sfn',
  sqs: 'Sqs',
  sns: 'Sns',
  s3: 'S3',
};

/**
 * The error-name prefix Step Functions gives errors of an AWS SDK integration (`dynamodb` → `DynamoDb`).
 */
export function sdkErrorPrefix(service: string): string {
  return SDK_ERROR_PREFIX[service.toLowerCase()] ?? service.charAt(0).toUpperCase() + service.slice(1);
}

/** Transient errors of an AWS SDK integration, retried by default. */
export function transientSdkErrors(service: string): string[] {
  const prefix = sdkErrorPrefix(service);
  return TRANSIENT_SDK_ERROR_SUFFIXES.map((suffix) => `${prefix}.${suffix}`);
}

/** Default retry policy values. */
export const DEFAULT_RETRY = {
  maxAttempts: 3,
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitter: true,
};

/** A state that accepts Retry and Catch. */
export interface Retriable {
  addRetry(props?: sfn.RetryProps): unknown;
  addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown;
}

/**
 * Whether a state accepts Retry and Catch (Task, Parallel, Map, Custom).
 */
export function isRetriable(state: sfn.State): state is sfn.State & Retriable {
  return typeof (state as any).addRetry === 'function' && typeof (state as any).addCatch === 'function';
}

/**
 * Renders a step's retry policy onto its state: first a zero-attempt retrier for the
 * non-retryable errors (so they reach Catch at once), then the backoff retrier.
 */
export function applyRetryPolicy(
  scope: IConstruct,
  state: sfn.State,
  policy: RetryPolicy | undefined,
  nonRetryableErrors: string[] | undefined,
  defaultErrors: readonly string[],
): void {
  if (!isRetriable(state)) {
    return;
  }
  // The same rules the Workflow base applies before binding, for steps bound by other code.
  validateRetryPolicy(scope, policy, nonRetryableErrors);
  const maxAttempts = policy?.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const backoffRate = policy?.backoffRate ?? DEFAULT_RETRY.backoffRate;
  if (nonRetryableErrors && nonRetryableErrors.length > 0) {
    state.addRetry({ errors: [...nonRetryableErrors], maxAttempts: 0 });
  }
  if (maxAttempts === 0 && !isTokenValue(maxAttempts)) {
    return;
  }
  const errors = policy?.errors ?? [...defaultErrors];
  if (errors.length === 0) {
    throw workflowError(scope, 'retry.errors is empty; list the error names to retry, or set retry.maxAttempts to 0 to switch retries off.');
  }
  state.addRetry({
    errors,
    maxAttempts,
    interval: policy?.interval ?? DEFAULT_RETRY.interval,
    backoffRate,
    maxDelay: policy?.maxDelay ?? DEFAULT_RETRY.maxDelay,
    jitterStrategy: (policy?.jitter ?? DEFAULT_RETRY.jitter) ? sfn.JitterType.FULL : sfn.JitterType.NONE,
  });
}
