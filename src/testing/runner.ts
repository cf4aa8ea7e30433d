/**
 * LocalWorkflowRunner: runs a synthesized state machine locally (aws-local-stepfunctions)
 * against local task handlers and a real DynamoDB-compatible server (dynalite).
 */
import * as ddb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { VirtualClock, parseDuration, seededRandom } from './clock';
import {
  DEFAULT_TASK_TIMEOUT_SECONDS,
  ENVELOPE_KEY,
  RETRY_COUNT_SENTINEL,
  TOKEN_SENTINEL,
} from './definition';
import type { TaskSpec, WaitSpec } from './definition';
import { RunnerConfigurationError, StatesError } from './errors';
import type { StepFault } from './faults';
import { distributedMapSpec, isDistributedMapResource, runDistributedMap } from './integrations/distributed-map';
import { callDynamoDb, createTables, LocalDynamo, startDynalite, sweepExpired } from './integrations/dynamodb';
import { asJson, invokeIntegrationResult, invokeLambdaHandler, invokeServiceHandler } from './integrations/lambda';
import { ChildRun, readChildStart, startSyncExecutionResult, syncResult } from './integrations/sfn';
import {
  buildInterpreterMachine,
  interpreterModule,
  InterpreterEvent,
  InterpreterRunOptions,
  Json,
  makeStatesTimeoutError,
  retriedAlreadyReported,
  RunHooks,
  runHooksInstalled,
  statesTimeoutErrorSync,
  TerminalStatesError,
} from './interpreter';
import { MachineModel, TableModel, WorkflowModel } from './model';
import { mergedLogicalId, mergeNestedStacks, rootStackOf } from './nested-stacks';
import { LocalS3, templateBuckets } from './s3-server';
import { serveWorkflow } from './server';
import type { LocalSfnServer, ServeOptions } from './server';
import { stackTemplate } from './stack-template';
import type { CfnTemplate } from './template-resolver';

import type {
  ExecutionRecord,
  MetricRecord,
  RetryRecord,
  RunOptions,
  RunResult,
  TaskHandler,
  TaskHandlerContext,
} from './types';
import { CHECKPOINT_COORDINATOR_ROLE, LIBRARY_FUNCTION_ROLE_METADATA } from '../core/metadata';
import { coordinate, CoordinatorEvent } from '../patterns/checkpoint/coordinator';

/**
 * What {@link LocalWorkflowRunner.create} accepts: a workflow construct exposing
 * `stateMachine`, a state machine construct, or a synthesized template plus the
 * logical id of the state machine to run.
 */
export type WorkflowSource =
  | { readonly stateMachine: IStateMachine }
  | IStateMachine
  | { readonly template: object; readonly stateMachineLogicalId?: string };

/** Options of {@link LocalWorkflowRunner.create}. */
export interface LocalWorkflowRunnerOptions {
  /** Task handlers by state (step) name. More can be added later with {@link LocalWorkflowRunner.setHandler}. */
  readonly handlers?: Readonly<Record<string, TaskHandler>>;
  /**
   * Base clock of the runner's virtual time: the virtual now is this clock plus every duration
   * the runner skipped (Waits, retry backoff, timeouts, {@link LocalWorkflowRunner.advance}).
   * It dates child executions, `$$.State.EnteredTime`, `$$.Execution.StartTime`, the checkpoint
   * coordinator and TTL sweeps. Default: the real clock. Pass a fixed clock for byte-stable
   * outputs: time then moves only by skipping and `advance()`.
   */
  readonly clock?: () => Date;
  /**
   * Seed of the PRNG that draws retry jitter (`JitterStrategy: FULL`) and names task tokens, so a
   * run is reproducible. Default: 0x5eed.
   */
  readonly seed?: number;
  /**
   * Check every definition with aws-local-stepfunctions' validator (asl-validator) when loading.
   * It costs about 3 s per process and rejects some definitions Step Functions accepts; Step
   * Functions validates definitions at deploy time. Default: false.
   */
  readonly validateDefinitions?: boolean;
}

/** Templates, per stack (obtaining one is the slowest part of loading). */
const templateCache = new WeakMap<Stack, CfnTemplate>();

/** The stack's template, rendered without synthesis when that is faithful (see {@link stackTemplate}). */
function templateOf(stack: Stack): CfnTemplate {
  let template = templateCache.get(stack);
  if (!template) {
    // parts of a workflow may be in nested stacks: merged into the root stack's template
    template = mergeNestedStacks(stack, stackTemplate(stack).template);
    templateCache.set(stack, template);
  }
  return template;
}

function logicalIdOf(construct: IConstruct, what: string): string {
  // Follow default children down (e.g. CheckpointTable -> Table -> CfnTable).
  let child: IConstruct | undefined = construct;
  while (child && !(child instanceof CfnElement)) {
    child = child.node.defaultChild;
  }
  if (!(child instanceof CfnElement)) {
    throw new Error(`LocalWorkflowRunner: ${what} '${construct.node.path}' has no CloudFormation resource (imported?); pass a construct defined in a stack`);
  }
  return mergedLogicalId(child);
}

/** Resolves a {@link WorkflowSource} to a template and the logical id of the machine to run. */
export function loadWorkflowSource(source: WorkflowSource): { template: CfnTemplate; logicalId: string } {
  if ('template' in source && source.template) {
    const template = source.template as CfnTemplate;
    let logicalId = source.stateMachineLogicalId;
    if (!logicalId) {
      const ids = WorkflowModel.of(template).machineIds();
      if (ids.length !== 1) {
        throw new Error(
          `LocalWorkflowRunner: the template has ${ids.length} state machines (${ids.join(', ')}); pass stateMachineLogicalId`,
        );
      }
      logicalId = ids[0];
    }
    return { template, logicalId };
  }
  const machine = ('stateMachine' in source ? source.stateMachine : source) as IStateMachine;
  if (!machine || !machine.node) {
    throw new Error('LocalWorkflowRunner: pass a workflow construct (with `stateMachine`), a StateMachine, or { template, stateMachineLogicalId }');
  }
  return { template: templateOf(rootStackOf(Stack.of(machine))), logicalId: logicalIdOf(machine, 'state machine') };
}

/** Logical ids of the machine and of every child it starts through a static `StateMachineArn`. */
function reachableMachines(model: WorkflowModel, rootId: string): MachineModel[] {
  const out = new Map<string, MachineModel>();
  const visit = (id: string): void => {
    if (out.has(id)) return;
    const machine = model.machine(id);
    out.set(id, machine);
    for (const spec of machine.analysed.tasks.values()) {
      if (spec.task.kind !== 'sfn-start' && spec.task.kind !== 'sfn-start-sync') continue;
      const arn = (spec.state.Parameters as Record<string, unknown> | undefined)?.StateMachineArn;
      if (typeof arn === 'string') {
        const childId = model.machineIdByArn(arn);
        if (childId) visit(childId);
      }
    }
  };
  visit(rootId);
  return [...out.values()];
}

interface MachineOverrides {
  readonly retryIntervalOverrides: Record<string, number>;
}

const overridesCache = new WeakMap<MachineModel, MachineOverrides>();

function overridesOf(machine: MachineModel): MachineOverrides {
  let o = overridesCache.get(machine);
  if (!o) {
    // Only Parallel/Map retries stay with the interpreter (Task retries are the runner's): no real pause.
    o = { retryIntervalOverrides: Object.fromEntries(machine.analysed.retryStates.map((s) => [s, 0])) };
    overridesCache.set(machine, o);
  }
  return o;
}

function executionArnOf(machine: MachineModel, name: string, index: number): string {
  const base = machine.arn.replace(':stateMachine:', machine.type === 'EXPRESS' ? ':express:' : ':execution:');
  return machine.type === 'EXPRESS' ? `${base}:${name}:00000000-0000-0000-0000-${String(index).padStart(12, '0')}` : `${base}:${name}`;
}

type MutableRecord = { -readonly [K in keyof ExecutionRecord]: ExecutionRecord[K] } & { statesEntered: string[] };

/**
 * Step Functions' payload quota: 256 KiB for a task, state or execution input or result.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (Quotas related to task executions)
 */
export const MAX_PAYLOAD_BYTES = 262_144;
/**
 * History events of one Standard execution. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * ("Maximum execution history size: 25,000 events in a single state machine execution history").
 */
export const MAX_HISTORY_EVENTS = 25_000;
/** Express workflows run for at most five minutes (Standard vs Express). https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html */
export const EXPRESS_MAX_SECONDS = 300;
/** Standard workflows run for at most one year. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html */
export const STANDARD_MAX_SECONDS = 31_536_000;

/** The JSON text of a value, and a `States.DataLimitExceeded` when it is above the payload quota. */
function checkedJson(value: unknown, what: string): string {
  const text = JSON.stringify(value === undefined ? null : value) ?? 'null';
  if (text.length * 3 > MAX_PAYLOAD_BYTES && Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    // The DataLimitExceeded cause, as Step Functions words it.
    throw new TerminalStatesError(
      'States.DataLimitExceeded',
      `The state/task '${what}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
  return text;
}

/**
 * True when the JSON text of `value` might be longer than `budget` bytes: a conservative bound
 * (6 bytes per string character, as an escaped control character takes) computed without building
 * the text, so that small states (nearly all of them) are not serialized just to be measured.
 */
function mightExceed(value: unknown, budget: number): boolean {
  let remaining = budget;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {remaining -= 6 * v.length + 2;} else if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        remaining -= 2 + v.length;
        for (let i = 0; i < v.length; i++) stack.push(v[i]);
      } else {
        remaining -= 2;
        for (const k in v) {
          remaining -= 6 * k.length + 4;
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
    } else {remaining -= 24;}
    if (remaining < 0) return true;
  }
  return false;
}

/** Thrown inside {@link cloneJson} when a value needs JSON's own conversions (toJSON, undefined, NaN...). */
const NOT_PLAIN = Symbol('not plain JSON');

function clonePlain(v: unknown, budget: { left: number }): unknown {
  if (typeof v === 'string') {
    budget.left -= 6 * v.length + 2;
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw NOT_PLAIN;
    budget.left -= 24;
    return v;
  }
  if (v === null || typeof v === 'boolean') {
    budget.left -= 5;
    return v;
  }
  if (Array.isArray(v)) {
    budget.left -= 2 + v.length;
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = clonePlain(v[i], budget);
    return out;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    budget.left -= 2;
    const out: Record<string, unknown> = {};
    for (const k in v) {
      if (k === '__proto__') throw NOT_PLAIN;
      budget.left -= 6 * k.length + 4;
      out[k] = clonePlain((v as Record<string, unknown>)[k], budget);
    }
    return out;
  }
  throw NOT_PLAIN;
}

/**
 * A JSON copy of `value` (what crosses a service API: `JSON.parse(JSON.stringify(value))`), with
 * `States.DataLimitExceeded` above the payload quota. Plain data is copied directly (faster than a
 * JSON round trip) with a conservative size bound; the exact size is computed only near the limit.
 */
function cloneJson(value: unknown, what: string): Json {
  const budget = { left: MAX_PAYLOAD_BYTES };
  try {
    const copy = clonePlain(value === undefined ? null : value, budget) as Json;
    if (budget.left >= 0) return copy;
  } catch (e) {
    if (e !== NOT_PLAIN) throw e;
  }
  return JSON.parse(checkedJson(value, what)) as Json;
}

/** A JSON copy of an execution input (`asJson`), without the task payload quota; plain data is copied directly. */
function cloneInput(value: unknown): Json {
  try {
    return clonePlain(value === undefined ? null : value, { left: Infinity }) as Json;
  } catch (e) {
    if (e !== NOT_PLAIN) throw e;
  }
  return asJson(value);
}

/** A task waiting for SendTaskSuccess/Failure, or a running task that accepts heartbeats. */
interface PendingTask {
  readonly token: string;
  readonly stateName: string;
  readonly executionName: string;
  readonly executionArn: string;
  readonly input: unknown;
  readonly callback: boolean;
  succeed(output: Json): void;
  fail(error: StatesError): void;
  heartbeat(): void;
}

/** A callback task waiting for its token, as {@link LocalWorkflowRunner.pendingCallbacks} lists it. */
export interface PendingCallback {
  /** The task token (`$$.Task.Token`). */
  readonly token: string;
  /** The Task state waiting. */
  readonly stateName: string;
  /** `$$.Execution.Name` of the execution waiting. */
  readonly executionName: string;
  /** `$$.Execution.Id` of the execution waiting. */
  readonly executionArn: string;
  /** The task's effective input (its resolved Parameters). */
  readonly input: unknown;
}

/** What a run session needs from its runner (the shared clock, PRNG and token registry). */
interface RunnerServices {
  readonly clock: VirtualClock;
  readonly random: () => number;
  readonly tasks: Map<string, PendingTask>;
  readonly finishedTokens: Set<string>;
  /** The local S3 server (Distributed Map readers and writers). */
  readonly s3: LocalS3;
  /** `$$.State` for paths the runner did not rewrite: an `EnteredTime` read from the virtual clock. */
  readonly stateFallback: Record<string, unknown>;
  newToken(): string;
  callbackWaiting(pending: PendingTask): void;
  localState(machine: MachineModel): Record<string, unknown>;
}

/**
 * Runs the Step Functions state machine a CDK construct synthesized, locally, inside jest.
 *
 * ASL is interpreted by aws-local-stepfunctions; Lambda tasks call handlers registered by
 * state name; DynamoDB tasks run against an in-process dynalite holding every table of the
 * template; child state machines of the same template run locally too. Time is virtual: Waits,
 * retry backoff and timeouts advance the runner's clock instantly (see {@link LocalWorkflowRunner.now}).
 *
 * @example
 * const runner = await LocalWorkflowRunner.create(workflow, { handlers: { 'Reserve funds': async (e) => ({ ok: true }) } });
 * const result = await runner.run({ orderId: 'o-1' });
 * expect(result.status).toBe('SUCCEEDED');
 * await runner.close();
 */
export class LocalWorkflowRunner {
  /**
   * Loads the workflow (reads its stack's template once: rendered without synthesizing the app
   * when that is faithful, see `stackTemplate`; resolves it, builds the interpreter machines),
   * starts dynalite on 127.0.0.1 and creates the template's tables.
   */
  static async create(source: WorkflowSource, options: LocalWorkflowRunnerOptions = {}): Promise<LocalWorkflowRunner> {
    const { template, logicalId } = loadWorkflowSource(source);
    const model = WorkflowModel.of(template);
    const machines = reachableMachines(model, logicalId);
    interpreterModule();
    const dynamoStarting = startDynalite();
    try {
      for (const m of machines) {
        buildInterpreterMachine(m.analysed.preparedJson, m.logicalId, options.validateDefinitions === true);
      }
      await makeStatesTimeoutError('warm-up');
    } catch (e) {
      await (await dynamoStarting).close();
      throw e;
    }
    // Task names of the machines this one reaches, plus those of any other (analysable) machine
    // of the template, which a dynamic `StateMachineArn.$` could start
    // (and the step names behind states rendered under another name, which handlers and faults may use)
    const taskNames = new Set(machines.flatMap((m) => [...m.analysed.tasks.keys()]));
    for (const id of model.machineIds()) {
      try {
        const machine = model.machine(id);
        for (const name of machine.analysed.tasks.keys()) taskNames.add(name);
        for (const step of machine.stepNames.values()) taskNames.add(step);
      } catch {
        // not runnable locally; refused with a clear error if an execution ever starts it
      }
    }
    const dynamo = await dynamoStarting;
    for (const name of Object.keys(options.handlers ?? {})) {
      if (!taskNames.has(name)) {
        await dynamo.close();
        throw new Error(
          `LocalWorkflowRunner: a handler is registered for '${name}', which is not a Task state of the workflow. Task states: ${formatNames(taskNames)}`,
        );
      }
    }
    try {
      await createTables(dynamo.client, model.tables());
    } catch (e) {
      await dynamo.close();
      throw e;
    }
    return new LocalWorkflowRunner(model, model.machine(logicalId), dynamo, options, taskNames);
  }

  /** A DynamoDB client pointed at the runner's dynalite (fake credentials), to seed or inspect tables. */
  readonly dynamodb: DynamoDBClient;
  /** The dynalite endpoint, `http://127.0.0.1:<port>`. */
  readonly dynamodbEndpoint: string;
  /** Logical id of the state machine this runner runs. */
  readonly stateMachineLogicalId: string;
  /** Fake ARN of the state machine this runner runs. */
  readonly stateMachineArn: string;
  /** The local S3 server (s3rver, started on first use) with the template's buckets: seed item files, read written results. */
  readonly s3: LocalS3;

  private readonly handlers = new Map<string, TaskHandler>();
  private readonly recordedMetrics: MetricRecord[] = [];
  private readonly clock: VirtualClock;
  private readonly services: RunnerServices;
  private readonly callbackWaiters: Array<{ stateName?: string; resolve: (p: PendingCallback) => void }> = [];
  private executionCounter = 0;
  private closed = false;

  private constructor(
    private readonly model: WorkflowModel,
    private readonly machine: MachineModel,
    private readonly dynamo: LocalDynamo,
    options: LocalWorkflowRunnerOptions,
    private readonly taskNames: ReadonlySet<string>,
  ) {
    this.dynamodb = dynamo.client;
    this.dynamodbEndpoint = dynamo.endpoint;
    this.stateMachineLogicalId = machine.logicalId;
    this.stateMachineArn = machine.arn;
    this.s3 = new LocalS3(() => templateBuckets(model.resolver));
    const base = options.clock;
    this.clock = new VirtualClock(base ? () => base().getTime() : Date.now);
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      this.handlers.set(name, handler);
    }
    const clock = this.clock;
    const localStates = new WeakMap<MachineModel, Record<string, unknown>>();
    let tokenCounter = 0;
    this.services = {
      clock,
      random: seededRandom(options.seed ?? DEFAULT_SEED),
      tasks: new Map(),
      finishedTokens: new Set(),
      newToken: () => `LocalTaskToken-${(options.seed ?? DEFAULT_SEED).toString(16)}-${String(++tokenCounter).padStart(8, '0')}`,
      callbackWaiting: (pending) => this.notifyCallback(pending),
      stateFallback: stateContext(() => new Date(clock.now())),
      s3: this.s3,
      localState: (m) => {
        let states = localStates.get(m);
        if (!states) {
          states = {};
          for (const spec of m.analysed.stateContexts) {
            const entry: Record<string, unknown> = { Name: spec.name, RetryCount: spec.task ? RETRY_COUNT_SENTINEL : 0 };
            // `EnteredTime` is read when the state processes its input, i.e. when it is entered.
            Object.defineProperty(entry, 'EnteredTime', { enumerable: true, get: () => new Date(clock.now()).toISOString() });
            states[spec.key] = entry;
          }
          localStates.set(m, states);
        }
        return states;
      },
    };
  }

  /** Every `cloudwatch:putMetricData` call recorded by this runner (all runs), in call order. */
  get metrics(): readonly MetricRecord[] {
    return this.recordedMetrics;
  }

  /** Registers (or replaces) the handler of a Task state. Returns the runner. */
  setHandler(stateName: string, handler: TaskHandler): this {
    if (!this.taskNames.has(stateName)) {
      throw new Error(`LocalWorkflowRunner: '${stateName}' is not a Task state of the workflow. Task states: ${formatNames(this.taskNames)}`);
    }
    this.handlers.set(stateName, handler);
    return this;
  }

  /** The fake (dynalite) name of a table of the template, from its construct or logical id. */
  tableName(table: IConstruct | string): string {
    return this.tableModel(table).name;
  }

  /**
   * The runner's virtual now: the base clock (real time, or the `clock` option) plus every
   * duration skipped by Waits, retry backoff, timeouts and {@link advance}. `$$.State.EnteredTime`,
   * `$$.Execution.StartTime`, the checkpoint coordinator and {@link sweepExpiredItems} read it.
   */
  now(): Date {
    return new Date(this.clock.now());
  }

  /**
   * Moves the virtual clock forward (milliseconds, or `'90s'`, `'15m'`, `'2h'`, `'1d'`): timers that
   * become due fire (a callback's `HeartbeatSeconds`/`TimeoutSeconds`, a Wait while a callback is
   * outstanding...). Between runs, it makes leases, checkpoints and TTLs expire. Resolves once the
   * executions it woke up have run up to their next wait.
   */
  async advance(duration: number | string): Promise<void> {
    this.clock.advance(parseDuration(duration));
    await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Completes a `.waitForTaskToken` task with `output` (SendTaskSuccess). Throws `TaskTimedOut`
   * when the task already ended (timed out, failed, or its execution stopped) and `InvalidToken`
   * for a token the runner never issued, as Step Functions does.
   */
  sendTaskSuccess(token: string, output: unknown = {}): void {
    this.callbackTask(token, 'SendTaskSuccess').succeed(output as Json);
  }

  /** Fails a `.waitForTaskToken` task (SendTaskFailure) with `error` / `cause`; Retry and Catch see them. */
  sendTaskFailure(token: string, error = '', cause = ''): void {
    this.callbackTask(token, 'SendTaskFailure').fail(new StatesError(error, cause));
  }

  /** Records a heartbeat (SendTaskHeartbeat) for a running task: its `HeartbeatSeconds` timer starts again. */
  sendTaskHeartbeat(token: string): void {
    this.pendingTask(token, 'SendTaskHeartbeat').heartbeat();
  }

  /** The `.waitForTaskToken` tasks currently waiting for SendTaskSuccess/Failure, oldest first. */
  pendingCallbacks(): PendingCallback[] {
    return [...this.services.tasks.values()].filter((t) => t.callback).map(describePending);
  }

  /**
   * Resolves with the next callback task (of `stateName`, when given) that waits for its token —
   * at once when one is already waiting. Use it with a run you did not await:
   * `const done = runner.run(input); const { token } = await runner.waitForCallback('Approve'); runner.sendTaskSuccess(token, {...}); await done;`
   */
  waitForCallback(stateName?: string): Promise<PendingCallback> {
    const waiting = this.pendingCallbacks().find((p) => stateName === undefined || p.stateName === stateName);
    if (waiting) return Promise.resolve(waiting);
    return new Promise((resolve) => this.callbackWaiters.push({ stateName, resolve }));
  }

  /**
   * Deletes the items whose TTL attribute (the table's `TimeToLiveSpecification`) is a number of
   * epoch seconds before the virtual now, as the DynamoDB TTL sweeper eventually does; returns how
   * many it deleted. Until you call it, expired items stay readable, as on DynamoDB ("expired, not
   * yet deleted" items are still returned by reads for up to a few days:
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
   * Items whose TTL is more than five years in the past are left alone, as DynamoDB does.
   */
  async sweepExpiredItems(table?: IConstruct | string): Promise<number> {
    const tables = table === undefined ? this.model.tables() : [this.tableModel(table)];
    return sweepExpired(this.dynamo.client, tables, Math.floor(this.clock.now() / 1000));
  }

  /**
   * Runs one execution to its end and reports what happened. Rejects only for mistakes in the
   * test setup (missing handler, unknown fault target, unsupported integration); workflow
   * failures are reported in the result. Safe to call concurrently.
   */
  async run(input: unknown = {}, options: RunOptions = {}): Promise<RunResult> {
    if (this.closed) {
      throw new Error('LocalWorkflowRunner: run() called after close()');
    }
    const faults = options.faults ?? {};
    for (const name of Object.keys(faults)) {
      if (!this.taskNames.has(name)) {
        throw new Error(`LocalWorkflowRunner: a fault targets '${name}', which is not a Task state of the workflow. Task states: ${formatNames(this.taskNames)}`);
      }
    }
    const executionName = options.executionName ?? `exec-${++this.executionCounter}`;
    const session = new RunSession(this.model, this.dynamo, this.handlers, faults, this.services);
    // --- runner.serve(): StopExecution aborts the run ---
    options.signal?.addEventListener('abort', () => session.abortRun(), { once: true });
    session.topExecutionArn = options.executionArn;
    session.onStateEvent = options.onStateEvent;
    session.resume = (options as RedriveRunOptions).resumeAt;
    const startDate = this.now();
    const top = await session.execute(this.machine, cloneInput(input), executionName, undefined);
    session.finish();
    // After a crash, tasks of other Parallel branches / Map iterations may still be in flight;
    // wait for them so that what the run leaves in DynamoDB is settled when run() returns.
    await session.settle();
    if (session.fatal) {
      throw session.fatal;
    }
    this.recordedMetrics.push(...session.metrics);
    return {
      status: top.status,
      output: top.output,
      error: top.error,
      cause: top.cause,
      crashedAfter: session.crashedAfter,
      executionName: top.name,
      executionArn: top.executionArn,
      statesEntered: top.statesEntered,
      transitions: top.transitions,
      calls: session.calls,
      retries: session.retries,
      executions: session.executions,
      metrics: session.metrics,
      startDate,
      stopDate: this.now(),
    };
  }

  /**
   * Starts a Step Functions-compatible endpoint (AWS JSON 1.0) for this runner's state machine on
   * 127.0.0.1, random port, so code using `@aws-sdk/client-sfn` can be tested; see `./server.ts`.
   * Close it (`server.close()`) in `afterAll`, before `runner.close()`.
   */
  async serve(options: ServeOptions = {}): Promise<LocalSfnServer> {
    return serveWorkflow(this, { machine: this.machine, clock: () => this.now() }, options);
  }

  /** Stops dynalite and releases the client. Call it in `afterAll`. */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.dispose();
    await this.s3.close();
    await this.dynamo.close();
  }

  private tableModel(table: IConstruct | string): TableModel {
    const logicalId = typeof table === 'string' ? table : logicalIdOf(table, 'table');
    const found = this.model.tables().find((t) => t.logicalId === logicalId);
    if (!found) {
      throw new Error(
        `LocalWorkflowRunner: '${logicalId}' is not a DynamoDB table of the template. Tables: ${this.model
          .tables()
          .map((t) => t.logicalId)
          .join(', ') || '(none)'}`,
      );
    }
    return found;
  }

  private pendingTask(token: string, api: string): PendingTask {
    const task = this.services.tasks.get(token);
    if (task) return task;
    if (this.services.finishedTokens.has(token)) {
      throw Object.assign(new Error(`${api}: Task Timed Out: 'Provided task does not exist anymore'`), { name: 'TaskTimedOut' });
    }
    throw Object.assign(new Error(`${api}: Invalid Token: 'Invalid token'`), { name: 'InvalidToken' });
  }

  private callbackTask(token: string, api: string): PendingTask {
    const task = this.pendingTask(token, api);
    if (!task.callback) {
      throw Object.assign(new Error(`${api}: the task of '${task.stateName}' is not a .waitForTaskToken task (only heartbeats are accepted)`), { name: 'InvalidToken' });
    }
    return task;
  }

  private notifyCallback(pending: PendingTask): void {
    const described = describePending(pending);
    for (let i = 0; i < this.callbackWaiters.length; i++) {
      const waiter = this.callbackWaiters[i];
      if (waiter.stateName === undefined || waiter.stateName === pending.stateName) {
        this.callbackWaiters.splice(i, 1);
        waiter.resolve(described);
        return;
      }
    }
  }
}

/** The heartbeat of a handler context when the task has no `HeartbeatSeconds`: nothing to re-arm. */
const NO_HEARTBEAT = (): void => undefined;

/** The abort reason of an execution's signal (a shared value: no DOMException per execution). */
const STOPPED = 'LocalWorkflowRunner: execution ended';

/** Most finished task tokens remembered (to answer TaskTimedOut rather than InvalidToken). */
const MAX_FINISHED_TOKENS = 10_000;

/** Default seed of the retry jitter PRNG. */
const DEFAULT_SEED = 0x5eed;

function describePending(t: PendingTask): PendingCallback {
  return { token: t.token, stateName: t.stateName, executionName: t.executionName, executionArn: t.executionArn, input: t.input };
}

function formatNames(names: Iterable<string>): string {
  const list = [...names].map((n) => `'${n}'`);
  return list.length ? list.join(', ') : '(none)';
}

/**
 * An execution's stop signal: the subset of AbortController/AbortSignal the runner and the clock
 * use, without the DOM event machinery (one per execution, on the hot path).
 */
class Stopper {
  aborted = false;
  private listeners?: Set<() => void>;

  get signal(): Stopper {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    (this.listeners ??= new Set()).add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners?.delete(listener);
  }

  abort(_reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const l of listeners) l();
  }
}

/** Per execution (top or child): its record, its stop signal and what ended it early. */
interface ExecutionState {
  readonly record: MutableRecord;
  readonly machine: MachineModel;
  readonly index: number;
  readonly abort: Stopper;
  readonly standard: boolean;
  historyEvents: number;
  /** Error of the last StateFailed event per `state#index` (for the retry records of Parallel/Map states). */
  lastError?: Map<string, string>;
  /** Pending retry backoffs of Parallel/Map states, by state name (their branches/iterations wait for them). */
  retryGates?: Map<string, Promise<void>>;
  /** A terminal failure detected by the runner (data limit, history limit), which ends the execution. */
  failure?: { error: string; cause: string };
  stopInterpreter?: () => void;
}

/** The interpreter hooks of one execution (see {@link RunHooks}): one object, methods on the prototype. */
class ExecutionHooks implements RunHooks {
  constructor(private readonly session: RunSession, private readonly exec: ExecutionState) {}

  onEvent(event: InterpreterEvent): void {
    this.session.onEvent(event, this.exec);
  }

  onRetried(event: InterpreterEvent, error: string): void {
    this.session.onRetried(event, error, this.exec);
  }

  beforeNested(parentState: string): Promise<void> | undefined {
    return this.exec.retryGates?.get(parentState);
  }
}

/** The context a handler receives (a class: one allocation per attempt, methods on the prototype). */
class HandlerContext implements TaskHandlerContext {
  constructor(
    readonly stateName: string,
    readonly stateMachine: string,
    readonly executionName: string,
    readonly executionArn: string,
    readonly call: number,
    readonly resource: string,
    readonly retryCount: number,
    private readonly clock: VirtualClock,
    private readonly tokenOf: () => string,
    private readonly beat: () => void,
  ) {}

  get taskToken(): string {
    return this.tokenOf();
  }

  heartbeat(): void {
    this.beat();
  }

  now(): Date {
    return new Date(this.clock.now());
  }
}

/** Does a Retry/Catch `ErrorEquals` list match the error? (`States.TaskFailed` does not match `States.Timeout`.) */
function errorMatches(equals: readonly string[], error: Error): boolean {
  // States.ALL and States.TaskFailed never match States.DataLimitExceeded / States.Runtime:
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
  if ((error as { isRetryable?: boolean }).isRetryable === false) return false;
  return equals.some((e) => e === error.name || e === 'States.ALL' || (e === 'States.TaskFailed' && error.name !== 'States.Timeout'));
}

/** Replaces the `$$.Task.Token` / `$$.State.RetryCount` sentinels in a task input. */
function substituteSentinels(value: Json, token: string, retryCount: number): Json {
  if (typeof value === 'string') {
    if (value === RETRY_COUNT_SENTINEL) return retryCount;
    if (value === TOKEN_SENTINEL) return token;
    if (value.includes('\u0000')) return value.split(TOKEN_SENTINEL).join(token).split(RETRY_COUNT_SENTINEL).join(String(retryCount));
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => substituteSentinels(v, token, retryCount));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteSentinels(v, token, retryCount);
    return out;
  }
  return value;
}

/** State of one `run()`: its executions, counters, faults, and the crash/fatal switch. */
class RunSession {
  readonly calls: Record<string, number> = {};
  readonly retries: RetryRecord[] = [];
  readonly executions: MutableRecord[] = [];
  readonly metrics: MetricRecord[] = [];
  crashedAfter?: string;
  fatal?: Error;
  // --- runner.serve(): RunOptions.executionArn / onStateEvent ---
  /** The top execution's ARN when the caller chose it (RunOptions.executionArn). */
  topExecutionArn?: string;
  /** runner.serve() RedriveExecution: the top execution continues from this top-level state. */
  resume?: RedriveRunOptions['resumeAt'];
  /** Listener of the top execution's StateEntered/StateExited events (RunOptions.onStateEvent). */
  onStateEvent?: RunOptions['onStateEvent'];
  private readonly aborts = new Set<() => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** Task states running (their handler or integration may outlive an aborted branch). */
  private tasksRunning = 0;
  private tasksDrained?: () => void;
  private readonly states: ExecutionState[] = [];
  private childCounter = 0;
  /** Set by abortRun() (StopExecution through runner.serve()). */
  private aborted = false;

  private readonly hasFaults: boolean;

  constructor(
    private readonly model: WorkflowModel,
    private readonly dynamo: LocalDynamo,
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    private readonly faults: Readonly<Record<string, StepFault>>,
    private readonly services: RunnerServices,
  ) {
    this.hasFaults = Object.keys(faults).length > 0;
  }

  private get clock(): VirtualClock {
    return this.services.clock;
  }

  private get stopped(): boolean {
    return this.crashedAfter !== undefined || this.fatal !== undefined || this.aborted;
  }

  // --- runner.serve(): StopExecution aborts the run (RunOptions.signal) ---
  /** Stops every execution of the run; they end ABORTED. */
  abortRun(): void {
    this.aborted = true;
    this.stop();
  }

  /** Aborts every running execution of the run. */
  private stop(): void {
    for (const abort of [...this.aborts]) abort();
    for (const state of this.states) state.abort.abort(STOPPED);
  }

  private fail(error: Error): void {
    if (!this.fatal) this.fatal = error;
    this.stop();
  }

  /** The top execution ended: waits and callbacks still pending in its (aborted) branches end too. */
  finish(): void {
    for (const state of this.states) state.abort.abort(STOPPED);
  }

  /** Runs one execution (top or child) to its end. */
  async execute(machine: MachineModel, input: Json, name: string, parent: number | undefined): Promise<MutableRecord> {
    const index = this.executions.length;
    const record: MutableRecord = {
      stateMachine: machine.logicalId,
      type: machine.type,
      name,
      executionArn: (parent === undefined && this.topExecutionArn) || executionArnOf(machine, name, index),
      status: 'ABORTED',
      transitions: 0,
      durationMs: 0,
      statesEntered: [],
      input,
    };
    if (parent !== undefined) record.parent = parent;
    this.executions.push(record);
    if (this.stopped) {
      return record;
    }
    const exec: ExecutionState = {
      record,
      machine,
      index,
      abort: new Stopper(),
      standard: machine.type === 'STANDARD',
      // ExecutionStarted + ExecutionSucceeded/Failed
      historyEvents: 2,
    };
    this.states.push(exec);
    const { ExecutionError } = interpreterModule();
    const hooked = runHooksInstalled();
    // A redriven top execution continues from its unsuccessful state, with that state's input and the
    // results of the states before it (they are not run again). https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
    const resume = parent === undefined ? this.resume : undefined;
    const interpreter = buildInterpreterMachine(resume ? startingAt(machine, resume.state) : machine.analysed.preparedJson, machine.logicalId);
    const redriveCount = resume?.redriveCount ?? 0;
    const handlers: Record<string, (taskInput: Json) => Promise<Json>> = {};
    for (const spec of machine.analysed.tasks.values()) {
      handlers[spec.name] = (taskInput) => this.invokeTask(machine, spec, taskInput, exec);
    }
    for (const wait of machine.analysed.waits.values()) {
      handlers[wait.name] = (waitInput) => this.runWait(wait, waitInput, exec);
    }
    const startTime = isoTime(this.clock.now());
    const executionContext = { Id: record.executionArn, Name: name, RoleArn: machine.roleArn, RedriveCount: redriveCount };
    const runOptions: InterpreterRunOptions = {
      overrides: { taskResourceLocalHandlers: handlers, ...overridesOf(machine) },
      noThrowOnAbort: true,
      context: {
        Execution: executionContext,
        // `$$.Execution` is read from here (the interpreter's own `StartTime` is the real clock)
        LocalExecution: {
          Id: record.executionArn, Name: name, RoleArn: machine.roleArn, RedriveCount: redriveCount, Input: input, StartTime: startTime,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // `$$.State.*` of each state (Name, EnteredTime from the virtual clock, RetryCount)
        LocalState: this.services.localState(machine),
        // `$$.Task.Token`: a sentinel that each task attempt replaces by its own token
        LocalTask: { Token: TOKEN_SENTINEL },
        State: this.services.stateFallback,
      },
      // events reach onEvent synchronously; Parallel/Map retries wait on the virtual clock (interpreter.ts)
      localRunnerHooks: hooked ? new ExecutionHooks(this, exec) : undefined,
    };
    const started = performance.now();
    const execution = interpreter.run(resume ? resume.input : input, runOptions);
    exec.stopInterpreter = execution.abort;
    if (exec.failure) execution.abort();
    this.aborts.add(execution.abort);
    // Execution timeout on the virtual clock: the definition's TimeoutSeconds, at most 5 minutes for
    // Express and one year for Standard.
    const limit = exec.standard ? STANDARD_MAX_SECONDS : EXPRESS_MAX_SECONDS;
    const timeoutSeconds = Math.min(machine.analysed.timeoutSeconds ?? limit, limit);
    let timedOut = false;
    const cancelTimeout = this.clock.deadline(this.clock.now() + timeoutSeconds * 1000, () => {
      timedOut = true;
      execution.abort();
      exec.abort.abort(STOPPED);
    });
    const eventsDone = hooked ? undefined : this.collectEvents(execution.eventLogs, exec);
    try {
      const output = await execution.result;
      if (!this.stopped && !timedOut && !exec.failure) {
        record.status = 'SUCCEEDED';
        record.output = output;
      }
    } catch (e) {
      const inner = e instanceof ExecutionError ? (e as Error & { cause?: unknown }).cause : e;
      record.status = 'FAILED';
      Object.assign(record, failureOf(inner));
    } finally {
      cancelTimeout();
      this.aborts.delete(execution.abort);
    }
    // The async event log (without the hooks) lags behind: a limit it reveals may be noticed after the end.
    if (eventsDone) await eventsDone;
    if (exec.failure && !this.stopped) {
      record.status = 'FAILED';
      record.error = exec.failure.error;
      record.cause = exec.failure.cause;
      delete record.output;
    } else if (timedOut && !this.stopped) {
      record.status = 'TIMED_OUT';
      record.error = 'States.Timeout';
      delete record.cause;
      delete record.output;
    }
    if (this.stopped) {
      record.status = 'ABORTED';
      delete record.error;
      delete record.cause;
      delete record.output;
    }
    exec.abort.abort(STOPPED);
    record.durationMs = performance.now() - started;
    return record;
  }

  /** Ends an execution with a terminal error found outside the interpreter's control flow. */
  private terminate(exec: ExecutionState, error: string, cause: string): void {
    if (exec.failure) return;
    exec.failure = { error, cause };
    exec.stopInterpreter?.();
    exec.abort.abort(STOPPED);
  }

  private countHistory(exec: ExecutionState, events: number): void {
    exec.historyEvents += events;
    if (exec.standard && exec.historyEvents > MAX_HISTORY_EVENTS) {
      this.terminate(
        exec,
        'States.Runtime',
        `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}); see the Step Functions service quotas.`,
      );
    }
  }

  /** Reads the interpreter's async event log (only when the synchronous run hooks could not be installed). */
  private async collectEvents(events: AsyncGenerator<InterpreterEvent>, exec: ExecutionState): Promise<void> {
    for await (const event of events) this.onEvent(event, exec);
  }

  /** One event of an execution's log: history count, states entered, output size limit, retries. */
  onEvent(event: InterpreterEvent, exec: ExecutionState): void {
    const record = exec.record;
    // --- runner.serve(): live history of the top execution (RunOptions.onStateEvent) ---
    if (this.onStateEvent && exec.index === 0 && (event.type === 'StateEntered' || event.type === 'StateExited') && event.state) {
      const data = event.state as { name: string; type: string; input?: unknown; output?: unknown };
      this.onStateEvent({ type: event.type, stateName: data.name, stateType: data.type, input: data.input, output: data.output });
    }
    switch (event.type) {
      case 'StateEntered':
        record.statesEntered.push(event.state!.name);
        record.transitions++;
        // <Type>StateEntered (+ MapStateStarted/ParallelStateStarted and their end event)
        this.countHistory(exec, event.state!.type === 'Map' || event.state!.type === 'Parallel' ? 3 : 1);
        break;
      case 'StateExited': {
        this.countHistory(exec, 1);
        // States.DataLimitExceeded for a state output above the payload quota (uncatchable).
        const output = (event.state as { output?: unknown }).output;
        if (!exec.failure && mightExceed(output, MAX_PAYLOAD_BYTES)) {
          try {
            checkedJson(output, event.state!.name);
          } catch (e) {
            this.terminate(exec, (e as Error).name, (e as Error).message);
          }
        }
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.countHistory(exec, 1);
        break;
      case 'StateFailed':
        (exec.lastError ??= new Map()).set(`${event.state!.name}#${event.index ?? ''}`, String(event.Error));
        break;
      case 'StateRetried':
        // Parallel/Map retries (Task retries are the runner's own, see runTask); a nested level reported it already
        if (!retriedAlreadyReported(event)) {
          this.onRetried(event, exec.lastError?.get(`${event.state!.name}#${event.index ?? ''}`) ?? 'unknown', exec);
        }
        break;
      default:
        break;
    }
  }

  /**
   * A Parallel/Map state is retried: records the retry and waits its backoff on the virtual clock
   * before the state's branches / iterations start again: `IntervalSeconds * BackoffRate^(n-1)`,
   * capped by `MaxDelaySeconds`, FULL jitter from the seeded PRNG, as for Task retries.
   * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
   */
  onRetried(event: InterpreterEvent, error: string, exec: ExecutionState): void {
    exec.record.transitions++;
    const name = event.state!.name;
    const retrier = event.retry!.retrier;
    const attempt = event.retry!.attempt;
    const intervalSeconds = backoffSeconds(retrier, attempt);
    const waitedSeconds = retrier.JitterStrategy === 'FULL' ? this.services.random() * intervalSeconds : intervalSeconds;
    this.retries.push(retryRecord({
      state: name,
      attempt,
      error: error || 'unknown',
      intervalSeconds,
      jitter: retrier.JitterStrategy ?? 'NONE',
      execution: exec.index,
    }, waitedSeconds));
    if (waitedSeconds <= 0 || exec.abort.aborted) return;
    const gates = (exec.retryGates ??= new Map());
    const gate = this.clock.sleep(waitedSeconds * 1000, exec.abort.signal);
    gates.set(name, gate);
    this.inflight.add(gate);
    void gate.then(() => {
      this.inflight.delete(gate);
      if (gates.get(name) === gate) gates.delete(name);
    });
  }

  /** Resolves when no task of this run is in flight any more (their outcomes are ignored). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0 || this.tasksRunning > 0) {
      if (this.tasksRunning > 0) await new Promise<void>((resolve) => (this.tasksDrained = resolve));
      await Promise.allSettled([...this.inflight]);
    }
  }

  /** A Wait state, on the virtual clock. https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html */
  private async runWait(wait: WaitSpec, input: Json, exec: ExecutionState): Promise<Json> {
    let output = input;
    let due: number;
    const now = this.clock.now();
    if (wait.path) {
      const envelope = (input as Record<string, Record<string, Json>>)[ENVELOPE_KEY];
      output = envelope.input;
      const value = envelope.value;
      if (wait.path === 'seconds') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
          throw new TerminalStatesError('States.Runtime', `The SecondsPath of Wait state '${wait.name}' must point to a non-negative integer, got ${JSON.stringify(value)}`);
        }
        due = now + value * 1000;
      } else {
        const at = typeof value === 'string' ? Date.parse(value) : NaN;
        if (Number.isNaN(at)) {
          throw new TerminalStatesError('States.Runtime', `The TimestampPath of Wait state '${wait.name}' must point to an ISO-8601 timestamp, got ${JSON.stringify(value)}`);
        }
        due = at;
      }
    } else if (wait.seconds !== undefined) {
      due = now + wait.seconds * 1000;
    } else {
      due = wait.timestamp !== undefined ? Date.parse(wait.timestamp) : now;
    }
    if (due > now) {
      const task = this.clock.sleep(due - now, exec.abort.signal);
      this.inflight.add(task);
      await task;
      this.inflight.delete(task);
      if (exec.abort.signal.aborted) throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the execution ended during a Wait');
    }
    return output;
  }

  /** A Task state (counted as running until it settles, see {@link settle}). */
  private async invokeTask(machine: MachineModel, spec: TaskSpec, input: Json, exec: ExecutionState): Promise<Json> {
    this.tasksRunning++;
    try {
      return await this.runTask(machine, spec, input, exec);
    } finally {
      if (--this.tasksRunning === 0 && this.tasksDrained) {
        const drained = this.tasksDrained;
        this.tasksDrained = undefined;
        drained();
      }
    }
  }

  /** A Task state: its attempts, with Retry on the virtual clock. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html */
  private async runTask(machine: MachineModel, spec: TaskSpec, rawInput: Json, exec: ExecutionState): Promise<Json> {
    let input = rawInput;
    let timeoutSeconds = spec.timeoutSeconds;
    let heartbeatSeconds = spec.heartbeatSeconds;
    if (spec.envelope) {
      const envelope = (rawInput as Record<string, Record<string, Json>>)[ENVELOPE_KEY];
      input = envelope.p;
      const positive = (v: Json, field: string): number => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
          throw new TerminalStatesError('States.Runtime', `The ${field} of Task state '${spec.name}' must point to a positive integer, got ${JSON.stringify(v)}`);
        }
        return v;
      };
      if ('timeout' in envelope) timeoutSeconds = positive(envelope.timeout, 'TimeoutSecondsPath');
      if ('heartbeat' in envelope) heartbeatSeconds = positive(envelope.heartbeat, 'HeartbeatSecondsPath');
    }
    const retriers = spec.retry ?? [];
    let attempts: number[] | undefined;
    for (let retryCount = 0; ; retryCount++) {
      try {
        return await this.attempt(machine, spec, input, exec, retryCount, timeoutSeconds, heartbeatSeconds);
      } catch (e) {
        if (this.stopped || exec.abort.signal.aborted || !(e instanceof Error)) throw e;
        // The first retrier whose ErrorEquals matches decides; exhausted, the error goes to Catch.
        const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, e));
        if (index < 0) throw e;
        attempts ??= retriers.map(() => 0);
        const retrier = retriers[index];
        if (attempts[index] >= (retrier.MaxAttempts ?? 3)) throw e;
        attempts[index]++;
        const intervalSeconds = backoffSeconds(retrier, attempts[index]);
        // JitterStrategy FULL: a random delay in [0, interval], from the runner's seeded PRNG.
        const waitedSeconds = retrier.JitterStrategy === 'FULL' ? this.services.random() * intervalSeconds : intervalSeconds;
        exec.record.transitions++;
        this.retries.push(retryRecord({
          state: spec.name,
          attempt: attempts[index],
          error: e.name,
          intervalSeconds,
          jitter: retrier.JitterStrategy ?? 'NONE',
          execution: exec.index,
        }, waitedSeconds));
        await this.clock.sleep(waitedSeconds * 1000, exec.abort.signal);
        if (exec.abort.signal.aborted || this.stopped) throw e;
      }
    }
  }

  /** One attempt of a Task: faults, the handler or integration, its timeouts and heartbeats, the callback. */
  private async attempt(
    machine: MachineModel, spec: TaskSpec, input: Json, exec: ExecutionState, retryCount: number,
    timeoutSeconds: number | undefined, heartbeatSeconds: number | undefined,
  ): Promise<Json> {
    if (this.stopped) {
      throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the run was stopped');
    }
    const record = exec.record;
    const callback = spec.callback === true;
    // TaskScheduled, TaskStarted, TaskSucceeded/Failed (+ TaskSubmitted for a callback)
    this.countHistory(exec, callback ? 4 : 3);
    if (exec.failure) throw new TerminalStatesError(exec.failure.error, exec.failure.cause);
    const services = this.services;
    // The task token: made when needed ($$.Task.Token, a callback, a heartbeat, or a handler reading it).
    let token: string | undefined;
    let pending: PendingTask | undefined;
    const tokenOf = (): string => {
      if (token === undefined) {
        token = services.newToken();
        services.tasks.set(token, pending ?? {
          token,
          stateName: spec.name,
          executionName: record.name,
          executionArn: record.executionArn,
          input,
          callback: false,
          succeed: () => undefined,
          fail: () => undefined,
          heartbeat: () => undefined,
        });
      }
      return token;
    };
    // States.DataLimitExceeded for an effective input (after Parameters) above the payload quota; the
    // handler gets its own copy (as the payload crosses the service API).
    const params = cloneJson(spec.sentinels ? substituteSentinels(input, tokenOf(), retryCount) : input, spec.name);
    const call = (this.calls[spec.name] = (this.calls[spec.name] ?? 0) + 1);
    const fault = this.hasFaults ? this.faults[spec.name] ?? this.faults[machine.stepNames.get(spec.name) ?? ''] : undefined;
    const clock = this.clock;
    // TimeoutSeconds (Step Functions' default is 99999999 s) and HeartbeatSeconds, on the virtual clock.
    // https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
    const effectiveTimeout = timeoutSeconds ?? (callback ? DEFAULT_TASK_TIMEOUT_SECONDS : undefined);
    if (heartbeatSeconds === undefined && !callback) {
      const context = new HandlerContext(spec.name, machine.logicalId, record.name, record.executionArn, call, spec.resource,
        retryCount, clock, tokenOf, NO_HEARTBEAT);
      // Fast path: no heartbeat, no callback. A TimeoutSeconds alone needs no timer: while the
      // handler runs the clock never skips, so the deadline can only pass in real time or through
      // advance(); either way the attempt reports States.Timeout once the handler settled, which is
      // when the timer path would report it too (it awaits the handler's side effects).
      const start = effectiveTimeout === undefined ? 0 : clock.now();
      let result: unknown;
      // The handler counts as running (no time skipping) until it settles: its real duration is time the workflow waits for.
      clock.begin();
      try {
        result = await (fault === undefined
          ? this.dispatch(machine, spec, params, exec, context)
          : this.perform(machine, spec, params, exec, context, fault, call));
      } catch (e) {
        if (fault === undefined) this.noteFatal(e);
        const timedOut = effectiveTimeout !== undefined && clock.now() - start >= effectiveTimeout * 1000;
        if (timedOut && e instanceof Error && !(e instanceof RunnerConfigurationError)) {
          throw statesTimeoutErrorSync(`Task '${spec.name}' timed out after ${effectiveTimeout} s (TimeoutSeconds)`);
        }
        throw e;
      } finally {
        clock.end();
        if (token !== undefined) services.tasks.delete(token);
      }
      if (effectiveTimeout !== undefined && clock.now() - start >= effectiveTimeout * 1000) {
        throw statesTimeoutErrorSync(`Task '${spec.name}' timed out after ${effectiveTimeout} s (TimeoutSeconds)`);
      }
      // the result crosses the API as JSON: one serialization, size-checked (undefined becomes null)
      return cloneJson(result, spec.name);
    }

    let armHeartbeat: () => void = () => undefined;
    const context = new HandlerContext(spec.name, machine.logicalId, record.name, record.executionArn, call, spec.resource,
      retryCount, clock, tokenOf, () => armHeartbeat());
    // The handler counts as running (no time skipping) until it settles, even after a timeout:
    // its real duration is time the workflow waits for (the attempt awaits it below).
    const release = clock.enter();
    let settled = false;
    let rejectAttempt!: (e: Error) => void;
    let resolveAttempt!: (v: Json) => void;
    const outcome = new Promise<Json>((resolve, reject) => {
      resolveAttempt = resolve;
      rejectAttempt = reject;
    });
    let cancelTimeout: (() => void) | undefined;
    let cancelHeartbeat: (() => void) | undefined;
    let releaseHold: (() => void) | undefined;
    let cancelAbort: (() => void) | undefined;
    const finish = (): void => {
      settled = true;
      cancelTimeout?.();
      cancelHeartbeat?.();
      cancelAbort?.();
      releaseHold?.();
      if (token !== undefined) {
        services.tasks.delete(token);
        services.finishedTokens.add(token);
        if (services.finishedTokens.size > MAX_FINISHED_TOKENS) {
          services.finishedTokens.delete(services.finishedTokens.values().next().value as string);
        }
      }
    };
    const failWith = (e: Error): void => {
      if (settled) return;
      finish();
      rejectAttempt(e);
    };
    const succeedWith = (v: Json): void => {
      if (settled) return;
      finish();
      resolveAttempt(v);
    };
    const start = clock.now();
    if (effectiveTimeout !== undefined) {
      cancelTimeout = clock.at(start + effectiveTimeout * 1000, () =>
        failWith(statesTimeoutErrorSync(`Task '${spec.name}' timed out after ${effectiveTimeout} s (TimeoutSeconds)`)));
    }
    if (heartbeatSeconds !== undefined) {
      armHeartbeat = (): void => {
        if (settled) return;
        cancelHeartbeat?.();
        cancelHeartbeat = clock.at(clock.now() + heartbeatSeconds * 1000, () =>
          failWith(new StatesError('States.HeartbeatTimeout', `Task '${spec.name}' sent no heartbeat for ${heartbeatSeconds} s (HeartbeatSeconds)`)));
      };
      armHeartbeat();
    }
    pending = {
      get token() {
        return tokenOf();
      },
      stateName: spec.name,
      executionName: record.name,
      executionArn: record.executionArn,
      input: params,
      callback,
      succeed: (output) => {
        // A callback's output is a task result: the payload quota applies.
        try {
          succeedWith(cloneJson(output, spec.name));
        } catch (e) {
          failWith(e as Error);
        }
      },
      fail: failWith,
      heartbeat: () => armHeartbeat(),
    };
    if (token !== undefined) services.tasks.set(token, pending);
    if (callback) {
      tokenOf();
      // Step Functions waits for SendTaskSuccess/Failure: automatic time skipping pauses meanwhile.
      releaseHold = clock.hold();
      const onAbort = (): void => failWith(new StatesError('States.Runtime', 'LocalWorkflowRunner: the execution ended while the task waited for its token'));
      exec.abort.signal.addEventListener('abort', onAbort, { once: true });
      cancelAbort = () => exec.abort.signal.removeEventListener('abort', onAbort);
    }
    const work = this.perform(machine, spec, params, exec, context, fault, call);
    work.then(
      (result) => {
        if (callback) {
          release();
          // The integration was called; the task now waits for its token.
          if (!settled) services.callbackWaiting(pending!);
          return;
        }
        try {
          // the result crosses the API as JSON: one serialization, size-checked (undefined becomes null)
          succeedWith(cloneJson(result, spec.name));
        } catch (e) {
          failWith(e as Error);
        }
        release();
      },
      (e) => {
        failWith(e as Error);
        release();
      },
    );
    // Settle the handler before returning even after a timeout (its side effects then persist).
    outcome.catch(() => undefined);
    try {
      return await outcome;
    } finally {
      if (!callback) await work.catch(() => undefined);
    }
  }

  /** Faults, then the handler or built-in integration of one attempt. */
  private async perform(
    machine: MachineModel, spec: TaskSpec, input: Json, exec: ExecutionState, context: TaskHandlerContext,
    fault: StepFault | undefined, call: number,
  ): Promise<unknown> {
    try {
      if (fault?.kind === 'fail' && (fault.times === undefined || call <= fault.times)) {
        throw new StatesError(fault.error, fault.cause ?? `LocalWorkflowRunner injected fault '${fault.error}' (call ${call} of '${spec.name}')`);
      }
      if (fault?.kind === 'timeout' && (fault.times === undefined || call <= fault.times)) {
        if (fault.runHandler) {
          try {
            await this.dispatch(machine, spec, input, exec, context);
          } catch (e) {
            if (!(e instanceof StatesError)) throw e;
          }
        }
        throw statesTimeoutErrorSync(`LocalWorkflowRunner injected timeout (call ${call} of '${spec.name}')`);
      }
      const result = await this.dispatch(machine, spec, input, exec, context);
      if (fault?.kind === 'crashAfter' && !this.stopped) {
        this.crashedAfter = spec.name;
        this.stop();
      }
      return result;
    } catch (e) {
      this.noteFatal(e);
      throw e;
    }
  }

  /** A mistake in the test setup (or a non-Error thrown) ends the whole run: run() rejects with it. */
  private noteFatal(e: unknown): void {
    if (e instanceof RunnerConfigurationError) {
      this.fail(e);
    } else if (!(e instanceof Error)) {
      this.fail(new Error(String(e)));
    }
  }

  private missingHandler(machine: MachineModel, spec: TaskSpec, what: string): RunnerConfigurationError {
    const registered = [...this.handlers.keys()].map((n) => `'${n}'`).join(', ') || '(none)';
    return new RunnerConfigurationError(
      `LocalWorkflowRunner: no handler registered for ${what} '${spec.name}' of state machine '${machine.logicalId}' (Resource ${spec.resource}). ` +
        `Registered handlers: ${registered}. Pass handlers: { '${spec.name}': async (event) => ... } to LocalWorkflowRunner.create, or call runner.setHandler('${spec.name}', fn).`,
    );
  }

  /**
   * Handlers for the functions the library itself deploys (marked with template metadata), so that
   * users register handlers for their own steps only: the checkpoint coordinator runs its real
   * logic against dynalite with the runner's virtual clock.
   */
  private builtinHandler(functionArn: string): TaskHandler | undefined {
    const role = this.model.functionMetadata(functionArn)?.[LIBRARY_FUNCTION_ROLE_METADATA];
    if (role === CHECKPOINT_COORDINATOR_ROLE) {
      const client = this.dynamo.client;
      return (event: CoordinatorEvent) => coordinate(event, {
        dynamodb: (action, params) => client.send(new (ddb as unknown as Record<string, new (p: unknown) => any>)[`${action}Command`](params)),
        now: () => this.clock.now(),
      });
    }
    return undefined;
  }

  /** The handler or built-in integration of a Task (a Lambda task with a handler: no extra promise layer). */
  private dispatch(machine: MachineModel, spec: TaskSpec, input: Json, exec: ExecutionState, context: TaskHandlerContext): Promise<unknown> {
    const handler = this.handlers.get(spec.name);
    const task = spec.task;
    if (handler !== undefined && task.kind === 'lambda' && task.form === 'arn') return invokeLambdaHandler(handler, input, context);
    return this.dispatchAsync(machine, spec, input, exec, context);
  }

  private async dispatchAsync(
    machine: MachineModel, spec: TaskSpec, input: Json, exec: ExecutionState, context: TaskHandlerContext,
  ): Promise<unknown> {
    // A state rendered under another name than its step's (e.g. a checkpoint resume copy) uses the step's handler.
    const handler = this.handlers.get(spec.name) ?? this.handlers.get(machine.stepNames.get(spec.name) ?? '');
    const task = spec.task;
    if (task.kind === 'lambda') {
      if (!handler) {
        const builtin = task.form === 'arn' ? this.builtinHandler(spec.resource) : undefined;
        if (builtin) return invokeLambdaHandler(builtin, input, context);
        if (spec.callback) return null; // the function is invoked; the test answers with the token
        throw this.missingHandler(machine, spec, 'Lambda task');
      }
      if (task.form === 'arn') {
        return invokeLambdaHandler(handler, input, context);
      }
      const params = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as Record<string, Json>;
      const payload = await invokeLambdaHandler(handler, params.Payload ?? null, context);
      return task.waitForTaskToken ? payload : invokeIntegrationResult(params.FunctionName, payload);
    }
    if (handler) {
      return invokeServiceHandler(handler, input, context);
    }
    switch (task.kind) {
      case 'dynamodb':
        return callDynamoDb(this.dynamo.client, task.flavor, task.action, input, spec.name);
      case 'sfn-start': {
        if (task.mode === 'callback') {
          // The child runs; whoever holds the token (e.g. a handler of the child) answers it.
          const child = this.startChild(spec, input, exec.record, false).catch(() => undefined);
          this.inflight.add(child);
          void child.then(() => this.inflight.delete(child));
          return null;
        }
        const run = await this.startChild(spec, input, exec.record, false);
        if (task.mode === 'async') {
          return { ExecutionArn: run.record.executionArn, StartDate: run.startDate.getTime() };
        }
        return syncResult(run, task.mode === 'sync2');
      }
      case 'sfn-start-sync':
        return startSyncExecutionResult(await this.startChild(spec, input, exec.record, true));
      case 'metric': {
        const params = (input ?? {}) as Record<string, unknown>;
        this.metrics.push({
          state: spec.name,
          namespace: String(params.Namespace),
          metricData: (Array.isArray(params.MetricData) ? params.MetricData : []) as Record<string, unknown>[],
          executionName: exec.record.name,
        });
        return {};
      }
      default:
        if (spec.callback) return null; // e.g. sqs:sendMessage.waitForTaskToken without a handler: the test answers
        if (isDistributedMapResource(spec.resource)) {
          return runDistributedMap(distributedMapSpec(spec.resource), input, {
            s3: this.services.s3,
            parent: machine,
            now: () => new Date(this.clock.now()),
            stopped: () => this.stopped,
            execute: (child, childInput, name) => this.execute(child, childInput, name, this.executions.indexOf(exec.record)),
          });
        }
        throw this.missingHandler(machine, spec, 'task');
    }
  }

  private async startChild(spec: TaskSpec, input: Json, parent: MutableRecord, expressOnly: boolean): Promise<ChildRun> {
    const start = readChildStart(input, spec.name);
    const childId = this.model.machineIdByArn(start.stateMachineArn);
    if (!childId) {
      throw new RunnerConfigurationError(
        `LocalWorkflowRunner: state '${spec.name}' starts '${start.stateMachineArn}', which is not a state machine of this template ` +
          `(known: ${this.model.machineIds().join(', ')}). Register a handler for '${spec.name}' to stub it.`,
      );
    }
    let child: MachineModel;
    try {
      child = this.model.machine(childId);
    } catch (e) {
      throw new RunnerConfigurationError((e as Error).message);
    }
    if (expressOnly && child.type !== 'EXPRESS') {
      throw new StatesError(
        'Sfn.StateMachineTypeNotSupportedException',
        'This operation is not supported by this type of state machine (Service: Sfn, Status Code: 400, Request ID: LOCAL)',
      );
    }
    const name = start.name ?? `${parent.name}-child-${++this.childCounter}`;
    const startDate = new Date(this.clock.now());
    const record = await this.execute(child, start.input, name, this.executions.indexOf(parent));
    const stopDate = new Date(this.clock.now());
    if (this.stopped) {
      throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the run was stopped');
    }
    return { record, stateMachineArn: child.arn, startDate, stopDate };
  }
}

/** `IntervalSeconds * BackoffRate^(attempt-1)`, capped by `MaxDelaySeconds`. */
function backoffSeconds(retrier: { IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }, attempt: number): number {
  const base = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt - 1);
  return retrier.MaxDelaySeconds !== undefined ? Math.min(base, retrier.MaxDelaySeconds) : base;
}

/** A retry record; the delay actually waited (jitter applied) is a non-enumerable `waitedSeconds`. */
function retryRecord(fields: RetryRecord, waitedSeconds: number): RetryRecord {
  return Object.defineProperty({ ...fields }, 'waitedSeconds', { value: waitedSeconds, enumerable: false });
}

/** Error and cause of a failed execution, as Step Functions reports them. */
function failureOf(error: unknown): { error?: string; cause?: string } {
  if (!(error instanceof Error)) {
    return { error: 'States.Runtime', cause: String(error) };
  }
  if (error.constructor?.name === 'FailStateError') {
    // A Fail state: the interpreter substitutes placeholders when Error/Cause are absent
    return {
      error: error.name === 'FailStateError' ? undefined : error.name,
      cause: error.message === 'Execution failed because of a Fail state' ? undefined : error.message,
    };
  }
  return { error: error.name, cause: typeof error.message === 'string' ? error.message : undefined };
}

/**
 * What runner.serve() passes to run() to redrive an execution (internal: not part of RunOptions):
 * the top-level state to continue from, its input, and the redrive count (`$$.Execution.RedriveCount`).
 */
export interface RedriveRunOptions extends RunOptions {
  readonly resumeAt?: { readonly state: string; readonly input: Json; readonly redriveCount: number };
}

/** The prepared definition of `machine` starting at its top-level state `state` (built interpreters are cached by it). */
function startingAt(machine: MachineModel, state: string): string {
  const prepared = JSON.parse(machine.analysed.preparedJson) as { StartAt: string; States: Record<string, unknown> };
  if (!(state in prepared.States)) throw new Error(`LocalWorkflowRunner: cannot redrive from '${state}': not a top-level state of '${machine.logicalId}'`);
  prepared.StartAt = state;
  return JSON.stringify(prepared);
}

let lastIsoMs = NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, remembered for the last value (executions started in the same millisecond). */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

/** `$$.State` with an `EnteredTime` taken from `clock` whenever a path reads it. */
function stateContext(clock: () => Date): Record<string, unknown> {
  return Object.defineProperty({}, 'EnteredTime', { enumerable: true, get: () => clock().toISOString() });
}
