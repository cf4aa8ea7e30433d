/**
 * Fault injection for one run, per step (Task state) name.
 */

/** Fail calls of the step with a named Step Functions error. */
export interface FailFault {
  readonly kind: 'fail';
  /** The error name the workflow sees, e.g. `Lambda.TooManyRequestsException`. */
  readonly error: string;
  /** The cause string. Default: a sentence naming the fault. */
  readonly cause?: string;
  /** Fail only the first `times` calls (counted per run, across Map iterations and child executions). Default: every call. */
  readonly times?: number;
}

/** Make calls of the step time out, as if its `TimeoutSeconds` expired: the workflow sees `States.Timeout`. */
export interface TimeoutFault {
  readonly kind: 'timeout';
  /** Time out only the first `times` calls. Default: every call. */
  readonly times?: number;
  /**
   * Run the handler/integration anyway before timing out (its side effects, e.g. DynamoDB
   * writes, persist; its result is discarded), as a real timeout after the work was done.
   * Default: false (the handler is not called).
   */
  readonly runHandler?: boolean;
}

/**
 * Stop the whole run right after the step completes successfully (the first time), as if
 * the process died: no later state runs, DynamoDB keeps what was written, the run result is
 * `ABORTED` with `crashedAfter` set.
 */
export interface CrashAfterFault {
  readonly kind: 'crashAfter';
}

/** A fault injected into one step for one run. */
export type StepFault = FailFault | TimeoutFault | CrashAfterFault;

/** Constructors for {@link StepFault}s. */
export const Faults = {
  /** Fail every call (or the first `options.times` calls) with `error`. */
  fail(error: string, options: { cause?: string; times?: number } = {}): FailFault {
    return { kind: 'fail', error, ...options };
  },
  /** Fail the first `times` calls with `error`, then let calls through. */
  failTimes(times: number, error: string, cause?: string): FailFault {
    return { kind: 'fail', error, times, cause };
  },
  /** Time out every call (or the first `options.times` calls) with `States.Timeout`. */
  timeout(options: { times?: number; runHandler?: boolean } = {}): TimeoutFault {
    return { kind: 'timeout', ...options };
  },
  /** Crash the run right after the step completes. */
  crashAfter(): CrashAfterFault {
    return { kind: 'crashAfter' };
  },
};
