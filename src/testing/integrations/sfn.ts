/**
 * Step Functions child executions: the shapes the integrations return.
 *
 * - `states:startExecution` → `{ ExecutionArn, StartDate }` (the runner runs the child to
 *   completion inline before the parent continues).
 * - `states:startExecution.sync` / `.sync:2` → the DescribeExecution response (`Input`/`Output`
 *   as JSON strings for `.sync`, as JSON for `.sync:2`). A child that does not succeed fails
 *   the parent task with `States.TaskFailed`, whose cause is that response (with the child's
 *   `Error` and `Cause`) as a JSON string.
 * - `aws-sdk:sfn:startSyncExecution` → the StartSyncExecution response; never throws for a failed child.
 */
import { RunnerConfigurationError, StatesError } from '../errors';
import type { Json } from '../interpreter';
import type { ExecutionRecord } from '../types';

/** What the parent passes to start a child. */
export interface ChildStart {
  readonly stateMachineArn: string;
  readonly input: Json;
  readonly name?: string;
}

/** Reads `StateMachineArn` / `Input` / `Name` of a start-execution task's parameters. */
export function readChildStart(parameters: Json, stateName: string): ChildStart {
  const p = (parameters && typeof parameters === 'object' && !Array.isArray(parameters) ? parameters : {}) as Record<string, Json>;
  if (typeof p.StateMachineArn !== 'string') {
    throw new RunnerConfigurationError(`LocalWorkflowRunner: state '${stateName}' starts an execution without a StateMachineArn`);
  }
  let input: Json = {};
  if (typeof p.Input === 'string') {
    try {
      input = JSON.parse(p.Input) as Json;
    } catch {
      throw new StatesError('SFN.InvalidExecutionInputException', `Invalid execution input: ${p.Input}`);
    }
  } else if (p.Input !== undefined && p.Input !== null) {
    input = p.Input;
  }
  return { stateMachineArn: p.StateMachineArn, input, name: typeof p.Name === 'string' ? p.Name : undefined };
}

/** Child timing and identity, for the response shapes. */
export interface ChildRun {
  readonly record: ExecutionRecord;
  readonly stateMachineArn: string;
  readonly startDate: Date;
  readonly stopDate: Date;
}

/** DescribeExecution-style response of a `.sync` (`jsonIo: false`) or `.sync:2` (`jsonIo: true`) child. */
export function describeExecution(run: ChildRun, jsonIo: boolean): Record<string, Json> {
  const { record } = run;
  const out: Record<string, Json> = {
    ExecutionArn: record.executionArn,
    Input: (jsonIo ? record.input : JSON.stringify(record.input)) as Json,
    InputDetails: { Included: true },
    Name: record.name,
    StartDate: run.startDate.getTime(),
    StateMachineArn: run.stateMachineArn,
    Status: record.status,
    StopDate: run.stopDate.getTime(),
  };
  if (record.status === 'SUCCEEDED') {
    out.Output = (jsonIo ? record.output : JSON.stringify(record.output ?? null)) as Json;
    out.OutputDetails = { Included: true };
  } else {
    if (record.error !== undefined) out.Error = record.error;
    if (record.cause !== undefined) out.Cause = record.cause;
  }
  return out;
}

/** Result of a `.sync` / `.sync:2` task: the description, or `States.TaskFailed` when the child did not succeed. */
export function syncResult(run: ChildRun, jsonIo: boolean): Json {
  const described = describeExecution(run, jsonIo);
  if (run.record.status !== 'SUCCEEDED') {
    throw new StatesError('States.TaskFailed', JSON.stringify(described));
  }
  return described;
}

/** StartSyncExecution response (Express): status, output as a string, error and cause; never throws. */
export function startSyncExecutionResult(run: ChildRun): Json {
  const { record } = run;
  const billedMs = Math.max(100, Math.ceil(record.durationMs / 100) * 100);
  const out: Record<string, Json> = {
    BillingDetails: { BilledDurationInMilliseconds: billedMs, BilledMemoryUsedInMB: 64 },
    ExecutionArn: record.executionArn,
    Input: JSON.stringify(record.input),
    InputDetails: { Included: true },
    Name: record.name,
    StartDate: run.startDate.toISOString(),
    StateMachineArn: run.stateMachineArn,
    Status: record.status,
    StopDate: run.stopDate.toISOString(),
  };
  if (record.status === 'SUCCEEDED') {
    out.Output = JSON.stringify(record.output ?? null);
    out.OutputDetails = { Included: true };
  } else {
    if (record.error !== undefined) out.Error = record.error;
    if (record.cause !== undefined) out.Cause = record.cause;
  }
  return out;
}
