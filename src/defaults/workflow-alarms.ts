import { Annotations, AspectPriority, Aspects, Duration, IAspect, NestedStack, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { CheckpointTable } from './checkpoint-table';
import { DEFAULTS } from './constants';
import { Placement, shardId } from './function-placement';
import { WorkflowFunction } from './workflow-function';
import { workflowError } from '../core/errors';

/**
 * Per-alarm overrides. Anything not set falls back to the `WorkflowAlarmsOptions` value, then to
 * the library default (alarm when the metric's sum is >= 1 in one 5-minute period).
 */
export interface AlarmOverride {
  /**
   * Whether to create this alarm.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Threshold compared with the metric's sum over `period`.
   * @default 1
   */
  readonly threshold?: number;
  /**
   * Periods evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods (of `evaluationPeriods`) that raise the alarm.
   * @default - `evaluationPeriods`
   */
  readonly datapointsToAlarm?: number;
  /**
   * Metric period.
   * @default - `WorkflowAlarmsOptions.period` (5 minutes)
   */
  readonly period?: Duration;
  /**
   * How missing data is treated.
   * @default - `WorkflowAlarmsOptions.treatMissingData` (NOT_BREACHING)
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Whether the alarm triggers the workflow's actions (`topic`, `actions`, `WorkflowAlarms.notifyAll`).
   * @default true, except `functionErrors` and `functionThrottles` (false: a step's retry absorbs
   * them; what it does not absorb fails the execution and raises ExecutionsFailed, which notifies)
   */
  readonly notify?: boolean;
}

/**
 * Options of the alarms every workflow creates by default.
 */
export interface WorkflowAlarmsOptions {
  /**
   * Whether to create alarms at all.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * SNS topic notified when an alarm fires and when it recovers. If the topic is encrypted with a
   * customer-managed key created in this app, CloudWatch is allowed to use that key.
   * @default - no action
   */
  readonly topic?: sns.ITopic;
  /**
   * Alarm actions (any `IAlarmAction`, e.g. an SNS, Lambda or Systems Manager action) run when an
   * alarm fires and when it recovers, in addition to `topic`.
   * @default - none (see `WorkflowAlarms.notifyAll` to wire one action for every workflow at once)
   */
  readonly actions?: cloudwatch.IAlarmAction[];
  /**
   * Default period of every alarm.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Default treatment of missing data.
   * @default TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Prefix of the alarm names.
   * @default - CloudFormation-generated names
   */
  readonly alarmNamePrefix?: string;
  /**
   * Executions failed.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly executionsFailed?: AlarmOverride;
  /**
   * Executions timed out. While `executionsTimedOut`, `executionsAborted` and `executionsThrottled` are
   * unset (or set alike), the three share ONE alarm on their sum (`ExecutionsTimedOutAbortedOrThrottled`);
   * setting them differently gives each its own alarm.
   * @default - alarm at >= 1 in 5 minutes (shared with the other two, see above)
   */
  readonly executionsTimedOut?: AlarmOverride;
  /**
   * Executions aborted. While `executionsTimedOut`, `executionsAborted` and `executionsThrottled` are
   * unset (or set alike), the three share ONE alarm on their sum (`ExecutionsTimedOutAbortedOrThrottled`);
   * setting them differently gives each its own alarm.
   * @default - alarm at >= 1 in 5 minutes (shared with the other two, see above)
   */
  readonly executionsAborted?: AlarmOverride;
  /**
   * Execution starts throttled. While `executionsTimedOut`, `executionsAborted` and `executionsThrottled` are
   * unset (or set alike), the three share ONE alarm on their sum (`ExecutionsTimedOutAbortedOrThrottled`);
   * setting them differently gives each its own alarm.
   * @default - alarm at >= 1 in 5 minutes (shared with the other two, see above)
   */
  readonly executionsThrottled?: AlarmOverride;
  /**
   * Errors of the workflow's WorkflowFunctions: one Metrics Insights alarm for all of them (up to
   * ~22 per alarm), one contributor per function, so the alarm names the function that breached.
   * @default - alarm at >= 1 per function in 5 minutes, not notifying (see `AlarmOverride.notify`)
   */
  readonly functionErrors?: AlarmOverride;
  /**
   * Throttles of the workflow's WorkflowFunctions (one alarm, one contributor per function).
   * @default - alarm at >= 1 per function in 5 minutes, not notifying (see `AlarmOverride.notify`)
   */
  readonly functionThrottles?: AlarmOverride;
  /**
   * Provisioned-concurrency spillover invocations (cold starts) of the workflow's WorkflowFunctions
   * with provisioned concurrency (one alarm, one contributor per function).
   * @default - alarm at >= 1 per function in 5 minutes
   */
  readonly provisionedConcurrencySpillover?: AlarmOverride;
  /**
   * Read/write throttle events of each checkpoint table.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly tableThrottles?: AlarmOverride;
  /**
   * Where the function alarms (`functionErrors`, `functionThrottles`,
   * `provisionedConcurrencySpillover`) are created. In a nested stack (`FunctionAlarms`, one per
   * 150 functions: each function name is a parameter of it, and a template has at most 200), the
   * alarms do not count against the workflow stack's 500 resources; the nested stack itself is one
   * resource of it. Deploying a nested stack needs the bootstrap bucket (`cdk bootstrap`), as any asset.
   * @default Placement.AUTO - a nested stack only when a metric needs more than one query
   */
  readonly functionAlarmsPlacement?: Placement;
}

/**
 * Properties of `WorkflowAlarms`.
 */
export interface WorkflowAlarmsProps extends WorkflowAlarmsOptions {
  /** The state machine watched. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * Functions watched.
   * @default - none
   */
  readonly functions?: WorkflowFunction[];
  /**
   * Checkpoint tables watched.
   * @default - none
   */
  readonly tables?: CheckpointTable[];
}

/** Marks a scope whose unnotified alarms were acknowledged on purpose. */
const OPT_OUT = Symbol.for('cdk-stateful-workflows.alarms.optOut');
/** Marks a stack that already has the unnotified-alarm check. */
const CHECKED = Symbol.for('cdk-stateful-workflows.alarms.checked');

/** Longest Metrics Insights query an alarm accepts (MetricDataQuery.Expression, 2,048 characters). */
const MAX_QUERY_LENGTH = 2048;
/** Longest Lambda function name (CloudFormation-generated names included). */
const MAX_FUNCTION_NAME_LENGTH = 64;
/** Longest alarm description CloudWatch accepts. */
const MAX_DESCRIPTION_LENGTH = 1024;

/**
 * The CloudWatch alarms of a workflow.
 *
 * - Executions failed, and (one alarm on their sum) timed out + aborted + throttled: they fire only on what no Retry, Catch or
 *   tolerated-failure threshold absorbed (a retried error that later succeeds, or a Map item within
 *   `ToleratedFailurePercentage`, does not fail the execution):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html.
 * - The functions' errors, throttles and provisioned-concurrency spillover, aggregated per workflow:
 *   ONE alarm per metric (not three per function; one per ~22 functions, the query limit) on a Metrics Insights query grouped by
 *   `FunctionName`. CloudWatch evaluates each group as a contributor of the alarm, so the alarm
 *   state says which function breached:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/multi-time-series-alarm.html,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html.
 *   (A metric-math alarm can reference at most 10 metrics, too few for a workflow:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html.) A query is
 *   at most 2,048 characters, so a workflow with more than ~22 functions gets one alarm per ~22.
 *   Raw Lambda `Errors`/`Throttles` include errors a step's retry absorbs, so those two alarms do
 *   not notify by default; an unabsorbed error fails the execution and ExecutionsFailed notifies.
 * - Checkpoint-table throttles; patterns add their own through `addAlarm` (e.g. a saga's
 *   compensation failures).
 *
 * Notifications: `topic`/`actions` per workflow, or `WorkflowAlarms.notifyAll(scope, action)` for
 * every workflow of a stack or app. Without either, synthesis warns once per stack, naming the
 * alarms that notify no one, unless `WorkflowAlarms.acknowledgeNoNotifications` says why.
 */
export class WorkflowAlarms extends Construct {
  /**
   * Runs `action` for every alarm meant to notify of every workflow under `scope` (an app, a stage
   * or a stack), including alarms patterns add later (e.g. a saga's compensation-failed alarm).
   */
  public static notifyAll(scope: IConstruct, action: cloudwatch.IAlarmAction): void {
    Aspects.of(scope).add(new NotifyAllAspect(action), { priority: AspectPriority.MUTATING });
  }

  /**
   * `notifyAll` with an SNS topic; if the topic is encrypted with a customer-managed key of this
   * app, CloudWatch is allowed to use that key.
   */
  public static notifyAllByTopic(scope: IConstruct, topic: sns.ITopic): void {
    allowCloudWatchToUseTopicKey(topic, topic);
    WorkflowAlarms.notifyAll(scope, new actions.SnsAction(topic));
  }

  /**
   * Says on purpose that the workflows under `scope` notify no one (e.g. a sandbox stack), which
   * silences the synth warning about alarms without actions.
   */
  public static acknowledgeNoNotifications(scope: IConstruct, reason: string): void {
    if (!reason || reason.trim().length < 5) {
      throw workflowError(scope, 'acknowledgeNoNotifications needs a reason a reviewer can read (e.g. "sandbox stack, nobody on call"). Pass one.');
    }
    (scope as any)[OPT_OUT] = reason;
  }

  /** Every alarm created, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Alarms that are meant to notify (the workflow's actions are attached to these). */
  public readonly notifyingAlarms: cloudwatch.Alarm[] = [];
  private readonly options: WorkflowAlarmsOptions;
  private readonly alarmActions: cloudwatch.IAlarmAction[] = [];

  public constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    this.options = props;
    if (props.topic) {
      allowCloudWatchToUseTopicKey(this, props.topic);
      this.alarmActions.push(new actions.SnsAction(props.topic));
    }
    this.alarmActions.push(...(props.actions ?? []));
    ensureUnnotifiedCheck(this);

    const sm = props.stateMachine;
    this.addAlarm('ExecutionsFailed', sm.metricFailed(), 'Workflow executions failed (after every retry and catch of the workflow)', props.executionsFailed);
    const rare = [props.executionsTimedOut, props.executionsAborted, props.executionsThrottled];
    if (rare.every((o) => JSON.stringify(o ?? {}) === JSON.stringify(rare[0] ?? {})) && rare[0]?.enabled !== false) {
      // Timed out, aborted and throttled executions are rare and each needs a look: one alarm on
      // their sum (metric math, 3 of the 10 metrics an alarm may reference:
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html; FILL
      // turns a period without data into 0: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html)
      // instead of three, with the same threshold semantics (sum >= threshold). Coverage is the
      // same: any of the three raises it; the alarm's graph shows which. Overriding one of the
      // three differently splits them into separate alarms again.
      const period = rare[0]?.period ?? props.period ?? DEFAULTS.alarmPeriod;
      const sum = (m: cloudwatch.Metric) => m.with({ period, statistic: 'Sum' });
      this.addAlarm('ExecutionsTimedOutAbortedOrThrottled', new cloudwatch.MathExpression({
        expression: 'FILL(timedOut, 0) + FILL(aborted, 0) + FILL(throttled, 0)',
        usingMetrics: { timedOut: sum(sm.metricTimedOut()), aborted: sum(sm.metricAborted()), throttled: sum(sm.metricThrottled()) },
        period,
        label: 'Executions timed out + aborted + starts throttled',
      }), 'Workflow executions timed out or aborted, or execution starts throttled (AWS/States ExecutionsTimedOut + ExecutionsAborted + ExecutionThrottled)', rare[0]);
    } else {
      this.addAlarm('ExecutionsTimedOut', sm.metricTimedOut(), 'Workflow executions timed out', props.executionsTimedOut);
      this.addAlarm('ExecutionsAborted', sm.metricAborted(), 'Workflow executions aborted', props.executionsAborted);
      this.addAlarm('ExecutionsThrottled', sm.metricThrottled(), 'Workflow execution starts throttled', props.executionsThrottled);
    }

    const functions = [...new Set(props.functions ?? [])];
    this.addFunctionAlarms([
      { id: 'FunctionErrors', metricName: 'Errors', what: 'Errors', functions, override: { notify: false, ...props.functionErrors } },
      { id: 'FunctionThrottles', metricName: 'Throttles', what: 'Throttled invocations', functions, override: { notify: false, ...props.functionThrottles } },
      {
        id: 'FunctionSpillover',
        metricName: 'ProvisionedConcurrencySpilloverInvocations',
        what: 'Invocations beyond provisioned concurrency (cold starts)',
        functions: functions.filter((f) => Token.isUnresolved(f.provisionedConcurrency) || f.provisionedConcurrency > 0),
        override: props.provisionedConcurrencySpillover ?? {},
      },
    ], props.functionAlarmsPlacement ?? Placement.AUTO);

    for (const table of new Set(props.tables ?? [])) {
      this.addAlarm(`${table.node.id}Throttles`, table.metricThrottles(), `Throttle events of ${table.node.path}`, props.tableThrottles);
    }
  }

  /**
   * Creates an alarm on `metric` with this workflow's defaults (threshold, period, missing-data
   * treatment, actions) and the given override. Returns undefined when the override disables it.
   * Alarms added here are part of the unnotified-alarm warning and of `notifyAll`.
   */
  public addAlarm(id: string, metric: cloudwatch.IMetric, description: string, override: AlarmOverride = {}): cloudwatch.Alarm | undefined {
    return this.createAlarm(this, id, metric, description, override);
  }

  private createAlarm(scope: Construct, id: string, metric: cloudwatch.IMetric, description: string,
    override: AlarmOverride): cloudwatch.Alarm | undefined {
    if (override.enabled === false) {
      return undefined;
    }
    const evaluationPeriods = override.evaluationPeriods ?? 1;
    const datapointsToAlarm = override.datapointsToAlarm ?? evaluationPeriods;
    const threshold = override.threshold ?? 1;
    const literal = (n: number) => !Token.isUnresolved(n);
    if (literal(threshold) && (threshold < 0 || !Number.isFinite(threshold))) {
      throw workflowError(this, `alarm ${id}: threshold is ${threshold}; these alarms count events (errors, failures, throttles), so a negative threshold would keep the alarm firing. Use a threshold >= 0 (1 = alarm on the first event).`);
    }
    if (literal(evaluationPeriods) && (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)) {
      throw workflowError(this, `alarm ${id}: evaluationPeriods is ${evaluationPeriods}; it must be a whole number >= 1.`);
    }
    if (literal(datapointsToAlarm) && (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1)) {
      throw workflowError(this, `alarm ${id}: datapointsToAlarm is ${datapointsToAlarm}; it must be a whole number >= 1.`);
    }
    if (literal(datapointsToAlarm) && literal(evaluationPeriods) && datapointsToAlarm > evaluationPeriods) {
      throw workflowError(this, `alarm ${id}: datapointsToAlarm (${datapointsToAlarm}) exceeds evaluationPeriods (${evaluationPeriods}). Lower datapointsToAlarm or raise evaluationPeriods.`);
    }
    const period = override.period ?? this.options.period ?? DEFAULTS.alarmPeriod;
    const withPeriod = metric instanceof cloudwatch.Metric
      ? metric.with({ period, statistic: 'Sum' })
      : metric instanceof cloudwatch.MathExpression ? metric.with({ period }) : metric;
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric: withPeriod,
      alarmDescription: truncate(description, MAX_DESCRIPTION_LENGTH),
      alarmName: this.options.alarmNamePrefix ? `${this.options.alarmNamePrefix}-${id}` : undefined,
      threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: override.treatMissingData ?? this.options.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    if (override.notify ?? true) {
      this.notifyingAlarms.push(alarm);
      for (const action of this.alarmActions) {
        addAction(alarm, action);
      }
    }
    return alarm;
  }

  /** Adds `action` to every alarm of this workflow meant to notify (now and added later). */
  public addAction(action: cloudwatch.IAlarmAction): void {
    this.alarmActions.push(action);
    for (const alarm of this.notifyingAlarms) {
      addAction(alarm, action);
    }
  }

  /**
   * One alarm per chunk of functions on a Metrics Insights query over `AWS/Lambda` grouped by
   * `FunctionName` (each function a contributor). Chunks keep each query within 2,048 characters,
   * counting 64 characters per function name (the Lambda maximum) unless the name is a literal.
   * When a metric needs more than one query (AUTO) or on request, the alarms go to nested stacks
   * of at most FUNCTIONS_PER_ALARM_STACK functions each.
   */
  private addFunctionAlarms(specs: FunctionAlarmSpec[], placement: Placement): void {
    const active = specs.filter((spec) => spec.functions.length > 0 && spec.override.enabled !== false);
    if (active.length === 0) return;
    const nested = placement === Placement.NESTED_STACK
      || (placement === Placement.AUTO && active.some((spec) => chunkByQueryLength(spec.metricName, spec.functions).length > 1));
    const counters = new Map<FunctionAlarmSpec, number>();
    const add = (scope: Construct, spec: FunctionAlarmSpec, members: WorkflowFunction[]) => {
      for (const chunk of chunkByQueryLength(spec.metricName, members)) {
        const n = (counters.get(spec) ?? 0) + 1;
        counters.set(spec, n);
        const period = spec.override.period ?? this.options.period ?? DEFAULTS.alarmPeriod;
        const metric = new cloudwatch.MathExpression({ expression: functionQuery(spec.metricName, chunk), usingMetrics: {}, period, label: `${spec.what} per function` });
        const names = chunk.map((fn) => fn.node.path).join(', ');
        this.createAlarm(scope, n === 1 ? spec.id : `${spec.id}${n}`, metric,
          `${spec.what} of the functions of ${this.node.scope?.node.path ?? this.node.path}, one contributor per function (FunctionName) so the alarm names the function that breached. Functions: ${names}`,
          spec.override);
      }
    };
    if (!nested) {
      active.forEach((spec) => add(this, spec, spec.functions));
      return;
    }
    // Each function name a nested stack's alarms reference becomes one of its parameters, and a
    // template has at most 200 parameters
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
    // shards of at most FUNCTIONS_PER_ALARM_STACK functions leave room for the alarm actions' ARNs.
    const all = [...new Set(active.flatMap((spec) => spec.functions))];
    const shards: NestedStack[] = [];
    for (let start = 0; start < all.length; start += FUNCTIONS_PER_ALARM_STACK) {
      const members = new Set(all.slice(start, start + FUNCTIONS_PER_ALARM_STACK));
      const scope = new NestedStack(this, shardId('FunctionAlarms', shards.length), {
        description: `Function alarms of ${this.node.scope?.node.path ?? this.node.path} (cdk-stateful-workflows)`,
      });
      shards.push(scope);
      active.forEach((spec) => {
        const part = spec.functions.filter((fn) => members.has(fn));
        if (part.length > 0) add(scope, spec, part);
      });
    }
    const alarms = [...counters.values()].reduce((x, y) => x + y, 0);
    Annotations.of(this).addInfoV2('cdk-stateful-workflows:functionAlarmsNested',
      `The ${alarms} function alarms of ${all.length} functions are in ${shards.length} nested stack(s) (${shards.map((n) => n.node.path).join(', ')}) ` +
      `so they do not count against the 500 resources of ${Stack.of(this).node.path}: ${placement === Placement.AUTO ? 'a metric needs more than one Metrics Insights query (2,048 characters, 64 per generated function name)' : 'functionAlarmsPlacement is NESTED_STACK'}. ` +
      'Set alarms.functionAlarmsPlacement to Placement.SAME_STACK to keep them in the stack.');
  }
}

/** A function alarm family: one metric over a set of functions. */
interface FunctionAlarmSpec {
  readonly id: string;
  readonly metricName: string;
  readonly what: string;
  readonly functions: WorkflowFunction[];
  readonly override: AlarmOverride;
}

/** Functions per nested stack of function alarms (each name is one of its <= 200 parameters). */
const FUNCTIONS_PER_ALARM_STACK = 150;

// Metrics Insights: SELECT FUNCTION(metric) FROM SCHEMA(namespace, dims) WHERE ... GROUP BY ...
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html);
// label values in single quotes, conditions joined with OR. OR in WHERE is documented in the
// Amazon Managed Grafana page on Metrics Insights queries ("WHERE labelKey OPERATOR labelValue
// [AND|OR|([...])*]", https://docs.aws.amazon.com/grafana/latest/userguide/CloudWatch-using-the-metric-query.html);
// the CloudWatch syntax page lists =, != and AND. Not verified against AWS here (no account).
function queryHead(metricName: string): string {
  return `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Lambda", FunctionName) WHERE `;
}
const QUERY_TAIL = ' GROUP BY FunctionName';

function functionQuery(metricName: string, chunk: WorkflowFunction[]): string {
  return `${queryHead(metricName)}${chunk.map((fn) => `FunctionName = '${functionNameOf(fn)}'`).join(' OR ')}${QUERY_TAIL}`;
}

/** Splits `functions` into chunks whose query stays within 2,048 characters once names resolve. */
function chunkByQueryLength(metricName: string, functions: WorkflowFunction[]): WorkflowFunction[][] {
  const base = queryHead(metricName).length + QUERY_TAIL.length;
  const cost = (fn: WorkflowFunction) => {
    const name = functionNameOf(fn);
    return "FunctionName = '' OR ".length + (Token.isUnresolved(name) ? MAX_FUNCTION_NAME_LENGTH : name.length);
  };
  const chunks: WorkflowFunction[][] = [];
  let current: WorkflowFunction[] = [];
  let length = base;
  for (const fn of functions) {
    if (current.length > 0 && length + cost(fn) > MAX_QUERY_LENGTH) {
      chunks.push(current);
      current = [];
      length = base;
    }
    current.push(fn);
    length += cost(fn);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The function's name: the literal the user gave (`functionName`), so that the query's length is
 * known exactly, or the CloudFormation-generated name (a token, at most 64 characters). aws-cdk-lib's
 * `functionName` attribute is a token even for a given name.
 */
function functionNameOf(fn: WorkflowFunction): string {
  const cfn = fn.function.node.defaultChild as lambda.CfnFunction | undefined;
  const given = cfn?.functionName;
  return typeof given === 'string' && !Token.isUnresolved(given) ? given : fn.function.functionName;
}

/** Attaches `action` to the alarm's ALARM and OK transitions (once). */
function addAction(alarm: cloudwatch.Alarm, action: cloudwatch.IAlarmAction): void {
  const seen: Set<cloudwatch.IAlarmAction> = ((alarm as any)[ACTIONS] ??= new Set());
  if (seen.has(action)) return;
  seen.add(action);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
}
const ACTIONS = Symbol.for('cdk-stateful-workflows.alarms.actions');

function truncate(s: string, max: number): string {
  if (Token.isUnresolved(s) || s.length <= max) return s;
  return `${s.slice(0, max - 1)}…`;
}

/** `WorkflowAlarms.notifyAll`: adds one action to every WorkflowAlarms under a scope. */
class NotifyAllAspect implements IAspect {
  public constructor(private readonly action: cloudwatch.IAlarmAction) {}

  public visit(node: IConstruct): void {
    if (node instanceof WorkflowAlarms) {
      node.addAction(this.action);
    }
  }
}

/**
 * Adds the unnotified-alarm check to the stack of `alarms`, once per stack. It runs as a validation
 * (after every Aspect, so after `notifyAll`) and only warns.
 */
function ensureUnnotifiedCheck(alarms: WorkflowAlarms): void {
  const stack = Stack.of(alarms);
  if ((stack as any)[CHECKED]) return;
  (stack as any)[CHECKED] = true;
  let done = false;
  stack.node.addValidation({
    validate: () => {
      if (!done) {
        done = true;
        warnUnnotified(stack);
      }
      return [];
    },
  });
}

/**
 * Warns once per stack, naming the library's alarms meant to notify that have no action, unless
 * the stack (or an ancestor, or the workflow) acknowledged it with
 * `WorkflowAlarms.acknowledgeNoNotifications`.
 */
function warnUnnotified(stack: Stack): void {
  if (acknowledged(stack)) return;
  const silent: string[] = [];
  for (const wa of stack.node.findAll().filter((c): c is WorkflowAlarms => c instanceof WorkflowAlarms)) {
    if (Stack.of(wa) !== stack || acknowledged(wa)) continue;
    for (const alarm of wa.notifyingAlarms) {
      const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
      const resolved = stack.resolve(cfn.alarmActions);
      if (!Array.isArray(resolved) || resolved.length === 0) {
        silent.push(alarm.node.path);
      }
    }
  }
  if (silent.length === 0) return;
  const saga = silent.filter((p) => /CompensationFailed$/.test(p));
  Annotations.of(stack).addWarningV2('cdk-stateful-workflows:alarmsNotifyNoOne',
    `${silent.length} workflow alarm(s) notify no one${saga.length ? ` (including ${saga.length} saga compensation-failed alarm(s): a rollback that stopped needs a human)` : ''}: ${silent.join(', ')}. ` +
    'Wire an action for every workflow at once with WorkflowAlarms.notifyAll(app or stack, action) / notifyAllByTopic(scope, topic), per workflow with alarms.topic or alarms.actions, ' +
    'or say why no one is notified with WorkflowAlarms.acknowledgeNoNotifications(scope, reason).');
}

function acknowledged(scope: IConstruct): boolean {
  return scope.node.scopes.some((s) => (s as any)[OPT_OUT] !== undefined);
}

/**
 * CloudWatch publishes to an encrypted topic only if the key policy lets it use the key:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * Scoped to this account's alarms (aws:SourceAccount) and to the two calls it needs.
 */
function allowCloudWatchToUseTopicKey(scope: IConstruct, topic: sns.ITopic): void {
  const key = topic.masterKey;
  if (!key) {
    return;
  }
  if (!(key instanceof kms.Key)) {
    Annotations.of(scope).addWarningV2('cdk-stateful-workflows:importedTopicKey',
      'The alarm topic is encrypted with an imported KMS key whose policy this app cannot change: allow the principal cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey on it, or alarm notifications will not be delivered.');
    return;
  }
  if ((key as any)[TOPIC_KEY_ALLOWED]) return;
  (key as any)[TOPIC_KEY_ALLOWED] = true;
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
  }));
}
const TOPIC_KEY_ALLOWED = Symbol.for('cdk-stateful-workflows.alarms.topicKeyAllowed');
