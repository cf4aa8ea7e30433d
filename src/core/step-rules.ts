import { Annotations, Duration } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { workflowError } from './errors';
import { IWorkflowStep, RetryPolicy } from './step';
import { WorkflowType } from './types';
import { isTokenValue, MAX_ASL_SECONDS_OR_ATTEMPTS, validateRetryPolicy, validateWholeSeconds } from './validation';

/** Longest Express execution (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html). */
export const EXPRESS_MAX_SECONDS = 300;

/**
 * What a built-in step tells the workflow about itself so that the workflow can validate it
 * (module-private: the built-in steps expose it through `_validationFacts()`).
 * @internal
 */
export interface StepFacts {
  /** The kind of step. */
  readonly kind: 'lambda' | 'awsSdk' | 'pass' | 'callback' | 'child';
  /** The step's own retry policy. */
  readonly retry?: RetryPolicy;
  /** Default number of retries when the policy sets none. */
  readonly defaultMaxAttempts?: number;
  /** Default retry interval / rate / cap when the policy sets none. */
  readonly defaultInterval?: Duration;
  readonly defaultBackoffRate?: number;
  readonly defaultMaxDelay?: Duration;
  /** Errors never retried. */
  readonly nonRetryableErrors?: string[];
  /** The timeout the user gave (undefined when it is derived). */
  readonly explicitTimeout?: Duration;
  /** The heartbeat. */
  readonly heartbeat?: Duration;
  /** Timeout of the function a Lambda step invokes, when known. */
  readonly functionTimeout?: Duration;
  /** For child workflow steps: the child's execution timeout and type. */
  readonly childTimeout?: Duration;
  readonly childType?: WorkflowType;
  /** For child workflow steps: the child's construct path. */
  readonly childPath?: string;
}

/** The facts of a step, when it is a built-in one. */
export function factsOf(step: IWorkflowStep): StepFacts | undefined {
  const fn = (step as any)._validationFacts;
  return typeof fn === 'function' ? fn.call(step) : undefined;
}

/** What a workflow knows when it validates a step it binds. */
export interface StepContext {
  /** The type of the executions the step runs in. */
  readonly executionType: WorkflowType;
  /** The workflow's execution timeout. */
  readonly workflowTimeout: Duration;
  /** The retry override the pattern places on the step, if any. */
  readonly retryOverride?: RetryPolicy;
  /** The state name the step is rendered under. */
  readonly stateName: string;
}

function seconds(d: Duration | undefined): number | undefined {
  if (d === undefined || isTokenValue(d)) {
    return undefined;
  }
  return d.toSeconds({ integral: false });
}

/**
 * The step rules every workflow applies once, whatever the pattern (see docs/validation.md).
 * Errors name the workflow's construct path, the step, the value and the fix.
 */
export function validateStepInWorkflow(scope: IConstruct, step: IWorkflowStep, ctx: StepContext): void {
  if (!step || typeof (step as any).bind !== 'function' || typeof step.name !== 'string') {
    throw workflowError(scope, `a step is ${step === undefined ? 'undefined' : JSON.stringify(step)}, not a workflow step. Build steps with Step.lambda(...), Step.awsSdk(...), Step.callback(...), Step.childWorkflow(...) or Step.pass(...).`);
  }
  const name = ctx.stateName;
  const express = ctx.executionType === WorkflowType.EXPRESS;
  const facts = factsOf(step);

  // -- Express: no callbacks, nothing longer than 5 minutes.
  // "Express Workflows do not support .waitForTaskToken or .sync"
  // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html, "Service integrations").
  if (express && step.waitsForCallback) {
    throw workflowError(scope, `step '${name}' waits for a callback (.waitForTaskToken), which Express workflows do not support (Express executions run at most 5 minutes and cannot pause for a task token). Use WorkflowType.STANDARD, or a step that does not wait.`);
  }
  // "Express Workflows support Request Response, but they do not support Run a Job (.sync)"
  // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html), and
  // StartSyncExecution starts Express state machines only.
  if (express && facts?.kind === 'child' && facts.childType === WorkflowType.STANDARD) {
    throw workflowError(scope, `step '${name}': an Express workflow cannot call the Standard workflow ${facts.childPath} synchronously. Express state machines do not support the '.sync' integration, and StartSyncExecution starts Express machines only. Make the child Express, make the parent Standard, or start the child asynchronously with Step.awsSdk (sfn:startExecution).`);
  }
  const timeout = seconds(step.timeout);
  if (express && timeout !== undefined) {
    if (facts?.kind === 'child') {
      const explicit = seconds(facts.explicitTimeout);
      if (explicit !== undefined && explicit > EXPRESS_MAX_SECONDS) {
        throw workflowError(scope, `child workflow step '${name}' has timeout ${facts.explicitTimeout!.toHumanString()}, longer than the 5 minutes an Express parent lives. Shorten the step's timeout to at most Duration.minutes(5), or make the parent Standard.`);
      }
    } else if (timeout > EXPRESS_MAX_SECONDS) {
      const derived = facts?.kind === 'lambda' && facts.explicitTimeout === undefined && facts.functionTimeout
        ? ` (derived from its function's timeout ${facts.functionTimeout.toHumanString()} plus 5 s)`
        : '';
      throw workflowError(scope, `step '${name}' may run ${step.timeout!.toHumanString()}${derived}, longer than the 5 minutes an Express execution lives. Shorten the step's timeout (and its function's) to fit in 5 minutes, or use WorkflowType.STANDARD.`);
    }
  }

  if (!facts) {
    return;
  }
  validateWholeSeconds(scope, `step '${name}': timeout`, facts.explicitTimeout, 1, MAX_ASL_SECONDS_OR_ATTEMPTS,
    'Give the step a positive timeout of at most 99,999,999 seconds.');
  validateWholeSeconds(scope, `step '${name}': heartbeat`, facts.heartbeat, 1, MAX_ASL_SECONDS_OR_ATTEMPTS,
    'Give the step a positive heartbeat of at most 99,999,999 seconds.');
  const heartbeat = seconds(facts.heartbeat);
  if (heartbeat !== undefined && timeout !== undefined && heartbeat >= timeout) {
    throw workflowError(scope, `step '${name}': heartbeat (${facts.heartbeat!.toHumanString()}) must be shorter than the timeout (${step.timeout!.toHumanString()}); Step Functions rejects HeartbeatSeconds >= TimeoutSeconds. Shorten the heartbeat or lengthen the timeout.`);
  }
  if (facts.kind === 'callback' && step.timeout === undefined) {
    throw workflowError(scope, `callback step '${name}' has no timeout: a task token that is never answered would keep the execution waiting until the workflow times out (up to a year). Set timeout (and heartbeat if the worker can report progress).`);
  }

  // -- the child's own timeout must fit in the step's.
  if (facts.kind === 'child') {
    const explicit = seconds(facts.explicitTimeout);
    const child = seconds(facts.childTimeout);
    if (explicit !== undefined && child !== undefined && explicit < child) {
      throw workflowError(scope, `child workflow step '${name}' has timeout ${facts.explicitTimeout!.toHumanString()}, shorter than the child's own execution timeout (${facts.childTimeout!.toHumanString()}): the parent would give up (States.Timeout) while the child keeps running and its result is lost. Raise the step's timeout to at least the child's, or shorten the child's timeout.`);
    }
  }

  // -- retries (the pattern's override replaces the step's policy).
  const retry = ctx.retryOverride ?? facts.retry;
  validateRetryPolicy(scope, retry ?? {}, facts.nonRetryableErrors);

  // -- warnings: a Lambda step that gives up before its function, and retries that cannot fit.
  const fnTimeout = seconds(facts.functionTimeout);
  const explicit = seconds(facts.explicitTimeout);
  if (facts.kind === 'lambda' && fnTimeout !== undefined && explicit !== undefined && explicit < fnTimeout) {
    Annotations.of(scope).addWarningV2('cdk-stateful-workflows:stepTimeoutBelowFunctionTimeout',
      `step '${name}' times out after ${facts.explicitTimeout!.toHumanString()}, before its function may finish (${facts.functionTimeout!.toHumanString()}): the state fails with States.Timeout while the function keeps running, and a retry runs it again beside the first invocation. Give the step a timeout above the function's (or omit it: the default is the function's timeout plus 5 s).`);
  }
  const workflowTimeout = seconds(ctx.workflowTimeout);
  // A child step's derived timeout (the child's own + 5 s) with the default retry on the start call's
  // transient errors (which fail fast) says nothing about a real worst case: only explicit ones count.
  const derivedChild = facts.kind === 'child' && facts.explicitTimeout === undefined && retry === undefined;
  const worst = derivedChild ? undefined : worstCaseSeconds(timeout, retry, facts);
  if (worst !== undefined && workflowTimeout !== undefined && worst.total > workflowTimeout) {
    Annotations.of(scope).addWarningV2('cdk-stateful-workflows:stepRetriesOutlastWorkflow',
      `step '${name}' may take ${worst.total} s (${worst.attempts} attempt(s) x ${timeout} s timeout + ${worst.waits} s of retry waits), more than the workflow's ${workflowTimeout} s timeout: its last retries could never run. Shorten the step's timeout or retries, or raise the workflow timeout.`);
  }
}

/** Worst-case duration of a step with its retries, or undefined when not computable. */
export function worstCaseSeconds(
  timeout: number | undefined, retry: RetryPolicy | undefined, facts: StepFacts,
): { total: number; attempts: number; waits: number } | undefined {
  if (timeout === undefined) {
    return undefined;
  }
  const maxAttempts = retry?.maxAttempts ?? facts.defaultMaxAttempts ?? 0;
  const interval = seconds(retry?.interval ?? facts.defaultInterval) ?? 1;
  const rate = retry?.backoffRate ?? facts.defaultBackoffRate ?? 2;
  const maxDelay = seconds(retry?.maxDelay ?? facts.defaultMaxDelay);
  if ([maxAttempts, rate].some((v) => isTokenValue(v)) || maxAttempts > 10_000) {
    return undefined;
  }
  let waits = 0;
  for (let a = 0; a < maxAttempts; a++) {
    const wait = interval * Math.pow(rate, a);
    waits += maxDelay !== undefined ? Math.min(wait, maxDelay) : wait;
  }
  waits = Math.round(waits);
  const attempts = maxAttempts + 1;
  return { total: attempts * timeout + waits, attempts, waits };
}
