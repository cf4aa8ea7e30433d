/**
 * Errors raised inside executions.
 */

/**
 * A Step Functions error raised by a Task: the interpreter reports `name` as the
 * error (`Error` in Catch output) and `message` as the cause (`Cause`).
 */
export class StatesError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * A mistake in the test setup (missing handler, unsupported integration...). It stops
 * the whole run, and `runner.run()` rejects with it: it is never handed to the
 * workflow's Retry/Catch.
 */
export class RunnerConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerConfigurationError';
  }
}

/** The cause string Lambda gives for a function error: `{"errorType","errorMessage","trace"}`. */
export function lambdaErrorCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage, trace: [] });
}

/** Converts whatever a handler threw into the Step Functions error Lambda would raise. */
export function fromHandlerError(thrown: unknown): StatesError {
  if (thrown instanceof StatesError) {
    return thrown;
  }
  if (thrown instanceof Error) {
    const name = thrown.name || 'Error';
    return new StatesError(name, lambdaErrorCause(name, thrown.message));
  }
  return new StatesError('Error', lambdaErrorCause('Error', String(thrown)));
}
