/**
 * The graph of a synthesized state machine, read back from its ASL (not from the constructs), for
 * the Mermaid and Graphviz renderers.
 *
 * Edges follow the Amazon States Language (https://states-language.net/spec.html and
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html):
 * `Next`, a Choice state's `Choices[].Next` and `Default`, a `Catch[].Next` (error handling: in a
 * saga these are the compensation paths), `End`, and the `StartAt` of the machine and of every
 * Parallel branch / Map item processor (drawn as nested subgraphs).
 */

/** An ASL state, loosely typed. */
type State = Record<string, unknown> & { readonly Type: string };
/** An ASL definition or a Map/Parallel body. */
interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
}

/** What a node stands for (drives its shape and colour). */
export type NodeKind =
  | 'lambda' | 'child' | 'dynamodb' | 'task'
  | 'choice' | 'pass' | 'wait' | 'succeed' | 'fail'
  | 'map' | 'parallel'
  | 'start' | 'end';

/** One node: a state of the ASL, or the start/end marker. */
export interface DiagramNode {
  /** Renderer id (`n0`, `n1`, ... ; `wf_start`, `wf_end` for the markers). */
  readonly id: string;
  /** The state name (or `start` / `end` for markers). */
  readonly name: string;
  /** The ASL `Type` (or `Marker`). */
  readonly type: string;
  readonly kind: NodeKind;
  /** Second label line (e.g. `Lambda ReserveFunds:live`, `child EXPRESS, waits`). */
  readonly detail?: string;
  /** Id of the scope (Map/Parallel body) holding it; absent at top level. */
  readonly scope?: string;
}

/** A Map/Parallel body (or one Parallel branch), drawn as a subgraph. */
export interface DiagramScope {
  readonly id: string;
  readonly label: string;
  readonly kind: 'map' | 'parallel' | 'branch';
  /** The enclosing scope, absent at top level. */
  readonly parent?: string;
  /** Node id of the Map/Parallel state owning this scope. */
  readonly owner: string;
}

/** Edge kinds: the ASL field it comes from. */
export type EdgeKind = 'start' | 'next' | 'choice' | 'default' | 'catch' | 'end';

/** One transition of the ASL. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
  /** True when `from` is a Map/Parallel state (renderers draw it from the body's boundary). */
  readonly fromScope?: boolean;
}

/** The graph of one state machine. */
export interface WorkflowGraph {
  readonly title: string;
  readonly nodes: readonly DiagramNode[];
  readonly scopes: readonly DiagramScope[];
  readonly edges: readonly DiagramEdge[];
}

/** How to name what a task calls (e.g. resolve an alias placeholder to its function). */
export interface GraphOptions {
  /** Title of the diagram. Default: 'state machine'. */
  readonly title?: string;
  /** Names the target of a `${Ref:Id}` / `${GetAtt:Id.Attr}` placeholder. Default: the logical id. */
  readonly nameOf?: (logicalId: string) => string;
}

const CHILD_RESOURCE = /states:::(states:startExecution(\.sync:2|\.sync|\.waitForTaskToken)?|aws-sdk:sfn:(startExecution|startSyncExecution))$/;

function placeholderId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /\$\{(?:Ref:([^}.]+)|GetAtt:([^}.]+)\.[^}]+)\}/.exec(value);
  if (m) return m[1] ?? m[2];
  const arn = /:(?:function|stateMachine):([^:]+)/.exec(value);
  return arn ? arn[1] : undefined;
}

/** Kind and second label line of a state. */
export function describeState(state: State, nameOf: (id: string) => string = (id) => id): { kind: NodeKind; detail?: string } {
  const params = (state.Parameters ?? {}) as Record<string, unknown>;
  switch (state.Type) {
    case 'Task': {
      const resource = String(state.Resource ?? '');
      const child = CHILD_RESOURCE.exec(resource);
      if (child) {
        const target = placeholderId(params.StateMachineArn);
        const mode = child[3] === 'startSyncExecution' ? 'sync Express call'
          : child[2] === '.sync:2' || child[2] === '.sync' ? 'waits for it'
            : child[2] === '.waitForTaskToken' ? 'waits for a callback' : 'fire and forget';
        return { kind: 'child', detail: `child workflow ${target ? nameOf(target) : (params['StateMachineArn.$'] ? 'from input' : '?')}, ${mode}` };
      }
      const invoke = /states:::lambda:invoke/.test(resource);
      if (invoke || (!/states:::/.test(resource) && (/:lambda:/.test(resource) || /^\$\{(Ref|GetAtt):/.test(resource)))) {
        const target = placeholderId(invoke ? params.FunctionName : resource);
        return { kind: 'lambda', detail: target ? `Lambda ${nameOf(target)}` : 'Lambda' };
      }
      const sdk = /states:::(?:aws-sdk:)?([a-z0-9]+):([A-Za-z.:]+)$/.exec(resource);
      if (sdk && sdk[1] === 'dynamodb') return { kind: 'dynamodb', detail: `DynamoDB ${sdk[2]}` };
      if (sdk) return { kind: 'task', detail: `${sdk[1]} ${sdk[2]}` };
      return { kind: 'task', detail: 'Task' };
    }
    case 'Choice': return { kind: 'choice', detail: 'Choice' };
    case 'Pass': return { kind: 'pass', detail: 'Pass' };
    case 'Wait': return { kind: 'wait', detail: 'Wait' };
    case 'Succeed': return { kind: 'succeed', detail: 'Succeed' };
    case 'Fail': return { kind: 'fail', detail: typeof state.Error === 'string' ? `Fail ${state.Error}` : 'Fail' };
    case 'Parallel': return { kind: 'parallel', detail: `Parallel, ${(state.Branches as unknown[] | undefined)?.length ?? 0} branches` };
    case 'Map': {
      const processor = (state.ItemProcessor ?? {}) as { ProcessorConfig?: { Mode?: string; ExecutionType?: string } };
      const mode = processor.ProcessorConfig?.Mode === 'DISTRIBUTED' ? `distributed, ${processor.ProcessorConfig.ExecutionType ?? 'STANDARD'} children` : 'inline';
      const max = typeof state.MaxConcurrency === 'number' && state.MaxConcurrency > 0 ? `, max ${state.MaxConcurrency}` : '';
      return { kind: 'map', detail: `Map, ${mode}${max}` };
    }
    default: return { kind: 'task', detail: state.Type };
  }
}

const OPERATORS: Record<string, string> = {
  StringEquals: '=',
  NumericEquals: '=',
  BooleanEquals: '=',
  TimestampEquals: '=',
  StringLessThan: '<',
  NumericLessThan: '<',
  TimestampLessThan: '<',
  StringGreaterThan: '>',
  NumericGreaterThan: '>',
  TimestampGreaterThan: '>',
  StringLessThanEquals: '<=',
  NumericLessThanEquals: '<=',
  TimestampLessThanEquals: '<=',
  StringGreaterThanEquals: '>=',
  NumericGreaterThanEquals: '>=',
  TimestampGreaterThanEquals: '>=',
  StringMatches: 'matches',
};

function lastSegment(jsonPath: unknown): string {
  const text = String(jsonPath);
  const parts = text.replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => p && p !== '$');
  const last = parts.slice(-1)[0] ?? text;
  // an array element reads better with its array: `partners[0]`
  return /^\d+$/.test(last) && parts.length > 1 ? `${parts[parts.length - 2]}[${last}]` : last;
}

/** A checkpoint's "step done" flag (`$.checkpoint.done.<step>`): its presence means the step is done. */
function isDoneFlag(jsonPath: unknown): boolean {
  return /\.done\.[^.]+$/.test(String(jsonPath));
}

/** A short, readable form of a Choice rule (e.g. `Send_notification absent`, `failedScaled > allowedScaled`). */
export function describeRule(rule: Record<string, unknown>): string {
  if (Array.isArray(rule.And)) return (rule.And as Array<Record<string, unknown>>).map(describeRule).join(' and ');
  if (Array.isArray(rule.Or)) return (rule.Or as Array<Record<string, unknown>>).map(describeRule).join(' or ');
  if (rule.Not && typeof rule.Not === 'object') {
    const inner = rule.Not as Record<string, unknown>;
    if (inner.IsPresent === true && !inner.And && !inner.Or) return `${lastSegment(inner.Variable)} ${isDoneFlag(inner.Variable) ? 'not done' : 'absent'}`;
    return `not (${describeRule(inner)})`;
  }
  const variable = lastSegment(rule.Variable);
  for (const test of ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp']) {
    if (rule[test] !== undefined) {
      const what = test === 'IsPresent' ? (isDoneFlag(rule.Variable) ? 'done' : 'present') : test.slice(2).toLowerCase();
      return rule[test] === true ? `${variable} ${what}` : `${variable} not ${what}`;
    }
  }
  for (const [op, symbol] of Object.entries(OPERATORS)) {
    if (rule[op] !== undefined) return `${variable} ${symbol} ${JSON.stringify(rule[op])}`;
    if (rule[`${op}Path`] !== undefined) return `${variable} ${symbol} ${lastSegment(rule[`${op}Path`])}`;
  }
  return 'rule';
}

function shorten(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeErrors(errors: unknown): string {
  const list = Array.isArray(errors) ? errors.map(String) : [];
  if (list.length === 1 && list[0] === 'States.ALL') return 'on any error';
  return shorten(`on ${list.join(', ')}`);
}

/** Builds the graph of a definition. */
export function buildGraph(definition: Definition, options: GraphOptions = {}): WorkflowGraph {
  const nameOf = options.nameOf ?? ((id: string) => id);
  const nodes: DiagramNode[] = [];
  const scopes: DiagramScope[] = [];
  const edges: DiagramEdge[] = [];
  let counter = 0;
  nodes.push({ id: 'wf_start', name: 'start', type: 'Marker', kind: 'start' });

  const visit = (def: Definition, scope: string | undefined, topLevel: boolean): Map<string, string> => {
    const ids = new Map<string, string>();
    for (const name of Object.keys(def.States ?? {})) ids.set(name, `n${counter++}`);
    const target = (name: unknown): string => {
      const id = ids.get(String(name));
      if (!id) throw new Error(`the definition refers to state '${String(name)}', which is not in its scope`);
      return id;
    };
    for (const [name, state] of Object.entries(def.States ?? {})) {
      const id = ids.get(name)!;
      const { kind, detail } = describeState(state, nameOf);
      nodes.push({ id, name, type: state.Type, kind, detail, scope });
      const isScope = state.Type === 'Map' || state.Type === 'Parallel';
      if (isScope) {
        const body = `${id}_body`;
        scopes.push({ id: body, label: `${name} (${detail})`, kind: state.Type === 'Map' ? 'map' : 'parallel', parent: scope, owner: id });
        if (state.Type === 'Map') {
          const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
          if (processor) {
            const inner = visit(processor, body, false);
            edges.push({ from: id, to: inner.get(processor.StartAt)!, kind: 'start', label: 'each item' });
          }
        } else {
          (state.Branches as Definition[] ?? []).forEach((branch, i) => {
            const branchScope = `${id}_b${i}`;
            scopes.push({ id: branchScope, label: `branch ${i + 1}`, kind: 'branch', parent: body, owner: id });
            const inner = visit(branch, branchScope, false);
            edges.push({ from: id, to: inner.get(branch.StartAt)!, kind: 'start', label: `branch ${i + 1}` });
          });
        }
      }
      if (state.Type === 'Choice') {
        for (const rule of (state.Choices ?? []) as Array<Record<string, unknown>>) {
          edges.push({ from: id, to: target(rule.Next), kind: 'choice', label: shorten(describeRule(rule)) });
        }
        if (state.Default !== undefined) edges.push({ from: id, to: target(state.Default), kind: 'default', label: 'otherwise' });
      }
      if (state.Next !== undefined) edges.push({ from: id, to: target(state.Next), kind: 'next', fromScope: isScope || undefined });
      for (const c of (state.Catch ?? []) as Array<Record<string, unknown>>) {
        edges.push({ from: id, to: target(c.Next), kind: 'catch', label: describeErrors(c.ErrorEquals), fromScope: isScope || undefined });
      }
      if (topLevel && (state.End === true || state.Type === 'Succeed')) {
        edges.push({ from: id, to: 'wf_end', kind: 'end', fromScope: isScope || undefined });
      }
    }
    return ids;
  };
  const top = visit(definition, undefined, true);
  edges.unshift({ from: 'wf_start', to: top.get(definition.StartAt) ?? 'wf_end', kind: 'start' });
  nodes.push({ id: 'wf_end', name: 'end', type: 'Marker', kind: 'end' });
  return { title: options.title ?? 'state machine', nodes, scopes, edges };
}

/**
 * The nodes of each scope (undefined: the top level), and for each Map/Parallel state the scope
 * of its body, which the renderers draw around it.
 */
export function scopeIndex(graph: WorkflowGraph): { byScope: Map<string | undefined, DiagramNode[]>; ownerScope: Map<string, string> } {
  const byScope = new Map<string | undefined, DiagramNode[]>();
  for (const n of graph.nodes) {
    const list = byScope.get(n.scope) ?? [];
    list.push(n);
    byScope.set(n.scope, list);
  }
  const ownerScope = new Map<string, string>();
  for (const s of graph.scopes) {
    if (s.kind !== 'branch') ownerScope.set(s.owner, s.id);
  }
  return { byScope, ownerScope };
}
