import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowType } from './types';
import type { WorkflowFunction } from '../defaults/workflow-function';

/**
 * How a step is retried on transient errors.
 *
 * Retries use exponential backoff with full jitter: the n-th retry waits a random time up to
 * `interval * backoffRate^(n-1)`, capped by `maxDelay`.
 */
export interface RetryPolicy {
  /**
   * How many times the step is retried after its first attempt. `0` switches retries off.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the first retry.
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;
  /**
   * Multiplier applied to the wait before each further retry.
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Upper bound of any single wait.
   * @default Duration.seconds(30)
   */
  readonly maxDelay?: Duration;
  /**
   * Randomize each wait (full jitter) so that retries of many executions do not synchronize.
   * @default true
   */
  readonly jitter?: boolean;
  /**
   * The error names that are retried.
   * @default - the step kind's transient errors (for Lambda: `Lambda.ServiceException`,
   * `Lambda.AWSLambdaException`, `Lambda.SdkClientException`, `Lambda.TooManyRequestsException`,
   * `Lambda.ClientExecutionTimeoutException`; for AWS SDK calls: the service's throttling and
   * unavailability errors)
   */
  readonly errors?: string[];
}

/**
 * Options shared by every kind of step.
 */
export interface StepOptions {
  /**
   * Retry policy for transient errors.
   * @default - 3 retries, 1 s interval, backoff rate 2, at most 30 s, full jitter, on the step kind's transient errors
   */
  readonly retry?: RetryPolicy;
  /**
   * Error names that are never retried and go straight to the workflow's Catch
   * (even when `retry.errors` would match them).
   * @default - none
   */
  readonly nonRetryableErrors?: string[];
  /**
   * Time limit for one attempt of the step (the state's `TimeoutSeconds`).
   * @default - for a `WorkflowFunction`, its timeout plus 5 seconds; otherwise no state-level timeout
   */
  readonly timeout?: Duration;
  /**
   * Heartbeat interval for the step (the state's `HeartbeatSeconds`); must be shorter than `timeout`.
   * @default - no heartbeat
   */
  readonly heartbeat?: Duration;
  /**
   * Whether running the step twice with the same input has the same effect as running it once.
   * Only idempotent steps may run in an Express (at-least-once) child workflow.
   * @default false
   */
  readonly idempotent?: boolean;
  /**
   * A comment rendered into the state.
   * @default - none
   */
  readonly comment?: string;
  /**
   * Keep only part of the step's result in the workflow state (the state's `ResultSelector`,
   * JSONPath values read from the raw result, e.g. `{ 'orderId.$': '$.orderId' }`). The workflow
   * state carries every step's result to the end of the execution, and Step Functions fails the
   * execution with the uncatchable `States.DataLimitExceeded` when the state exceeds 256 KiB: keep
   * only what later steps and compensations need. Mutually exclusive with `discardResult`.
   * @default - the whole result is kept
   */
  readonly resultSelector?: { [key: string]: any };
  /**
   * Keep nothing of the step's result: the state stores `{}` at the step's result place (so that
   * patterns that read `$.results.<step key>` still find it). Use it for steps run only for their
   * side effect. Mutually exclusive with `resultSelector`.
   * @default false
   */
  readonly discardResult?: boolean;
}

/**
 * Where and how a pattern places a step in its graph.
 */
export interface StepPlacement {
  /**
   * Name of the state to render.
   * @default - the step's name
   */
  readonly stateName?: string;
  /**
   * The request sent to the step: the event of a Lambda step, the input of a child workflow step.
   * Steps that define their own request against the state (AWS SDK calls, whose `parameters` read
   * the state with JSONPath, and Pass steps) do not use it.
   * @default - the whole state input (`$`)
   */
  readonly payload?: sfn.TaskInput;
  /**
   * Where the step's result is placed in the state (`ResultPath`).
   * @default '$' (the result replaces the state)
   */
  readonly resultPath?: string;
  /**
   * Reshapes the raw result before `resultPath` (`ResultSelector`).
   * @default - the result as returned
   */
  readonly resultSelector?: { [key: string]: any };
  /**
   * Override of the step's own retry policy for this use.
   * @default - the step's retry policy
   */
  readonly retry?: RetryPolicy;
  /**
   * The type of the executions the step runs in, when it differs from the workflow's own type
   * (e.g. the worker of a Distributed Map whose child executions are Express). The workflow's
   * step validation (callbacks, Express time limits) applies to this type.
   * @default - the workflow's type
   */
  readonly executionType?: WorkflowType;
}

/**
 * What a pattern passes to a step when it renders the step into its graph.
 */
export interface StepBindOptions extends StepPlacement {
  /**
   * The type of the state machine the step is rendered into.
   */
  readonly workflowType: WorkflowType;
}

/**
 * The states a step rendered.
 */
export interface StepBinding {
  /**
   * The single state that runs the step. Patterns attach `Next` and `Catch` to it; a step that needs
   * several states wraps them (for example in a one-branch `Parallel`) so that Retry and Catch apply
   * to the whole step.
   */
  readonly state: sfn.State;
  /**
   * The `WorkflowFunction`s the step invokes, so the workflow can alarm on them.
   * @default - none
   */
  readonly functions?: WorkflowFunction[];
  /**
   * Names of the further states the step rendered inside `state` (e.g. a status check), which the
   * workflow reserves so that a clash with another step's name is reported clearly at synth time.
   * @default - none
   */
  readonly auxiliaryStateNames?: string[];
}

/**
 * A unit of work in a workflow.
 *
 * A step is a factory, not a pre-built state: a state can belong to one graph only, so each use
 * renders fresh states with `bind()`. Patterns only arrange bound steps; the rendering of a task,
 * its retry, its timeout and its IAM live in the step.
 */
export interface IWorkflowStep {
  /** The step's name; also the name of the state that runs it. */
  readonly name: string;
  /**
   * Time limit of one attempt.
   * @default - none declared
   */
  readonly timeout?: Duration;
  /** Whether running the step twice has the effect of running it once. */
  readonly idempotent: boolean;
  /** Whether the step pauses for an external callback (`.waitForTaskToken`). */
  readonly waitsForCallback: boolean;
  /**
   * Render fresh states for this step into `scope`; called once per use.
   */
  bind(scope: Construct, options: StepBindOptions): StepBinding;
}
