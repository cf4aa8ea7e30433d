import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CheckpointTable } from './checkpoint-table';
import { DEFAULTS } from './constants';
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
   * Executions timed out.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly executionsTimedOut?: AlarmOverride;
  /**
   * Executions aborted.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly executionsAborted?: AlarmOverride;
  /**
   * Execution starts throttled.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly executionsThrottled?: AlarmOverride;
  /**
   * Errors of each WorkflowFunction.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly functionErrors?: AlarmOverride;
  /**
   * Throttles of each WorkflowFunction.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly functionThrottles?: AlarmOverride;
  /**
   * Provisioned-concurrency spillover invocations of each WorkflowFunction with provisioned concurrency.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly provisionedConcurrencySpillover?: AlarmOverride;
  /**
   * Read/write throttle events of each checkpoint table.
   * @default - alarm at >= 1 in 5 minutes
   */
  readonly tableThrottles?: AlarmOverride;
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

/**
 * The CloudWatch alarms of a workflow: executions failed / timed out / aborted / throttled,
 * each function's errors, throttles and provisioned-concurrency spillover, and checkpoint-table
 * throttles. Patterns add their own through `addAlarm` (e.g. a saga's compensation failures).
 */
export class WorkflowAlarms extends Construct {
  /** Every alarm created, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly options: WorkflowAlarmsOptions;
  private readonly action?: cloudwatch.IAlarmAction;

  public constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    this.options = props;
    if (props.topic) {
      this.action = new actions.SnsAction(props.topic);
      allowCloudWatchToUseTopicKey(this, props.topic);
    }

    const sm = props.stateMachine;
    this.addAlarm('ExecutionsFailed', sm.metricFailed(), 'Workflow executions failed', props.executionsFailed);
    this.addAlarm('ExecutionsTimedOut', sm.metricTimedOut(), 'Workflow executions timed out', props.executionsTimedOut);
    this.addAlarm('ExecutionsAborted', sm.metricAborted(), 'Workflow executions aborted', props.executionsAborted);
    this.addAlarm('ExecutionsThrottled', sm.metricThrottled(), 'Workflow execution starts throttled', props.executionsThrottled);

    const seenFunctions = new Set<WorkflowFunction>();
    for (const fn of props.functions ?? []) {
      if (seenFunctions.has(fn)) continue;
      seenFunctions.add(fn);
      const fnId = fn.node.id;
      this.addAlarm(`${fnId}Errors`, fn.metricErrors(), `Errors of ${fn.node.path}`, props.functionErrors);
      this.addAlarm(`${fnId}Throttles`, fn.metricThrottles(), `Throttles of ${fn.node.path}`, props.functionThrottles);
      if (fn.provisionedConcurrency > 0) {
        this.addAlarm(`${fnId}Spillover`, fn.metricProvisionedConcurrencySpillover(),
          `Invocations of ${fn.node.path} beyond its provisioned concurrency (cold starts)`, props.provisionedConcurrencySpillover);
      }
    }
    const seenTables = new Set<CheckpointTable>();
    for (const table of props.tables ?? []) {
      if (seenTables.has(table)) continue;
      seenTables.add(table);
      this.addAlarm(`${table.node.id}Throttles`, table.metricThrottles(), `Throttle events of ${table.node.path}`, props.tableThrottles);
    }
  }

  /**
   * Creates an alarm on `metric` with this workflow's defaults (threshold, period, missing-data
   * treatment, SNS action) and the given override. Returns undefined when the override disables it.
   */
  public addAlarm(id: string, metric: cloudwatch.IMetric, description: string, override: AlarmOverride = {}): cloudwatch.Alarm | undefined {
    if (override.enabled === false) {
      return undefined;
    }
    const evaluationPeriods = override.evaluationPeriods ?? 1;
    const datapointsToAlarm = override.datapointsToAlarm ?? evaluationPeriods;
    if (datapointsToAlarm > evaluationPeriods) {
      throw workflowError(this, `alarm ${id}: datapointsToAlarm (${datapointsToAlarm}) exceeds evaluationPeriods (${evaluationPeriods}). Lower datapointsToAlarm or raise evaluationPeriods.`);
    }
    const period = override.period ?? this.options.period ?? DEFAULTS.alarmPeriod;
    const withPeriod = metric instanceof cloudwatch.Metric
      ? metric.with({ period, statistic: 'Sum' })
      : metric instanceof cloudwatch.MathExpression ? metric.with({ period }) : metric;
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: withPeriod,
      alarmDescription: description,
      alarmName: this.options.alarmNamePrefix ? `${this.options.alarmNamePrefix}-${id}` : undefined,
      threshold: override.threshold ?? 1,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: override.treatMissingData ?? this.options.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.action) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * CloudWatch publishes to an encrypted topic only if the key policy lets it use the key.
 */
function allowCloudWatchToUseTopicKey(scope: Construct, topic: sns.ITopic): void {
  const key = topic.masterKey;
  if (!key) {
    return;
  }
  if (!(key instanceof kms.Key)) {
    Annotations.of(scope).addWarningV2('cdk-stateful-workflows:importedTopicKey',
      'The alarm topic is encrypted with an imported KMS key whose policy this app cannot change: allow the principal cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* on it, or alarm notifications will not be delivered.');
    return;
  }
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  }));
}
