import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { workflowError } from './errors';

/** Longest state name, execution name and state machine name Step Functions accepts. */
export const MAX_NAME_LENGTH = 80;

/** Characters allowed in a state machine name by this library (a safe subset of what AWS accepts). */
const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Validates a state machine name: 1 to 80 characters of letters, digits, `-` and `_`.
 * @internal
 */
export function validateStateMachineName(scope: IConstruct, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) {
    return;
  }
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw workflowError(scope, `stateMachineName '${name}' is ${name.length} characters long; Step Functions accepts 1 to ${MAX_NAME_LENGTH}. Use a shorter name or omit it to let CloudFormation generate one.`);
  }
  if (!STATE_MACHINE_NAME.test(name)) {
    throw workflowError(scope, `stateMachineName '${name}' contains characters Step Functions rejects (whitespace, brackets, wildcards or punctuation). Use only letters, digits, '-' and '_'.`);
  }
}

/**
 * Validates a step (state) name: 1 to 80 characters, no control characters.
 * @internal
 */
export function validateStepName(scope: IConstruct, name: string): void {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw workflowError(scope, `a step name is empty ('${name}'). Give every step a short unique name such as 'Reserve funds'.`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw workflowError(scope, `step name '${name}' is ${name.length} characters long; Step Functions state names are at most ${MAX_NAME_LENGTH}. Shorten it.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw workflowError(scope, `step name ${JSON.stringify(name)} contains control characters. Use printable characters only.`);
  }
}

/**
 * The key under which a step's result is stored in the workflow state (`$.results.<key>`):
 * the step name with every character other than letters, digits and `_` replaced by `_`.
 */
export function stepResultKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Validates that a duration lies within [min, max].
 * @internal
 */
export function validateDurationRange(scope: IConstruct, what: string, value: Duration | undefined, min: Duration, max: Duration, fix: string): void {
  if (value === undefined || Token.isUnresolved(value.toSeconds({ integral: false }))) {
    return;
  }
  const seconds = value.toSeconds({ integral: false });
  if (seconds < min.toSeconds({ integral: false }) || seconds > max.toSeconds({ integral: false })) {
    throw workflowError(scope, `${what} is ${value.toHumanString()} (${seconds} s); it must be between ${min.toHumanString()} and ${max.toHumanString()}. ${fix}`);
  }
}

/**
 * Validates that a number is a non-negative integer (or undefined / a token).
 * @internal
 */
export function validateNonNegativeInteger(scope: IConstruct, what: string, value: number | undefined, fix: string): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < 0) {
    throw workflowError(scope, `${what} is ${value}; it must be a whole number >= 0. ${fix}`);
  }
}

/** Largest `MaxAttempts`, `IntervalSeconds`, `TimeoutSeconds` and `HeartbeatSeconds` Step Functions accepts. */
export const MAX_ASL_SECONDS_OR_ATTEMPTS = 99_999_999;
/** `MaxDelaySeconds` must be below this value (one year plus one second). */
export const MAX_DELAY_SECONDS_LIMIT = 31_622_401;

/**
 * Whether a number or a duration is a token (unresolved until deploy): numeric rules skip it.
 * A number token is a huge negative double (e.g. -1.888e+289), so comparing it would report nonsense.
 * @internal
 */
export function isTokenValue(value: number | Duration | undefined): boolean {
  if (value === undefined) {
    return false;
  }
  if (typeof value === 'number') {
    return Token.isUnresolved(value);
  }
  return Token.isUnresolved(value.toSeconds({ integral: false }));
}

/**
 * Validates a duration that Step Functions renders in whole seconds (`TimeoutSeconds`,
 * `HeartbeatSeconds`, `IntervalSeconds`, `MaxDelaySeconds`, the execution `TimeoutSeconds`):
 * a whole number of seconds from `minSeconds` to `maxSeconds`. Without this check aws-cdk-lib
 * fails with "'1500 millis' cannot be converted into a whole number of seconds", naming nothing.
 * @internal
 */
export function validateWholeSeconds(
  scope: IConstruct, what: string, value: Duration | undefined, minSeconds: number, maxSeconds: number, fix: string,
): void {
  if (value === undefined || isTokenValue(value)) {
    return;
  }
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) {
    throw workflowError(scope, `${what} is ${value.toHumanString()} (${seconds} s), but Step Functions counts it in whole seconds. Use Duration.seconds(${Math.max(minSeconds, Math.ceil(seconds))}) or another whole number of seconds.`);
  }
  if (seconds < minSeconds || seconds > maxSeconds) {
    throw workflowError(scope, `${what} is ${seconds} s; Step Functions accepts ${minSeconds} to ${maxSeconds} s. ${fix}`);
  }
}

/**
 * The retry fields the step-level rules check (a `RetryPolicy`, restated here to keep this
 * module free of the step model).
 * @internal
 */
export interface RetryFields {
  readonly maxAttempts?: number;
  readonly interval?: Duration;
  readonly backoffRate?: number;
  readonly maxDelay?: Duration;
  readonly errors?: string[];
}

/**
 * Validates a step's retry policy and non-retryable errors against what Step Functions accepts
 * (Retry fields: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 * Token values skip the numeric checks.
 * @internal
 */
export function validateRetryPolicy(scope: IConstruct, policy: RetryFields | undefined, nonRetryableErrors: string[] | undefined): void {
  const maxAttempts = policy?.maxAttempts;
  if (maxAttempts !== undefined && !isTokenValue(maxAttempts)) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 0 || maxAttempts > MAX_ASL_SECONDS_OR_ATTEMPTS) {
      throw workflowError(scope, `retry.maxAttempts is ${maxAttempts}; Step Functions accepts a whole number from 0 to ${MAX_ASL_SECONDS_OR_ATTEMPTS}. Use e.g. 3, or 0 to switch retries off.`);
    }
  }
  validateWholeSeconds(scope, 'retry.interval', policy?.interval, 1, MAX_ASL_SECONDS_OR_ATTEMPTS,
    'Step Functions waits at least 1 second before a retry (IntervalSeconds >= 1): use Duration.seconds(1) or more.');
  validateWholeSeconds(scope, 'retry.maxDelay', policy?.maxDelay, 1, MAX_DELAY_SECONDS_LIMIT - 1,
    'MaxDelaySeconds must be positive and below 31,622,401 (one year): use a shorter maxDelay.');
  const interval = policy?.interval;
  const maxDelay = policy?.maxDelay;
  if (interval && maxDelay && !isTokenValue(interval) && !isTokenValue(maxDelay)
    && maxDelay.toSeconds({ integral: false }) < interval.toSeconds({ integral: false })) {
    throw workflowError(scope, `retry.maxDelay (${maxDelay.toHumanString()}) is shorter than retry.interval (${interval.toHumanString()}): every wait would be cut to maxDelay, so the interval could never apply. Raise maxDelay to at least the interval, or shorten the interval.`);
  }
  const backoffRate = policy?.backoffRate;
  if (backoffRate !== undefined && !isTokenValue(backoffRate) && !(backoffRate >= 1)) {
    throw workflowError(scope, `retry.backoffRate is ${backoffRate}; Step Functions accepts 1.0 or more (each wait is the previous one times the rate). Use 1 for a constant wait, or e.g. 2.`);
  }
  const errors = policy?.errors;
  if (errors !== undefined) {
    if (errors.some((e) => typeof e !== 'string' || e.length === 0)) {
      throw workflowError(scope, `retry.errors contains an empty error name (${JSON.stringify(errors)}). List error names such as 'Lambda.TooManyRequestsException'.`);
    }
    if (errors.includes('States.ALL') && errors.length > 1) {
      throw workflowError(scope, `retry.errors is ${JSON.stringify(errors)}; Step Functions requires 'States.ALL' to appear alone in an error list. Use ['States.ALL'] on its own, or list the specific errors.`);
    }
  }
  if (nonRetryableErrors !== undefined) {
    if (nonRetryableErrors.some((e) => typeof e !== 'string' || e.length === 0)) {
      throw workflowError(scope, `nonRetryableErrors contains an empty error name (${JSON.stringify(nonRetryableErrors)}). List error names such as 'PaymentDeclined'.`);
    }
    if (nonRetryableErrors.includes('States.ALL')) {
      throw workflowError(scope, 'nonRetryableErrors contains \'States.ALL\'. It is rendered as a zero-attempt retrier before the transient-error retrier, and Step Functions accepts \'States.ALL\' only in the last retrier, so the state machine would not deploy (and transient errors would still be retried). To retry nothing, set retry: { maxAttempts: 0 }; otherwise list the specific error names.');
    }
  }
}
