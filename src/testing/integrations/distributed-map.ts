/**
 * Distributed Map, executed by the runner.
 *
 * aws-local-stepfunctions runs a Distributed Map inline, as an ordinary Map (no item reader, no
 * batching, no child executions, no failure tolerance, no result writer). Before a definition
 * reaches it, {@link rewriteDistributedMaps} turns each Distributed Map state into a Task state
 * with a runner-internal resource, keeping the Map's `InputPath`, `ResultSelector`, `ResultPath`,
 * `OutputPath`, `Retry`, `Catch`, `Next`/`End`; the Task's `Parameters` evaluate, in the
 * interpreter, everything the Map evaluates once against its effective input (`ItemsPath`,
 * `ItemReader.Parameters`, `ItemBatcher.BatchInput`, the `*Path` fields, `ResultWriter.Parameters`).
 * {@link runDistributedMap} then does what the Map Run does on AWS: reads the items (from the
 * input or the local S3 server), applies `ItemSelector` per item, batches, runs each item or batch
 * as its own child execution of the `ItemProcessor` (STANDARD or EXPRESS, recorded in the run's
 * `executions`), at most `MaxConcurrency` at a time, counts failures against the tolerance, and
 * writes the results with `ResultWriter`.
 *
 * AWS documentation relied on (Step Functions developer guide):
 * - "Using Map state in Distributed mode": https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * - "ItemReader (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
 * - "ItemSelector (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemselector.html
 * - "ItemBatcher (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
 * - "ResultWriter (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 * - "Tolerated failure threshold for Distributed Map state": https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
 * - "Error handling" (States.ItemReaderFailed, States.ResultWriterFailed, States.ExceedToleratedFailureThreshold):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
import * as zlib from 'zlib';
import type { AnalysedDefinition, AslDefinition, AslState, TaskSpec } from '../definition';
import { RunnerConfigurationError, StatesError } from '../errors';
import { buildInterpreterMachine, Json } from '../interpreter';
import type { MachineModel } from '../model';
import type { LocalS3 } from '../s3-server';
import type { ExecutionRecord } from '../types';

/** Resource of the Task state a Distributed Map is rewritten into (followed by `:<id>`). */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::cdk-stateful-workflows:distributedMap';

/** Largest batch input, in bytes: 256 KiB (ItemBatcher, MaxInputBytesPerBatch). */
const MAX_BATCH_BYTES = 256 * 1024;
/** Most child executions a Map Run runs at a time (Distributed mode, MaxConcurrency 0 = "as many as possible"). */
const MAX_CONCURRENCY = 10_000;

/** What the runner keeps of one Distributed Map state. */
export interface DistributedMapSpec {
  readonly id: string;
  readonly stateName: string;
  readonly machine: string;
  /** The ItemProcessor as a state machine definition (`ProcessorConfig` removed). */
  readonly processor: AslDefinition;
  readonly executionType: 'STANDARD' | 'EXPRESS';
  readonly itemSelector?: Record<string, unknown>;
  readonly reader?: { readonly resource: string; readonly config: Record<string, unknown> };
  readonly batcher?: Record<string, unknown>;
  readonly maxConcurrency?: number;
  readonly label?: string;
  readonly itemsPath?: string;
  readonly writer?: { readonly resource?: string; readonly config?: Record<string, unknown> };
  readonly toleratedFailurePercentage?: number;
  readonly toleratedFailureCount?: number;
  /** The analysed ItemProcessor (set by the runner's analysis; may itself hold rewritten Distributed Maps). */
  analysed?: AnalysedDefinition;
}

const registry = new Map<string, DistributedMapSpec>();
let nextId = 0;

/** Whether a Task resource is a rewritten Distributed Map. */
export function isDistributedMapResource(resource: string): boolean {
  return resource.startsWith(`${DISTRIBUTED_MAP_RESOURCE}:`);
}

/** The Distributed Map behind a rewritten Task resource. */
export function distributedMapSpec(resource: string): DistributedMapSpec {
  const spec = registry.get(resource.slice(DISTRIBUTED_MAP_RESOURCE.length + 1));
  if (!spec) throw new RunnerConfigurationError(`LocalWorkflowRunner: unknown Distributed Map resource '${resource}'`);
  return spec;
}

function isDistributed(state: AslState): boolean {
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

function refuse(machine: string, state: string, what: string, fix: string): Error {
  return new Error(`LocalWorkflowRunner cannot faithfully run state '${state}' of state machine '${machine}': ${what}. ${fix}`);
}

/**
 * Rewrites every Distributed Map state of `prepared` (a copy of the definition the runner already
 * prepared; recursing into Parallel branches and inline Maps, but not into Distributed processors,
 * which are their own state machines) into a Task state handled by {@link runDistributedMap}.
 * `analyse` analyses an ItemProcessor as a definition of its own (the runner's analysis).
 * Returns the rewritten states as Task specs, followed by the Tasks of their processors.
 */
export function rewriteDistributedMaps(
  prepared: AslDefinition,
  original: AslDefinition,
  machine: string,
  analyse: (definition: AslDefinition, label: string) => AnalysedDefinition,
): TaskSpec[] {
  const originals = new Map<string, AslState>();
  collect(original, originals);
  const out: TaskSpec[] = [];
  const visit = (def: AslDefinition): void => {
    for (const [name, state] of Object.entries(def.States ?? {})) {
      if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
        for (const branch of state.Branches as AslDefinition[]) visit(branch);
      }
      if (state.Type === 'Map' && !isDistributed(state)) {
        const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
        if (processor) visit(processor);
      }
      if (isDistributed(state)) {
        const spec = specOf(name, originals.get(name) ?? state, machine);
        spec.analysed = analyse(spec.processor, `${machine}/${spec.label ?? name}`);
        const task = taskOf(state, spec);
        (def.States as Record<string, AslState>)[name] = task;
        out.push({ name, resource: String(task.Resource), state: originals.get(name) ?? state, task: { kind: 'other' } });
        // The processor's Tasks are Task states of the workflow too (handlers and faults name them)
        out.push(...spec.analysed.tasks.values());
      }
    }
  };
  visit(prepared);
  return out;
}

function collect(def: AslDefinition, into: Map<string, AslState>): void {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    into.set(name, state);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches as AslDefinition[]) collect(branch, into);
    }
    if (state.Type === 'Map' && !isDistributed(state)) {
      const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (processor) collect(processor, into);
    }
  }
}

const READERS = new Set(['arn:aws:states:::s3:getObject', 'arn:aws:states:::s3:listObjectsV2']);
const INPUT_TYPES = new Set(['JSON', 'JSONL', 'CSV', 'MANIFEST']);

function specOf(name: string, state: AslState, machine: string): DistributedMapSpec {
  const s = state as Record<string, any>;
  const processorConfig = (s.ItemProcessor.ProcessorConfig ?? {}) as Record<string, unknown>;
  const { ProcessorConfig: _ignored, ...processor } = s.ItemProcessor as Record<string, unknown>;
  const reader = s.ItemReader as Record<string, any> | undefined;
  if (reader) {
    const resource = normalizeArn(String(reader.Resource));
    if (!READERS.has(resource)) {
      throw refuse(machine, name, `ItemReader Resource '${reader.Resource}'`, 'The runner reads items with s3:getObject (JSON, JSONL, CSV, MANIFEST) and s3:listObjectsV2.');
    }
    const config = (reader.ReaderConfig ?? {}) as Record<string, unknown>;
    if (resource.endsWith('getObject') && !INPUT_TYPES.has(String(config.InputType))) {
      throw refuse(machine, name, `ItemReader InputType '${config.InputType}'`, 'Use JSON, JSONL, CSV or MANIFEST, or assert the template.');
    }
    if (config.Transformation !== undefined || config.ItemsPointer !== undefined) {
      throw refuse(machine, name, `ReaderConfig ${config.Transformation !== undefined ? 'Transformation' : 'ItemsPointer'}`, 'The runner does not implement it; assert the template.');
    }
  }
  const writer = s.ResultWriter as Record<string, any> | undefined;
  if (writer?.WriterConfig?.OutputType === 'JSONL') {
    throw refuse(machine, name, 'ResultWriter OutputType JSONL', 'The runner writes JSON result files; assert the template.');
  }
  const executionType = processorConfig.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
  if (executionType === 'EXPRESS') {
    for (const [inner, st] of Object.entries((processor.States ?? {}) as Record<string, AslState>)) {
      const resource = typeof st.Resource === 'string' ? st.Resource : '';
      if (st.Type === 'Task' && /\.(sync(:2)?|waitForTaskToken)$/.test(resource)) {
        throw new Error(
          `LocalWorkflowRunner: state '${inner}' of the EXPRESS ItemProcessor of Distributed Map '${name}' (state machine '${machine}') uses '${resource}'; ` +
            'Express child executions do not support .sync or .waitForTaskToken integrations (Step Functions rejects this definition)',
        );
      }
    }
  }
  const id = String(++nextId);
  const spec: DistributedMapSpec = {
    id,
    stateName: name,
    machine,
    processor: processor as unknown as AslDefinition,
    executionType,
    itemSelector: (s.ItemSelector ?? s.Parameters) as Record<string, unknown> | undefined,
    reader: reader ? { resource: normalizeArn(String(reader.Resource)), config: (reader.ReaderConfig ?? {}) as Record<string, unknown> } : undefined,
    batcher: s.ItemBatcher as Record<string, unknown> | undefined,
    maxConcurrency: typeof s.MaxConcurrency === 'number' ? s.MaxConcurrency : undefined,
    label: typeof s.Label === 'string' ? s.Label : undefined,
    itemsPath: typeof s.ItemsPath === 'string' ? s.ItemsPath : undefined,
    writer: writer
      ? { resource: writer.Resource as string | undefined, config: writer.WriterConfig as Record<string, unknown> | undefined }
      : undefined,
    toleratedFailurePercentage: typeof s.ToleratedFailurePercentage === 'number' ? s.ToleratedFailurePercentage : undefined,
    toleratedFailureCount: typeof s.ToleratedFailureCount === 'number' ? s.ToleratedFailureCount : undefined,
  };
  registry.set(id, spec);
  return spec;
}

/** `arn:aws:states:::s3:getObject` whatever the partition. */
function normalizeArn(resource: string): string {
  return resource.replace(/^arn:[^:]+:states:::/, 'arn:aws:states:::');
}

/** The Task state standing in for a Distributed Map state. */
function taskOf(state: AslState, spec: DistributedMapSpec): AslState {
  const s = state as Record<string, any>;
  // The effective input once (the items are read from it by the runner: a copy would double the
  // task input the runner checks against the 256 KiB limit), and the context fields an ItemSelector
  // may read besides $$.Map.Item.
  const parameters: Record<string, unknown> = {
    'input.$': '$',
    'context': {
      'Execution': { 'Id.$': '$$.Execution.Id', 'Name.$': '$$.Execution.Name', 'StartTime.$': '$$.Execution.StartTime' },
      'StateMachine.$': '$$.StateMachine',
    },
  };
  if (JSON.stringify(spec.itemSelector ?? {}).includes('$$.Execution.Input')) parameters['executionInput.$'] = '$$.Execution.Input';
  if (s.ItemReader?.Parameters) parameters.reader = s.ItemReader.Parameters;
  const readerConfig = (s.ItemReader?.ReaderConfig ?? {}) as Record<string, unknown>;
  if (typeof readerConfig.MaxItemsPath === 'string') parameters['maxItems.$'] = readerConfig.MaxItemsPath;
  if (s.ItemBatcher?.BatchInput !== undefined) parameters.batchInput = s.ItemBatcher.BatchInput;
  if (typeof s.ItemBatcher?.MaxItemsPerBatchPath === 'string') parameters['maxItemsPerBatch.$'] = s.ItemBatcher.MaxItemsPerBatchPath;
  if (typeof s.ItemBatcher?.MaxInputBytesPerBatchPath === 'string') parameters['maxInputBytesPerBatch.$'] = s.ItemBatcher.MaxInputBytesPerBatchPath;
  if (typeof s.MaxConcurrencyPath === 'string') parameters['maxConcurrency.$'] = s.MaxConcurrencyPath;
  if (typeof s.ToleratedFailurePercentagePath === 'string') parameters['toleratedFailurePercentage.$'] = s.ToleratedFailurePercentagePath;
  if (typeof s.ToleratedFailureCountPath === 'string') parameters['toleratedFailureCount.$'] = s.ToleratedFailureCountPath;
  if (s.ResultWriter?.Parameters) parameters.writer = s.ResultWriter.Parameters;
  const task: Record<string, unknown> = {
    Type: 'Task',
    Resource: `${DISTRIBUTED_MAP_RESOURCE}:${spec.id}`,
    Parameters: parameters,
    // A Map state has no timeout; the interpreter would impose 60 s on a Task without one
    // (2,147,483 s: the largest a Node timer holds, as definition.ts uses for Tasks).
    TimeoutSeconds: 2_147_483,
  };
  for (const field of ['Comment', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch', 'Next', 'End']) {
    if (s[field] !== undefined) task[field] = s[field];
  }
  return task as AslState;
}

// ------------------------------------------------------------------ execution

/** What {@link runDistributedMap} needs from the runner. */
export interface DistributedMapHost {
  /** The local S3 server. */
  readonly s3: LocalS3;
  /** The state machine running the Map (the child state machine derives from it). */
  readonly parent: MachineModel;
  /** Runs one child execution of the ItemProcessor to its end and returns its record. */
  execute(processor: MachineModel, input: Json, name: string): Promise<ExecutionRecord>;
  /** True once the run was stopped (crash fault, setup error). */
  stopped(): boolean;
  /** Clock for the child executions' dates. */
  now(): Date;
}

interface Params {
  readonly input: Json;
  readonly context: Record<string, any>;
  readonly executionInput?: Json;
  readonly reader?: Record<string, any>;
  readonly maxItems?: number;
  readonly batchInput?: Json;
  readonly maxItemsPerBatch?: number;
  readonly maxInputBytesPerBatch?: number;
  readonly maxConcurrency?: number;
  readonly toleratedFailurePercentage?: number;
  readonly toleratedFailureCount?: number;
  readonly writer?: { Bucket?: string; Prefix?: string };
}

interface Child {
  readonly items: number;
  readonly input: Json;
  record?: ExecutionRecord;
  startDate?: Date;
  stopDate?: Date;
}

let mapRunCounter = 0;

function fakeUuid(n: number, salt: number): string {
  const hex = (n * 2654435761 + salt).toString(16).padStart(12, '0').slice(-12);
  return `${salt.toString(16).padStart(8, '0').slice(-8)}-0000-4000-8000-${hex}`;
}

/** Runs a Map Run: the Task handler of a rewritten Distributed Map. */
export async function runDistributedMap(spec: DistributedMapSpec, parameters: Json, host: DistributedMapHost): Promise<Json> {
  const p = parameters as unknown as Params;
  const runId = ++mapRunCounter;
  const uuid = fakeUuid(0, runId);
  const machineArn = `${host.parent.arn}/${spec.label ?? spec.stateName}`;
  // Map Run ARN: arn:<partition>:states:<region>:<account>:mapRun:<stateMachine>/<label>:<id>
  const mapRunArn = `${machineArn.replace(':stateMachine:', ':mapRun:')}:${uuid}`;

  // 1. the items: from the input (ItemsPath) or S3 (ItemReader), at most MaxItems
  let items = spec.reader ? await readItems(spec, p, host.s3) : await evaluate(spec, { 'items.$': spec.itemsPath ?? '$' }, p.input, {}, 'ItemsPath').then((r) => (r as { items: Json }).items);
  if (!Array.isArray(items)) {
    throw new StatesError('States.Runtime', `An error occurred while executing the state '${spec.stateName}'. The ItemsPath field did not resolve to a JSON array: ${JSON.stringify(items)}`);
  }
  const maxItems = p.maxItems ?? (typeof spec.reader?.config.MaxItems === 'number' ? (spec.reader.config.MaxItems as number) : undefined);
  if (maxItems !== undefined && maxItems > 0) items = items.slice(0, maxItems);

  // 2. ItemSelector, per item, with $$.Map.Item.Index / Value (before batching: "ItemBatcher (Map)")
  const selected = spec.itemSelector ? await selectItems(spec, items, p) : items;

  // 3. ItemBatcher: { BatchInput?, Items: [...] } per child, bounded by items and bytes
  const children: Child[] = spec.batcher ? batch(spec, selected, p) : selected.map((input) => ({ items: 1, input }));

  // 4. child executions, at most MaxConcurrency at a time (0: as many as possible)
  const concurrencyValue = p.maxConcurrency ?? spec.maxConcurrency ?? 0;
  const concurrency = concurrencyValue > 0 ? Math.min(concurrencyValue, MAX_CONCURRENCY) : MAX_CONCURRENCY;
  // Each child is an execution of the ItemProcessor as a state machine of its own
  // ("Using Map state in Distributed mode": child workflow executions, ExecutionType STANDARD or EXPRESS).
  const processor: MachineModel = {
    logicalId: `${host.parent.logicalId}/${spec.label ?? spec.stateName}`,
    name: `${host.parent.name}/${spec.label ?? spec.stateName}`,
    arn: machineArn,
    type: spec.executionType,
    roleArn: host.parent.roleArn,
    definition: spec.processor,
    analysed: spec.analysed!,
    stepNames: host.parent.stepNames,
  };
  const totalItems = selected.length;
  // "The default percentage value is zero": with neither a count nor a percentage, any failure fails
  // the Map Run; with only a count, only the count applies; with both, exceeding either fails it.
  const count = p.toleratedFailureCount ?? spec.toleratedFailureCount;
  const pctSet = p.toleratedFailurePercentage ?? spec.toleratedFailurePercentage;
  const pct = pctSet ?? (count === undefined ? 0 : undefined);
  checkTolerance(spec, pct, count);
  let failedItems = 0;
  let exceeded = false;
  // Failed and timed-out (and aborted) children count; with batching every item of a failed batch
  // counts ("Tolerated failure threshold": failed or timed out items divided by the total items).
  const overThreshold = (): boolean =>
    (count !== undefined && failedItems > count) || (pct !== undefined && totalItems > 0 && (failedItems * 100) / totalItems > pct);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!exceeded && !host.stopped() && next < children.length) {
      const index = next++;
      const child = children[index];
      child.startDate = host.now();
      const name = fakeUuid(index + 1, runId);
      child.record = await host.execute(processor, child.input, name);
      child.stopDate = host.now();
      if (child.record.status !== 'SUCCEEDED') {
        failedItems += child.items;
        if (overThreshold()) exceeded = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, children.length) }, worker));
  if (host.stopped()) {
    throw new StatesError('States.Runtime', 'LocalWorkflowRunner: the run was stopped');
  }

  // 5. results: written to S3 (manifest + SUCCEEDED_n / FAILED_n / PENDING_n), or returned in the state
  const transformation = String(spec.writer?.config?.Transformation ?? (spec.writer?.resource ? 'NONE' : 'COMPACT'));
  let writerDetails: { Bucket: string; Key: string } | undefined;
  if (spec.writer?.resource) {
    writerDetails = await writeResults(host.s3, p.writer ?? {}, uuid, mapRunArn, machineArn, children, transformation, spec.stateName);
  }
  if (exceeded) {
    throw new StatesError('States.ExceedToleratedFailureThreshold', 'The specified tolerated failure threshold was exceeded');
  }
  if (writerDetails) {
    // The Map's output with a ResultWriter: the Map Run ARN and where the manifest is
    return { MapRunArn: mapRunArn, ResultWriterDetails: writerDetails };
  }
  return resultArray(children, transformation, machineArn);
}

function checkTolerance(spec: DistributedMapSpec, pct: number | undefined, count: number | undefined): void {
  if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100)) {
    throw new StatesError('States.Runtime', `An error occurred while executing the state '${spec.stateName}'. ToleratedFailurePercentage must be a number from 0 to 100, got ${JSON.stringify(pct)}`);
  }
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new StatesError('States.Runtime', `An error occurred while executing the state '${spec.stateName}'. ToleratedFailureCount must be a non-negative integer, got ${JSON.stringify(count)}`);
  }
}

/**
 * Evaluates a payload template against `input` and `context` with the interpreter itself (a
 * one-Pass-state machine, built once per template), so that paths, intrinsics and context
 * references behave exactly as in the rest of the run.
 */
async function evaluate(
  spec: DistributedMapSpec, template: Record<string, unknown>, input: Json, context: Record<string, unknown>, what: string,
): Promise<Json> {
  const definition = JSON.stringify({ StartAt: what, States: { [what]: { Type: 'Pass', Parameters: template, End: true } } });
  const machine = buildInterpreterMachine(definition, `${spec.machine}/${spec.stateName} ${what}`);
  try {
    return await machine.run(input, { context }).result;
  } catch (e) {
    const inner = (e as { cause?: unknown }).cause ?? e;
    const err = inner instanceof Error ? inner : new Error(String(inner));
    throw new StatesError(err.name.startsWith('States.') ? err.name : 'States.Runtime', `${what} of state '${spec.stateName}': ${err.message}`);
  }
}

/** Per-item ItemSelector evaluation, with $$.Map.Item.Index / Value ("ItemSelector (Map)"). */
async function selectItems(spec: DistributedMapSpec, items: Json[], p: Params): Promise<Json[]> {
  const out: Json[] = new Array(items.length);
  const CHUNK = 500;
  const execution = { ...p.context.Execution, ...(p.executionInput !== undefined ? { Input: p.executionInput } : {}) };
  // The interpreter copies its input on every run: hand it the state input only when the selector
  // reads it (a path or intrinsic argument starting with '$' but not '$$'), else O(items^2) copying.
  const input = readsStateInput(spec.itemSelector!) ? p.input : {};
  for (let start = 0; start < items.length; start += CHUNK) {
    await Promise.all(items.slice(start, start + CHUNK).map(async (value, offset) => {
      const index = start + offset;
      const context = { ...p.context, Execution: execution, Map: { Item: { Index: index, Value: value } } };
      out[index] = await evaluate(spec, spec.itemSelector!, input, context, 'ItemSelector');
    }));
  }
  return out;
}

/** Whether a payload template has a path (or intrinsic argument) into the state input, not only `$$` context paths. */
function readsStateInput(template: unknown): boolean {
  if (Array.isArray(template)) return template.some(readsStateInput);
  if (!template || typeof template !== 'object') return false;
  return Object.entries(template as Record<string, unknown>).some(([key, value]) =>
    key.endsWith('.$') && typeof value === 'string' ? /\$(?!\$)/.test(value.replace(/\$\$/g, '')) : readsStateInput(value));
}

function batch(spec: DistributedMapSpec, items: Json[], p: Params): Child[] {
  const b = spec.batcher!;
  const maxItems = p.maxItemsPerBatch ?? (typeof b.MaxItemsPerBatch === 'number' ? b.MaxItemsPerBatch : undefined);
  const maxBytes = Math.min(p.maxInputBytesPerBatch ?? (typeof b.MaxInputBytesPerBatch === 'number' ? b.MaxInputBytesPerBatch : MAX_BATCH_BYTES), MAX_BATCH_BYTES);
  const batchInput = p.batchInput;
  const envelope = (list: Json[]): Json => (batchInput !== undefined ? { BatchInput: batchInput, Items: list } : { Items: list });
  const out: Child[] = [];
  let current: Json[] = [];
  const flush = (): void => {
    if (current.length > 0) out.push({ items: current.length, input: envelope(current) });
    current = [];
  };
  for (const item of items) {
    if (maxItems !== undefined && current.length >= maxItems) flush();
    const candidate = [...current, item];
    if (current.length > 0 && Buffer.byteLength(JSON.stringify(envelope(candidate))) > maxBytes) flush();
    current.push(item);
    if (Buffer.byteLength(JSON.stringify(envelope(current))) > maxBytes) {
      throw new StatesError('States.Runtime', `An error occurred while executing the state '${spec.stateName}'. A single item exceeds MaxInputBytesPerBatch (${maxBytes} bytes)`);
    }
  }
  flush();
  return out;
}

/** Result entries for the state output (no ResultWriter): the outputs in item order. */
function resultArray(children: Child[], transformation: string, machineArn: string): Json {
  const out: Json[] = [];
  for (const child of children) {
    if (!child.record) continue;
    if (child.record.status === 'SUCCEEDED' && transformation !== 'NONE') {
      const output = child.record.output as Json;
      if (transformation === 'FLATTEN' && Array.isArray(output)) out.push(...output);
      else out.push(output ?? null);
    } else {
      // "If a child workflow execution fails, Step Functions returns its execution result unchanged"
      // (ResultWriter (Map), Transformation): the full execution entry.
      out.push(entryOf(child, machineArn));
    }
  }
  return out;
}

/** One entry of a result file: the child execution as DescribeExecution describes it. */
function entryOf(child: Child, machineArn: string): Json {
  const r = child.record!;
  const entry: Record<string, Json> = {
    ExecutionArn: r.executionArn,
    Input: JSON.stringify(child.input),
    InputDetails: { Included: true },
    Name: r.name,
  };
  if (r.status === 'SUCCEEDED') {
    entry.Output = JSON.stringify(r.output ?? null);
    entry.OutputDetails = { Included: true };
  } else {
    if (r.error !== undefined) entry.Error = r.error;
    if (r.cause !== undefined) entry.Cause = r.cause;
  }
  entry.RedriveCount = 0;
  entry.RedriveStatus = r.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE';
  if (r.status === 'SUCCEEDED') entry.RedriveStatusReason = 'Execution is SUCCEEDED and cannot be redriven';
  entry.StartDate = child.startDate!.toISOString();
  entry.StateMachineArn = machineArn;
  entry.Status = r.status;
  entry.StopDate = child.stopDate!.toISOString();
  return entry;
}

/**
 * Writes the Map Run results as Step Functions does ("ResultWriter (Map)", Exporting to Amazon S3):
 * `<Prefix>/<map run id>/manifest.json` plus `SUCCEEDED_0.json`, `FAILED_0.json` (failed, timed
 * out and aborted children) and `PENDING_0.json` (children never started because the Map Run
 * failed), each a JSON array of execution entries; files of a status with no entry are not written.
 */
async function writeResults(
  s3: LocalS3,
  params: { Bucket?: string; Prefix?: string },
  uuid: string,
  mapRunArn: string,
  machineArn: string,
  children: Child[],
  transformation: string,
  stateName: string,
): Promise<{ Bucket: string; Key: string }> {
  const bucket = params.Bucket;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new StatesError('States.ResultWriterFailed', `The ResultWriter of state '${stateName}' has no Bucket`);
  }
  const prefix = typeof params.Prefix === 'string' && params.Prefix !== '' ? `${params.Prefix.replace(/\/+$/, '')}/` : '';
  const base = `${prefix}${uuid}/`;
  const groups: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Json[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const child of children) {
    if (!child.record) {
      groups.PENDING.push({ Input: JSON.stringify(child.input), InputDetails: { Included: true } });
    } else if (child.record.status === 'SUCCEEDED') {
      const output = child.record.output as Json;
      if (transformation === 'NONE') groups.SUCCEEDED.push(entryOf(child, machineArn));
      else if (transformation === 'FLATTEN' && Array.isArray(output)) groups.SUCCEEDED.push(...output);
      else groups.SUCCEEDED.push(output ?? null);
    } else {
      groups.FAILED.push(entryOf(child, machineArn));
    }
  }
  const resultFiles: Record<string, Json[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  try {
    for (const status of ['SUCCEEDED', 'FAILED', 'PENDING'] as const) {
      if (groups[status].length === 0) continue;
      const key = `${base}${status}_0.json`;
      const body = JSON.stringify(groups[status]);
      await s3.putObject(bucket, key, body, { createBucket: false });
      resultFiles[status].push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const manifest = { DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: resultFiles };
    await s3.putObject(bucket, `${base}manifest.json`, JSON.stringify(manifest), { createBucket: false });
  } catch (e) {
    throw new StatesError('States.ResultWriterFailed', `The ResultWriter of state '${stateName}' could not write to bucket '${bucket}': ${(e as Error).name}: ${(e as Error).message}`);
  }
  return { Bucket: bucket, Key: `${base}manifest.json` };
}

// ------------------------------------------------------------------ item readers

async function readObject(s3: LocalS3, bucket: unknown, key: unknown, stateName: string): Promise<Buffer> {
  if (typeof bucket !== 'string' || typeof key !== 'string') {
    throw new StatesError('States.ItemReaderFailed', `The ItemReader of state '${stateName}' needs Parameters.Bucket and Parameters.Key (strings)`);
  }
  try {
    return await s3.getObjectBytes(bucket, key);
  } catch (e) {
    const err = e as Error;
    throw new StatesError('States.ItemReaderFailed', `The ItemReader of state '${stateName}' could not read s3://${bucket}/${key}: ${err.name}: ${err.message}`);
  }
}

/** Reads the items of an `ItemReader` ("ItemReader (Map)"). */
async function readItems(spec: DistributedMapSpec, p: Params, s3: LocalS3): Promise<Json[]> {
  const reader = spec.reader!;
  const params = (p.reader ?? {}) as Record<string, unknown>;
  if (reader.resource.endsWith('listObjectsV2')) {
    // One item per object: { Etag, Key, LastModified (epoch seconds), Size, StorageClass }
    let objects;
    try {
      objects = await s3.listObjects(String(params.Bucket), typeof params.Prefix === 'string' ? params.Prefix : undefined);
    } catch (e) {
      throw new StatesError('States.ItemReaderFailed', `The ItemReader of state '${spec.stateName}' could not list s3://${params.Bucket}/${params.Prefix ?? ''}: ${(e as Error).name}`);
    }
    return objects.map((o) => ({
      Etag: o.ETag,
      Key: o.Key,
      LastModified: Math.floor(o.LastModified.getTime() / 1000),
      Size: o.Size,
      StorageClass: o.StorageClass,
    }));
  }
  const type = String(reader.config.InputType);
  const bytes = await readObject(s3, params.Bucket, params.Key, spec.stateName);
  const failed = (why: string): StatesError =>
    new StatesError('States.ItemReaderFailed', `The ItemReader of state '${spec.stateName}' could not read s3://${params.Bucket}/${params.Key} as ${type}: ${why}`);
  switch (type) {
    case 'JSON': {
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw failed((e as Error).message);
      }
      if (!Array.isArray(value)) throw failed('the file does not hold a JSON array');
      return value as Json[];
    }
    case 'JSONL':
      return bytes.toString('utf8').split(/\r?\n/).filter((line) => line.trim() !== '').map((line, i) => {
        try {
          return JSON.parse(line) as Json;
        } catch (e) {
          throw failed(`line ${i + 1}: ${(e as Error).message}`);
        }
      });
    case 'CSV':
      return csvItems(bytes.toString('utf8'), reader.config, failed);
    case 'MANIFEST':
      return inventoryItems(bytes, s3, spec.stateName, failed);
    default:
      throw failed('unsupported InputType');
  }
}

const DELIMITERS: Record<string, string> = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' };

/**
 * CSV rows as objects keyed by the headers (FIRST_ROW: the first line; GIVEN: `CSVHeaders`); every
 * value is a string ("ItemReader (Map)", CSV files).
 */
function csvItems(text: string, config: Record<string, unknown>, failed: (why: string) => Error): Json[] {
  const delimiter = DELIMITERS[String(config.CSVDelimiter ?? 'COMMA')] ?? ',';
  const rows = parseCsv(text, delimiter);
  let headers: string[];
  if (config.CSVHeaderLocation === 'GIVEN') {
    if (!Array.isArray(config.CSVHeaders)) throw failed('CSVHeaderLocation GIVEN without CSVHeaders');
    headers = config.CSVHeaders as string[];
  } else {
    const first = rows.shift();
    if (!first) return [];
    headers = first;
  }
  return rows.map((row) => Object.fromEntries(headers.map((h, i) => [h, row[i] ?? ''])) as Json);
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; blank lines skipped. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {quoted = true;} else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n') {endRow();} else if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else {field += c;}
    i++;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * S3 inventory ("ItemReader (Map)", S3 inventory manifest): `manifest.json` names the inventory
 * files (`files[].key`, in `destinationBucket`) and their columns (`fileSchema`); the CSV files
 * (gzip-compressed, no header row) give one item per row, keyed by the schema's column names.
 */
async function inventoryItems(bytes: Buffer, s3: LocalS3, stateName: string, failed: (why: string) => Error): Promise<Json[]> {
  let manifest: { fileFormat?: string; fileSchema?: string; destinationBucket?: string; files?: Array<{ key: string }> };
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw failed(`manifest: ${(e as Error).message}`);
  }
  if (manifest.fileFormat !== undefined && manifest.fileFormat !== 'CSV') {
    throw failed(`inventory fileFormat ${manifest.fileFormat} (Step Functions reads CSV inventories)`);
  }
  if (typeof manifest.fileSchema !== 'string' || !Array.isArray(manifest.files) || typeof manifest.destinationBucket !== 'string') {
    throw failed('manifest without fileSchema, files or destinationBucket');
  }
  const columns = manifest.fileSchema.split(',').map((c) => c.trim());
  const bucket = manifest.destinationBucket.replace(/^arn:[^:]+:s3:::/, '');
  const items: Json[] = [];
  for (const file of manifest.files) {
    let data = await readObject(s3, bucket, file.key, stateName);
    if (data[0] === 0x1f && data[1] === 0x8b) data = zlib.gunzipSync(data);
    for (const row of parseCsv(data.toString('utf8'))) {
      items.push(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ''])) as Json);
    }
  }
  return items;
}
