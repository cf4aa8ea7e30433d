/**
 * Static analysis of an ASL definition: refusal of what the interpreter would silently
 * ignore, classification of Task resources, and the small rewrites the runner needs.
 */

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

/** A Task state of a definition, with its classification. */
export interface TaskSpec {
  readonly name: string;
  readonly resource: string;
  readonly state: AslState;
  readonly task: TaskKind;
}

/** The analysed form of one state machine definition. */
export interface AnalysedDefinition {
  /** JSON of the definition handed to the interpreter (with the runner's rewrites). */
  readonly preparedJson: string;
  /** Every Task state, including those nested in Map/Parallel. */
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Every state, by name, including nested ones. */
  readonly states: ReadonlyMap<string, AslState>;
  /** Names of Wait states (their waits are skipped). */
  readonly waitStates: readonly string[];
  /** Names of states that have a `Retry` field (their retry pauses are skipped). */
  readonly retryStates: readonly string[];
}

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

const DISTRIBUTED_ONLY_FIELDS = [
  'ItemReader',
  'ResultWriter',
  'ItemBatcher',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
];

/**
 * Throws a clear error when the definition uses something the interpreter would silently
 * ignore: JSONata, `Assign`, `Output`, `Arguments`, and Distributed Map item readers,
 * result writers, batchers and failure tolerances.
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
    if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? {}) as { ProcessorConfig?: { Mode?: string } };
      if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        // Every Distributed Map is refused: the interpreter runs it inline, so child executions,
        // their failure tolerance (0 % unless set), readers, writers and batching would all be wrong.
        const fields = DISTRIBUTED_ONLY_FIELDS.filter((field) => state[field] !== undefined);
        throw new Error(
          `LocalWorkflowRunner cannot faithfully run state '${name}' of state machine '${machine}': Distributed Map` +
            (fields.length > 0 ? ` with ${fields.join(', ')}` : '') +
            ' (aws-local-stepfunctions runs it inline as an ordinary Map, ignoring child executions, item readers, result writers, batching and failure tolerance). Test the inline mode, or assert the template.',
        );
      }
    }
  });
}

/**
 * Analyses a (resolved) definition: classifies tasks and prepares the JSON handed to the interpreter.
 *
 * Rewrites: every Task without `TimeoutSeconds`/`TimeoutSecondsPath` gets the largest timer-safe
 * timeout (the interpreter otherwise imposes 60 s, while Step Functions has no default task timeout),
 * and timeouts above what a Node timer holds are clamped (they would otherwise fire after 1 ms).
 */
export function analyseDefinition(def: AslDefinition, machine: string): AnalysedDefinition {
  assertSupported(def, machine);
  const prepared = JSON.parse(JSON.stringify(def)) as AslDefinition & { TimeoutSeconds?: number; QueryLanguage?: string };
  if (typeof prepared.TimeoutSeconds === 'number' && prepared.TimeoutSeconds > MAX_TIMER_SECONDS) {
    prepared.TimeoutSeconds = MAX_TIMER_SECONDS;
  }
  const tasks = new Map<string, TaskSpec>();
  const states = new Map<string, AslState>();
  const waitStates: string[] = [];
  const retryStates: string[] = [];
  const stripQueryLanguage = (d: Record<string, unknown>): void => {
    if (d.QueryLanguage === 'JSONPath') delete d.QueryLanguage;
  };
  stripQueryLanguage(prepared);
  forEachState(prepared, (name, state) => {
    if (states.has(name)) {
      throw new Error(
        `LocalWorkflowRunner: state machine '${machine}' has two states named '${name}'; the runner identifies steps by state name, so names must be unique`,
      );
    }
    const s = state as Record<string, unknown>;
    stripQueryLanguage(s);
    // `ResultPath: "$"` means the default (the result replaces the input); the interpreter would
    // write it under a literal "$" key instead, so the field is dropped.
    if (s.ResultPath === '$') delete s.ResultPath;
    states.set(name, state);
    if (state.Type === 'Choice') rewriteNegatedTypeTests(s);
    if (state.Type === 'Wait') waitStates.push(name);
    if (Array.isArray(state.Retry)) retryStates.push(name);
    if (state.Type === 'Task') {
      if (s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined) {
        s.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (typeof s.TimeoutSeconds === 'number' && s.TimeoutSeconds > MAX_TIMER_SECONDS) {
        s.TimeoutSeconds = MAX_TIMER_SECONDS;
      }
      const resource = String(state.Resource);
      tasks.set(name, { name, resource, state, task: classifyResource(resource) });
    }
  });
  return { preparedJson: JSON.stringify(prepared), tasks, states, waitStates, retryStates };
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
