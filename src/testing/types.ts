/**
 * Public types of the local runner.
 */
import type { StepFault } from './faults';

/** Context passed to a task handler as its second argument. */
export interface TaskHandlerContext {
  /** The Task state name (= the step name). */
  readonly stateName: string;
  /** Logical id of the state machine running the task (the top one or a child). */
  readonly stateMachine: string;
  /** `$$.Execution.Name` of the execution running the task. */
  readonly executionName: string;
  /** `$$.Execution.Id` (fake execution ARN) of the execution running the task. */
  readonly executionArn: string;
  /** 1-based number of this call of the step within the run (retries, Map iterations and child executions included). */
  readonly call: number;
  /** The Task's resolved `Resource`. */
  readonly resource: string;
  /**
   * The task token of this attempt (`$$.Task.Token`): for a `.waitForTaskToken` task, answer with
   * `runner.sendTaskSuccess(token, output)` / `sendTaskFailure`; any running task accepts
   * `runner.sendTaskHeartbeat(token)`.
   */
  readonly taskToken: string;
  /** `$$.State.RetryCount` of this attempt (0 for the first attempt). */
  readonly retryCount: number;
  /** Sends a heartbeat for this task (restarts its `HeartbeatSeconds` timer), like SendTaskHeartbeat. */
  heartbeat(): void;
  /** The runner's virtual now (see `LocalWorkflowRunner.now()`). */
  now(): Date;
}

/**
 * A local implementation of a Task, registered by state name.
 *
 * - Lambda tasks receive the payload and return the function result; a thrown error
 *   becomes the Lambda function error (error = the JS error's `name`, cause =
 *   `{"errorType","errorMessage","trace"}` JSON).
 * - Any other task receives its resolved `Parameters` and returns the service response;
 *   a thrown error becomes error = `name`, cause = `message` (throw a {@link StatesError}
 *   to choose both exactly).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskHandler<E = any, R = unknown> = (event: E, context: TaskHandlerContext) => R | Promise<R>;

/** Final status of an execution, as Step Functions reports it. */
export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One retry the workflow performed, with the backoff Step Functions would have waited. */
export interface RetryRecord {
  /** The retried state. */
  readonly state: string;
  /** 1-based retry number for the matched retrier (1 = first retry). */
  readonly attempt: number;
  /** The error that was retried. */
  readonly error: string;
  /** The ASL delay before this retry: `IntervalSeconds * BackoffRate^(attempt-1)`, capped by `MaxDelaySeconds`. */
  readonly intervalSeconds: number;
  /**
   * The retrier's `JitterStrategy` (with `FULL`, the real delay is random in [0, intervalSeconds],
   * drawn from the runner's seeded PRNG). The delay the virtual clock actually waited is the
   * non-enumerable property `waitedSeconds` (non-enumerable so that `toEqual` on records is stable).
   */
  readonly jitter: 'FULL' | 'NONE';
  /** Index, in {@link RunResult.executions}, of the execution that retried. */
  readonly execution: number;
}

/** One state machine execution of a run (the top one, or a child it started). */
export interface ExecutionRecord {
  /** Logical id of the state machine. */
  readonly stateMachine: string;
  /** The state machine's `StateMachineType`. */
  readonly type: 'STANDARD' | 'EXPRESS';
  /** `$$.Execution.Name`. */
  readonly name: string;
  /** `$$.Execution.Id` (fake ARN). */
  readonly executionArn: string;
  /** Final status. */
  readonly status: ExecutionStatus;
  /** Billing-style transitions: states entered plus retries. */
  readonly transitions: number;
  /** Wall-clock duration of the local execution. */
  readonly durationMs: number;
  /** Index of the parent execution in {@link RunResult.executions}; absent for the top execution. */
  readonly parent?: number;
  /** States entered, in the order the interpreter reported them. */
  readonly statesEntered: readonly string[];
  /** The execution's input. */
  readonly input: unknown;
  /** The execution's output (SUCCEEDED only). */
  readonly output?: unknown;
  /** Error name (FAILED / TIMED_OUT). */
  readonly error?: string;
  /** Error cause (FAILED), when Step Functions would report one. */
  readonly cause?: string;
}

/** A recorded `cloudwatch:putMetricData` call. */
export interface MetricRecord {
  /** The Task state that emitted it. */
  readonly state: string;
  /** `Namespace` of the call. */
  readonly namespace: string;
  /** `MetricData` of the call. */
  readonly metricData: readonly Record<string, unknown>[];
  /** The execution name that emitted it. */
  readonly executionName: string;
}

/** Result of {@link LocalWorkflowRunner.run}. */
export interface RunResult {
  /** Status of the top execution. A crash is `ABORTED` with {@link crashedAfter} set. */
  readonly status: ExecutionStatus;
  /** Output of the top execution (SUCCEEDED only). */
  readonly output?: unknown;
  /** Error name, as Step Functions reports it (FAILED: Fail state `Error` or the unhandled error; TIMED_OUT: `States.Timeout`). */
  readonly error?: string;
  /** Cause, as Step Functions reports it (absent when there is none, e.g. a Fail state without `Cause`). */
  readonly cause?: string;
  /** When a `crashAfter` fault fired: the state after which the run stopped. */
  readonly crashedAfter?: string;
  /** `$$.Execution.Name` of the top execution. */
  readonly executionName: string;
  /** `$$.Execution.Id` of the top execution. */
  readonly executionArn: string;
  /** States the top execution entered (Map/Parallel inner states included), in interpreter order. */
  readonly statesEntered: readonly string[];
  /** Billing-style transitions of the top execution: states entered plus retries. */
  readonly transitions: number;
  /** Per Task state name: how many times it was called (every attempt; faulted attempts included), across the whole run. */
  readonly calls: Readonly<Record<string, number>>;
  /** Every retry of the run (child executions included), with the intended backoff. */
  readonly retries: readonly RetryRecord[];
  /** Every execution of the run: index 0 is the top one, then children in start order. */
  readonly executions: readonly ExecutionRecord[];
  /** `cloudwatch:putMetricData` calls recorded during this run. */
  readonly metrics: readonly MetricRecord[];
  /** Virtual time (the runner's clock) when the run started. */
  readonly startDate: Date;
  /** Virtual time when the run ended: `stopDate - startDate` includes every skipped Wait, backoff and timeout. */
  readonly stopDate: Date;
}

/** Options of one run. */
export interface RunOptions {
  /** `$$.Execution.Name`. Default: `exec-1`, `exec-2`, ... in the order `run` is called on this runner. */
  readonly executionName?: string;
  /** Faults to inject, by step (Task state) name; they also apply to child state machines' states. */
  readonly faults?: Readonly<Record<string, StepFault>>;
  // --- runner.serve() (StopExecution) ---
  /** Aborts the run when signalled (as StopExecution does): its executions end `ABORTED`. Default: none. */
  readonly signal?: AbortSignal;
  /** `$$.Execution.Id` of the top execution (an Express ARN is unique per execution on AWS). Default: derived from the name. */
  readonly executionArn?: string;
  /** Called with each state entered/exited of the top execution, as it happens (GetExecutionHistory). Default: none. */
  readonly onStateEvent?: (event: RunStateEvent) => void;
}

/** A state of the top execution entered or exited ({@link RunOptions.onStateEvent}). */
export interface RunStateEvent {
  /** `StateEntered` or `StateExited`. */
  readonly type: 'StateEntered' | 'StateExited';
  /** The state name. */
  readonly stateName: string;
  /** The state's ASL `Type`. */
  readonly stateType: string;
  /** The state input. */
  readonly input?: unknown;
  /** The state output (StateExited). */
  readonly output?: unknown;
}
