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
