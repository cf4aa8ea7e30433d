/**
 * Lazy access to the `aws-local-stepfunctions` interpreter.
 *
 * The package is an optional peer dependency: it is only `require`d when a runner
 * is created, so importing the main library never loads it.
 */
import type { AslRetrySpec } from './definition';
import { loadInterpreterPackage } from './version';

/** A JSON value, as the interpreter sees it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One event of the interpreter's execution event log (the subset we use). */
export interface InterpreterEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string };
  readonly index?: number;
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly retrier: AslRetrier; readonly attempt: number };
}

/** A `Retry` entry of an ASL state (one definition, in definition.ts). */
export type AslRetrier = AslRetrySpec;

/**
 * What the runner attaches to a root run's options (`localRunnerHooks`): the interpreter hands the
 * run options down to every Parallel branch and Map iteration, so the hooks installed by
 * {@link interpreterModule} find the execution they belong to.
 */
export interface RunHooks {
  /**
   * Receives every event of the root execution's event log synchronously, as it is dispatched
   * (instead of the interpreter's async event-log generator: no queue, no promise per event).
   */
  onEvent(event: InterpreterEvent): void;
  /**
   * A `StateRetried` event of any level (root, branch, iteration), synchronously, once, when it is
   * dispatched: the retry backoff of a Parallel/Map state starts here.
   */
  onRetried(event: InterpreterEvent, error: string): void;
  /** Before a Parallel branch / Map iteration of `parentState` starts: a promise to wait for (the retry backoff), or undefined. */
  beforeNested(parentState: string): Promise<void> | undefined;
}

/** Options of one interpreter run (the subset we use). */
export interface InterpreterRunOptions {
  /** The runner's hooks (see {@link RunHooks}); when absent, the interpreter runs unhooked. */
  readonly localRunnerHooks?: RunHooks;
  readonly overrides?: {
    readonly taskResourceLocalHandlers?: Record<string, (input: Json) => Promise<Json>>;
    readonly waitTimeOverrides?: Record<string, number>;
    readonly retryIntervalOverrides?: Record<string, number>;
  };
  readonly noThrowOnAbort?: boolean;
  readonly context?: Record<string, unknown>;
}

/** A running interpreter execution. */
export interface InterpreterExecution {
  readonly abort: () => void;
  readonly result: Promise<Json>;
  readonly eventLogs: AsyncGenerator<InterpreterEvent>;
}

/** The interpreter's `StateMachine` instance. */
export interface InterpreterStateMachine {
  run(input: Json, options?: InterpreterRunOptions): InterpreterExecution;
}

interface InterpreterModule {
  StateMachine: new (definition: object, options?: object) => InterpreterStateMachine;
  ExecutionError: new (...args: never[]) => Error;
  ExecutionTimeoutError: new (...args: never[]) => Error;
  ExecutionAbortedError: new (...args: never[]) => Error;
}

let loaded: InterpreterModule | undefined;

/** Installs `Promise.withResolvers` (Node < 22), which aws-local-stepfunctions 3.x needs. */
function installWithResolversPolyfill(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') {
    return;
  }
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** Loads aws-local-stepfunctions (once), with a clear error when it is not installed. */
export function interpreterModule(): InterpreterModule {
  if (loaded) {
    return loaded;
  }
  installWithResolversPolyfill();
  try {
    loaded = loadWithIntrinsicEscapes();
  } catch (e) {
    throw new Error(
      'LocalWorkflowRunner needs the package "aws-local-stepfunctions" (3.x). Install it as a dev dependency: ' +
        `npm install --save-dev aws-local-stepfunctions@^3 (${(e as Error).message})`,
    );
  }
  patchIndefinitePaths();
  hooksInstalled = patchExecute(loaded.StateMachine);
  return loaded;
}

/** Whether the loaded interpreter has the intrinsic-escape correction (see {@link loadWithIntrinsicEscapes}). */
let intrinsicEscapesFixed = false;
/** Whether the loaded interpreter's States.JsonMerge returns a new object (see {@link loadWithIntrinsicEscapes}). */
let jsonMergeCopies = false;
/** aws-local-stepfunctions 3.0.0's States.JsonMerge, and the same merge into a new object. */
const JSON_MERGE_PATCH: [string, string] = ['    return Object.assign(obj1, obj2);', '    return Object.assign({}, obj1, obj2);'];

/** True when the runner's interpreter merges with States.JsonMerge into a new object, as Step Functions does. */
export function jsonMergeReturnsCopy(): boolean {
  interpreterModule();
  return jsonMergeCopies;
}

/** True when the runner's interpreter reads escaped characters in intrinsic strings as Step Functions does. */
export function intrinsicEscapesCorrected(): boolean {
  interpreterModule();
  return intrinsicEscapesFixed;
}

/**
 * The three places of aws-local-stepfunctions 3.0.0's intrinsic-function code that mishandle the
 * escapes Step Functions defines for intrinsic string literals (`\'` is `'`, `\{` is `{`, `\}` is `}`,
 * `\\` is one backslash: "Reserved characters in intrinsic functions",
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html):
 * - the argument splitter takes a quote after an escaped backslash (`'a\\'`) for an escaped quote;
 * - string literals reach the functions with their escapes;
 * - every string result loses all its backslashes (`replaceAll("\\", "")`), including those of values read
 *   from paths.
 * Each is replaced by a corrected version; escaped braces stay distinct from `{}` placeholders in
 * `States.Format` (private sentinels, turned back into braces in its result).
 */
export const INTRINSIC_PATCHES: ReadonlyArray<readonly [string, string]> = [
  [
    'if (char === "\'" && partialArg[partialArg.length - 1] !== "\\\\") {',
    'if (char === "\'" && !__lrEscaped(partialArg)) {',
  ],
  [
    'return arg.slice(1, lastSingleQuote);',
    'return __lrUnescape(arg.slice(1, lastSingleQuote));',
  ],
  [
    `    const parsedArgs = parseArguments(input, context, ...args);
    validateArguments(this.funcDefinition, ...parsedArgs);
    let result = this.execute(...parsedArgs);
    if (typeof result === "string") {
      result = result.replaceAll("\\\\", "");
    }
    return result;`,
    `    const isFormat = this.funcDefinition.name === "States.Format";
    const parsedArgs = parseArguments(input, context, ...args).map((a) => isFormat ? a : __lrRestore(a));
    validateArguments(this.funcDefinition, ...parsedArgs);
    const result = this.execute(...parsedArgs);
    return isFormat ? __lrRestore(result) : result;`,
  ],
];

/** Helpers the corrected code calls (prepended to the module source). */
export const INTRINSIC_HELPERS = `
var __lrL = "\\u0000\\ue000", __lrR = "\\u0000\\ue001";
function __lrEscaped(s) { var n = 0; for (var i = s.length - 1; i >= 0 && s[i] === "\\\\"; i--) n++; return n % 2 === 1; }
function __lrUnescape(s) {
  return s.indexOf("\\\\") < 0 ? s : s.replace(/\\\\([\\\\'{}])/g, function (_, c) { return c === "{" ? __lrL : c === "}" ? __lrR : c; });
}
function __lrRestore(v) { return typeof v === "string" && v.indexOf("\\u0000") >= 0 ? v.split(__lrL).join("{").split(__lrR).join("}") : v; }
`;

/**
 * Loads aws-local-stepfunctions with its intrinsic-function escapes corrected (see
 * {@link INTRINSIC_PATCHES}): the module's source, with the three replacements, is evaluated as a
 * CommonJS module whose `require` resolves from the package's own directory. When the installed
 * source does not contain all three exact passages (another version), the package is loaded as is
 * and {@link intrinsicEscapesCorrected} reports false (test/testing/intrinsic-escapes.test.ts fails then).
 */
function loadWithIntrinsicEscapes(): InterpreterModule {
  let patched = false;
  let merged = false;
  const pkg = loadInterpreterPackage((original) => {
    let source = original;
    // States.JsonMerge returns a new object on AWS and leaves its arguments (values read from the
    // state) as they were: https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate.
    // aws-local-stepfunctions 3.0.0 merges into its first argument (`Object.assign(obj1, obj2)`),
    // so a path read again afterwards (e.g. a checkpoint block's results) would see the merge.
    if (source.split(JSON_MERGE_PATCH[0]).length === 2) {
      source = source.replace(JSON_MERGE_PATCH[0], () => JSON_MERGE_PATCH[1]);
      merged = true;
    }
    const withMerge = source;
    for (const [from, to] of INTRINSIC_PATCHES) {
      if (source.split(from).length !== 2) return withMerge;
      source = source.replace(from, () => to);
    }
    patched = true;
    return INTRINSIC_HELPERS + source;
  });
  intrinsicEscapesFixed = patched;
  jsonMergeCopies = merged;
  return pkg as InterpreterModule;
}

/** Root machines built by {@link buildInterpreterMachine} (their runs get the synchronous event sink). */
const rootMachines = new WeakSet<object>();
/** Branch / iterator definitions (object identity) -> the Parallel/Map state that runs them. */
const nestedParents = new WeakMap<object, string>();
let hooksInstalled = false;

/** True when the run hooks are installed (else the runner reads the async event log). */
export function runHooksInstalled(): boolean {
  interpreterModule();
  return hooksInstalled;
}

interface EventLoggerLike {
  isLoggerClosed?: boolean;
  dispatch(event: InterpreterEvent): void;
}

/** Events the runner already handed to {@link RunHooks.onRetried} (forwarded events are the same objects). */
const retriedSeen = new WeakSet<object>();

/**
 * Hooks aws-local-stepfunctions 3.0.0's `StateMachine.prototype.execute(input, options, cleanup)`
 * (called by `run()` for the root machine and for every Parallel branch / Map iteration machine),
 * only for runs that carry `localRunnerHooks`:
 * - a root run's event logger dispatches straight to `onEvent` (synchronously, no async generator);
 * - a nested run's logger reports `StateRetried` synchronously to `onRetried` (then forwards as usual);
 * - a nested run of a Parallel/Map state first waits for `beforeNested` (the state's retry backoff on
 *   the runner's virtual clock).
 * Returns false (nothing patched) when the interpreter's shape is not the expected one.
 */
function patchExecute(StateMachine: unknown): boolean {
  const proto = (StateMachine as { prototype?: Record<string, unknown> }).prototype;
  type Execute = ((this: unknown, input: unknown, options: unknown, cleanup: () => void) => Promise<unknown>) & { localRunnerPatched?: boolean };
  const original = proto?.execute as Execute | undefined;
  if (!proto || typeof original !== 'function') return false;
  if (original.localRunnerPatched) return true;
  const patched = function (this: { definition?: object }, input: unknown, options: unknown, cleanup: () => void): Promise<unknown> {
    const o = options as { runOptions?: InterpreterRunOptions; eventLogger?: EventLoggerLike; abortSignal?: { aborted: boolean } } | undefined;
    const hooks = o?.runOptions?.localRunnerHooks;
    const logger = o?.eventLogger;
    if (!hooks || !logger || typeof logger.dispatch !== 'function') return original.call(this, input, options, cleanup);
    if (rootMachines.has(this)) {
      logger.dispatch = (event) => {
        if (logger.isLoggerClosed) return;
        hooks.onEvent(event);
      };
      return original.call(this, input, options, cleanup);
    }
    const dispatch = logger.dispatch.bind(logger);
    let lastError = '';
    logger.dispatch = (event) => {
      if (event.type === 'StateFailed') {
        lastError = String(event.Error);
      } else if (event.type === 'StateRetried' && !logger.isLoggerClosed) {
        retriedSeen.add(event);
        hooks.onRetried(event, lastError);
      }
      dispatch(event);
    };
    const parent = this.definition ? nestedParents.get(this.definition) : undefined;
    const gate = parent === undefined ? undefined : hooks.beforeNested(parent);
    if (!gate) return original.call(this, input, options, cleanup);
    return gate.then(() => {
      if (o?.abortSignal?.aborted) {
        // the execution ended during the backoff: the run already settled (aborted)
        cleanup();
        return null;
      }
      return original.call(this, input, options, cleanup);
    });
  };
  (patched as { localRunnerPatched?: boolean }).localRunnerPatched = true;
  proto.execute = patched;
  return true;
}

/** True when `event` was already reported to {@link RunHooks.onRetried} by a nested run's logger. */
export function retriedAlreadyReported(event: object): boolean {
  return retriedSeen.has(event);
}

/** Records which Parallel/Map state runs each branch / iterator definition of `definition` (recursively). */
function indexNested(definition: { States?: Record<string, Record<string, unknown>> }): void {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    const nested: unknown[] = [];
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) nested.push(...state.Branches);
    if (state.Type === 'Map') nested.push(state.ItemProcessor ?? state.Iterator);
    for (const d of nested) {
      if (d && typeof d === 'object') {
        nestedParents.set(d, name);
        indexNested(d as { States?: Record<string, Record<string, unknown>> });
      }
    }
  }
}

/** Built interpreter machines, keyed by the exact prepared definition string (validation is slow). */
const machineCache = new Map<string, InterpreterStateMachine>();

/** Prepared definitions already checked by the interpreter's validator. */
const validated = new Set<string>();

/**
 * Builds (or returns the cached) interpreter state machine for a prepared definition.
 *
 * The interpreter's definition validator (asl-validator) is skipped unless `validate` is true: it
 * costs about 3 s per process (it compiles its JSON schemas), CDK renders valid ASL and Step
 * Functions validates the definition at deploy time, and it rejects some definitions Step Functions
 * accepts (e.g. an escaped backslash in an intrinsic function string). With `validate`, ARN checks
 * are off (the runner's ARNs are fake) and JSONPath checks on.
 */
export function buildInterpreterMachine(definitionJson: string, label: string, validate = false): InterpreterStateMachine {
  const { StateMachine } = interpreterModule();
  if (validate && !validated.has(definitionJson)) {
    try {
      new StateMachine(JSON.parse(definitionJson), { validationOptions: { checkArn: false, checkPaths: true } });
    } catch (e) {
      throw new Error(`LocalWorkflowRunner: the definition of state machine '${label}' was rejected by aws-local-stepfunctions: ${(e as Error).message}`);
    }
    validated.add(definitionJson);
  }
  const cached = machineCache.get(definitionJson);
  if (cached) {
    return cached;
  }
  const definition = JSON.parse(definitionJson);
  const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  rootMachines.add(machine);
  indexNested(definition);
  machineCache.set(definitionJson, machine);
  return machine;
}

/** Number of interpreter machines currently cached (for diagnostics and the benchmark). */
export function interpreterCacheSize(): number {
  return machineCache.size;
}

/** Empties the interpreter machine cache (the benchmark uses it to measure cold loads). */
export function clearInterpreterCache(): void {
  machineCache.clear();
}

let timeoutErrorPrototype: object | undefined;

/**
 * Returns an error the interpreter treats exactly like its own `States.Timeout`
 * (in particular, `States.TaskFailed` does not match it in Retry/Catch).
 *
 * The interpreter does not export that error class, so the first call captures its
 * prototype from a 1 ms task timeout on a throw-away machine.
 */
export async function makeStatesTimeoutError(cause: string): Promise<Error> {
  if (!timeoutErrorPrototype) {
    const { StateMachine } = interpreterModule();
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:probe', TimeoutSeconds: 0.001, End: true } },
      },
      { validationOptions: { noValidate: true } },
    );
    let timer: NodeJS.Timeout | undefined;
    const execution = probe.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: {
            Probe: () => new Promise<Json>((resolve) => {
              timer = setTimeout(() => resolve(null), 50);
            }),
          },
        },
      },
    );
    try {
      await execution.result;
    } catch (e) {
      const inner = (e as { cause?: unknown }).cause;
      if (inner instanceof Error && inner.name === 'States.Timeout') {
        timeoutErrorPrototype = Object.getPrototypeOf(inner) as object;
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (!timeoutErrorPrototype) {
      throw new Error('LocalWorkflowRunner: could not obtain the States.Timeout error of aws-local-stepfunctions');
    }
  }
  return timeoutErrorOf(timeoutErrorPrototype, cause);
}

export { VERIFIED_INTERPRETER_VERSION } from './version';

/** The installed aws-local-stepfunctions version (read from its package.json), or undefined. */
export function installedInterpreterVersion(): string | undefined {
  try {
    const main = require.resolve('aws-local-stepfunctions');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('fs') as typeof import('fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('path') as typeof import('path');
    let dir = path.dirname(main);
    for (let i = 0; i < 4; i++) {
      const candidate = path.join(dir, 'package.json');
      if (fs.existsSync(candidate)) {
        const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'aws-local-stepfunctions') return pkg.version;
      }
      dir = path.dirname(dir);
    }
  } catch {
    // not installed
  }
  return undefined;
}

/**
 * True when a JSONPath is indefinite (a filter, wildcard, deep scan, union or slice): Step Functions
 * (Jayway JsonPath) returns an array of every match for those, `[]` when nothing matches and
 * `[x]` for one match. https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
 */
export function isIndefinitePath(path: string): boolean {
  const unquoted = path.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
  return /\[\s*\?|\*|\.\.|\[[^\]]*[,:][^\]]*\]/.test(unquoted);
}

let pathsPatched = false;

/** {@link isIndefinitePath} per path (the paths of the definitions: a bounded set in practice). */
const indefiniteCache = new Map<string, boolean>();

function indefiniteCached(path: string): boolean {
  let v = indefiniteCache.get(path);
  if (v === undefined) {
    v = isIndefinitePath(path);
    if (indefiniteCache.size > 10_000) indefiniteCache.clear();
    indefiniteCache.set(path, v);
  }
  return v;
}

/** jsonpath-plus options (the ones the fast path must see absent). */
interface JsonPathOptions {
  readonly path?: unknown;
  readonly json?: unknown;
  readonly wrap?: boolean;
  readonly autostart?: unknown;
  readonly resultType?: unknown;
  readonly flatten?: unknown;
  readonly sandbox?: unknown;
  readonly eval?: unknown;
  readonly ignoreEvalErrors?: unknown;
  readonly parent?: unknown;
  readonly parentProperty?: unknown;
  readonly callback?: unknown;
  readonly otherTypeCallback?: unknown;
}

/** True when the options are only `path`, `json` and `wrap` (what aws-local-stepfunctions passes). */
function onlyPathJsonWrap(o: JsonPathOptions): boolean {
  return o.autostart === undefined && o.resultType === undefined && o.flatten === undefined && o.sandbox === undefined &&
    o.eval === undefined && o.ignoreEvalErrors === undefined && o.parent === undefined && o.parentProperty === undefined &&
    o.callback === undefined && o.otherTypeCallback === undefined;
}

/**
 * aws-local-stepfunctions evaluates paths with jsonpath-plus and `wrap: false`, which returns
 * `undefined` (then `States.Runtime`) when a filter matches nothing. For indefinite paths only, the runner makes those calls use `wrap: true` (always an
 * array), as Step Functions does. The interpreter reads `JSONPath` from the jsonpath-plus module
 * object on every call, so the patch is installed on that object (it only changes calls with
 * `wrap: false` and an indefinite path).
 *
 * The same patch evaluates the interpreter's calls (`JSONPath({ path, json, wrap })`, without `new`)
 * without jsonpath-plus' control-flow exception: called without `new`, jsonpath-plus constructs
 * itself and returns a scalar result by throwing and catching an Error (a stack trace per path
 * evaluation, about a third of an execution's CPU time). `new JSONPath({ ...opts, autostart: false })
 * .evaluate({ path, json })` is what that constructor runs, minus the throw: the result is the same
 * (test/testing/interpreter-deviations.test.ts compares both).
 */
function patchIndefinitePaths(): void {
  if (pathsPatched) return;
  pathsPatched = true;
  let mod: { JSONPath: ((...args: unknown[]) => unknown) & Record<string, unknown> };
  try {
    const resolved = require.resolve('jsonpath-plus', { paths: [require.resolve('aws-local-stepfunctions')] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(resolved);
  } catch {
    return;
  }
  const original = mod.JSONPath;
  if ((original as { localRunnerPatched?: boolean }).localRunnerPatched) return;
  const JsonPathClass = original as unknown as new (opts: object) => { evaluate(expr: object): unknown };
  const canEvaluate = typeof (original as unknown as { prototype?: { evaluate?: unknown } }).prototype?.evaluate === 'function';
  const patched = function (this: unknown, opts: unknown, ...rest: unknown[]): unknown {
    const o = opts as JsonPathOptions | undefined;
    if (o && typeof o === 'object' && typeof o.path === 'string') {
      const indefinite = o.wrap === false && indefiniteCached(o.path);
      if (canEvaluate && rest.length === 0 && 'json' in o && onlyPathJsonWrap(o) && !(this instanceof JsonPathClass)) {
        // jsonpath-plus' own default: `wrap` is true unless the option is present
        const wrap = indefinite || (Object.prototype.hasOwnProperty.call(o, 'wrap') ? o.wrap : true);
        // a literal, not a spread: a spread copy makes jsonpath-plus' constructor about 20x slower
        return new JsonPathClass({ path: o.path, json: o.json, wrap, autostart: false }).evaluate({ path: o.path, json: o.json });
      }
      return original.call(this, indefinite ? { ...o, wrap: true } : o, ...rest);
    }
    return original.call(this, opts, ...rest);
  };
  Object.assign(patched, original);
  patched.prototype = (original as unknown as { prototype: object }).prototype;
  (patched as unknown as { localRunnerPatched: boolean }).localRunnerPatched = true;
  // the unpatched function, for the benchmark's "aws-local-stepfunctions alone" baseline and the equivalence test
  (patched as unknown as { localRunnerOriginal: unknown }).localRunnerOriginal = original;
  mod.JSONPath = patched as typeof original;
}

/**
 * A Step Functions error that neither Retry nor Catch (not even `States.ALL`) handles:
 * `States.DataLimitExceeded` and `States.Runtime`. The interpreter reads `isRetryable` /
 * `isCatchable` on thrown errors.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export class TerminalStatesError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** The interpreter's `States.Timeout` error, synchronously (after {@link makeStatesTimeoutError} ran once). */
export function statesTimeoutErrorSync(cause: string): Error {
  if (!timeoutErrorPrototype) throw new Error('LocalWorkflowRunner: States.Timeout prototype not captured yet');
  return timeoutErrorOf(timeoutErrorPrototype, cause);
}

/** A `States.Timeout` error of the interpreter's own class (so its Retry/Catch matching applies), with `cause`. */
function timeoutErrorOf(prototype: object, cause: string): Error {
  const error = Object.create(prototype) as Error & { retryable: boolean; catchable: boolean };
  Object.defineProperty(error, 'message', { value: cause, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: 'States.Timeout', writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: `States.Timeout: ${cause}`, writable: true, configurable: true });
  error.retryable = true;
  error.catchable = true;
  return error;
}
