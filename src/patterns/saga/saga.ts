import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowError } from '../../core/errors';
import { IWorkflowStep, RetryPolicy } from '../../core/step';
import { stepResultKey } from '../../core/validation';
import { Workflow, WorkflowProps } from '../../core/workflow';
import { AlarmOverride } from '../../defaults/workflow-alarms';
import { Step } from '../../steps/step';

/**
 * One step of a `Saga`: a forward action and, optionally, the compensation that undoes it.
 */
export interface SagaStep {
  /** The forward action (any step: Lambda, AWS SDK call, child workflow...). */
  readonly action: IWorkflowStep;
  /**
   * The step that undoes `action`. It runs when a later step (up to the pivot) fails after the
   * action completed, in reverse order of the actions, and is retried on any error with
   * `SagaProps.compensationRetry`.
   * @default - the step is not compensated
   */
  readonly compensation?: IWorkflowStep;
  /**
   * The point of no return. When the pivot succeeds, the steps after it retry forward
   * (`SagaProps.forwardRetry`) and are never compensated; a failure after the pivot fails the
   * execution with the original error, rolling back nothing. When the pivot itself fails, the
   * steps before it are compensated. At most one step is the pivot.
   * @default false
   */
  readonly pivot?: boolean;
  /**
   * Also run this step's compensation when the step ITSELF fails (after its retries), before the
   * compensations of the earlier steps, for actions that may have partially applied. The
   * compensation then receives no `result` and `stepFailed: true`.
   * @default false
   */
  readonly compensateOnFailure?: boolean;
  /**
   * Reshapes the action's raw result before it is kept at `$.results.<step key>`
   * (`ResultSelector`), so that only what later steps and the compensation need travels in the
   * state: e.g. `{ 'reservationId.$': '$.reservationId' }`. Step Functions fails an execution whose
   * state exceeds 256 KiB with `States.DataLimitExceeded`, which no Catch handles: the saga would
   * then stop WITHOUT compensating.
   * @default - the whole result is kept
   */
  readonly resultSelector?: { [key: string]: any };
  /**
   * Keep nothing of the action's result in the state (`ResultPath: null`). Its compensation then
   * receives no `result`.
   * @default false
   */
  readonly discardResult?: boolean;
}

/**
 * Properties of a `Saga`.
 */
export interface SagaProps extends WorkflowProps {
  /** The steps, run in order. */
  readonly steps: SagaStep[];
  /**
   * Retry policy of every compensation, merged field by field: a field set here overrides the
   * compensation step's own value (with a warning when they differ); a field set nowhere takes the
   * default. The compensation's non-retryable errors still go straight to the compensation-failed path.
   * @default - the compensation's own fields, else: any error (`States.ALL`), 5 retries, 1 s interval, backoff rate 2, at most 30 s, full jitter
   */
  readonly compensationRetry?: RetryPolicy;
  /**
   * Retry policy of the actions after the pivot, which retry forward instead of rolling back,
   * merged field by field like `compensationRetry`: a field set here overrides the action's own
   * value (with a warning when they differ); a field set nowhere takes the default.
   * @default - the action's own fields, else: any error (`States.ALL`), 5 retries, 1 s interval, backoff rate 2, at most 30 s, full jitter
   */
  readonly forwardRetry?: RetryPolicy;
  /**
   * Override of the alarm on compensations that failed after their retries (the
   * `SagaCompensationFailed` metric). Ignored, with a warning, when `alarms.enabled` is false.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly compensationFailedAlarm?: AlarmOverride;
}

/** Where the saga keeps its bookkeeping in the state (reserved key of the input). */
const SAGA_KEY = 'saga';
/** Where the action results are kept (reserved key of the input). */
const RESULTS_KEY = 'results';

const ERROR_PATH = `$.${SAGA_KEY}.error`;
const COMPENSATION_ERROR_PATH = `$.${SAGA_KEY}.compensationError`;
const FAILURE_PATH = `$.${SAGA_KEY}.failure`;
const METRIC_ERROR_PATH = `$.${SAGA_KEY}.metricError`;

/** Names of the states the saga generates itself. */
const ROLLBACK_COMPLETE = 'Rollback complete';
const ROLLED_BACK = 'Saga rolled back';
const RECORD_COMPENSATION_FAILURE = 'Record compensation failure';
const COMPENSATION_FAILED_STATE = 'Saga compensation failed';
const CHECK_INPUT = 'Saga: check input';
const RESERVED_INPUT_KEY_STATE = 'Saga: reserved input key';
const ON_FAILURE_SUFFIX = ' (on failure)';
const FAILED_SUFFIX = ' failed';

/** The default retry of compensations and of the steps after the pivot. */
const DEFAULT_SAGA_RETRY = {
  errors: ['States.ALL'],
  maxAttempts: 5,
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitter: true,
};

/** What the planner decided for one step. */
interface PlannedStep {
  readonly index: number;
  readonly step: SagaStep;
  readonly key: string;
  /** After the pivot: retried forward, never caught. */
  readonly forward: boolean;
  /** The compensation runs in the shared reverse chain (a later step can roll back). */
  readonly inChain: boolean;
  /** The compensation runs when the step itself fails. */
  readonly onFailure: boolean;
}

/**
 * A saga: ordered steps, each with an optional compensation, generated as one state machine.
 *
 * - Steps run in order; each action receives `{ input, idempotencyKey }` (Lambda steps) where
 *   `input` is the saga state (the execution input plus `results`) and `idempotencyKey` is
 *   `<execution name>:<step name>`. Its result is stored at `$.results.<step key>`.
 * - When step k fails after its retries, the compensations of the steps that completed run in
 *   reverse order (k-1 down to 1), each retried on any error with backoff and jitter; then the
 *   execution fails with the ORIGINAL error name and cause. The failed step's own compensation
 *   runs first only when the step sets `compensateOnFailure`.
 * - A compensation that still fails ends the execution with the error `Saga.CompensationFailed`
 *   (the cause names the step and carries both errors), after publishing the
 *   `CdkStatefulWorkflows/SagaCompensationFailed` metric, on which a default alarm is created.
 * - After the pivot step, steps retry forward and are never compensated: a failure there fails
 *   the execution with its original error, rolling back nothing.
 *
 * The happy path is one state per action after one input check, so it costs one state transition
 * more than a hand-written chain of the same tasks. The input must be a JSON object; its keys
 * `results` and `saga` are reserved: an input using them fails at once with `Saga.ReservedInputKey`
 * (the cause names the key), before any step runs.
 */
export class Saga extends Workflow {
  /** The error name of an execution whose rollback stopped because a compensation kept failing. */
  public static readonly COMPENSATION_FAILED_ERROR = 'Saga.CompensationFailed';
  /** The error name of an execution refused because its input uses a key the saga reserves. */
  public static readonly RESERVED_INPUT_KEY_ERROR = 'Saga.ReservedInputKey';
  /** The keys of the execution input the saga reserves for its own state. */
  public static readonly RESERVED_INPUT_KEYS: string[] = [RESULTS_KEY, SAGA_KEY];
  /** The CloudWatch namespace of the saga metrics. */
  public static readonly METRIC_NAMESPACE = 'CdkStatefulWorkflows';
  /** The metric counting compensations that failed after their retries (dimension `StateMachineName`). */
  public static readonly COMPENSATION_FAILED_METRIC = 'SagaCompensationFailed';

  /**
   * The JSONPath intrinsic that evaluates to the idempotency key the saga gives the step named
   * `stepName` (`<execution name>:<step name>`). Lambda actions and compensations receive it in
   * their event; use this for steps that build their own request, e.g. an AWS SDK call:
   * `parameters: { 'ClientToken.$': Saga.idempotencyKey('Ship item') }`.
   */
  public static idempotencyKey(stepName: string): string {
    return `States.Format('{}:${escapeIntrinsic(stepName)}', $$.Execution.Name)`;
  }

  /** The alarm on compensations that failed after their retries (undefined when alarms are off or it is disabled). */
  public readonly compensationFailedAlarm?: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: SagaProps) {
    super(scope, id, props);
    const plan = this.plan(props);
    // the longest rollback is estimated with the saga-level policy (a compensation's own fields may differ)
    this.warnAboutRollbackDuration(plan, mergeRetry(undefined, props.compensationRetry));

    // -- the end of a complete rollback: re-raise the original error (Cause defaulted to "" in
    //    case the caught error carried none, so that CausePath always resolves).
    this.claimStateName(ROLLBACK_COMPLETE);
    this.claimStateName(ROLLED_BACK);
    const rollbackComplete = new sfn.Pass(this, ROLLBACK_COMPLETE, {
      comment: 'Every compensation ran; re-raise the error that started the rollback.',
      parameters: {
        'error.$': `States.JsonMerge(States.StringToJson(States.Format('\\{"Cause":""\\}')), ${ERROR_PATH}, false)`,
      },
      resultPath: `$.${SAGA_KEY}`,
    });
    rollbackComplete.next(new sfn.Fail(this, ROLLED_BACK, {
      comment: 'The saga was rolled back; it fails with the original error and cause.',
      errorPath: `${ERROR_PATH}.Error`,
      causePath: `${ERROR_PATH}.Cause`,
    }));

    // -- the stuck path: count it, then fail with Saga.CompensationFailed.
    this.claimStateName(COMPENSATION_FAILED_STATE);
    const stuck = new sfn.Fail(this, COMPENSATION_FAILED_STATE, {
      comment: 'A compensation failed after its retries: the rollback stopped and needs a human.',
      error: Saga.COMPENSATION_FAILED_ERROR,
      causePath: `${FAILURE_PATH}.cause`,
    });
    // The metric task goes through the step model like any step: its IAM statement
    // (cloudwatch:PutMetricData, which supports no resource-level permissions, limited to the saga
    // namespace with the cloudwatch:namespace condition key, see
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html)
    // is derived from the state graph, and the LibraryRole routes it to its LibraryPolicy.
    const recordFailure = this.bindStep(Step.awsSdk(RECORD_COMPENSATION_FAILURE, {
      service: 'cloudwatch',
      action: 'putMetricData',
      parameters: {
        Namespace: Saga.METRIC_NAMESPACE,
        MetricData: [{
          MetricName: Saga.COMPENSATION_FAILED_METRIC,
          Unit: 'Count',
          Value: 1,
          Dimensions: [{ Name: 'StateMachineName', Value: sfn.JsonPath.stringAt('$$.StateMachine.Name') }],
        }],
      },
      iamResources: ['*'],
      // the IAM action as the Service Authorization Reference spells it (the allowlist of
      // src/nag compares it exactly; aws-cdk-lib would derive 'cloudwatch:putMetricData')
      iamAction: 'cloudwatch:PutMetricData',
      iamConditions: { StringEquals: { 'cloudwatch:namespace': Saga.METRIC_NAMESPACE } },
      comment: `Counts the failure in ${Saga.METRIC_NAMESPACE}/${Saga.COMPENSATION_FAILED_METRIC} (alarmed).`,
    }), {
      resultPath: sfn.JsonPath.DISCARD,
      retry: { errors: ['States.ALL'], maxAttempts: 2, interval: Duration.seconds(1), backoffRate: 2, jitter: true },
    }).state as sfn.TaskStateBase;
    // Even if the metric cannot be published, the execution must end in CompensationFailed.
    this.catchAll(recordFailure, stuck, METRIC_ERROR_PATH);
    recordFailure.next(stuck);

    // -- compensations: one shared reverse chain C_{n-1} -> ... -> C_1 -> Rollback complete,
    //    plus an "on failure" copy for steps that compensate their own failure.
    const chainEntry: sfn.State[] = []; // chainEntry[j]: where to go to compensate steps j..0
    const onFailureEntry = new Map<number, sfn.State>();
    let below: sfn.State = rollbackComplete;
    for (const p of plan) {
      const compensation = p.step.compensation;
      if (compensation && (p.inChain || p.onFailure)) {
        const failedName = this.generatedStateName(compensation.name, FAILED_SUFFIX);
        this.claimStateName(failedName);
        const failed = new sfn.Pass(this, failedName, {
          comment: `Compensation '${compensation.name}' of step '${p.step.action.name}' failed after its retries.`,
          parameters: {
            'step': p.step.action.name,
            'compensation': compensation.name,
            'cause.$': `States.Format('Compensation \\'${escapeIntrinsic(compensation.name)}\\' of step \\'${escapeIntrinsic(p.step.action.name)}\\' failed after its retries with {}. ` +
              `The rollback stopped: \\'${escapeIntrinsic(p.step.action.name)}\\' and the steps before it are NOT compensated and need manual repair. ` +
              `The rollback was started by {}.', States.JsonToString(${COMPENSATION_ERROR_PATH}), States.JsonToString(${ERROR_PATH}))`,
          },
          resultPath: FAILURE_PATH,
        });
        failed.next(recordFailure);
        if (p.onFailure) {
          const name = p.inChain ? this.generatedStateName(compensation.name, ON_FAILURE_SUFFIX) : compensation.name;
          onFailureEntry.set(p.index, this.bindCompensation(p, name, true, this.retryFor(compensation, 'compensationRetry', props.compensationRetry), failed, below));
        }
        if (p.inChain) {
          below = this.bindCompensation(p, compensation.name, false, this.retryFor(compensation, 'compensationRetry', props.compensationRetry), failed, below);
        }
      }
      chainEntry[p.index] = below;
    }

    // -- the actions, in order: the happy path is one state per action, after the input check.
    const actions: sfn.State[] = [];
    for (const p of plan) {
      const action = p.step.action;
      const binding = this.bindStep(action, {
        payload: sfn.TaskInput.fromObject({
          'input.$': '$',
          'idempotencyKey.$': Saga.idempotencyKey(action.name),
        }),
        resultPath: p.step.discardResult ? sfn.JsonPath.DISCARD : this.resultPathOf(action.name),
        resultSelector: p.step.resultSelector,
        retry: p.forward ? this.retryFor(action, 'forwardRetry', props.forwardRetry) : undefined,
      });
      const state = binding.state;
      if (!p.forward) {
        const target = onFailureEntry.get(p.index) ?? (p.index > 0 ? chainEntry[p.index - 1] : rollbackComplete);
        if (!this.catchAll(state, target, ERROR_PATH) && p.onFailure) {
          throw workflowError(this, `steps[${p.index}] ('${action.name}') sets compensateOnFailure, but its state (${state.constructor.name}) cannot fail or be caught, so its compensation could never run. Drop compensateOnFailure.`);
        }
      }
      actions.push(state);
    }

    this.createStateMachine(this.checkInput().otherwise(this.chainStates(actions)));
    if (this.alarms) {
      this.compensationFailedAlarm = this.alarms.addAlarm(
        'CompensationFailed',
        this.metricCompensationFailed(),
        `Saga compensations of ${this.node.path} that failed after their retries: the rollback stopped and the saga needs a human.`,
        props.compensationFailedAlarm,
      );
    } else if (props.compensationFailedAlarm) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:sagaAlarmIgnored',
        'compensationFailedAlarm is set but alarms are switched off (alarms.enabled: false), so no alarm is created. Switch alarms on, or drop compensationFailedAlarm.');
    }
  }

  /**
   * The first state: refuses, at run time, an input that uses the keys the saga reserves for its
   * own state (`results`, `saga`), which the saga would otherwise silently overwrite or read as
   * its own bookkeeping. Fails with `Saga.ReservedInputKey` and a cause naming the key.
   */
  private checkInput(): sfn.Choice {
    this.claimStateName(CHECK_INPUT);
    const check = new sfn.Choice(this, CHECK_INPUT, {
      comment: `Refuses an input that uses the keys the saga reserves (${Saga.RESERVED_INPUT_KEYS.map((k) => `'${k}'`).join(', ')}).`,
    });
    for (const key of Saga.RESERVED_INPUT_KEYS) {
      const name = `${RESERVED_INPUT_KEY_STATE} ${key}`;
      this.claimStateName(name);
      check.when(sfn.Condition.isPresent(`$.${key}`), new sfn.Fail(this, name, {
        error: Saga.RESERVED_INPUT_KEY_ERROR,
        cause: `The execution input has the key '${key}', which the saga reserves for its own state (${Saga.RESERVED_INPUT_KEYS.map((k) => `'${k}'`).join(', ')}); no step ran. ` +
          `Rename the input key '${key}', or nest your input under another key.`,
      }));
    }
    return check;
  }

  /**
   * Compensations that failed after their retries (each one ends an execution in
   * `Saga.CompensationFailed`). Sum over 5 minutes by default.
   */
  public metricCompensationFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: Saga.METRIC_NAMESPACE,
      metricName: Saga.COMPENSATION_FAILED_METRIC,
      dimensionsMap: { StateMachineName: this.stateMachine.stateMachineName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Validates the steps and decides, per step, where it stands relative to the pivot. */
  private plan(props: SagaProps): PlannedStep[] {
    const steps = props.steps;
    if (!steps || steps.length === 0) {
      throw workflowError(this, 'steps is empty. Give at least one step with a compensation: { action: Step.lambda(...), compensation: Step.lambda(...) }.');
    }
    const names = new Map<string, string>();
    const keys = new Map<string, string>();
    const claim = (step: IWorkflowStep | undefined, where: string): void => {
      if (!step) return;
      const other = names.get(step.name);
      if (other !== undefined) {
        throw workflowError(this, `the step name '${step.name}' is used twice (${other} and ${where}); every action and compensation renders its own state, so names must be unique. ` +
          'Rename one of them (to reuse one function as two compensations, create two steps with distinct names).');
      }
      names.set(step.name, where);
    };
    steps.forEach((s, i) => {
      if (!s || !s.action) {
        throw workflowError(this, `steps[${i}] has no action. Every saga step needs { action: <step> }.`);
      }
      claim(s.action, `steps[${i}].action`);
      claim(s.compensation, `steps[${i}].compensation`);
      const key = stepResultKey(s.action.name);
      const clash = keys.get(key);
      if (clash !== undefined) {
        throw workflowError(this, `actions '${clash}' and '${s.action.name}' would both store their result at $.${RESULTS_KEY}.${key}. Rename one of them.`);
      }
      keys.set(key, s.action.name);
    });

    const pivots = steps.map((s, i) => (s.pivot ? i : -1)).filter((i) => i >= 0);
    if (pivots.length > 1) {
      throw workflowError(this, `${pivots.map((i) => `steps[${i}] ('${steps[i].action.name}')`).join(' and ')} are all marked pivot; a saga has at most one pivot (its point of no return). Keep pivot: true on one step only.`);
    }
    const pivot = pivots.length === 1 ? pivots[0] : undefined;
    const lastRollingBack = pivot ?? steps.length - 1;

    const plan = steps.map((step, index): PlannedStep => {
      const name = step.action.name;
      const forward = pivot !== undefined && index > pivot;
      if (forward && step.compensation) {
        throw workflowError(this, `steps[${index}] ('${name}') has the compensation '${step.compensation.name}' but comes after the pivot steps[${pivot}] ('${steps[pivot!].action.name}'): ` +
          'steps after the pivot retry forward and are never compensated. Remove the compensation, or move the pivot to this step or later.');
      }
      if (step.discardResult && step.resultSelector) {
        throw workflowError(this, `steps[${index}] ('${name}') sets both discardResult and resultSelector. Keep resultSelector to keep part of the result, or discardResult to keep none of it.`);
      }
      if (step.compensateOnFailure && !step.compensation) {
        throw workflowError(this, `steps[${index}] ('${name}') sets compensateOnFailure but has no compensation. Add a compensation, or drop compensateOnFailure.`);
      }
      if (index === pivot && step.compensation && !step.compensateOnFailure) {
        throw workflowError(this, `the pivot steps[${index}] ('${name}') has the compensation '${step.compensation.name}', which could never run: nothing after the pivot rolls back. ` +
          'Remove the compensation, or set compensateOnFailure: true if the pivot may partially apply before it fails.');
      }
      const inChain = !!step.compensation && index < lastRollingBack;
      const onFailure = !!step.compensateOnFailure;
      if (step.compensation && !inChain && !onFailure) {
        Annotations.of(this).addWarningV2('cdk-stateful-workflows:sagaCompensationNeverRuns',
          `steps[${index}] ('${name}') is the last step, so its compensation '${step.compensation.name}' could never run (no later step can fail) and is not rendered. ` +
          'Remove it, or set compensateOnFailure: true to run it when the step itself fails.');
      }
      return { index, step, key: stepResultKey(name), forward, inChain, onFailure };
    });

    if (!plan.some((p) => p.inChain || p.onFailure)) {
      throw workflowError(this, 'no step of this saga can be compensated: give a compensation to a step before the ' +
        `${pivot !== undefined ? `pivot ('${steps[pivot].action.name}')` : `last step ('${steps[steps.length - 1].action.name}')`}, or set compensateOnFailure on a step with one. ` +
        'If nothing needs undoing, use SequentialWorkflow.');
    }
    return plan;
  }

  /** Renders one compensation state: retried on any error, caught into its failure path, then `next`. */
  private bindCompensation(
    p: PlannedStep, stateName: string, stepFailed: boolean, retry: RetryPolicy, failed: sfn.State, next: sfn.State,
  ): sfn.State {
    const compensation = p.step.compensation!;
    const payload: { [key: string]: any } = {
      'input.$': '$',
      'step': p.step.action.name,
      'stepFailed': stepFailed,
      'error.$': ERROR_PATH,
      'idempotencyKey.$': Saga.idempotencyKey(compensation.name),
    };
    if (!stepFailed && !p.step.discardResult) {
      payload['result.$'] = this.resultPathOf(p.step.action.name);
    }
    const binding = this.bindStep(compensation, {
      stateName,
      payload: sfn.TaskInput.fromObject(payload),
      resultPath: sfn.JsonPath.DISCARD,
      retry,
    });
    const state = binding.state;
    this.catchAll(state, failed, COMPENSATION_ERROR_PATH);
    sfn.Chain.start(state).next(next);
    return state;
  }

  /**
   * The retry policy the saga renders for `step` (a compensation, or an action after the pivot):
   * the saga-level policy `prop`, field by field over the step's own retry policy, over the saga
   * default. Warns where the saga-level value overrides a different value the step sets itself.
   */
  private retryFor(step: IWorkflowStep, propName: string, sagaLevel: RetryPolicy | undefined): RetryPolicy {
    const own = ownRetryOf(step);
    if (own && sagaLevel) {
      const overridden = RETRY_FIELDS.filter((f) => own[f] !== undefined && sagaLevel[f] !== undefined && !sameRetryValue(own[f], sagaLevel[f]));
      if (overridden.length > 0) {
        Annotations.of(this).addWarningV2('cdk-stateful-workflows:sagaRetryOverridden',
          overridden.map((f) => `${propName}.${f} (${showRetryValue(sagaLevel[f])}) overrides the retry.${f} (${showRetryValue(own[f])}) of ${propName === 'compensationRetry' ? 'compensation' : 'step'} '${step.name}'`).join('; ') +
          `. Remove one of them: set the value on the step to apply it to that step only, or on ${propName} to apply it to every ${propName === 'compensationRetry' ? 'compensation' : 'step after the pivot'}.`);
      }
    }
    return mergeRetry(own, sagaLevel);
  }

  /**
   * Warns when the retry waits of a full rollback alone can outlast the execution timeout: the
   * execution would then time out mid-rollback, with steps left uncompensated.
   */
  private warnAboutRollbackDuration(plan: PlannedStep[], retry: RetryPolicy): void {
    const perCompensation = worstCaseRetryWait(retry);
    const timeout = this.timeout.toSeconds({ integral: false });
    if (perCompensation === undefined || Token.isUnresolved(timeout)) {
      return;
    }
    // the longest rollback: the failing step's own compensation (if any) plus every chained one before it
    let compensations = 0;
    for (const p of plan) {
      if (p.forward) continue;
      const before = plan.filter((q) => q.index < p.index && q.inChain).length;
      compensations = Math.max(compensations, before + (p.onFailure ? 1 : 0));
    }
    const total = perCompensation * Math.max(compensations, 1);
    if (total > timeout) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:sagaRollbackOutlastsTimeout',
        `a full rollback may wait up to ${total} s in compensation retries alone (${compensations} compensation(s) x ${perCompensation} s), more than the ${timeout} s timeout: ` +
        'the execution would time out mid-rollback and leave steps uncompensated. Shorten compensationRetry or raise the timeout.');
    }
  }
}

const RETRY_FIELDS = ['errors', 'maxAttempts', 'interval', 'backoffRate', 'maxDelay', 'jitter'] as const;

/**
 * Field-wise merge: the saga-level policy over the step's own policy over the saga default
 * (defaults, then user values, then what the pattern is told to force).
 */
function mergeRetry(own: RetryPolicy | undefined, sagaLevel: RetryPolicy | undefined): RetryPolicy {
  return {
    errors: sagaLevel?.errors ?? own?.errors ?? DEFAULT_SAGA_RETRY.errors,
    maxAttempts: sagaLevel?.maxAttempts ?? own?.maxAttempts ?? DEFAULT_SAGA_RETRY.maxAttempts,
    interval: sagaLevel?.interval ?? own?.interval ?? DEFAULT_SAGA_RETRY.interval,
    backoffRate: sagaLevel?.backoffRate ?? own?.backoffRate ?? DEFAULT_SAGA_RETRY.backoffRate,
    maxDelay: sagaLevel?.maxDelay ?? own?.maxDelay ?? DEFAULT_SAGA_RETRY.maxDelay,
    jitter: sagaLevel?.jitter ?? own?.jitter ?? DEFAULT_SAGA_RETRY.jitter,
  };
}

/**
 * The step's own retry policy. `IWorkflowStep` does not expose it (yet); the built-in steps keep
 * their options in `options` (Lambda, child workflow) or `props` (AWS SDK).
 */
function ownRetryOf(step: IWorkflowStep): RetryPolicy | undefined {
  const s = step as unknown as { retry?: RetryPolicy; options?: { retry?: RetryPolicy }; props?: { retry?: RetryPolicy } };
  return s.retry ?? s.options?.retry ?? s.props?.retry;
}

function sameRetryValue(a: unknown, b: unknown): boolean {
  return showRetryValue(a) === showRetryValue(b);
}

function showRetryValue(v: unknown): string {
  if (v instanceof Duration) return v.toHumanString();
  return JSON.stringify(v);
}

/** Longest total wait of a retry policy's backoff (seconds), or undefined with tokens. */
function worstCaseRetryWait(policy: RetryPolicy): number | undefined {
  const interval = policy.interval!.toSeconds({ integral: false });
  const maxDelay = policy.maxDelay!.toSeconds({ integral: false });
  const attempts = policy.maxAttempts!;
  const rate = policy.backoffRate!;
  if ([interval, maxDelay, attempts, rate].some((v) => Token.isUnresolved(v))) {
    return undefined;
  }
  let total = 0;
  for (let a = 0; a < attempts; a++) {
    total += Math.min(interval * Math.pow(rate, a), maxDelay);
  }
  return total;
}

/**
 * Escapes a literal for a single-quoted string inside an intrinsic function: `'`, `{`, `}` and `\`
 * are reserved there and escaped with a backslash ("Reserved characters in intrinsic functions",
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
 */
function escapeIntrinsic(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\{/g, '\\{').replace(/\}/g, '\\}');
}
