/**
 * WorkflowClient: start, watch, stop and recover the executions of one workflow by business key,
 * on `@aws-sdk/client-sfn` (and `@aws-sdk/client-dynamodb` for checkpoint progress).
 *
 * The SDK modules are `require`d inside the methods, so importing `cdk-stateful-workflows/client`
 * loads no SDK.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { executionNameForKey } from './execution-name';
import type { CheckpointClient, CheckpointProgress } from '../patterns/checkpoint/checkpoint-client';

type SfnModule = typeof import('@aws-sdk/client-sfn');
type CheckpointModule = typeof import('../patterns/checkpoint/checkpoint-client');

/** The error name of a saga whose rollback stopped (`Saga.COMPENSATION_FAILED_ERROR`). */
export const SAGA_COMPENSATION_FAILED_ERROR = 'Saga.CompensationFailed';
/** The Fail state a saga ends in once every compensation ran (see src/patterns/saga/saga.ts). */
export const SAGA_ROLLED_BACK_STATE = 'Saga rolled back';

/** A state machine ARN, optionally qualified by a version number or an alias name. */
const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+(:[^:]+)?$/;

/**
 * Redrive works within 14 days of the execution's end.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
 */
const REDRIVE_PERIOD_MS = 14 * 24 * 3600 * 1000;

/** Static credentials (or any AWS SDK credential provider). */
export interface WorkflowClientCredentials {
  /** Access key id. */
  readonly accessKeyId: string;
  /** Secret access key. */
  readonly secretAccessKey: string;
  /** Session token of temporary credentials. */
  readonly sessionToken?: string;
}

/** Where a `CheckpointedWorkflow` keeps its progress (`workflow.table`, `.namespace`, `.stepNames`). */
export interface WorkflowClientCheckpointOptions {
  /** Name of the checkpoint table (`workflow.table.tableName`). */
  readonly tableName: string;
  /** The workflow's `namespace`. */
  readonly namespace: string;
  /** The workflow's `stepNames`, in order. */
  readonly stepNames: readonly string[];
  /** Partition key attribute. Default: `pk`. */
  readonly partitionKeyName?: string;
  /** Sort key attribute. Default: `sk`. */
  readonly sortKeyName?: string;
  /** TTL attribute. Default: `expiresAt`. */
  readonly timeToLiveAttribute?: string;
  /**
   * Set it only when the workflow's checkpoint writes verify the lease (owner and expiry), so that a
   * redriven execution cannot write beside another execution of the same key (issue 10, defect 4).
   * While it is false, {@link WorkflowClient.redrive} refuses checkpointed workflows; use
   * {@link WorkflowClient.retry}, which starts a new execution that resumes from the checkpoints.
   * Default: false.
   */
  readonly writesVerifyLease?: boolean;
}

/** Options of a {@link WorkflowClient}. */
export interface WorkflowClientOptions {
  /** ARN of the workflow's state machine (`workflow.stateMachineArn`). */
  readonly stateMachineArn: string;
  /** `STANDARD` or `EXPRESS`. Default: `STANDARD`. */
  readonly type?: 'STANDARD' | 'EXPRESS';
  /** The workflow is a `Saga`: {@link WorkflowClient.status} reports its outcome. Default: false. */
  readonly saga?: boolean;
  /** The workflow is a `CheckpointedWorkflow`: where its checkpoints are. Default: none. */
  readonly checkpoint?: WorkflowClientCheckpointOptions;
  /** AWS region. Default: the SDK's (AWS_REGION, profile). */
  readonly region?: string;
  /** Credentials. Default: the SDK's default provider chain. */
  readonly credentials?: WorkflowClientCredentials;
  /** Step Functions endpoint (e.g. `runner.serve()`'s). Default: the regional endpoint. */
  readonly endpoint?: string;
  /**
   * Do not prepend the `sync-` host prefix of StartSyncExecution to the endpoint host (needed for
   * an IP endpoint such as a local one). Default: true when `endpoint` is set.
   */
  readonly disableHostPrefix?: boolean;
  /** DynamoDB endpoint for the checkpoint table. Default: the regional endpoint. */
  readonly dynamodbEndpoint?: string;
  /** A ready Step Functions client to use instead of creating one (its config wins). Default: a new client. */
  readonly sfnClient?: SFNClient;
  /** The clock for ages (stuck threshold, redrive period). Default: `new Date()`. */
  readonly clock?: () => Date;
}

/** What {@link WorkflowClient.start} returns. */
export interface StartedExecution {
  /** The business key. */
  readonly key: string;
  /** The execution name (from {@link executionNameForKey}). */
  readonly executionName: string;
  /** The execution ARN. */
  readonly executionArn: string;
  /** When the execution started (the existing one's start when it already existed). */
  readonly startDate: Date;
  /** The attempt (1, or more after {@link WorkflowClient.retry}). */
  readonly attempt: number;
  /**
   * Status of an execution that already existed under the key's name (reported when the start was
   * refused because of it); undefined when this call's input started or joined the open execution.
   */
  readonly existingStatus?: string;
}

/** The outcome of an execution. */
export interface ExecutionOutcome {
  /** The execution ARN. */
  readonly executionArn: string;
  /** `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED` (or `RUNNING` from status). */
  readonly status: string;
  /** The output, parsed (SUCCEEDED). */
  readonly output?: unknown;
  /** Error name (FAILED, TIMED_OUT, ABORTED with an error). */
  readonly error?: string;
  /** Error cause. */
  readonly cause?: string;
  /** Start date. */
  readonly startDate?: Date;
  /** Stop date. */
  readonly stopDate?: Date;
}

/**
 * Outcome of a saga:
 * - `RUNNING`; `SUCCEEDED`;
 * - `ROLLED_BACK`: a step failed and every compensation ran (the execution failed with the original error);
 * - `COMPENSATION_FAILED`: a compensation kept failing, the rollback stopped (`Saga.CompensationFailed`): needs a human;
 * - `FAILED_NOT_COMPENSATED`: failed without a rollback (after the pivot, or a runtime error);
 * - `ABORTED` / `TIMED_OUT`: stopped wherever it was; nothing was compensated.
 */
export type SagaOutcome = 'RUNNING' | 'SUCCEEDED' | 'ROLLED_BACK' | 'COMPENSATION_FAILED' | 'FAILED_NOT_COMPENSATED' | 'ABORTED' | 'TIMED_OUT';

/** What {@link WorkflowClient.status} returns. */
export interface WorkflowStatus {
  /** The business key. */
  readonly key: string;
  /** Name of the key's latest execution (attempt 1's name when none exists). */
  readonly executionName: string;
  /** The latest attempt (0 when nothing was started). */
  readonly attempt: number;
  /** `NOT_STARTED`, or the execution's status. Express: `UNKNOWN` (Express executions cannot be described). */
  readonly status: string;
  /** The execution ARN (Standard, when started). */
  readonly executionArn?: string;
  /** Start date. */
  readonly startDate?: Date;
  /** Stop date. */
  readonly stopDate?: Date;
  /** Error name. */
  readonly error?: string;
  /** Error cause. */
  readonly cause?: string;
  /** The output, parsed (SUCCEEDED). */
  readonly output?: unknown;
  /** How many times the execution was redriven. */
  readonly redriveCount?: number;
  /** Checkpoint progress (checkpointed workflows): completed and remaining steps, lease. */
  readonly checkpoint?: CheckpointProgress;
  /** The saga outcome (sagas). */
  readonly saga?: SagaOutcome;
}

/** Options of {@link WorkflowClient.result}. */
export interface ResultOptions {
  /** How long to wait for the end, in milliseconds. Default: 60000. */
  readonly waitFor?: number;
  /** First polling interval in ms; it doubles (with jitter) up to `maxPollInterval`. Default: 200. */
  readonly pollInterval?: number;
  /** Largest polling interval in ms. Default: 5000. */
  readonly maxPollInterval?: number;
}

/** Options of {@link WorkflowClient.listStuck}. */
export interface ListStuckOptions {
  /** An execution RUNNING longer than this (ms) is stuck. Default: 15 minutes. */
  readonly runningLongerThan?: number;
  /** Sagas: how many of the most recent FAILED executions to inspect for `Saga.CompensationFailed`. Default: 100. */
  readonly failedLookback?: number;
}

/** A stuck execution. */
export interface StuckExecution {
  /** The execution ARN. */
  readonly executionArn: string;
  /** The execution name. */
  readonly executionName: string;
  /** `RUNNING_TOO_LONG` or `COMPENSATION_FAILED`. */
  readonly reason: 'RUNNING_TOO_LONG' | 'COMPENSATION_FAILED';
  /** Start date. */
  readonly startDate: Date;
  /** Stop date (closed executions). */
  readonly stopDate?: Date;
  /** The error (COMPENSATION_FAILED). */
  readonly error?: string;
  /** The cause, naming the compensation that failed (COMPENSATION_FAILED). */
  readonly cause?: string;
}

/** Options of {@link WorkflowClient.stop}. */
export interface StopOptions {
  /** Error recorded on the stopped execution. Default: none. */
  readonly error?: string;
  /** Cause recorded on the stopped execution. Default: none. */
  readonly cause?: string;
}

/** Raised by {@link WorkflowClient} when an operation is refused (the message says why and what to do). */
export class WorkflowClientError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = `WorkflowClient.${code}`;
  }
}

interface Described {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount?: number;
  redriveStatus?: string;
  redriveStatusReason?: string;
}

/**
 * Starts and operates the executions of one workflow by business key.
 *
 * - {@link start} is idempotent by key: the execution name is derived from the key
 *   ({@link executionNameForKey}); Step Functions refuses a second execution of that name for 90
 *   days (Standard), so concurrent or repeated starts return the one execution.
 * - {@link status} combines the execution, the checkpoint progress and the saga outcome.
 * - {@link retry} starts the next attempt of a key whose execution ended unsuccessfully;
 *   {@link redrive} continues it where AWS allows it and it is safe.
 *
 * The caller needs the permissions `grantWorkflowClient(workflow, grantee)` gives.
 */
export class WorkflowClient {
  /** The state machine ARN. */
  readonly stateMachineArn: string;
  /** `STANDARD` or `EXPRESS`. */
  readonly type: 'STANDARD' | 'EXPRESS';
  private readonly options: WorkflowClientOptions;
  private client?: SFNClient;
  private checkpointClient?: CheckpointClient;

  constructor(options: WorkflowClientOptions) {
    if (!options || typeof options.stateMachineArn !== 'string' || !STATE_MACHINE_ARN.test(options.stateMachineArn)) {
      throw new WorkflowClientError(
        `stateMachineArn ${JSON.stringify(options?.stateMachineArn)} is not a state machine ARN ` +
          '(arn:<partition>:states:<region>:<account>:stateMachine:<name>, optionally :<version or alias>). ' +
          'Pass workflow.stateMachineArn (e.g. through an environment variable).', 'InvalidOptions');
    }
    const type = options.type ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new WorkflowClientError(`type ${JSON.stringify(options.type)} must be 'STANDARD' or 'EXPRESS'.`, 'InvalidOptions');
    }
    const cp = options.checkpoint;
    if (cp && (!cp.tableName || !cp.namespace || !cp.stepNames?.length)) {
      throw new WorkflowClientError('checkpoint needs tableName, namespace and stepNames (workflow.table.tableName, workflow.namespace, workflow.stepNames).', 'InvalidOptions');
    }
    this.stateMachineArn = options.stateMachineArn;
    this.type = type;
    this.options = options;
  }

  /**
   * Starts the execution of `key` with `input` (a JSON value), or returns the key's existing
   * execution (latest attempt) instead of starting a second one, whatever its input and state.
   *
   * Standard only, unless the workflow is checkpointed: Express executions are not deduplicated by
   * name, so an Express start is idempotent only through the checkpoint lease and done flags.
   */
  async start(key: string, input: unknown = {}): Promise<StartedExecution> {
    if (this.type === 'EXPRESS' && !this.options.checkpoint) {
      throw new WorkflowClientError(
        'start() is idempotent by execution name, which Express workflows do not enforce. Use startSync(key, input), ' +
          'a Standard workflow, or configure `checkpoint` (a CheckpointedWorkflow runs each step of a key once).', 'NotIdempotent');
    }
    // One call in the common case: StartExecution of attempt 1. When the name exists (another
    // input, closed, or later attempts exist), the key's latest attempt is returned.
    return this.startAttempt(key, input, 1, true);
  }

  /**
   * Starts the next attempt of `key` (a new execution, named `...-a<n>`) when its latest execution
   * ended without success; returns the latest execution when it is running or succeeded. For a
   * checkpointed workflow the new attempt resumes from the checkpoints. Standard only.
   */
  async retry(key: string, input: unknown = {}): Promise<StartedExecution> {
    this.requireStandard('retry');
    const attempt = await this.latestAttempt(key);
    if (attempt === 0) return this.startAttempt(key, input, 1, false);
    const latest = await this.describe(this.executionArn(key, attempt));
    if (latest && (latest.status === 'RUNNING' || latest.status === 'SUCCEEDED')) {
      return {
        key, executionName: latest.name, executionArn: latest.executionArn, startDate: latest.startDate!, attempt, existingStatus: latest.status,
      };
    }
    return this.startAttempt(key, input, attempt + 1, false);
  }

  /** Runs an Express execution of `key` synchronously (StartSyncExecution) and returns its outcome. */
  async startSync(key: string, input: unknown = {}): Promise<ExecutionOutcome> {
    if (this.type !== 'EXPRESS') {
      throw new WorkflowClientError('startSync() runs Express workflows only (StartSyncExecution); this one is STANDARD. Use start() and result().', 'WrongType');
    }
    const sfn = this.sdk();
    const out = await this.sfn().send(new sfn.StartSyncExecutionCommand({
      stateMachineArn: this.stateMachineArn,
      name: executionNameForKey(key),
      input: JSON.stringify(input ?? {}),
    }));
    return {
      executionArn: out.executionArn!,
      status: out.status!,
      output: parseJson(out.output),
      error: out.error,
      cause: out.cause,
      startDate: out.startDate,
      stopDate: out.stopDate,
    };
  }

  /**
   * Where `key` is: its latest execution (status, dates, error, output), the checkpoint progress
   * (checkpointed workflows) and the saga outcome (sagas).
   */
  async status(key: string): Promise<WorkflowStatus> {
    const checkpoint = this.options.checkpoint ? await this.checkpoints().progress(key) : undefined;
    if (this.type === 'EXPRESS') {
      return { key, executionName: executionNameForKey(key), attempt: 0, status: 'UNKNOWN', checkpoint };
    }
    const attempt = await this.latestAttempt(key);
    if (attempt === 0) {
      return { key, executionName: executionNameForKey(key), attempt: 0, status: 'NOT_STARTED', checkpoint };
    }
    const d = (await this.describe(this.executionArn(key, attempt)))!;
    return {
      key,
      executionName: d.name,
      attempt,
      status: d.status,
      executionArn: d.executionArn,
      startDate: d.startDate,
      stopDate: d.stopDate,
      error: d.error,
      cause: d.cause,
      output: parseJson(d.output),
      redriveCount: d.redriveCount,
      checkpoint,
      saga: this.options.saga ? await this.sagaOutcome(d) : undefined,
    };
  }

  /**
   * Waits for the end of the key's latest execution, polling DescribeExecution with exponential
   * backoff and jitter, and returns its outcome (failures are returned, not thrown). Throws
   * `WorkflowClient.Timeout` when it is still running after `waitFor`. Standard only.
   */
  async result(key: string, options: ResultOptions = {}): Promise<ExecutionOutcome> {
    this.requireStandard('result');
    const waitFor = options.waitFor ?? 60_000;
    const maxInterval = options.maxPollInterval ?? 5_000;
    let interval = options.pollInterval ?? 200;
    const deadline = Date.now() + waitFor;
    const arn = await this.requireExecution(key);
    for (;;) {
      const d = (await this.describe(arn))!;
      if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
        return outcomeOf(d);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new WorkflowClientError(`the execution of key '${key}' (${arn}) is still ${d.status} after ${waitFor} ms. Call result() again, or raise waitFor.`, 'Timeout');
      }
      // "full jitter" between half and all of the interval, never past the deadline
      await sleep(Math.min(left, interval / 2 + Math.random() * interval / 2));
      interval = Math.min(interval * 2, maxInterval);
    }
  }

  /** Stops the key's latest execution if it is running. Returns its status afterwards. Standard only. */
  async stop(key: string, options: StopOptions = {}): Promise<string> {
    this.requireStandard('stop');
    const arn = await this.requireExecution(key);
    const d = (await this.describe(arn))!;
    if (d.status !== 'RUNNING') return d.status;
    const sfn = this.sdk();
    await this.sfn().send(new sfn.StopExecutionCommand({ executionArn: arn, error: options.error, cause: options.cause }));
    return (await this.describe(arn))!.status;
  }

  /**
   * Redrives the key's latest execution (continues it from the failed state) when that is allowed
   * and safe: Standard only; status FAILED, TIMED_OUT or ABORTED; ended less than 14 days ago; and
   * for a checkpointed workflow only when its checkpoint writes verify the lease
   * (`checkpoint.writesVerifyLease`) and no other execution holds the key: otherwise use
   * {@link retry}. Throws `WorkflowClient.NotRedrivable` with the reason.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
   */
  async redrive(key: string): Promise<Date> {
    if (this.type !== 'STANDARD') {
      throw new WorkflowClientError('redrive() applies to Standard workflows only: RedriveExecution is not supported by Express state machines.', 'NotRedrivable');
    }
    const arn = await this.requireExecution(key);
    const d = (await this.describe(arn))!;
    const refuse = (why: string): never => {
      throw new WorkflowClientError(`cannot redrive the execution of key '${key}' (${arn}): ${why}`, 'NotRedrivable');
    };
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(d.status)) refuse(`its status is ${d.status}; only FAILED, TIMED_OUT or ABORTED executions can be redriven.`);
    if (d.redriveStatus === 'NOT_REDRIVABLE') refuse(`Step Functions reports it NOT_REDRIVABLE (${d.redriveStatusReason ?? 'no reason given'}).`);
    if (d.stopDate && this.now().getTime() - d.stopDate.getTime() > REDRIVE_PERIOD_MS) refuse('it ended more than 14 days ago (the redrive period). Use retry(key, input).');
    const cp = this.options.checkpoint;
    if (cp) {
      if (!cp.writesVerifyLease) {
        refuse('the workflow is checkpointed and its checkpoint writes do not verify the lease: a redriven execution does not re-acquire the lease, ' +
          'so it could write beside another execution of the same key. Use retry(key, input): a new execution acquires the lease and resumes from the checkpoints.');
      }
      const progress = await this.checkpoints().progress(key);
      if (progress.running && progress.leaseOwner !== arn) refuse(`another execution (${progress.leaseOwner}) holds the key's lease until ${progress.leaseExpiresAt}.`);
    }
    const sfn = this.sdk();
    const out = await this.sfn().send(new sfn.RedriveExecutionCommand({ executionArn: arn }));
    return out.redriveDate!;
  }

  /**
   * Executions that need a human: RUNNING longer than `runningLongerThan`, and (sagas) among the
   * most recent FAILED executions, those whose compensation failed (`Saga.CompensationFailed`).
   * Standard only (Express executions cannot be listed).
   */
  async listStuck(options: ListStuckOptions = {}): Promise<StuckExecution[]> {
    this.requireStandard('listStuck');
    const sfn = this.sdk();
    const threshold = options.runningLongerThan ?? 15 * 60_000;
    const now = this.now().getTime();
    const stuck: StuckExecution[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn().send(new sfn.ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
      for (const e of page.executions ?? []) {
        if (e.startDate && now - e.startDate.getTime() > threshold) {
          stuck.push({ executionArn: e.executionArn!, executionName: e.name!, reason: 'RUNNING_TOO_LONG', startDate: e.startDate });
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (this.options.saga) {
      const lookback = options.failedLookback ?? 100;
      const failed = await this.sfn().send(new sfn.ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'FAILED', maxResults: Math.min(1000, lookback) }));
      const described = await Promise.all((failed.executions ?? []).slice(0, lookback).map((e) => this.describe(e.executionArn!)));
      for (const d of described) {
        if (d && d.error === SAGA_COMPENSATION_FAILED_ERROR) {
          stuck.push({ executionArn: d.executionArn, executionName: d.name, reason: 'COMPENSATION_FAILED', startDate: d.startDate!, stopDate: d.stopDate, error: d.error, cause: d.cause });
        }
      }
    }
    return stuck;
  }

  /** The ARN of the Standard execution of `key` (attempt 1 unless given). */
  executionArn(key: string, attempt = 1): string {
    const name = executionNameForKey(key, { attempt });
    // Executions started through a version or alias ARN belong to the state machine itself:
    // arn:<partition>:states:<region>:<account>:execution:<machine name>:<execution name>
    const machine = this.stateMachineArn.split(':').slice(0, 7).join(':');
    return `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /** Releases the SDK clients' connections (not a client passed in `sfnClient`). */
  destroy(): void {
    if (this.client && this.client !== this.options.sfnClient) this.client.destroy();
    this.checkpointClient?.destroy();
    this.client = undefined;
    this.checkpointClient = undefined;
  }

  /**
   * StartExecution of `attempt`; when that name exists, returns the existing execution: that
   * attempt's, or with `latest` the key's latest attempt.
   */
  private async startAttempt(key: string, input: unknown, attempt: number, latest: boolean): Promise<StartedExecution> {
    const sfn = this.sdk();
    const executionName = executionNameForKey(key, { attempt });
    try {
      const out = await this.sfn().send(new sfn.StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: executionName,
        input: JSON.stringify(input ?? {}),
      }));
      return { key, executionName, executionArn: out.executionArn!, startDate: out.startDate!, attempt };
    } catch (e) {
      // Same name with another input, or a closed execution of that name: it exists; return it.
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
      if (this.type === 'STANDARD' && (e as Error).name === 'ExecutionAlreadyExists') {
        const existing = latest ? Math.max(attempt, await this.latestAttempt(key)) : attempt;
        const d = await this.describe(this.executionArn(key, existing));
        if (d) {
          return { key, executionName: d.name, executionArn: d.executionArn, startDate: d.startDate!, attempt: existing, existingStatus: d.status };
        }
      }
      throw e;
    }
  }

  /** The highest attempt of `key` that exists (0: none). Probes attempt 1, 2, ... */
  private async latestAttempt(key: string): Promise<number> {
    let attempt = 0;
    while (await this.describe(this.executionArn(key, attempt + 1))) attempt++;
    return attempt;
  }

  private async requireExecution(key: string): Promise<string> {
    const attempt = await this.latestAttempt(key);
    if (attempt === 0) {
      throw new WorkflowClientError(`no execution of key '${key}' exists (execution name ${executionNameForKey(key)}). Start it with start(key, input).`, 'NotStarted');
    }
    return this.executionArn(key, attempt);
  }

  private async describe(executionArn: string): Promise<Described | undefined> {
    const sfn = this.sdk();
    try {
      const d = await this.sfn().send(new sfn.DescribeExecutionCommand({ executionArn }));
      return d as Described;
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw e;
    }
  }

  private async sagaOutcome(d: Described): Promise<SagaOutcome> {
    switch (d.status) {
      case 'RUNNING':
      case 'PENDING_REDRIVE':
        return 'RUNNING';
      case 'SUCCEEDED':
        return 'SUCCEEDED';
      case 'ABORTED':
        return 'ABORTED';
      case 'TIMED_OUT':
        return 'TIMED_OUT';
      default:
        break;
    }
    if (d.error === SAGA_COMPENSATION_FAILED_ERROR) return 'COMPENSATION_FAILED';
    // The saga re-raises the original error after a complete rollback from its `Saga rolled back`
    // Fail state: the last state entered tells a rollback from a failure without one.
    const sfn = this.sdk();
    const history = await this.sfn().send(new sfn.GetExecutionHistoryCommand({
      executionArn: d.executionArn, reverseOrder: true, maxResults: 5, includeExecutionData: false,
    }));
    const lastState = (history.events ?? []).find((e) => e.stateEnteredEventDetails)?.stateEnteredEventDetails?.name;
    return lastState === SAGA_ROLLED_BACK_STATE ? 'ROLLED_BACK' : 'FAILED_NOT_COMPENSATED';
  }

  private requireStandard(operation: string): void {
    if (this.type !== 'STANDARD') {
      throw new WorkflowClientError(`${operation}() needs DescribeExecution/ListExecutions, which Express state machines do not support. Use startSync(key, input).`, 'WrongType');
    }
  }

  private now(): Date {
    return this.options.clock ? this.options.clock() : new Date();
  }

  private sdk(): SfnModule {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@aws-sdk/client-sfn') as SfnModule;
  }

  private sfn(): SFNClient {
    if (!this.client) {
      const o = this.options;
      this.client = o.sfnClient ?? new (this.sdk().SFNClient)({
        region: o.region,
        endpoint: o.endpoint,
        credentials: o.credentials,
        disableHostPrefix: o.disableHostPrefix ?? o.endpoint !== undefined,
      });
    }
    return this.client;
  }

  private checkpoints(): CheckpointClient {
    if (!this.checkpointClient) {
      const cp = this.options.checkpoint!;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { CheckpointClient: Client } = require('../patterns/checkpoint/checkpoint-client') as CheckpointModule;
      this.checkpointClient = new Client({
        tableName: cp.tableName,
        namespace: cp.namespace,
        stepNames: [...cp.stepNames],
        partitionKeyName: cp.partitionKeyName,
        sortKeyName: cp.sortKeyName,
        timeToLiveAttribute: cp.timeToLiveAttribute,
        region: this.options.region,
        endpoint: this.options.dynamodbEndpoint,
        credentials: this.options.credentials,
      });
    }
    return this.checkpointClient;
  }
}

function outcomeOf(d: Described): ExecutionOutcome {
  const { executionArn, status, error, cause, startDate, stopDate } = d;
  return { executionArn, status, output: parseJson(d.output), error, cause, startDate, stopDate };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
