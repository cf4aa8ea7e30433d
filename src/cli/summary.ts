/**
 * `summary`: what each workflow of a cloud assembly deploys and what it costs, read from the
 * synthesized templates only (no AWS account needed).
 */
import type { AssemblyWorkflow, AslDefinition, AslState } from './assembly';
import { placeholderTarget, readableName, referencedIds, resourceName } from './assembly';
import { costReport } from '../testing/cost-report';
import type { CostReport } from '../testing/cost-report';
import type { ExecutionRecord, RunResult } from '../testing/types';

/** Assumed duration of one Task state of an Express execution, for the Express duration charge. */
export const ASSUMED_EXPRESS_TASK_MS = 100;

/** A Lambda function a workflow invokes. */
export interface FunctionSummary {
  /** Readable name (`Function:alias`). */
  readonly name: string;
  /** Logical id of the `AWS::Lambda::Function`. */
  readonly functionLogicalId?: string;
  /** The alias or version invoked, if any. */
  readonly qualifier?: string;
  /** Provisioned concurrent executions of that alias/version (0: none). */
  readonly provisionedConcurrency: number;
}

/** A CloudWatch alarm watching a workflow, its functions or its tables. */
export interface AlarmSummary {
  readonly logicalId: string;
  /** Metric name (a math expression: the metrics it combines, joined by `+`). */
  readonly metric: string;
  /** The alarm's description, if any. */
  readonly description?: string;
  /** What the alarm notifies (AlarmActions, readable); empty: nobody. */
  readonly actions: readonly string[];
}

/** The happy path of one state machine: from the start to success, first matching Choice branch that can succeed. */
export interface HappyPath {
  /** States entered, in order (Map/Parallel bodies once). */
  readonly states: readonly string[];
  /** Transitions of one execution with no Map item: states entered outside Map bodies. */
  readonly transitions: number;
  /** Transitions per Map item (summed over the Map states on the path). */
  readonly transitionsPerItem: number;
  /** Child state machines (logical ids) the path starts. */
  readonly children: readonly string[];
  /** Task states on the path (for the Express duration assumption). */
  readonly tasks: number;
}

/** Summary of one workflow. */
export interface WorkflowSummary {
  readonly name: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** Every state, Map/Parallel bodies included. */
  readonly states: number;
  readonly functions: readonly FunctionSummary[];
  readonly alarms: readonly AlarmSummary[];
  /** Undefined when no path reaches success. */
  readonly happyPath?: HappyPath;
  /** Cost estimate of one happy-path execution (children included). */
  readonly cost?: CostReport;
  /** The Map items per execution the estimate assumes. */
  readonly itemsAssumed: number;
}

function countStates(def: AslDefinition): number {
  let n = 0;
  for (const state of Object.values(def.States ?? {})) {
    n++;
    for (const branch of (state.Branches ?? []) as AslDefinition[]) n += countStates(branch);
    const body = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (body) n += countStates(body);
  }
  return n;
}

function forEachState(def: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    visit(name, state);
    for (const branch of (state.Branches ?? []) as AslDefinition[]) forEachState(branch, visit);
    const body = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (body) forEachState(body, visit);
  }
}

const CHILD_RESOURCE = /states:::(states:startExecution|aws-sdk:sfn:start(Sync)?Execution)/;

/**
 * The happy path of a definition: from `StartAt`, follow `Next`; at a Choice take the first rule
 * (then `Default`) from which success can be reached; a Fail state is not success. Map bodies are
 * counted per item, Parallel branches all once.
 */
export function happyPath(def: AslDefinition): HappyPath | undefined {
  interface Walk { states: string[]; perItem: number; inMap: number; children: string[]; tasks: number }
  const walk = (d: AslDefinition, start: string, seen: Set<string>): Walk | undefined => {
    const states: string[] = [];
    let perItem = 0;
    let inMap = 0;
    let tasks = 0;
    const children: string[] = [];
    let name: string | undefined = start;
    const local = new Set(seen);
    while (name !== undefined) {
      if (local.has(name)) return undefined; // a loop: not a straight path
      local.add(name);
      const state: AslState | undefined = d.States[name];
      if (!state) return undefined;
      states.push(name);
      if (state.Type === 'Fail') return undefined;
      if (state.Type === 'Succeed') break;
      if (state.Type === 'Task') {
        tasks++;
        const params = (state.Parameters ?? {}) as Record<string, unknown>;
        if (CHILD_RESOURCE.test(String(state.Resource))) {
          const child = placeholderTarget(params.StateMachineArn);
          if (child) children.push(child);
        }
      }
      if (state.Type === 'Parallel') {
        for (const branch of (state.Branches ?? []) as AslDefinition[]) {
          const inner = walk(branch, branch.StartAt, new Set());
          if (!inner) return undefined;
          states.push(...inner.states);
          perItem += inner.perItem;
          tasks += inner.tasks;
          children.push(...inner.children);
        }
      }
      if (state.Type === 'Map') {
        const body = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
        if (body) {
          const inner = walk(body, body.StartAt, new Set());
          if (!inner) return undefined;
          states.push(...inner.states);
          // states inside a Map body are billed once per item
          perItem += inner.states.length - inner.inMap + inner.perItem;
          tasks += inner.tasks;
          children.push(...inner.children);
          inMap += inner.states.length;
        }
      }
      if (state.Type === 'Choice') {
        const rules = (state.Choices ?? []) as Array<{ Next: string }>;
        const candidates = [...rules.map((c) => c.Next), ...(state.Default ? [String(state.Default)] : [])];
        for (const next of candidates) {
          const rest = walk(d, next, local);
          if (rest) {
            return {
              states: [...states, ...rest.states],
              perItem: perItem + rest.perItem,
              inMap: inMap + rest.inMap,
              children: [...children, ...rest.children],
              tasks: tasks + rest.tasks,
            };
          }
        }
        return undefined;
      }
      if (state.End === true) break;
      name = state.Next === undefined ? undefined : String(state.Next);
    }
    return { states, perItem, inMap, children, tasks };
  };
  const path = walk(def, def.StartAt, new Set());
  if (!path) return undefined;
  return {
    states: path.states,
    transitions: path.states.length - path.inMap,
    transitionsPerItem: path.perItem,
    children: [...new Set(path.children)],
    tasks: path.tasks,
  };
}

function lambdaTargets(workflow: AssemblyWorkflow): string[] {
  const ids = new Set<string>();
  forEachState(workflow.definition, (_name, state) => {
    if (state.Type !== 'Task') return;
    const resource = String(state.Resource ?? '');
    const params = (state.Parameters ?? {}) as Record<string, unknown>;
    const target = /states:::lambda:invoke/.test(resource) ? placeholderTarget(params.FunctionName) : !/states:::/.test(resource) ? placeholderTarget(resource) : undefined;
    if (target) ids.add(target);
  });
  return [...ids];
}

function functionSummary(workflow: AssemblyWorkflow, id: string): FunctionSummary {
  const resources = workflow.template.Resources ?? {};
  const r = resources[id];
  if (r?.Type === 'AWS::Lambda::Alias' || r?.Type === 'AWS::Lambda::Version') {
    const fnId = [...referencedIds(r.Properties?.FunctionName)][0];
    const config = r.Properties?.ProvisionedConcurrencyConfig as { ProvisionedConcurrentExecutions?: number } | undefined;
    const pc = config?.ProvisionedConcurrentExecutions ?? 0;
    return {
      name: resourceName(workflow.template, id),
      functionLogicalId: fnId,
      qualifier: typeof r.Properties?.Name === 'string' ? r.Properties.Name : r.Type === 'AWS::Lambda::Version' ? 'version' : undefined,
      provisionedConcurrency: pc,
    };
  }
  return { name: resourceName(workflow.template, id), functionLogicalId: r ? id : undefined, provisionedConcurrency: 0 };
}

function alarmsOf(workflow: AssemblyWorkflow, watched: Set<string>): AlarmSummary[] {
  const out: AlarmSummary[] = [];
  for (const [id, r] of Object.entries(workflow.template.Resources ?? {})) {
    if (r.Type !== 'AWS::CloudWatch::Alarm' && r.Type !== 'AWS::CloudWatch::CompositeAlarm') continue;
    const props = r.Properties ?? {};
    const refs = referencedIds({ Dimensions: props.Dimensions, Metrics: props.Metrics, AlarmRule: props.AlarmRule });
    if (![...refs].some((ref) => watched.has(ref))) continue;
    // A Metrics Insights alarm (one per metric across the workflow's functions) names its metric in the query.
    const insights = /SELECT\s+\w+\((\w+)\)\s+FROM\s+SCHEMA\(\\?"([^"\\]+)/.exec(JSON.stringify(props.Metrics ?? []));
    const metric = typeof props.MetricName === 'string' ? props.MetricName
      : insights ? `${insights[1]} per function (${insights[2]})`
        : ((props.Metrics ?? []) as Array<{ MetricStat?: { Metric?: { MetricName?: string } } }>).map((m) => m.MetricStat?.Metric?.MetricName).filter(Boolean).join('+') || r.Type.split('::')[2];
    const actions = ((props.AlarmActions ?? []) as unknown[]).map((a) => {
      const target = [...referencedIds(a)][0];
      return target ? resourceName(workflow.template, target) : typeof a === 'string' ? a : JSON.stringify(a);
    });
    out.push({ logicalId: id, metric, description: typeof props.AlarmDescription === 'string' ? props.AlarmDescription : undefined, actions });
  }
  return out;
}

/** Options of {@link summarize}. */
export interface SummaryOptions {
  /** Map items per execution assumed by the cost estimate. Default: 1. */
  readonly items?: number;
}

/** Summarizes every workflow of an assembly (children are costed with the parent that starts them). */
export function summarize(workflows: readonly AssemblyWorkflow[], options: SummaryOptions = {}): WorkflowSummary[] {
  const items = options.items ?? 1;
  const paths = new Map<AssemblyWorkflow, HappyPath | undefined>();
  const pathOf = (w: AssemblyWorkflow): HappyPath | undefined => {
    if (!paths.has(w)) paths.set(w, happyPath(w.definition));
    return paths.get(w);
  };
  return workflows.map((w) => {
    const fnIds = lambdaTargets(w);
    const functions = fnIds.map((id) => functionSummary(w, id));
    const watched = new Set<string>([w.logicalId, ...fnIds, ...functions.map((f) => f.functionLogicalId).filter((x): x is string => !!x)]);
    forEachState(w.definition, (_n, state) => {
      // tables and other resources the steps call (a child state machine has its own summary and alarms)
      for (const ref of JSON.stringify(state.Parameters ?? {}).matchAll(/\$\{(?:Ref|GetAtt):([^}.]+)/g)) {
        if (w.template.Resources?.[ref[1]]?.Type !== 'AWS::StepFunctions::StateMachine') watched.add(ref[1]);
      }
    });
    const path = pathOf(w);
    let cost: CostReport | undefined;
    if (path) {
      const executions: ExecutionRecord[] = [];
      const durations: Record<string, number> = {};
      const add = (machine: AssemblyWorkflow, p: HappyPath, depth: number): void => {
        const transitions = p.transitions + p.transitionsPerItem * items;
        executions.push({
          stateMachine: machine.logicalId,
          type: machine.type,
          name: 'happy-path',
          executionArn: '',
          status: 'SUCCEEDED',
          transitions,
          durationMs: 0,
          statesEntered: p.states,
          input: undefined,
        });
        durations[machine.logicalId] = Math.max(1, p.tasks) * ASSUMED_EXPRESS_TASK_MS;
        if (depth > 5) return;
        for (const childId of p.children) {
          const child = workflows.find((c) => c.logicalId === childId && c.template === machine.template);
          const childPath = child && pathOf(child);
          if (child && childPath) add(child, childPath, depth + 1);
        }
      };
      add(w, path, 0);
      const run = { status: 'SUCCEEDED', executions, statesEntered: path.states, transitions: executions[0].transitions } as unknown as RunResult;
      cost = costReport(run, { label: w.name, expressDurationMs: durations });
    }
    return {
      name: w.name,
      stack: w.stack,
      logicalId: w.logicalId,
      type: w.type,
      states: countStates(w.definition),
      functions,
      alarms: alarmsOf(w, watched),
      happyPath: path,
      cost,
      itemsAssumed: items,
    };
  });
}

function money(usd: number): string {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Renders summaries as text. */
export function formatSummary(summaries: readonly WorkflowSummary[]): string {
  const lines: string[] = [];
  for (const s of summaries) {
    lines.push(`${s.name}  [${s.type}]  ${s.states} states  (${s.stack}, ${s.logicalId})`);
    if (s.functions.length === 0) {
      lines.push('  functions: none');
    } else {
      const withPc = s.functions.filter((f) => f.provisionedConcurrency > 0);
      lines.push(`  functions: ${s.functions.length}, ${withPc.length} with provisioned concurrency`);
      for (const f of s.functions) {
        lines.push(`    ${f.name}  provisioned concurrency ${f.provisionedConcurrency > 0 ? f.provisionedConcurrency : `none${f.qualifier ? '' : ' (unqualified ARN: provisioned concurrency cannot apply)'}`}`);
      }
    }
    const notifying = s.alarms.filter((a) => a.actions.length > 0);
    if (s.alarms.length === 0) {
      lines.push('  alarms: none');
    } else {
      lines.push(`  alarms: ${s.alarms.length}, ${notifying.length === 0 ? 'none notifies anyone (no AlarmActions)' : `${notifying.length} notify someone`}`);
      const byMetric = new Map<string, { count: number; actions: Set<string> }>();
      for (const a of s.alarms) {
        const e = byMetric.get(a.metric) ?? { count: 0, actions: new Set<string>() };
        e.count++;
        for (const x of a.actions) e.actions.add(x);
        byMetric.set(a.metric, e);
      }
      for (const [metric, e] of byMetric) {
        lines.push(`    ${metric}${e.count > 1 ? ` x${e.count}` : ''} -> ${e.actions.size > 0 ? [...e.actions].join(', ') : 'nobody'}`);
      }
    }
    if (s.happyPath) {
      const p = s.happyPath;
      lines.push(`  happy path: ${p.transitions} transitions${p.transitionsPerItem > 0 ? ` + ${p.transitionsPerItem} per Map item` : ''}: ${p.states.join(' > ')}`);
      for (const child of p.children) lines.push(`    starts child ${readableName(child)} (${child})`);
    } else {
      lines.push('  happy path: none (no path from the start reaches success)');
    }
    if (s.cost) {
      const c = s.cost;
      const parts = [`${c.standardTransitions} Standard transitions`];
      if (c.expressRequests > 0) parts.push(`${c.expressRequests} Express request(s), ${c.expressGbSeconds.toFixed(4)} GB-s (assumed ${ASSUMED_EXPRESS_TASK_MS} ms per Task state, 64 MB)`);
      lines.push(`  estimated cost: ${money(c.usdPerMillion)} per million executions (${parts.join(' + ')}${s.happyPath && s.happyPath.transitionsPerItem > 0 ? `, ${s.itemsAssumed} Map item(s)` : ''})`);
    }
    lines.push('');
  }
  const prices = summaries.find((s) => s.cost)?.cost?.prices;
  if (prices) {
    lines.push(`Prices: ${prices.region} on-demand, ${prices.source} (checked ${prices.checked}); happy path only (no retries, no failures), free tier, Lambda, DynamoDB, CloudWatch and X-Ray charges excluded.`);
  }
  return lines.join('\n');
}
