/**
 * Static analysis of an ASL definition: refusal of what the interpreter would silently
 * ignore, classification of Task resources, and the small rewrites the runner needs.
 */

import { rewriteDistributedMaps } from './integrations/distributed-map';

/** An ASL state (loosely typed: the runner reads only a few fields). */
export type AslState = Record<string, unknown> & { readonly Type: string };

/** An ASL definition (or a Map/Parallel sub-definition). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

/** How a Task state is executed by the runner, derived from its `Resource`. */
export type TaskKind =
  | { readonly kind: 'lambda'; readonly form: 'arn' | 'invoke'; readonly waitForTaskToken: boolean }
  | { readonly kind: 'dynamodb'; readonly flavor: 'optimized' | 'sdk'; readonly action: string }
  | { readonly kind: 'sfn-start'; readonly mode: 'async' | 'sync' | 'sync2' | 'callback' }
  | { readonly kind: 'sfn-start-sync' }
  | { readonly kind: 'metric' }
  | { readonly kind: 'other' };

/** A `Retry` entry of an ASL state. */
export interface AslRetrySpec {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** A Task state of a definition, with its classification. */
export interface TaskSpec {
  readonly name: string;
  readonly resource: string;
  /** The state as written (before the runner's rewrites). */
  readonly state: AslState;
  readonly task: TaskKind;
  /** The state's `Retry` (run by the runner, on the virtual clock; removed from what the interpreter sees). Default: none. */
  readonly retry?: readonly AslRetrySpec[];
  /** `TimeoutSeconds` (absent: Step Functions' default of 99999999 s). */
  readonly timeoutSeconds?: number;
  /** `HeartbeatSeconds`. */
  readonly heartbeatSeconds?: number;
  /** The Parameters were wrapped in an envelope carrying `TimeoutSecondsPath` / `HeartbeatSecondsPath` values. */
  readonly envelope?: boolean;
  /** The resource ends in `.waitForTaskToken`: the task waits for SendTaskSuccess/Failure. */
  readonly callback?: boolean;
  /** The input may hold context sentinels (`$$.Task.Token`, `$$.State.RetryCount`) to substitute per attempt. */
  readonly sentinels?: boolean;
}

/** A Wait state, which the runner runs on its virtual clock (rendered as a local Task for the interpreter). */
export interface WaitSpec {
  readonly name: string;
  readonly seconds?: number;
  readonly timestamp?: string;
  /** The value comes from `SecondsPath` (true) or `TimestampPath` (false) through the Parameters envelope. */
  readonly path?: 'seconds' | 'timestamp';
}

/** The per-state context the runner gives the interpreter (`$$.State` is rewritten to `$$.LocalState.s<i>`). */
export interface StateContextSpec {
  readonly key: string;
  readonly name: string;
  readonly task: boolean;
}

/** The analysed form of one state machine definition. */
export interface AnalysedDefinition {
  /** JSON of the definition handed to the interpreter (with the runner's rewrites). */
  readonly preparedJson: string;
  /** Every Task state, including those nested in Map/Parallel. */
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Every state, by name, including nested ones. */
  readonly states: ReadonlyMap<string, AslState>;
  /** Wait states, by name (run on the virtual clock). */
  readonly waits: ReadonlyMap<string, WaitSpec>;
  /** Names of Wait states. */
  readonly waitStates: readonly string[];
  /** Names of Parallel/Map states that have a `Retry` field (the interpreter retries them; pauses are 0 there). */
  readonly retryStates: readonly string[];
  /** The per-state context entries (`$$.State.*`). */
  readonly stateContexts: readonly StateContextSpec[];
  /** The definition's `TimeoutSeconds` (run on the virtual clock; removed from what the interpreter sees). */
  readonly timeoutSeconds?: number;
}

/** The `Resource` the runner gives a Wait state rendered as a local Task. */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local-runner:wait';
/** Key of the Parameters envelope the runner adds for `TimeoutSecondsPath` / `HeartbeatSecondsPath` / wait paths. */
export const ENVELOPE_KEY = '__localRunnerEnvelope';
/** Sentinel standing for `$$.Task.Token` until the task attempt substitutes its token. */
export const TOKEN_SENTINEL = '\u0000LocalWorkflowRunner:Task.Token\u0000';
/** Sentinel standing for `$$.State.RetryCount` of a Task state until the attempt substitutes its number. */
export const RETRY_COUNT_SENTINEL = '\u0000LocalWorkflowRunner:State.RetryCount\u0000';
/**
 * Step Functions' default Task `TimeoutSeconds` (99999999), see "Task workflow state"
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
 */
export const DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;

/** Largest timeout (seconds) a Node timer can hold; larger ASL values would overflow to 1 ms. */
export const MAX_TIMER_SECONDS = 2_147_483;

/** Classifies a (resolved) Task `Resource`. */
export function classifyResource(resource: string): TaskKind {
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { kind: 'lambda', form: 'arn', waitForTaskToken: false };
  }
  const integration = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (!integration) {
    return { kind: 'other' };
  }
  const rest = integration[1];
  let m: RegExpExecArray | null;
  if ((m = /^lambda:invoke(\.waitForTaskToken)?$/.exec(rest))) {
    return { kind: 'lambda', form: 'invoke', waitForTaskToken: m[1] !== undefined };
  }
  if ((m = /^dynamodb:(putItem|getItem|updateItem|deleteItem)$/.exec(rest))) {
    return { kind: 'dynamodb', flavor: 'optimized', action: m[1] };
  }
  if ((m = /^aws-sdk:dynamodb:([A-Za-z]+)$/.exec(rest))) {
    return { kind: 'dynamodb', flavor: 'sdk', action: m[1] };
  }
  if ((m = /^states:startExecution(\.sync:2|\.sync|\.waitForTaskToken)?$/.exec(rest))) {
    const mode = m[1] === '.sync:2' ? 'sync2' : m[1] === '.sync' ? 'sync' : m[1] === '.waitForTaskToken' ? 'callback' : 'async';
    return { kind: 'sfn-start', mode };
  }
  if (rest === 'aws-sdk:sfn:startExecution') {
    return { kind: 'sfn-start', mode: 'async' };
  }
  if (rest === 'aws-sdk:sfn:startSyncExecution') {
    return { kind: 'sfn-start-sync' };
  }
  if (rest === 'aws-sdk:cloudwatch:putMetricData') {
    return { kind: 'metric' };
  }
  return { kind: 'other' };
}

/** Visits every state of a definition, recursing into Parallel branches and Map processors. */
export function forEachState(def: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    visit(name, state);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches as AslDefinition[]) forEachState(branch, visit);
    }
    if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (processor) forEachState(processor, visit);
    }
  }
}

function refusal(machine: string, state: string | undefined, feature: string, advice: string): Error {
  const where = state === undefined ? `state machine '${machine}'` : `state '${state}' of state machine '${machine}'`;
  return new Error(`LocalWorkflowRunner cannot faithfully run ${where}: ${feature} (aws-local-stepfunctions ignores it). ${advice}`);
}

/**
 * Throws a clear error when the definition uses something the interpreter would silently
 * ignore: JSONata, `Assign`, `Output`, `Arguments`. (Distributed Maps are executed by the runner:
 * see integrations/distributed-map.ts.)
 */
export function assertSupported(def: AslDefinition, machine: string): void {
  if (def.QueryLanguage === 'JSONata') {
    throw refusal(machine, undefined, "QueryLanguage 'JSONata'", 'Use JSONPath for workflows you run locally, or assert the template.');
  }
  forEachState(def, (name, state) => {
    if (state.QueryLanguage === 'JSONata') {
      throw refusal(machine, name, "QueryLanguage 'JSONata'", 'Use JSONPath for workflows you run locally, or assert the template.');
    }
    for (const field of ['Assign', 'Output', 'Arguments']) {
      if (state[field] !== undefined) {
        throw refusal(machine, name, `the '${field}' field (variables / JSONata)`, 'Use JSONPath Parameters/ResultSelector/ResultPath, or assert the template.');
      }
    }
  });
}

/** Fields of a state that hold a JSONPath (they may read the context object). */
const PATH_FIELDS = [
  'InputPath', 'OutputPath', 'ItemsPath', 'SecondsPath', 'TimestampPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath',
  'ErrorPath', 'CausePath', 'MaxConcurrencyPath',
];
/** Payload template fields of a state (their `.$` values may read the context object). */
const TEMPLATE_FIELDS = ['Parameters', 'ResultSelector', 'ItemSelector'];

/**
 * Rewrites the context paths the interpreter does not provide faithfully: `$$.State.*` (it has no
 * `$$.State`) to the per-state `$$.LocalState.<key>.*`, `$$.Task.*` (no task token) to
 * `$$.LocalTask.*`, `$$.Execution.*` (its `StartTime` is the real clock) to `$$.LocalExecution.*`.
 */
function rewriteContextPaths(value: string, stateKey: string): string {
  if (!value.includes('$$.')) return value;
  return value.replace(/\$\$\.(State|Task|Execution)(?![A-Za-z0-9_])/g, (_whole, what: string) =>
    what === 'State' ? `$$.LocalState.${stateKey}` : what === 'Task' ? '$$.LocalTask' : '$$.LocalExecution');
}

function rewriteTemplate(template: unknown, stateKey: string): unknown {
  if (Array.isArray(template)) return template.map((v) => rewriteTemplate(v, stateKey));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) {
      out[k] = k.endsWith('.$') && typeof v === 'string' ? rewriteContextPaths(v, stateKey) : rewriteTemplate(v, stateKey);
    }
    return out;
  }
  return template;
}

function rewriteChoiceRule(rule: Record<string, unknown>, stateKey: string): void {
  for (const [k, v] of Object.entries(rule)) {
    if (typeof v === 'string' && (k === 'Variable' || k.endsWith('Path'))) rule[k] = rewriteContextPaths(v, stateKey);
  }
  for (const key of ['And', 'Or']) {
    if (Array.isArray(rule[key])) for (const r of rule[key] as Array<Record<string, unknown>>) rewriteChoiceRule(r, stateKey);
  }
  if (rule.Not && typeof rule.Not === 'object') rewriteChoiceRule(rule.Not as Record<string, unknown>, stateKey);
}

/**
 * Analyses a (resolved) definition: classifies tasks and prepares the JSON handed to the interpreter.
 *
 * Rewrites (each has a test in test/testing/interpreter-deviations.test.ts that runs the raw
 * interpreter and fails when it stops deviating):
 * - Task `Retry` is removed: the runner retries on its virtual clock, with seeded jitter and
 *   `$$.State.RetryCount`; Task `TimeoutSeconds`/`HeartbeatSeconds` are enforced by the runner on
 *   the virtual clock (the interpreter gets a timer-safe maximum, as it would otherwise impose 60 s);
 * - `TimeoutSecondsPath`/`HeartbeatSecondsPath` values travel in a Parameters envelope;
 * - Wait states become local Tasks that the runner runs on the virtual clock (the interpreter sleeps
 *   in real time);
 * - the top-level `TimeoutSeconds` is removed (the runner times the execution out on the virtual clock);
 * - `ResultPath: "$"` (state and Catch) is dropped: the interpreter would write a literal `"$"` key;
 * - context paths (`$$.State`, `$$.Task`, `$$.Execution`) are redirected, see {@link rewriteContextPaths};
 * - Choice type tests with `false` become `Not` of the `true` test.
 */
export function analyseDefinition(def: AslDefinition, machine: string): AnalysedDefinition {
  assertSupported(def, machine);
  const prepared = JSON.parse(JSON.stringify(def)) as AslDefinition & { TimeoutSeconds?: number; QueryLanguage?: string };
  const timeoutSeconds = typeof prepared.TimeoutSeconds === 'number' ? prepared.TimeoutSeconds : undefined;
  delete prepared.TimeoutSeconds;
  const tasks = new Map<string, TaskSpec>();
  const states = new Map<string, AslState>();
  const waits = new Map<string, WaitSpec>();
  const retryStates: string[] = [];
  const stateContexts: StateContextSpec[] = [];
  const stripQueryLanguage = (d: Record<string, unknown>): void => {
    if (d.QueryLanguage === 'JSONPath') delete d.QueryLanguage;
  };
  stripQueryLanguage(prepared);
  const original = new Map<string, AslState>();
  forEachState(def, (name, state) => {
    if (!original.has(name)) original.set(name, state);
  });
  const rewriteStates = (d: AslDefinition): void => {
    stripQueryLanguage(d as unknown as Record<string, unknown>);
    for (const [name, state] of Object.entries(d.States ?? {})) {
      if (states.has(name)) {
        throw new Error(
          `LocalWorkflowRunner: state machine '${machine}' has two states named '${name}'; the runner identifies steps by state name, so names must be unique`,
        );
      }
      const s = state as Record<string, unknown>;
      stripQueryLanguage(s);
      const key = `s${stateContexts.length}`;
      stateContexts.push({ key, name, task: state.Type === 'Task' });
      // Context paths, in every field that holds a path or a payload template.
      for (const field of PATH_FIELDS) {
        if (typeof s[field] === 'string') s[field] = rewriteContextPaths(s[field] as string, key);
      }
      for (const field of TEMPLATE_FIELDS) {
        if (s[field] !== undefined) s[field] = rewriteTemplate(s[field], key);
      }
      if (state.Type === 'Choice') {
        rewriteNegatedTypeTests(s);
        if (Array.isArray(s.Choices)) for (const r of s.Choices as Array<Record<string, unknown>>) rewriteChoiceRule(r, key);
      }
      // `ResultPath: "$"` means the default (the result replaces the input); the interpreter would
      // write it under a literal "$" key instead, so the field is dropped (state and Catch).
      // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
      if (s.ResultPath === '$') delete s.ResultPath;
      if (Array.isArray(s.Catch)) {
        s.Catch = (s.Catch as Array<Record<string, unknown>>).map((c) => {
          if (c.ResultPath !== '$') return c;
          const { ResultPath: _dropped, ...rest } = c;
          return rest;
        });
      }
      states.set(name, original.get(name) ?? state);
      if (state.Type === 'Parallel' && Array.isArray(s.Branches)) {
        for (const branch of s.Branches as AslDefinition[]) rewriteStates(branch);
      }
      if (state.Type === 'Map') {
        const processor = (s.ItemProcessor ?? s.Iterator) as (AslDefinition & { ProcessorConfig?: { Mode?: string } }) | undefined;
        // A Distributed Map's processor is a state machine of its own (see rewriteDistributedMaps).
        if (processor && processor.ProcessorConfig?.Mode !== 'DISTRIBUTED') rewriteStates(processor);
      }
      if ((state.Type === 'Parallel' || state.Type === 'Map') && Array.isArray(s.Retry)) retryStates.push(name);
      if (state.Type === 'Wait') {
        waits.set(name, {
          name,
          seconds: typeof s.Seconds === 'number' ? s.Seconds : undefined,
          timestamp: typeof s.Timestamp === 'string' ? s.Timestamp : undefined,
          path: typeof s.SecondsPath === 'string' ? 'seconds' : typeof s.TimestampPath === 'string' ? 'timestamp' : undefined,
        });
        const path = (s.SecondsPath ?? s.TimestampPath) as string | undefined;
        const replacement: Record<string, unknown> = { Type: 'Task', Resource: LOCAL_WAIT_RESOURCE, TimeoutSeconds: MAX_TIMER_SECONDS };
        for (const field of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
          if (s[field] !== undefined) replacement[field] = s[field];
        }
        if (path !== undefined) replacement.Parameters = { [ENVELOPE_KEY]: { 'input.$': '$', 'value.$': path } };
        d.States[name] = replacement as AslState;
        continue;
      }
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        const timeoutPath = s.TimeoutSecondsPath as string | undefined;
        const heartbeatPath = s.HeartbeatSecondsPath as string | undefined;
        const envelope = timeoutPath !== undefined || heartbeatPath !== undefined;
        if (envelope) {
          const inner: Record<string, unknown> = s.Parameters !== undefined ? { p: s.Parameters } : { 'p.$': '$' };
          if (timeoutPath !== undefined) inner['timeout.$'] = timeoutPath;
          if (heartbeatPath !== undefined) inner['heartbeat.$'] = heartbeatPath;
          s.Parameters = { [ENVELOPE_KEY]: inner };
        }
        const heartbeatSeconds = typeof s.HeartbeatSeconds === 'number' ? s.HeartbeatSeconds : undefined;
        const retry = Array.isArray(s.Retry) ? (s.Retry as AslRetrySpec[]) : [];
        delete s.Retry;
        delete s.TimeoutSecondsPath;
        delete s.HeartbeatSecondsPath;
        delete s.HeartbeatSeconds;
        const timeout = typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : undefined;
        s.TimeoutSeconds = MAX_TIMER_SECONDS;
        const params = s.Parameters === undefined ? '' : JSON.stringify(s.Parameters);
        tasks.set(name, {
          name,
          resource,
          state: original.get(name) ?? state,
          task: classifyResource(resource),
          retry,
          timeoutSeconds: timeout,
          heartbeatSeconds,
          envelope,
          callback: resource.endsWith('.waitForTaskToken'),
          sentinels: params.includes('$$.LocalTask') || params.includes(`$$.LocalState.${key}`),
        });
      }
    }
  };
  rewriteStates(prepared);
  for (const spec of rewriteDistributedMaps(prepared, def, machine, analyseDefinition)) tasks.set(spec.name, spec);
  return {
    preparedJson: JSON.stringify(prepared),
    tasks,
    states,
    waits,
    waitStates: [...waits.keys()],
    retryStates,
    stateContexts,
    timeoutSeconds,
  };
}

/** Choice type tests whose `false` form the interpreter never matches. */
const TYPE_TESTS = ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

/**
 * aws-local-stepfunctions never matches a type test with the value `false` (e.g.
 * `{ "Variable": "$.x", "IsPresent": false }`), where Step Functions matches when the test fails.
 * Rewrites each such rule into the equivalent `Not` of the `true` test, which it evaluates correctly.
 */
function rewriteNegatedTypeTests(choice: Record<string, unknown>): void {
  const rewrite = (rule: Record<string, unknown>): Record<string, unknown> => {
    for (const key of ['And', 'Or']) {
      if (Array.isArray(rule[key])) rule[key] = (rule[key] as Array<Record<string, unknown>>).map(rewrite);
    }
    if (rule.Not && typeof rule.Not === 'object') rule.Not = rewrite(rule.Not as Record<string, unknown>);
    for (const test of TYPE_TESTS) {
      if (rule[test] === false) {
        const { Next, ...rest } = rule;
        return { ...(Next !== undefined ? { Next } : {}), Not: { ...rest, [test]: true } };
      }
    }
    return rule;
  };
  if (Array.isArray(choice.Choices)) {
    choice.Choices = (choice.Choices as Array<Record<string, unknown>>).map(rewrite);
  }
}
