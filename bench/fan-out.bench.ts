/**
 * Benchmark of the FanOutFanIn pattern (inline mode) in the local runner.
 *
 *   npx tsx bench/fan-out.bench.ts
 *
 * For N = 1,000 and 10,000 items, measured in the same process against a hand-written baseline:
 * a plain aws-cdk-lib inline `Map` (ItemsPath $.items, MaxConcurrency 40) whose iterator is the
 * same `LambdaInvoke` (payloadResponseOnly, same alias), results at $.fanOut, nothing else.
 *
 * - local-runner wall time of one execution (median of RUNS), FanOutFanIn without and with a
 *   tolerance (per-item Catch, failure count and tolerance check), and the baseline;
 * - state transitions and states entered, as the runner counts them;
 * - what AWS would say: estimated Standard history events (the pattern's formula) against the
 *   25,000-event limit, and the output size against the 256 KiB payload limit. The runner enforces
 *   the history limit as AWS does: at 10,000 items an inline Map (ours or the baseline) fails with
 *   States.Runtime, and the bench reports that refusal instead of a time (FanOutMode.DISTRIBUTED,
 *   which AUTO picks for such sizes, is executed over 5,000 items in
 *   test/patterns/fan-out/example-distributed.test.ts);
 * - definition size.
 *
 * Prints the figures and ratios and writes them to bench/results/fan-out.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FanOutFanIn, FanOutMode, Step, WorkflowFunction } from '../src';
import { LocalWorkflowRunner } from '../src/testing';
import { median, round } from './util';

const SIZES = [1_000, 10_000];
const RUNS: Record<number, number> = { 1_000: 5, 10_000: 1 };
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;


function newStack(id: string): Stack {
  return new Stack(new App(), id, { env: { account: '123456789012', region: 'us-east-1' } });
}
function worker(stack: Stack): WorkflowFunction {
  return new WorkflowFunction(stack, 'Worker', { code: lambda.Code.fromInline('exports.handler = async (e) => e;') });
}

function fanOutMachine(tolerance: boolean): FanOutFanIn {
  const stack = newStack(tolerance ? 'FanOutTolerant' : 'FanOutStrict');
  return new FanOutFanIn(stack, 'FanOut', {
    worker: Step.lambda('Process item', worker(stack)),
    mode: FanOutMode.INLINE,
    toleratedFailurePercentage: tolerance ? 5 : undefined,
  });
}

/** The hand-written baseline: an inline Map over the same Lambda task. */
function baselineMachine(): sfn.StateMachine {
  const stack = newStack('Baseline');
  const fn = worker(stack);
  const task = new tasks.LambdaInvoke(stack, 'Process item', { lambdaFunction: fn.alias, payloadResponseOnly: true });
  const map = new sfn.Map(stack, 'Map', { itemsPath: '$.items', maxConcurrency: 40, resultPath: '$.fanOut' });
  map.itemProcessor(task);
  return new sfn.StateMachine(stack, 'Baseline', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
}

function definitionBytes(machine: sfn.StateMachine): number {
  const cfn = machine.node.defaultChild as sfn.CfnStateMachine;
  return JSON.stringify(Stack.of(machine).resolve(cfn.definitionString)).length;
}

interface Measure {
  /** Set when the execution failed as AWS would fail it (e.g. the history limit); no time then. */
  readonly refused?: string;
  readonly medianMs: number;
  readonly msPerItem: number;
  readonly transitions: number;
  readonly statesEntered: number;
  readonly outputBytes: number;
}

async function measure(source: FanOutFanIn | sfn.StateMachine, n: number, handler: (e: any) => unknown): Promise<Measure> {
  const runner = await LocalWorkflowRunner.create(source, { handlers: { 'Process item': async (e: any) => handler(e) } });
  try {
    const items = Array.from({ length: n }, (_, i) => ({ id: `item-${i}` }));
    const times: number[] = [];
    let last: Awaited<ReturnType<LocalWorkflowRunner['run']>> | undefined;
    for (let r = 0; r < RUNS[n]; r++) {
      const started = performance.now();
      last = await runner.run({ items });
      times.push(performance.now() - started);
      if (last.status !== 'SUCCEEDED') {
        if (/maximum number of history events/.test(String(last.cause))) {
          return { refused: `${last.error}: ${last.cause}`, medianMs: NaN, msPerItem: NaN, transitions: last.transitions, statesEntered: last.statesEntered.length, outputBytes: 0 };
        }
        throw new Error(`run failed: ${last.error} ${last.cause}`);
      }
    }
    return {
      medianMs: round(median(times), 1),
      msPerItem: round(median(times) / n, 3),
      transitions: last!.transitions,
      statesEntered: last!.statesEntered.length,
      outputBytes: JSON.stringify(last!.output).length,
    };
  } finally {
    await runner.close();
  }
}

async function main(): Promise<void> {
  const strict = fanOutMachine(false);
  const tolerant = fanOutMachine(true);
  const baseline = baselineMachine();
  const results: Record<string, unknown> = {
    command: 'npx tsx bench/fan-out.bench.ts',
    node: process.version,
    definitionBytes: {
      fanOut: definitionBytes(strict.stateMachine),
      fanOutWithTolerance: definitionBytes(tolerant.stateMachine),
      baseline: definitionBytes(baseline),
    },
    sizes: {},
  };
  // warm-up: module loading and the interpreter's first run are not part of the figures
  await measure(baseline, 1_000, (e) => ({ id: e.id }));

  for (const n of SIZES) {
    const fanOut = await measure(strict, n, (e) => ({ id: e.item.id }));
    const withTolerance = await measure(tolerant, n, (e) => ({ id: e.item.id }));
    const base = await measure(baseline, n, (e) => ({ id: e.id }));
    const historyEstimate = 20 + n * 7;
    const figures = {
      fanOut,
      fanOutWithTolerance: withTolerance,
      baseline: base,
      ratios: (fanOut.refused || withTolerance.refused || base.refused ? {} : {
        timeFanOutVsBaseline: round(fanOut.medianMs / base.medianMs),
        timeToleranceVsBaseline: round(withTolerance.medianMs / base.medianMs),
        transitionsFanOutVsBaseline: round(fanOut.transitions / base.transitions, 4),
        transitionsToleranceVsBaseline: round(withTolerance.transitions / base.transitions, 4),
      }) as Partial<Record<'timeFanOutVsBaseline' | 'timeToleranceVsBaseline' | 'transitionsFanOutVsBaseline' | 'transitionsToleranceVsBaseline', number>>,
      aws: {
        estimatedStandardHistoryEvents: historyEstimate,
        withinStandardHistory: historyEstimate <= HISTORY_LIMIT,
        outputBytesWithTolerance: withTolerance.outputBytes,
        withinPayloadLimit: withTolerance.outputBytes <= PAYLOAD_LIMIT,
      },
    };
    (results.sizes as Record<string, unknown>)[String(n)] = figures;
    console.log(`\n${n.toLocaleString('en-US')} items (median of ${RUNS[n]} run(s))`);
    const line = (m: Measure) => (m.refused
      ? `refused, as on AWS, after ${m.transitions} transitions (${m.refused.slice(0, 100)})`
      : `${m.medianMs} ms (${m.msPerItem} ms/item), ${m.transitions} transitions`);
    console.log(`  FanOutFanIn inline           ${line(fanOut)}`);
    console.log(`  FanOutFanIn inline + 5% tol. ${line(withTolerance)}`);
    console.log(`  baseline aws-cdk-lib Map     ${line(base)}`);
    if (figures.ratios.timeFanOutVsBaseline !== undefined) {
      console.log(`  ratios vs baseline: time ${figures.ratios.timeFanOutVsBaseline}x / ${figures.ratios.timeToleranceVsBaseline}x (tolerance), transitions ${figures.ratios.transitionsFanOutVsBaseline}x / ${figures.ratios.transitionsToleranceVsBaseline}x`);
    }
    console.log(`  on AWS: ~${historyEstimate.toLocaleString('en-US')} Standard history events (limit 25,000: ${figures.aws.withinStandardHistory ? 'fits' : 'EXCEEDED, use DISTRIBUTED'})` +
      (withTolerance.refused ? '' : `; output ${withTolerance.outputBytes.toLocaleString('en-US')} bytes (limit 262,144: ${figures.aws.withinPayloadLimit ? 'fits' : 'EXCEEDED'})`));
  }
  console.log(`\ndefinition bytes: FanOutFanIn ${JSON.stringify(results.definitionBytes)}`);
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'fan-out.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('wrote bench/results/fan-out.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
