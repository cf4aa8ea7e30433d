/**
 * Benchmark of the CheckpointedWorkflow pattern.
 *
 *   npx tsx bench/checkpoint.bench.ts
 *
 * For a chain, a diamond, a wide fan and a DAG that is not series-parallel (an "N" shape), each step
 * sleeps a fixed simulated duration (20 to 50 ms). Measured with the local runner (dynalite for the
 * checkpoint writes):
 * - makespan of the checkpointed workflow vs the DAG's critical path (the least possible makespan);
 * - the same steps WITHOUT checkpointing, hand-written with plain aws-cdk-lib states in the same
 *   chain/Parallel structure: makespan and transitions, and the ratios.
 * Prints the figures and writes them to bench/results/checkpoint.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CheckpointedWorkflow, Step, WorkflowFunction } from '../src';
import { LocalWorkflowRunner, TaskHandler } from '../src/testing';
import { baselineMachine } from '../test/patterns/checkpoint/baseline';
import { FakeClock, stepHandlers } from '../test/patterns/checkpoint/helpers';
import { median } from './util';

const REPEATS = 7;

interface Shape {
  readonly name: string;
  readonly dependsOn: Record<string, string[]>;
  /** Durations (ms) overriding the default ones. */
  readonly durations?: Record<string, number>;
}

const fan = (width: number): Record<string, string[]> => {
  const deps: Record<string, string[]> = { Split: [] };
  const ws = Array.from({ length: width }, (_, i) => `W${i + 1}`);
  ws.forEach((w) => (deps[w] = ['Split']));
  deps.Join = ws;
  return deps;
};

const SHAPES: Shape[] = [
  { name: 'chain', dependsOn: { C1: [], C2: ['C1'], C3: ['C2'], C4: ['C3'], C5: ['C4'] } },
  { name: 'diamond', dependsOn: { A: [], B: ['A'], C: ['A'], D: ['B', 'C'] } },
  { name: 'wide fan', dependsOn: fan(12) },
  // not series-parallel: the planner adds "D waits for A"; A and D are the long steps, so it costs
  { name: 'N shape', dependsOn: { A: [], B: [], C: ['A', 'B'], D: ['B'] }, durations: { A: 50, B: 20, C: 20, D: 50 } },
];

let overrides: Record<string, number> = {};

/** A fixed duration per step, 20 to 50 ms, deterministic. */
function durationOf(step: string): number {
  if (overrides[step] !== undefined) return overrides[step];
  let h = 7;
  for (const c of step) h = (h * 31 + c.charCodeAt(0)) % 1009;
  return 20 + (h % 31);
}

function criticalPath(deps: Record<string, string[]>): number {
  const memo = new Map<string, number>();
  const finish = (s: string): number => {
    if (!memo.has(s)) memo.set(s, durationOf(s) + Math.max(0, ...deps[s].map(finish)));
    return memo.get(s)!;
  };
  return Math.max(...Object.keys(deps).map(finish));
}


const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(runner: LocalWorkflowRunner, prefix: string): Promise<{ makespanMs: number; transitions: number }> {
  const makespans: number[] = [];
  let transitions = 0;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const r = await runner.run({ id: `${prefix}-${i}` });
    makespans.push(performance.now() - started);
    if (r.status !== 'SUCCEEDED') throw new Error(`${prefix}: ${r.status} ${r.error} ${r.cause}`);
    transitions = r.transitions;
  }
  return { makespanMs: median(makespans), transitions };
}

async function main(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const shape of SHAPES) {
    overrides = shape.durations ?? {};
    const stack = new Stack(new App(), `Bench${shape.name.replace(/\W/g, '')}`, { env: { account: '123456789012', region: 'us-east-1' } });
    const fn = new WorkflowFunction(stack, 'Fn', { code: lambda.Code.fromInline('exports.handler = async (e) => e;') });
    const names = Object.keys(shape.dependsOn);
    const workflow = new CheckpointedWorkflow(stack, 'Wf', {
      keyPath: '$.id',
      steps: names.map((n) => ({ step: Step.lambda(n, fn), dependsOn: shape.dependsOn[n] })),
    });
    const baseline = baselineMachine(stack, 'Baseline', fn.alias, shape.dependsOn);
    const impl = async (step: string) => {
      await sleep(durationOf(step));
      return { step };
    };
    const clock = new FakeClock();
    let ckptRunner: LocalWorkflowRunner;
    ckptRunner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => ckptRunner, clock, impl, new Map()) });
    const baseHandlers: Record<string, TaskHandler> = Object.fromEntries(names.map((n) => [n, () => impl(n)]));
    const baseRunner = await LocalWorkflowRunner.create(baseline, { handlers: baseHandlers });
    try {
      await ckptRunner.run({ id: 'warm-up' });
      await baseRunner.run({ id: 'warm-up' });
      const ckpt = await measure(ckptRunner, 'ckpt');
      const base = await measure(baseRunner, 'base');
      const cp = criticalPath(shape.dependsOn);
      const row = {
        shape: shape.name,
        steps: names.length,
        plan: workflow.executionPlan,
        criticalPathMs: cp,
        sumOfDurationsMs: names.reduce((s, n) => s + durationOf(n), 0),
        checkpointedMakespanMs: round(ckpt.makespanMs),
        baselineMakespanMs: round(base.makespanMs),
        makespanOverCriticalPath: round(ckpt.makespanMs / cp),
        baselineMakespanOverCriticalPath: round(base.makespanMs / cp),
        checkpointedOverBaselineMakespan: round(ckpt.makespanMs / base.makespanMs),
        checkpointedTransitions: ckpt.transitions,
        baselineTransitions: base.transitions,
        extraTransitions: ckpt.transitions - base.transitions,
        extraTransitionsPerStep: round((ckpt.transitions - base.transitions) / names.length),
      };
      rows.push(row);
      console.log(`${shape.name.padEnd(9)} N=${String(names.length).padStart(2)}  plan ${row.plan}`);
      console.log(`          critical path ${cp} ms | makespan checkpointed ${row.checkpointedMakespanMs} ms (x${row.makespanOverCriticalPath}), ` +
        `baseline ${row.baselineMakespanMs} ms (x${row.baselineMakespanOverCriticalPath}) | checkpointed/baseline x${row.checkpointedOverBaselineMakespan}`);
      console.log(`          transitions checkpointed ${ckpt.transitions}, baseline ${base.transitions}: +${row.extraTransitions} (= N + 3: ${row.extraTransitions === names.length + 3})`);
    } finally {
      await ckptRunner.close();
      await baseRunner.close();
    }
  }
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'checkpoint.json'), JSON.stringify({ repeats: REPEATS, node: process.version, rows }, null, 2) + '\n');
  console.log(`wrote ${path.join(out, 'checkpoint.json')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
