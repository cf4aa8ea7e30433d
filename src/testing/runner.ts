/**
 * LocalWorkflowRunner: runs a synthesized state machine locally (aws-local-stepfunctions)
 * against local task handlers and a real DynamoDB-compatible server (dynalite).
 */
import * as ddb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CfnElement, Stack, Stage } from 'aws-cdk-lib';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { TaskSpec } from './definition';
import { RunnerConfigurationError, StatesError } from './errors';
import type { StepFault } from './faults';
import { callDynamoDb, createTables, LocalDynamo, startDynalite } from './integrations/dynamodb';
import { asJson, invokeIntegrationResult, invokeLambdaHandler, invokeServiceHandler } from './integrations/lambda';
import { ChildRun, readChildStart, startSyncExecutionResult, syncResult } from './integrations/sfn';
import {
  buildInterpreterMachine,
  interpreterModule,
  InterpreterEvent,
  InterpreterRunOptions,
  Json,
  makeStatesTimeoutError,
} from './interpreter';
import { MachineModel, WorkflowModel } from './model';
import type { CfnTemplate } from './template-resolver';
import { serveWorkflow } from './server';
import type { LocalSfnServer, ServeOptions } from './server';

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
   * Clock for the dates the runner generates (child execution `StartDate`/`StopDate`).
   * Default: the real clock. Pass a fixed clock for byte-stable outputs that include them.
   */
  readonly clock?: () => Date;
}

/** Synthesized templates, per stack (synthesis is the slowest part of loading). */
const templateCache = new WeakMap<Stack, CfnTemplate>();

function templateOf(stack: Stack): CfnTemplate {
  let template = templateCache.get(stack);
  if (!template) {
    const stage = Stage.of(stack);
    if (!stage) {
      throw new Error(`LocalWorkflowRunner: stack '${stack.stackName}' is not in an App/Stage, so it cannot be synthesized`);
    }
    template = stage.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
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
  return Stack.of(construct).resolve(child.logicalId) as string;
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
  return { template: templateOf(Stack.of(machine)), logicalId: logicalIdOf(machine, 'state machine') };
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
  readonly waitTimeOverrides: Record<string, number>;
  readonly retryIntervalOverrides: Record<string, number>;
}

const overridesCache = new WeakMap<MachineModel, MachineOverrides>();

function overridesOf(machine: MachineModel): MachineOverrides {
  let o = overridesCache.get(machine);
  if (!o) {
    o = {
      waitTimeOverrides: Object.fromEntries(machine.analysed.waitStates.map((s) => [s, 0])),
      retryIntervalOverrides: Object.fromEntries(machine.analysed.retryStates.map((s) => [s, 0])),
    };
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
 * Runs the Step Functions state machine a CDK construct synthesized, locally, inside jest.
 *
 * ASL is interpreted by aws-local-stepfunctions; Lambda tasks call handlers registered by
 * state name; DynamoDB tasks run against an in-process dynalite holding every table of the
 * template; child state machines of the same template run locally too. Waits and retry
 * pauses are skipped, but the intended retry backoff is recorded.
 *
 * @example
 * const runner = await LocalWorkflowRunner.create(workflow, { handlers: { 'Reserve funds': async (e) => ({ ok: true }) } });
 * const result = await runner.run({ orderId: 'o-1' });
 * expect(result.status).toBe('SUCCEEDED');
 * await runner.close();
 */
export class LocalWorkflowRunner {
  /**
   * Loads the workflow (synthesizes its stack once, resolves the template, validates and builds
   * the interpreter machines), starts dynalite on 127.0.0.1 and creates the template's tables.
   */
  static async create(source: WorkflowSource, options: LocalWorkflowRunnerOptions = {}): Promise<LocalWorkflowRunner> {
    const { template, logicalId } = loadWorkflowSource(source);
    const model = WorkflowModel.of(template);
    const machines = reachableMachines(model, logicalId);
    interpreterModule();
    for (const m of machines) {
      buildInterpreterMachine(m.analysed.preparedJson, m.logicalId);
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
    for (const name of Object.keys(options.handlers ?? {})) {
      if (!taskNames.has(name)) {
        throw new Error(
          `LocalWorkflowRunner: a handler is registered for '${name}', which is not a Task state of the workflow. Task states: ${formatNames(taskNames)}`,
        );
      }
    }
    const dynamo = await startDynalite();
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

  private readonly handlers = new Map<string, TaskHandler>();
  private readonly recordedMetrics: MetricRecord[] = [];
  private readonly clock: () => Date;
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
    this.clock = options.clock ?? (() => new Date());
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      this.handlers.set(name, handler);
    }
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
    return found.name;
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
    const session = new RunSession(this.model, this.dynamo, this.handlers, faults, this.clock);
    // --- runner.serve(): StopExecution aborts the run ---
    options.signal?.addEventListener('abort', () => session.abortRun(), { once: true });
    const top = await session.execute(this.machine, asJson(input), executionName, undefined);
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
    };
  }

  /**
   * Starts a Step Functions-compatible endpoint (AWS JSON 1.0) for this runner's state machine on
   * 127.0.0.1, random port, so code using `@aws-sdk/client-sfn` can be tested; see `./server.ts`.
   * Close it (`server.close()`) in `afterAll`, before `runner.close()`.
   */
  async serve(options: ServeOptions = {}): Promise<LocalSfnServer> {
    return serveWorkflow(this, { machine: this.machine, clock: () => this.clock() }, options);
  }

  /** Stops dynalite and releases the client. Call it in `afterAll`. */
  async close(): Promise<void> {
    this.closed = true;
    await this.dynamo.close();
  }
}

function formatNames(names: Iterable<string>): string {
  const list = [...names].map((n) => `'${n}'`);
  return list.length ? list.join(', ') : '(none)';
}

/** State of one `run()`: its executions, counters, faults, and the crash/fatal switch. */
class RunSession {
  readonly calls: Record<string, number> = {};
  readonly retries: RetryRecord[] = [];
  readonly executions: MutableRecord[] = [];
  readonly metrics: MetricRecord[] = [];
  crashedAfter?: string;
  fatal?: Error;
  private readonly aborts = new Set<() => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private childCounter = 0;

  constructor(
    private readonly model: WorkflowModel,
    private readonly dynamo: LocalDynamo,
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    private readonly faults: Readonly<Record<string, StepFault>>,
    private readonly clock: () => Date,
  ) {}

  private get stopped(): boolean {
    return this.crashedAfter !== undefined || this.fatal !== undefined || this.aborted;
  }

  // --- runner.serve(): StopExecution aborts the run (RunOptions.signal) ---
  private aborted = false;
  /** Stops every execution of the run; they end ABORTED. */
  abortRun(): void {
    this.aborted = true;
    this.stop();
  }

  /** Aborts every running execution of the run. */
  private stop(): void {
    for (const abort of [...this.aborts]) abort();
  }

  private fail(error: Error): void {
    if (!this.fatal) this.fatal = error;
    this.stop();
  }

  /** Runs one execution (top or child) to its end. */
  async execute(machine: MachineModel, input: Json, name: string, parent: number | undefined): Promise<MutableRecord> {
    const index = this.executions.length;
    const record: MutableRecord = {
      stateMachine: machine.logicalId,
      type: machine.type,
      name,
      executionArn: executionArnOf(machine, name, index),
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
    const { ExecutionError, ExecutionTimeoutError } = interpreterModule();
    const interpreter = buildInterpreterMachine(machine.analysed.preparedJson, machine.logicalId);
    const handlers: Record<string, (taskInput: Json) => Promise<Json>> = {};
    for (const spec of machine.analysed.tasks.values()) {
      handlers[spec.name] = (taskInput) => this.invokeTask(machine, spec, taskInput, record);
    }
    const runOptions: InterpreterRunOptions = {
      overrides: { taskResourceLocalHandlers: handlers, ...overridesOf(machine) },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: record.executionArn, Name: name, RoleArn: machine.roleArn, RedriveCount: 0 },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // The interpreter sets no `$$.State`; `EnteredTime` is read when the state processes its
        // input, i.e. when it is entered, from the runner's clock. `Name`/`RetryCount` stay unset.
        State: stateContext(this.clock),
      },
    };
    const started = performance.now();
    const execution = interpreter.run(input, runOptions);
    this.aborts.add(execution.abort);
    const eventsDone = this.collectEvents(execution.eventLogs, record);
    try {
      const output = await execution.result;
      if (!this.stopped) {
        record.status = 'SUCCEEDED';
        record.output = output;
      }
    } catch (e) {
      if (e instanceof ExecutionTimeoutError) {
        record.status = 'TIMED_OUT';
        record.error = 'States.Timeout';
      } else {
        const inner = e instanceof ExecutionError ? (e as Error & { cause?: unknown }).cause : e;
        record.status = 'FAILED';
        Object.assign(record, failureOf(inner));
      }
      if (this.stopped) {
        record.status = 'ABORTED';
        delete record.error;
        delete record.cause;
      }
    } finally {
      this.aborts.delete(execution.abort);
    }
    await eventsDone;
    record.durationMs = performance.now() - started;
    return record;
  }

  private async collectEvents(events: AsyncGenerator<InterpreterEvent>, record: MutableRecord): Promise<void> {
    const lastError = new Map<string, string>();
    const executionIndex = this.executions.indexOf(record);
    for await (const event of events) {
      switch (event.type) {
        case 'StateEntered':
          record.statesEntered.push(event.state!.name);
          record.transitions++;
          break;
        case 'StateFailed':
          lastError.set(`${event.state!.name}#${event.index ?? ''}`, String(event.Error));
          break;
        case 'StateRetried': {
          record.transitions++;
          const retrier = event.retry!.retrier;
          const attempt = event.retry!.attempt;
          const base = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt - 1);
          const intervalSeconds = retrier.MaxDelaySeconds !== undefined ? Math.min(base, retrier.MaxDelaySeconds) : base;
          this.retries.push({
            state: event.state!.name,
            attempt,
            error: lastError.get(`${event.state!.name}#${event.index ?? ''}`) ?? 'unknown',
            intervalSeconds,
            jitter: retrier.JitterStrategy ?? 'NONE',
            execution: executionIndex,
          });
          break;
        }
        default:
          break;
      }
    }
  }

  /** Resolves when no task of this run is in flight any more (their outcomes are ignored). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) {
      await Promise.allSettled([...this.inflight]);
    }
  }

  private invokeTask(machine: MachineModel, spec: TaskSpec, input: Json, record: MutableRecord): Promise<Json> {
    const task = this.runTask(machine, spec, input, record);
    this.inflight.add(task);
    const done = (): void => {
      this.inflight.delete(task);
    };
    task.then(done, done);
    return task;
  }

  private async runTask(machine: MachineModel, spec: TaskSpec, input: Json, record: MutableRecord): Promise<Json> {
    if (this.stopped) {
      throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the run was stopped');
    }
    const call = (this.calls[spec.name] = (this.calls[spec.name] ?? 0) + 1);
    const fault = this.faults[spec.name] ?? this.faults[machine.stepNames.get(spec.name) ?? ''];
    const context: TaskHandlerContext = {
      stateName: spec.name,
      stateMachine: machine.logicalId,
      executionName: record.name,
      executionArn: record.executionArn,
      call,
      resource: spec.resource,
    };
    try {
      if (fault?.kind === 'fail' && (fault.times === undefined || call <= fault.times)) {
        throw new StatesError(fault.error, fault.cause ?? `LocalWorkflowRunner injected fault '${fault.error}' (call ${call} of '${spec.name}')`);
      }
      if (fault?.kind === 'timeout' && (fault.times === undefined || call <= fault.times)) {
        if (fault.runHandler) {
          try {
            await this.dispatch(machine, spec, input, record, context);
          } catch (e) {
            if (!(e instanceof StatesError)) throw e;
          }
        }
        throw await makeStatesTimeoutError(`LocalWorkflowRunner injected timeout (call ${call} of '${spec.name}')`);
      }
      const result = await this.dispatch(machine, spec, input, record, context);
      if (fault?.kind === 'crashAfter' && !this.stopped) {
        this.crashedAfter = spec.name;
        this.stop();
      }
      return result;
    } catch (e) {
      if (e instanceof RunnerConfigurationError) {
        this.fail(e);
      } else if (!(e instanceof Error)) {
        this.fail(new Error(String(e)));
      }
      throw e;
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
   * logic against dynalite with the runner's clock.
   */
  private builtinHandler(functionArn: string): TaskHandler | undefined {
    const role = this.model.functionMetadata(functionArn)?.[LIBRARY_FUNCTION_ROLE_METADATA];
    if (role === CHECKPOINT_COORDINATOR_ROLE) {
      const client = this.dynamo.client;
      return (event: CoordinatorEvent) => coordinate(event, {
        dynamodb: (action, params) => client.send(new (ddb as unknown as Record<string, new (p: unknown) => any>)[`${action}Command`](params)),
        now: () => this.clock().getTime(),
      });
    }
    return undefined;
  }

  private async dispatch(machine: MachineModel, spec: TaskSpec, input: Json, record: MutableRecord, context: TaskHandlerContext): Promise<Json> {
    // A state rendered under another name than its step's (e.g. a checkpoint resume copy) uses the step's handler.
    const handler = this.handlers.get(spec.name) ?? this.handlers.get(machine.stepNames.get(spec.name) ?? '');
    const task = spec.task;
    if (task.kind === 'lambda') {
      if (!handler) {
        const builtin = task.form === 'arn' ? this.builtinHandler(spec.resource) : undefined;
        if (builtin) return invokeLambdaHandler(builtin, input, context);
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
        if (task.mode === 'callback') throw this.missingHandler(machine, spec, 'callback (.waitForTaskToken) task');
        const run = await this.startChild(spec, input, record, false);
        if (task.mode === 'async') {
          return { ExecutionArn: run.record.executionArn, StartDate: run.startDate.getTime() };
        }
        return syncResult(run, task.mode === 'sync2');
      }
      case 'sfn-start-sync':
        return startSyncExecutionResult(await this.startChild(spec, input, record, true));
      case 'metric': {
        const params = (input ?? {}) as Record<string, unknown>;
        this.metrics.push({
          state: spec.name,
          namespace: String(params.Namespace),
          metricData: (Array.isArray(params.MetricData) ? params.MetricData : []) as Record<string, unknown>[],
          executionName: record.name,
        });
        return {};
      }
      default:
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
    const startDate = this.clock();
    const record = await this.execute(child, start.input, name, this.executions.indexOf(parent));
    const stopDate = this.clock();
    if (this.stopped) {
      throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the run was stopped');
    }
    return { record, stateMachineArn: child.arn, startDate, stopDate };
  }
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

/** `$$.State` with an `EnteredTime` taken from `clock` whenever a path reads it. */
function stateContext(clock: () => Date): Record<string, unknown> {
  return Object.defineProperty({}, 'EnteredTime', { enumerable: true, get: () => clock().toISOString() });
}
