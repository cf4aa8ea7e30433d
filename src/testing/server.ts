/**
 * A Step Functions-compatible HTTP endpoint on top of a {@link LocalWorkflowRunner}
 * (`runner.serve()`), so that application code using the real `@aws-sdk/client-sfn`
 * can be tested against the local workflow.
 *
 * Protocol: AWS JSON 1.0 (`POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`,
 * `Content-Type: application/x-amz-json-1.0`), request and response members as in the
 * Step Functions API reference, timestamps as epoch seconds, errors as
 * `{"__type":"com.amazonaws.sfn#<Name>","message":...}` with HTTP 400, which the SDK turns
 * into its typed exceptions (`ExecutionAlreadyExists`, `ExecutionDoesNotExist`, ...).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 *
 * Requests are not authenticated (any credentials are accepted) and only the runner's own state
 * machine is known. Executions run in the background on the runner (`runner.run`).
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { forEachState } from './definition';
import type { MachineModel } from './model';
import type { RedriveRunOptions } from './runner';
import type { RunOptions, RunResult, RunStateEvent } from './types';

/** Options of `runner.serve()`. */
export interface ServeOptions {
  /**
   * TCP port on 127.0.0.1. Default: 0 (a random free port).
   */
  readonly port?: number;
  /**
   * What `RedriveExecution` does once AWS's preconditions hold (Standard, FAILED/TIMED_OUT/ABORTED,
   * stopped less than 14 days ago):
   * - `'resume'` (default): as AWS does, the execution continues from its unsuccessful top-level
   *   state (the last one entered and not exited) with that state's input, under the same name and
   *   ARN, its history kept, `redriveCount` + 1 (`$$.Execution.RedriveCount`); the states before it
   *   are not run again. When that state is a Parallel or Map state, AWS reruns only its failed
   *   branches/iterations, which the local interpreter cannot do: `ExecutionNotRedrivable` with a
   *   message saying so (use `'rerun'`);
   * - `'refuse'`: answers `ExecutionNotRedrivable`;
   * - `'rerun'`: runs the execution again from its start, with the same name, ARN and input, and
   *   `redriveCount` + 1. Unlike AWS, steps that succeeded run again (their handlers are called).
   * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
   */
  readonly redrive?: 'resume' | 'refuse' | 'rerun';
}

/** One execution the endpoint knows, as `DescribeExecution` reports it. */
export interface ServedExecution {
  /** The execution ARN. */
  readonly executionArn: string;
  /** The execution name. */
  readonly name: string;
  /** `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`. */
  readonly status: string;
  /** The input, as the caller sent it. */
  readonly input: string;
  /** Start date. */
  readonly startDate: Date;
  /** Stop date (closed executions). */
  readonly stopDate?: Date;
  /** How many times it was redriven. */
  readonly redriveCount: number;
  /** The run's result, once the run ended (absent while running, and after a stop). */
  readonly result?: RunResult;
}

/** A running SFN-compatible endpoint. */
export interface LocalSfnServer {
  /** `http://127.0.0.1:<port>`: pass it as `endpoint` to `new SFNClient(...)` or `WorkflowClient`. */
  readonly endpoint: string;
  /** The TCP port. */
  readonly port: number;
  /** The executions started through the endpoint, in start order. */
  readonly executions: readonly ServedExecution[];
  /** Resolves when no execution started through the endpoint is running any more. */
  idle(): Promise<void>;
  /** Stops accepting requests, aborts running executions, waits for them and closes the server. */
  close(): Promise<void>;
}

/** What the endpoint needs from the runner (LocalWorkflowRunner implements it). */
export interface ServeTarget {
  run(input: unknown, options?: RunOptions): Promise<RunResult>;
  sendTaskSuccess?(taskToken: string, output: unknown): unknown;
  sendTaskFailure?(taskToken: string, error?: string, cause?: string): unknown;
  sendTaskHeartbeat?(taskToken: string): unknown;
}

/** The machine the endpoint serves, and the runner's clock. */
export interface ServedMachine {
  readonly machine: MachineModel;
  readonly clock: () => Date;
}

/** A Step Functions error answered in the AWS JSON error shape. */
class SfnApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

type Json = Record<string, unknown>;

interface MutableExecution {
  executionArn: string;
  name: string;
  status: string;
  input: string;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
  redriveDate?: Date;
  result?: RunResult;
  output?: string;
  error?: string;
  cause?: string;
  events: Json[];
  /** Whether the runner reported the states live (RunOptions.onStateEvent). */
  live: boolean;
  /** The last top-level state entered (its input as JSON), and whether it exited: where a redrive continues. */
  topState?: { name: string; input: string; exited: boolean };
  abort?: AbortController;
  done?: Promise<void>;
}

/**
 * Execution names: 1-80 characters, none of whitespace, `< > { } [ ]`, `? *`,
 * `" # % \ ^ | ~ \` $ & , ; : /` or control characters (U+0000-001F, U+007F-009F).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 */
const INVALID_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** Redrive is possible within 14 days of the stop. https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html */
const REDRIVE_PERIOD_MS = 14 * 24 * 3600 * 1000;

/** Largest execution input: 256 KiB. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions */
const MAX_INPUT_BYTES = 256 * 1024;

const epoch = (d: Date | undefined): number | undefined => (d ? d.getTime() / 1000 : undefined);

/** The ASL type of every state of the machine (Map/Parallel bodies included), by name. */
function stateTypes(machine: MachineModel): Map<string, string> {
  const types = new Map<string, string>();
  forEachState(machine.definition, (name, state) => types.set(name, String(state.Type)));
  return types;
}

/**
 * Starts the endpoint for `target` (the runner) serving `served.machine`. Prefer `runner.serve()`.
 */
export async function serveWorkflow(target: ServeTarget, served: ServedMachine, options: ServeOptions = {}): Promise<LocalSfnServer> {
  const { machine, clock } = served;
  const types = stateTypes(machine);
  const executions: MutableExecution[] = [];
  const byArn = new Map<string, MutableExecution>();
  const redriveMode = options.redrive ?? 'resume';
  const topLevel = new Set(Object.keys(machine.definition.States ?? {}));
  let closing = false;

  const executionArnFor = (name: string): string => {
    if (machine.type === 'EXPRESS') {
      // Express execution ARNs carry a unique id after the name; names are not unique.
      return `${machine.arn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`;
    }
    return `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
  };

  const checkMachine = (arn: unknown): void => {
    if (typeof arn !== 'string' || arn.length === 0) {
      throw new SfnApiError('ValidationException', '1 validation error detected: Value null at \'stateMachineArn\' failed to satisfy constraint: Member must not be null');
    }
    if (!arn.startsWith('arn:')) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    if (arn !== machine.arn) {
      throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}' (this local endpoint serves only ${machine.arn})`);
    }
  };

  const findExecution = (arn: unknown): MutableExecution => {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const execution = byArn.get(arn);
    if (!execution) {
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return execution;
  };

  const readInput = (input: unknown): { raw: string; value: unknown } => {
    const raw = input === undefined || input === null ? '{}' : String(input);
    if (Buffer.byteLength(raw, 'utf8') > MAX_INPUT_BYTES) {
      throw new SfnApiError('InvalidExecutionInput', `The input is larger than ${MAX_INPUT_BYTES} bytes`);
    }
    try {
      return { raw, value: JSON.parse(raw) };
    } catch (e) {
      throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(e as Error).message}'`);
    }
  };

  const readName = (name: unknown): string => {
    if (name === undefined || name === null) return randomUUID();
    const text = String(name);
    if (text.length < 1 || text.length > 80) {
      throw new SfnApiError('InvalidName', `Invalid Name: '${text}' (1 to 80 characters)`);
    }
    if (INVALID_NAME_CHARACTERS.test(text)) {
      throw new SfnApiError('InvalidName', `Invalid Name: '${text}'`);
    }
    return text;
  };

  const event = (execution: MutableExecution, type: string, details: Json = {}): void => {
    const id = execution.events.length + 1;
    execution.events.push({ timestamp: epoch(clock()), type, id, previousEventId: id - 1, ...details });
  };

  /** Records the end of a run: status, output/error, and the history events the runner can tell. */
  const finish = (execution: MutableExecution, result: RunResult | undefined, failure?: Error): void => {
    if (execution.status !== 'RUNNING') {
      // stopped meanwhile: keep what the aborted run did, for tests
      execution.result = result;
      return;
    }
    execution.stopDate = clock();
    if (!result) {
      execution.status = 'FAILED';
      execution.error = 'States.Runtime';
      execution.cause = `LocalWorkflowRunner: ${failure?.message ?? 'the run failed'}`;
      event(execution, 'ExecutionFailed', { executionFailedEventDetails: { error: execution.error, cause: execution.cause } });
      return;
    }
    execution.result = result;
    if (!execution.live) {
      // a runner without live state events: the states entered, in order
      for (const state of result.statesEntered) {
        event(execution, `${types.get(state) ?? 'Task'}StateEntered`, { stateEnteredEventDetails: { name: state } });
      }
    }
    execution.status = result.status;
    if (result.status === 'SUCCEEDED') {
      execution.output = JSON.stringify(result.output ?? null);
      event(execution, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: execution.output, outputDetails: { truncated: false } } });
    } else {
      execution.error = result.error;
      execution.cause = result.cause;
      const details = { error: result.error, cause: result.cause };
      if (result.status === 'FAILED') event(execution, 'ExecutionFailed', { executionFailedEventDetails: details });
      else if (result.status === 'TIMED_OUT') event(execution, 'ExecutionTimedOut', { executionTimedOutEventDetails: details });
      else event(execution, 'ExecutionAborted', { executionAbortedEventDetails: details });
    }
  };

  const launch = (execution: MutableExecution, input: unknown, resumeAt?: RedriveRunOptions['resumeAt']): void => {
    const abort = new AbortController();
    execution.abort = abort;
    const runOptions: RedriveRunOptions = {
      resumeAt,
      executionName: execution.name,
      executionArn: execution.executionArn,
      signal: abort.signal,
      // <Type>StateEntered / <Type>StateExited as they happen, with the state input / output
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
      onStateEvent: (e: RunStateEvent) => {
        if (execution.status !== 'RUNNING' || execution.abort !== abort) return;
        execution.live = true;
        const stateInput = e.type === 'StateEntered' ? JSON.stringify(e.input ?? null) : '';
        if (topLevel.has(e.stateName)) {
          if (e.type === 'StateEntered') execution.topState = { name: e.stateName, input: stateInput, exited: false };
          else if (execution.topState?.name === e.stateName) execution.topState.exited = true;
        }
        const data = e.type === 'StateEntered'
          ? { stateEnteredEventDetails: { name: e.stateName, input: stateInput, inputDetails: { truncated: false } } }
          : { stateExitedEventDetails: { name: e.stateName, output: JSON.stringify(e.output ?? null), outputDetails: { truncated: false } } };
        event(execution, `${e.stateType}${e.type}`, data);
      },
    };
    execution.done = target.run(input, runOptions).then(
      (result) => finish(execution, result),
      (e: Error) => finish(execution, undefined, e),
    );
  };

  const startExecution = (body: Json, sync: boolean): MutableExecution | Json => {
    if (closing) throw new SfnApiError('ServiceUnavailable', 'the local endpoint is closing', 503);
    checkMachine(body.stateMachineArn);
    if (sync && machine.type !== 'EXPRESS') {
      throw new SfnApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine (StartSyncExecution runs EXPRESS state machines only)');
    }
    const name = readName(body.name);
    const { raw, value } = readInput(body.input);
    if (machine.type === 'STANDARD') {
      // Same name: an open execution with the identical input is returned as is; a different input,
      // or a closed execution, is ExecutionAlreadyExists (names are unique for 90 days).
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
      const existing = byArn.get(executionArnFor(name));
      if (existing) {
        if (existing.status === 'RUNNING' && existing.input === raw) return existing;
        throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
      }
    }
    const execution: MutableExecution = {
      executionArn: executionArnFor(name),
      name,
      status: 'RUNNING',
      input: raw,
      startDate: clock(),
      redriveCount: 0,
      events: [],
      live: false,
    };
    executions.push(execution);
    byArn.set(execution.executionArn, execution);
    event(execution, 'ExecutionStarted', {
      executionStartedEventDetails: { input: raw, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    });
    launch(execution, value);
    return execution;
  };

  const requireStandard = (operation: string): void => {
    // DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution and RedriveExecution
    // are not supported by EXPRESS state machines (API reference of each operation).
    if (machine.type === 'EXPRESS') {
      throw new SfnApiError('StateMachineTypeNotSupported', `${operation}: this operation is not supported by EXPRESS state machines`);
    }
  };

  const describe = (e: MutableExecution): Json => ({
    executionArn: e.executionArn,
    stateMachineArn: machine.arn,
    name: e.name,
    status: e.status,
    startDate: epoch(e.startDate),
    stopDate: epoch(e.stopDate),
    input: e.input,
    inputDetails: { included: true },
    output: e.output,
    outputDetails: e.output !== undefined ? { included: true } : undefined,
    error: e.error,
    cause: e.cause,
    redriveCount: e.redriveCount,
    redriveDate: epoch(e.redriveDate),
    redriveStatus: redriveStatus(e).status,
    redriveStatusReason: redriveStatus(e).reason,
  });

  const redriveStatus = (e: MutableExecution): { status: string; reason?: string } => {
    if (e.status === 'RUNNING') return { status: 'NOT_REDRIVABLE', reason: 'Execution is RUNNING and cannot be redriven' };
    if (e.status === 'SUCCEEDED') return { status: 'NOT_REDRIVABLE', reason: 'Execution is SUCCEEDED and cannot be redriven' };
    if (e.stopDate && clock().getTime() - e.stopDate.getTime() > REDRIVE_PERIOD_MS) {
      return { status: 'NOT_REDRIVABLE', reason: 'Execution redrivable period exceeded' };
    }
    return { status: 'REDRIVABLE' };
  };

  const page = <T>(items: T[], body: Json, defaultSize: number): { items: T[]; nextToken?: string } => {
    const size = body.maxResults === undefined || body.maxResults === 0 ? defaultSize : Number(body.maxResults);
    if (!Number.isInteger(size) || size < 0 || size > 1000) {
      throw new SfnApiError('ValidationException', `maxResults must be 0 to 1000, got ${String(body.maxResults)}`);
    }
    const start = body.nextToken === undefined ? 0 : Number(Buffer.from(String(body.nextToken), 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new SfnApiError('InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
    const slice = items.slice(start, start + size);
    return { items: slice, nextToken: start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined };
  };

  const callback = async (name: 'sendTaskSuccess' | 'sendTaskFailure' | 'sendTaskHeartbeat', args: unknown[]): Promise<Json> => {
    const fn = target[name] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') {
      throw new SfnApiError('InvalidToken', `LocalWorkflowRunner has no ${name}() (callbacks are not supported by this runner version)`);
    }
    try {
      await fn.apply(target, args);
    } catch (e) {
      const error = e as Error;
      const type = ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken', 'InvalidOutput'].find((t) => error.name === t || error.name?.endsWith(`.${t}`))
        ?? (/timed out/i.test(error.message) ? 'TaskTimedOut' : /does not exist|unknown|not found|no task|no pending|already/i.test(error.message) ? 'TaskDoesNotExist' : 'InvalidToken');
      throw new SfnApiError(type, error.message);
    }
    return {};
  };

  const operations: Record<string, (body: Json) => Json | Promise<Json>> = {
    StartExecution: (body) => {
      const e = startExecution(body, false) as MutableExecution;
      return { executionArn: e.executionArn, startDate: epoch(e.startDate) };
    },
    StartSyncExecution: async (body) => {
      const e = startExecution(body, true) as MutableExecution;
      await e.done;
      return {
        executionArn: e.executionArn,
        stateMachineArn: machine.arn,
        name: e.name,
        startDate: epoch(e.startDate),
        stopDate: epoch(e.stopDate),
        status: e.status,
        error: e.error,
        cause: e.cause,
        input: e.input,
        inputDetails: { included: true },
        output: e.output,
        outputDetails: e.output !== undefined ? { included: true } : undefined,
        billingDetails: {
          billedMemoryUsedInMB: 64,
          // Express bills in 100 ms increments. https://aws.amazon.com/step-functions/pricing/
          billedDurationInMilliseconds: Math.max(100, Math.ceil((e.stopDate!.getTime() - e.startDate.getTime()) / 100) * 100),
        },
      };
    },
    DescribeExecution: (body) => {
      requireStandard('DescribeExecution');
      return describe(findExecution(body.executionArn));
    },
    GetExecutionHistory: (body) => {
      requireStandard('GetExecutionHistory');
      const e = findExecution(body.executionArn);
      const include = body.includeExecutionData !== false;
      let events = e.events.map((ev) => (include ? ev : stripData(ev)));
      if (body.reverseOrder === true) events = [...events].reverse();
      const { items, nextToken } = page(events, body, 100);
      return { events: items, nextToken };
    },
    ListExecutions: (body) => {
      requireStandard('ListExecutions');
      checkMachine(body.stateMachineArn);
      // Most recent first. https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
      let list = [...executions].reverse();
      if (body.statusFilter !== undefined) list = list.filter((e) => e.status === body.statusFilter);
      if (body.redriveFilter === 'REDRIVEN') list = list.filter((e) => e.redriveCount > 0);
      if (body.redriveFilter === 'NOT_REDRIVEN') list = list.filter((e) => e.redriveCount === 0);
      const { items, nextToken } = page(list, body, 100);
      return {
        // the list items are DescribeExecution's summary fields
        executions: items.map((e) => {
          const { executionArn, stateMachineArn, name, status, startDate, stopDate, redriveCount, redriveDate } = describe(e);
          return { executionArn, stateMachineArn, name, status, startDate, stopDate, redriveCount, redriveDate };
        }),
        nextToken,
      };
    },
    StopExecution: (body) => {
      requireStandard('StopExecution');
      const e = findExecution(body.executionArn);
      if (e.status === 'RUNNING') {
        e.status = 'ABORTED';
        e.stopDate = clock();
        e.error = body.error === undefined ? undefined : String(body.error);
        e.cause = body.cause === undefined ? undefined : String(body.cause);
        event(e, 'ExecutionAborted', { executionAbortedEventDetails: { error: e.error, cause: e.cause } });
        e.abort?.abort();
      }
      return { stopDate: epoch(e.stopDate) };
    },
    RedriveExecution: (body) => {
      requireStandard('RedriveExecution');
      const e = findExecution(body.executionArn);
      const status = redriveStatus(e);
      if (status.status !== 'REDRIVABLE') throw new SfnApiError('ExecutionNotRedrivable', `${status.reason}: '${e.executionArn}'`);
      if (redriveMode === 'refuse') {
        throw new SfnApiError(
          'ExecutionNotRedrivable',
          "Redrive is off for this local endpoint (runner.serve({ redrive: 'refuse' })); the execution would be redrivable on AWS.",
        );
      }
      let resumeAt: RedriveRunOptions['resumeAt'];
      if (redriveMode === 'resume') {
        const point = e.topState;
        const type = point ? types.get(point.name) : undefined;
        if (!point || point.exited) {
          throw new SfnApiError('ExecutionNotRedrivable', `LocalWorkflowRunner cannot tell which state '${e.executionArn}' failed in (every state it entered exited). ` +
            "Pass { redrive: 'rerun' } to runner.serve() to re-run it from the start instead.");
        }
        if (type === 'Parallel' || type === 'Map') {
          throw new SfnApiError('ExecutionNotRedrivable', `'${e.executionArn}' failed in the ${type} state '${point.name}': AWS redrives only its failed branches/iterations, ` +
            "which the local interpreter cannot do. Pass { redrive: 'rerun' } to runner.serve() to re-run the execution from the start instead (its succeeded steps run again).");
        }
        resumeAt = { state: point.name, input: JSON.parse(point.input), redriveCount: e.redriveCount + 1 };
      }
      e.status = 'RUNNING';
      e.redriveCount++;
      e.redriveDate = clock();
      for (const key of ['stopDate', 'output', 'error', 'cause', 'result'] as const) delete e[key];
      event(e, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: e.redriveCount } });
      launch(e, JSON.parse(e.input), resumeAt);
      return { redriveDate: epoch(e.redriveDate) };
    },
    SendTaskSuccess: (body) => {
      let output: unknown;
      try {
        output = JSON.parse(String(body.output));
      } catch (e) {
        throw new SfnApiError('InvalidOutput', `Invalid output: ${(e as Error).message}`);
      }
      return callback('sendTaskSuccess', [String(body.taskToken), output]);
    },
    SendTaskFailure: (body) => callback('sendTaskFailure', [String(body.taskToken), body.error as string | undefined, body.cause as string | undefined]),
    SendTaskHeartbeat: (body) => callback('sendTaskHeartbeat', [String(body.taskToken)]),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = randomUUID();
      const reply = (status: number, payload: Json, errorType?: string): void => {
        const text = JSON.stringify(payload);
        const headers: Record<string, string | number> = {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(text),
          'x-amzn-requestid': requestId,
        };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers);
        res.end(text);
      };
      const fail = (e: unknown): void => {
        const error = e instanceof SfnApiError ? e : new SfnApiError('InternalFailure', `LocalWorkflowRunner endpoint: ${(e as Error)?.message ?? String(e)}`, 500);
        reply(error.status, { __type: `com.amazonaws.sfn#${error.type}`, message: error.message }, error.type);
      };
      try {
        const amzTarget = String(req.headers['x-amz-target'] ?? '');
        const operation = amzTarget.startsWith('AWSStepFunctions.') ? operations[amzTarget.slice('AWSStepFunctions.'.length)] : undefined;
        if (req.method !== 'POST' || !operation) {
          throw new SfnApiError('UnknownOperationException', `LocalWorkflowRunner endpoint: unsupported operation '${amzTarget}'. Supported: ${Object.keys(operations).join(', ')}`);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Json;
        try {
          body = text ? JSON.parse(text) as Json : {};
        } catch {
          throw new SfnApiError('SerializationException', 'the request body is not JSON');
        }
        Promise.resolve()
          .then(() => operation(body))
          .then((out) => reply(200, out), fail);
      } catch (e) {
        fail(e);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const idle = async (): Promise<void> => {
    for (;;) {
      const running = executions.filter((e) => e.done && e.status === 'RUNNING').map((e) => e.done!);
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    executions: executions as readonly ServedExecution[],
    idle,
    async close(): Promise<void> {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      for (const e of executions) {
        if (e.status === 'RUNNING') {
          e.status = 'ABORTED';
          e.stopDate = clock();
          e.abort?.abort();
        }
      }
      // Runs that ignore the abort signal (or wait for a callback) are not awaited forever.
      await Promise.race([
        Promise.allSettled(executions.map((e) => e.done)),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    },
  };
}

/** A history event without the execution data (`includeExecutionData: false`). */
function stripData(event: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(event)) {
    if (value && typeof value === 'object' && key.endsWith('EventDetails')) {
      const details = { ...(value as Json) };
      delete details.input;
      delete details.output;
      out[key] = details;
    } else {
      out[key] = value;
    }
  }
  return out;
}
