/**
 * Benchmark of the Saga pattern.
 *
 *   npx tsx bench/saga.bench.ts
 *
 * For sagas of N = 6 and N = 20 Lambda steps (every step but the last compensated), measured in
 * the same process against a hand-written baseline: plain aws-cdk-lib `LambdaInvoke` tasks
 * (payloadResponseOnly, same aliases, results under $.results) chained, nothing else.
 *
 * - state transitions of the happy path (saga vs baseline) and of the rollback at every step k
 *   (overhead over the k actions + k-1 compensations that must run);
 * - synthesis time (new App + stack + Template) and definition size (states, bytes);
 * - local-runner throughput of the happy path.
 *
 * Prints the figures and ratios and writes them to bench/results/saga.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Saga, SequentialWorkflow, Step, WorkflowFunction } from '../src';
import { Faults, LocalWorkflowRunner, TaskHandler } from '../src/testing';
import { median, ms, round } from './util';

const SIZES = [6, 20];
const SYNTH_REPEATS = 9;
const THROUGHPUT_RUNS = 100;
const THROUGHPUT_ROUNDS = 3;


const actionName = (i: number) => `Step ${i + 1}`;
const compensationName = (i: number) => `Undo ${i + 1}`;

function functions(stack: Stack, n: number): WorkflowFunction[] {
  return Array.from({ length: n }, (_, i) => new WorkflowFunction(stack, `Fn${i + 1}`, {
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  }));
}

function sagaStack(n: number): { stack: Stack; saga: Saga } {
  const stack = new Stack(new App(), `Saga${n}`, { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = functions(stack, n);
  const saga = new Saga(stack, 'Saga', {
    steps: fns.map((fn, i) => ({
      action: Step.lambda(actionName(i), fn),
      compensation: i < n - 1 ? Step.lambda(compensationName(i), fn) : undefined,
    })),
  });
  return { stack, saga };
}

/** The hand-written minimal chain: the same actions as plain LambdaInvoke tasks, chained. */
function baselineStack(n: number): { stack: Stack; machine: sfn.StateMachine } {
  const stack = new Stack(new App(), `Baseline${n}`, { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = functions(stack, n);
  let chain: sfn.Chain | undefined;
  fns.forEach((fn, i) => {
    const task = new tasks.LambdaInvoke(stack, actionName(i), {
      lambdaFunction: fn.alias,
      payloadResponseOnly: true,
      resultPath: `$.results.Step_${i + 1}`,
    });
    chain = chain ? chain.next(task) : sfn.Chain.start(task);
  });
  const machine = new sfn.StateMachine(stack, 'Chain', { definitionBody: sfn.DefinitionBody.fromChainable(chain!) });
  return { stack, machine };
}

/** The same actions in a SequentialWorkflow: the library's defaults (log group, alarms) without the saga. */
function sequentialStack(n: number): { stack: Stack } {
  const stack = new Stack(new App(), `Sequential${n}`, { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = functions(stack, n);
  new SequentialWorkflow(stack, 'Sequential', { steps: fns.map((fn, i) => Step.lambda(actionName(i), fn)) });
  return { stack };
}

function definitionOf(template: Template): { states: number; bytes: number } {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as any;
  const body = JSON.stringify(machine.Properties.DefinitionString);
  const states = (body.match(/\\"Type\\":/g) ?? []).length;
  return { states, bytes: body.length };
}

function measureSynth(build: () => { stack: Stack }): { ms: number; template: Template } {
  const times: number[] = [];
  let template = Template.fromStack(build().stack); // warm-up, not timed
  Template.fromStack(build().stack);
  for (let r = 0; r < SYNTH_REPEATS; r++) {
    const start = process.hrtime.bigint();
    const { stack } = build();
    template = Template.fromStack(stack);
    times.push(ms(start));
  }
  return { ms: median(times), template };
}

/** Happy-path executions per second of each runner: interleaved rounds, median rate. */
async function throughput(runners: LocalWorkflowRunner[]): Promise<number[]> {
  const rates: number[][] = runners.map(() => []);
  for (const runner of runners) {
    for (let i = 0; i < 20; i++) await runner.run({ orderId: `warm-${i}` }); // warm-up
  }
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const [index, runner] of runners.entries()) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < THROUGHPUT_RUNS; i++) await runner.run({ orderId: `o-${round}-${i}` });
      rates[index].push(THROUGHPUT_RUNS / (ms(start) / 1000));
    }
  }
  return rates.map(median);
}

async function benchSize(n: number): Promise<Record<string, unknown>> {
  const sagaSynth = measureSynth(() => sagaStack(n));
  const baseSynth = measureSynth(() => baselineStack(n));
  const seqSynth = measureSynth(() => sequentialStack(n));
  const sagaDef = definitionOf(sagaSynth.template);
  const baseDef = definitionOf(baseSynth.template);

  const handlers: Record<string, TaskHandler> = {};
  for (let i = 0; i < n; i++) {
    handlers[actionName(i)] = async () => ({ ok: i });
    if (i < n - 1) handlers[compensationName(i)] = async () => ({ undone: i });
  }
  const { saga } = sagaStack(n);
  const { machine } = baselineStack(n);
  const sagaRunner = await LocalWorkflowRunner.create(saga, { handlers });
  const baseRunner = await LocalWorkflowRunner.create(machine, {
    handlers: Object.fromEntries(Object.entries(handlers).filter(([k]) => k.startsWith('Step '))),
  });
  try {
    const sagaHappy = await sagaRunner.run({ orderId: 'happy' });
    const baseHappy = await baseRunner.run({ orderId: 'happy' });
    if (sagaHappy.status !== 'SUCCEEDED' || baseHappy.status !== 'SUCCEEDED') {
      throw new Error(`happy path did not succeed: saga ${sagaHappy.status}, baseline ${baseHappy.status}`);
    }

    const rollbacks: Array<Record<string, number>> = [];
    for (let k = 1; k <= n; k++) {
      const r = await sagaRunner.run({ orderId: `fail-${k}` }, { faults: { [actionName(k - 1)]: Faults.fail('Declined', { cause: 'bench' }) } });
      if (r.status !== 'FAILED' || r.error !== 'Declined') {
        throw new Error(`rollback at ${k} ended ${r.status} ${r.error}`);
      }
      const compensationsRun = Object.keys(r.calls).filter((s) => s.startsWith('Undo ')).length;
      rollbacks.push({
        k,
        transitions: r.transitions,
        actionsRun: k,
        compensationsRun,
        overhead: r.transitions - k - compensationsRun,
      });
    }

    const [sagaRate, baseRate] = await throughput([sagaRunner, baseRunner]);
    const maxOverhead = Math.max(...rollbacks.map((r) => r.overhead));

    const result = {
      steps: n,
      happyPath: {
        sagaTransitions: sagaHappy.transitions,
        baselineTransitions: baseHappy.transitions,
        ratio: round(sagaHappy.transitions / baseHappy.transitions, 3),
      },
      rollback: {
        perK: rollbacks,
        constantOverheadTransitions: maxOverhead,
        transitionsPerCompensation: 1,
      },
      synth: {
        sagaMs: round(sagaSynth.ms),
        baselineMs: round(baseSynth.ms),
        sequentialWorkflowMs: round(seqSynth.ms),
        ratio: round(sagaSynth.ms / baseSynth.ms),
        ratioToSequentialWorkflow: round(sagaSynth.ms / seqSynth.ms),
      },
      definition: {
        sagaStates: sagaDef.states,
        baselineStates: baseDef.states,
        sagaBytes: sagaDef.bytes,
        baselineBytes: baseDef.bytes,
        bytesRatio: round(sagaDef.bytes / baseDef.bytes),
      },
      localRunner: {
        sagaExecutionsPerSecond: round(sagaRate, 1),
        baselineExecutionsPerSecond: round(baseRate, 1),
        ratio: round(sagaRate / baseRate),
      },
    };

    console.log(`\n== Saga of ${n} Lambda steps vs a hand-written chain of ${n} LambdaInvoke tasks ==`);
    console.log(`happy path transitions: saga ${sagaHappy.transitions}, baseline ${baseHappy.transitions} (ratio ${result.happyPath.ratio})`);
    console.log(`rollback at k: transitions = k actions + (k-1) compensations + ${maxOverhead} (Rollback complete + Fail); per k: ${rollbacks.map((r) => `${r.k}:${r.transitions}`).join(' ')}`);
    console.log(`synth (median of ${SYNTH_REPEATS}, App+Stack+Template): saga ${result.synth.sagaMs} ms, baseline ${result.synth.baselineMs} ms (ratio ${result.synth.ratio}); SequentialWorkflow (same library defaults, no saga) ${result.synth.sequentialWorkflowMs} ms (ratio ${result.synth.ratioToSequentialWorkflow})`);
    console.log(`definition: saga ${sagaDef.states} states / ${sagaDef.bytes} B, baseline ${baseDef.states} states / ${baseDef.bytes} B (bytes ratio ${result.definition.bytesRatio})`);
    console.log(`local runner, happy path (median of ${THROUGHPUT_ROUNDS} interleaved rounds of ${THROUGHPUT_RUNS}): saga ${result.localRunner.sagaExecutionsPerSecond}/s, baseline ${result.localRunner.baselineExecutionsPerSecond}/s (ratio ${result.localRunner.ratio})`);
    return result;
  } finally {
    await Promise.all([sagaRunner.close(), baseRunner.close()]);
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const n of SIZES) {
    results.push(await benchSize(n));
  }
  const out = path.join(__dirname, 'results', 'saga.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    benchmark: 'saga',
    date: new Date().toISOString(),
    node: process.version,
    baseline: 'plain aws-cdk-lib LambdaInvoke tasks (payloadResponseOnly, same aliases, results under $.results), chained',
    sizes: results,
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
