import { Annotations, Duration, NestedStack, Stack, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { quotedNames, workflowError } from '../../core/errors';
import { IWorkflowStep, RetryPolicy, StepBinding } from '../../core/step';
import { WorkflowType } from '../../core/types';
import { MAX_NAME_LENGTH, stepResultKey } from '../../core/validation';
import { Workflow, WorkflowLoggingOptions, WorkflowProps } from '../../core/workflow';
import { DEFAULTS } from '../../defaults/constants';
import { keptExpressChildrenByAuto, Placement, resourcesOf, shardId, STACK_RESOURCES_BEFORE_NESTING } from '../../defaults/function-placement';
import { AlarmOverride, WorkflowAlarmsOptions } from '../../defaults/workflow-alarms';
import { ChildWorkflowStep } from '../../steps/child-workflow-step';
import { isRetriable } from '../../steps/retry';
import { SequentialWorkflow } from '../sequence/sequential-workflow';

/** Longest name of a generated group state (leaves room for the child step's auxiliary suffixes). */
const MAX_GROUP_NAME_LENGTH = 60;

/**
 * A step of a `HybridWorkflow` and where it runs.
 */
export interface HybridStep {
  /** The step. */
  readonly step: IWorkflowStep;
  /**
   * Run the step in an Express child workflow. Consecutive express steps share one child. Only
   * idempotent steps with a declared timeout of at most 5 minutes (and no callback) qualify:
   * Express executions are at-least-once and run at most 5 minutes.
   * @default false (the step runs in the Standard parent, exactly once)
   */
  readonly express?: boolean;
}

/**
 * An error handler of a `HybridWorkflow`.
 */
export interface HybridCatch {
  /** The error names handled, e.g. `['PaymentDeclined']` (`States.ALL` handles every error). */
  readonly errors: string[];
  /**
   * The step run when a step (or an Express child) fails with one of `errors`. It receives the
   * workflow state with the error at `$.error` (`{ Error, Cause }`); its result is stored at
   * `$.results.<handler key>` and the execution then ends successfully.
   */
  readonly handler: IWorkflowStep;
}

/**
 * Options of the Express child workflows a `HybridWorkflow` generates.
 */
export interface HybridExpressChildOptions {
  /**
   * Execution timeout of each Express child (at most 5 minutes). The declared timeouts of a
   * group's steps must fit in it.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Retry, in the parent, of a whole Express child. Every step of a child is idempotent, so a
   * child may safely run again; name the errors (raised inside the child) that justify it.
   * @default - 3 retries with backoff and jitter on the start call's transient errors only
   */
  readonly retry?: RetryPolicy;
  /**
   * Alarms of each child. A child's execution alarms (failed, timed out, aborted, throttled) do
   * not notify unless their override sets `notify: true`: the parent retries a failed child and may
   * catch its error, and what it does not absorb fails the parent, whose alarm notifies.
   *
   * The functions of the express steps are watched by the parent's function alarms (errors,
   * throttles, spillover: one set per workflow, each naming the function that breached), not by
   * alarms of each child. Setting `functionErrors`, `functionThrottles` or
   * `provisionedConcurrencySpillover` here gives each child its own function alarms instead.
   * @default - the parent's `alarms` options, with the children's execution alarms not notifying
   * and their functions watched by the parent's function alarms
   */
  readonly alarms?: WorkflowAlarmsOptions;
  /**
   * Logging of each child. Express keeps no execution history, so the level is always ALL.
   * @default - level ALL, execution data excluded, a log group per child retained one month
   */
  readonly logging?: WorkflowLoggingOptions;
  /**
   * Where the children are created. With AUTO they go to nested stacks of the workflow
   * (`ExpressChildren`, `ExpressChildren2`, ..., 10 children each) when the stack, with about 8
   * resources per child (state machine, role, policies, log group, alarms), would hold more than 460
   * resources; an info annotation says so. The parent calls them across the stacks.
   * @default Placement.AUTO
   */
  readonly placement?: Placement;
}

/**
 * The alarms of an Express child: its executions' alarms do not notify unless asked. The parent
 * retries a failed child as a whole and may catch its error; what neither absorbs fails the
 * parent, whose own ExecutionsFailed alarm notifies. A child alarm notifying would page for a
 * failure a retry absorbed (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
function childAlarms(options: WorkflowAlarmsOptions | undefined, ownFunctionAlarms: boolean): WorkflowAlarmsOptions {
  const quiet = (o: AlarmOverride | undefined): AlarmOverride => ({ notify: false, ...o });
  const off: AlarmOverride = { enabled: false };
  return {
    ...options,
    executionsFailed: quiet(options?.executionsFailed),
    executionsTimedOut: quiet(options?.executionsTimedOut),
    executionsAborted: quiet(options?.executionsAborted),
    executionsThrottled: quiet(options?.executionsThrottled),
    // the parent's function alarms watch the children's functions too (see HybridExpressChildOptions.alarms)
    ...(ownFunctionAlarms ? {} : { functionErrors: off, functionThrottles: off, provisionedConcurrencySpillover: off }),
  };
}

/** The function alarms a WorkflowAlarmsOptions can override. */
const FUNCTION_ALARMS = ['functionErrors', 'functionThrottles', 'provisionedConcurrencySpillover'] as const;

/**
 * Resources of an Express child with the defaults, rounded up: state machine, role, its default and
 * library policies, log group and two execution alarms (its functions' alarms are the parent's).
 */
const RESOURCES_PER_CHILD = 8;
/** Express children per nested stack: each child's ARN is an output, each function it invokes a parameter. */
const CHILDREN_PER_NESTED_STACK = 10;

/**
 * Properties of a `HybridWorkflow`.
 */
export interface HybridWorkflowProps extends WorkflowProps {
  /** The steps, in order; consecutive `express` steps are grouped into one Express child. */
  readonly steps: HybridStep[];
  /**
   * Error handlers attached to every step of the parent (including the calls of the Express children,
   * which re-throw their steps' error names).
   * @default - none: an error that exhausts its retries fails the execution
   */
  readonly catches?: HybridCatch[];
  /**
   * Options of the Express children.
   * @default - 5-minute timeout, retry on transient start errors, the parent's alarm options, logging ALL
   */
  readonly expressChildren?: HybridExpressChildOptions;
}

/**
 * The Standard-parent / Express-child split.
 *
 * A Standard parent (exactly-once, auditable, billed per state transition) in which each run of
 * consecutive `express: true` steps becomes one Express child workflow (at-least-once, billed per
 * request and duration) with logging ALL, tracing and its own alarms, called synchronously with
 * `states:startExecution.sync:2`. The other steps stay in the parent.
 *
 * The workflow state is the same as in a `SequentialWorkflow`: the input plus `results`, each step's
 * result at `$.results.<step key>`. A child receives the parent's state (plus the parent's execution
 * ID), adds its steps' results and hands `results` back, so the steps behave as if they ran inline;
 * a failing child step surfaces in the parent under its own error name, where `catches` and the
 * child's `retry` apply.
 */
export class HybridWorkflow extends Workflow {
  /** The generated Express child workflows, in order. */
  public readonly expressChildren: Workflow[] = [];
  /** The names of the parent states that call the Express children, in order. */
  public readonly expressGroupStateNames: string[] = [];

  public constructor(scope: Construct, id: string, props: HybridWorkflowProps) {
    super(scope, id, { ...props, type: WorkflowType.STANDARD });
    if (props.type !== undefined && props.type !== WorkflowType.STANDARD) {
      throw workflowError(this, `type is ${props.type}, but a HybridWorkflow's parent is always STANDARD (it keeps the exactly-once steps in a Standard machine and runs the express steps in Express children). Omit type, or use a SequentialWorkflow with type EXPRESS.`);
    }
    if (!props.steps || props.steps.length === 0) {
      throw workflowError(this, 'steps is empty. Give at least one step: { step: Step.lambda(...), express?: true }.');
    }
    const childOptions = props.expressChildren ?? {};
    // Function alarms are one set per workflow: the parent's, covering the children's functions,
    // unless expressChildren.alarms configures the function alarms of the children themselves.
    const childrenOwnFunctionAlarms = FUNCTION_ALARMS.some((k) => childOptions.alarms?.[k] !== undefined);
    const childTimeout = childOptions.timeout ?? DEFAULTS.expressMaxTimeout;
    if (childOptions.logging?.level !== undefined && childOptions.logging.level !== sfn.LogLevel.ALL) {
      throw workflowError(this, `expressChildren.logging.level is ${childOptions.logging.level}; Express workflows keep no execution history, so their logs at level ALL are the only record of their runs. Omit the level.`);
    }

    // Every step (and handler) shares the `$.results` namespace and the parent's names.
    const keys = new Map<string, string>();
    const allSteps = [...props.steps.map((s) => s?.step), ...(props.catches ?? []).map((c) => c?.handler)];
    for (const step of allSteps) {
      if (!step || typeof step.bind !== 'function') {
        throw workflowError(this, `a step is ${step}. Every entry needs a step: { step: Step.lambda('Name', fn) }.`);
      }
      const key = stepResultKey(step.name);
      const clash = keys.get(key);
      if (clash !== undefined) {
        throw workflowError(this, clash === step.name
          ? `the step name '${step.name}' is used twice. Step names must be unique in a HybridWorkflow, including the steps that run in Express children. Rename one of them.`
          : `steps '${clash}' and '${step.name}' would both store their result at $.results.${key}. Rename one of them.`);
      }
      keys.set(key, step.name);
    }

    // Split into runs: inline steps, and groups of consecutive express steps.
    const runs: Array<{ express: boolean; steps: IWorkflowStep[] }> = [];
    for (const entry of props.steps) {
      const express = entry.express ?? false;
      if (express) {
        this.validateExpressStep(entry.step, childTimeout);
      }
      const last = runs[runs.length - 1];
      if (express && last?.express) {
        last.steps.push(entry.step);
      } else {
        runs.push({ express, steps: [entry.step] });
      }
    }

    const childScope = this.childScopes(runs.filter((r) => r.express).length, childOptions.placement ?? Placement.AUTO);
    const bound: StepBinding[] = [];
    const keysSoFar: string[] = [];
    let groupIndex = 0;
    for (const run of runs) {
      if (!run.express) {
        for (const step of run.steps) {
          const key = stepResultKey(step.name);
          keysSoFar.push(key);
          bound.push(this.bindStep(step, { resultPath: `$.results.${key}` }));
        }
        continue;
      }
      groupIndex++;
      this.validateGroupTimeout(run.steps, childTimeout, groupIndex);
      const child = new SequentialWorkflow(childScope(groupIndex), `ExpressGroup${groupIndex}`, {
        type: WorkflowType.EXPRESS,
        steps: run.steps,
        timeout: childTimeout,
        stateMachineName: props.stateMachineName !== undefined && !Token.isUnresolved(props.stateMachineName)
          ? `${props.stateMachineName}-express-${groupIndex}`
          : undefined,
        comment: `Express child ${groupIndex} of ${this.node.path}: ${run.steps.map((s) => s.name).join(', ')}`,
        tracingEnabled: props.tracingEnabled ?? true,
        logging: { ...childOptions.logging, level: sfn.LogLevel.ALL },
        encryptionKey: props.encryptionKey,
        kmsDataKeyReusePeriod: props.kmsDataKeyReusePeriod,
        alarms: childAlarms(childOptions.alarms ?? props.alarms, childrenOwnFunctionAlarms),
      });
      this.expressChildren.push(child);
      if (!childrenOwnFunctionAlarms) this._watchFunctionsOf(child);
      for (const step of run.steps) {
        keysSoFar.push(stepResultKey(step.name));
      }
      const groupName = groupStateName(run.steps, groupIndex, keys);
      this.expressGroupStateNames.push(groupName);
      // The child returns the parent's state plus its results; take back exactly the results known
      // so far, so nothing else the child holds (e.g. the correlation ID) leaks into the parent.
      const resultSelector: { [key: string]: string } = {};
      for (const key of keysSoFar) {
        resultSelector[`${key}.$`] = `$.results.${key}`;
      }
      const callChild = new ChildWorkflowStep(groupName, child, { idempotent: true, retry: childOptions.retry });
      bound.push(this.bindStep(callChild, { resultPath: '$.results', resultSelector }));
    }

    for (const handler of props.catches ?? []) {
      if (!handler.errors || handler.errors.length === 0) {
        throw workflowError(this, `catch handler '${handler.handler.name}' has no errors. List the error names it handles, e.g. ['PaymentDeclined'] or ['States.ALL'].`);
      }
      const handlerState = this.bindStep(handler.handler, { resultPath: `$.results.${stepResultKey(handler.handler.name)}` }).state;
      for (const binding of bound) {
        if (isRetriable(binding.state)) {
          binding.state.addCatch(handlerState, { errors: [...handler.errors], resultPath: '$.error' });
        }
      }
    }

    let chain: sfn.Chain | undefined;
    for (const binding of bound) {
      chain = chain ? chain.next(binding.state) : sfn.Chain.start(binding.state);
    }
    this.createStateMachine(chain!);
    if (this.expressChildren.length > 0) {
      Annotations.of(this).addInfoV2('cdk-stateful-workflows:hybridGroups',
        `Express children: ${this.expressGroupStateNames.map((n, i) => `'${n}' -> ${this.expressChildren[i].node.path}`).join('; ')}`);
    }
  }

  /**
   * The scope of each Express child (by group index, from 1): the workflow itself, or nested stacks
   * of CHILDREN_PER_NESTED_STACK children when the placement asks for it or (AUTO) when the stack
   * would hold more than STACK_RESOURCES_BEFORE_NESTING resources with them.
   */
  private childScopes(children: number, placement: Placement): (groupIndex: number) => Construct {
    if (children === 0 || placement === Placement.SAME_STACK) return () => this;
    const stack = Stack.of(this);
    const held = resourcesOf(stack);
    if (placement === Placement.AUTO && held + children * RESOURCES_PER_CHILD <= STACK_RESOURCES_BEFORE_NESTING) {
      keptExpressChildrenByAuto(this, children * RESOURCES_PER_CHILD);
      return () => this;
    }
    const scopes: NestedStack[] = [];
    for (let i = 0; i < children; i += CHILDREN_PER_NESTED_STACK) {
      scopes.push(new NestedStack(this, shardId('ExpressChildren', scopes.length), {
        description: `Express children of ${this.node.path} (cdk-stateful-workflows)`,
      }));
    }
    Annotations.of(this).addInfoV2('cdk-stateful-workflows:expressChildrenNested',
      `The ${children} Express children are in ${scopes.length} nested stack(s) (${scopes.map((n) => n.node.path).join(', ')}), ${CHILDREN_PER_NESTED_STACK} each: ` +
      (placement === Placement.AUTO
        ? `${stack.node.path} already holds ${held} resources and the children add about ${RESOURCES_PER_CHILD} each, above the ${STACK_RESOURCES_BEFORE_NESTING} the library fills before using nested stacks (a stack holds at most 500). `
        : 'expressChildren.placement is NESTED_STACK. ') +
      'Set expressChildren.placement to Placement.SAME_STACK to keep them in the stack.');
    return (groupIndex) => scopes[Math.floor((groupIndex - 1) / CHILDREN_PER_NESTED_STACK)];
  }

  /** Only short, idempotent, non-callback steps may run in an Express child. */
  private validateExpressStep(step: IWorkflowStep, childTimeout: Duration): void {
    const why = 'Express workflows are at-least-once and run at most 5 minutes';
    if (step.waitsForCallback) {
      throw workflowError(this, `step '${step.name}' is marked express but waits for a callback (.waitForTaskToken), which Express workflows do not support (${why}). Run it in the Standard parent: drop express.`);
    }
    if (!step.idempotent) {
      throw workflowError(this, `step '${step.name}' is marked express but is not idempotent: ${why}, so the step may run twice. Make it idempotent and declare idempotent: true in its options, or drop express.`);
    }
    if (step.timeout === undefined) {
      throw workflowError(this, `step '${step.name}' is marked express but declares no timeout: ${why}, so it must declare one that fits (timeout: Duration.seconds(...) in its options), or drop express.`);
    }
    const seconds = step.timeout.toSeconds({ integral: false });
    if (!Token.isUnresolved(seconds) && seconds > childTimeout.toSeconds({ integral: false })) {
      throw workflowError(this, `step '${step.name}' is marked express but its timeout is ${step.timeout.toHumanString()}, longer than the Express child's ${childTimeout.toHumanString()} (${why}). Shorten the step's timeout, or drop express.`);
    }
  }

  /** The declared timeouts of a group must fit in one Express execution. */
  private validateGroupTimeout(steps: IWorkflowStep[], childTimeout: Duration, groupIndex: number): void {
    const limit = childTimeout.toSeconds({ integral: false });
    let total = 0;
    // the first step whose timeout no longer fits with the ones before it
    let firstOver: IWorkflowStep | undefined;
    for (const step of steps) {
      const seconds = step.timeout!.toSeconds({ integral: false });
      if (Token.isUnresolved(seconds)) return;
      total += seconds;
      if (total > limit && firstOver === undefined) firstOver = step;
    }
    if (firstOver) {
      throw workflowError(this, `the express steps ${quotedNames(steps.map((s) => s.name))} (Express child ${groupIndex}) declare ${total} s of timeouts in total, more than the Express child's ${childTimeout.toHumanString()}; the steps before '${firstOver.name}' fit. Shorten their timeouts, or split the group with a Standard step (drop express on '${firstOver.name}' or an earlier one; each run of express steps becomes its own child).`);
    }
  }
}

/** The parent state calling a group: `<first> to <last> (express)`, or `Express group <n>` when too long or taken. */
function groupStateName(steps: IWorkflowStep[], index: number, taken: Map<string, string>): string {
  const first = steps[0].name;
  const last = steps[steps.length - 1].name;
  const candidate = steps.length === 1 ? `${first} (express)` : `${first} to ${last} (express)`;
  const usable = (name: string) => name.length <= Math.min(MAX_GROUP_NAME_LENGTH, MAX_NAME_LENGTH) && !taken.has(stepResultKey(name));
  return usable(candidate) ? candidate : `Express group ${index}`;
}
