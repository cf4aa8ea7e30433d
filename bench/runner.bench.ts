/**
 * Benchmark of the local runner (`cdk-stateful-workflows/testing`).
 *
 *   npx tsx bench/runner.bench.ts
 *
 * Prints the figures and writes them to bench/results/runner.json. Baselines are measured in
 * the same process: aws-local-stepfunctions run directly on equivalent hand-written ASL with
 * trivial local task handlers (no template, no fault/retry bookkeeping, no event collection).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Saga, Step, WorkflowFunction } from '../src';
import { LocalWorkflowRunner } from '../src/testing';
import { buildInterpreterMachine, clearInterpreterCache, interpreterModule, Json } from '../src/testing/interpreter';
import { WorkflowModel } from '../src/testing/model';
import { loadWorkflowSource } from '../src/testing/runner';
import { median, ms, round } from './util';

const CHAIN_LENGTH = 100;
const MAP_ITEMS = 1000;
const CHAIN_SECONDS = 6;
const MAP_REPEATS = 5;




/** A 100-step chain of Lambda tasks, rendered as the workflow constructs render them. */
function chainStack(id: string): sfn.StateMachine {
  const stack = new Stack(new App(), id);
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  });
  const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  let chain: sfn.INextable & sfn.IChainable = new tasks.LambdaInvoke(stack, 'Step 1', { lambdaFunction: alias, payloadResponseOnly: true, retryOnServiceExceptions: false });
  const start = chain;
  let body: sfn.Chain = sfn.Chain.start(start);
  for (let i = 2; i <= CHAIN_LENGTH; i++) {
    chain = new tasks.LambdaInvoke(stack, `Step ${i}`, { lambdaFunction: alias, payloadResponseOnly: true, retryOnServiceExceptions: false });
    body = body.next(chain);
  }
  return new sfn.StateMachine(stack, 'Chain', { definitionBody: sfn.DefinitionBody.fromChainable(body) });
}

/** An inline Map over `$.items` running one Lambda task per item. */
function mapStack(): sfn.StateMachine {
  const stack = new Stack(new App(), 'MapBench');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  });
  const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  const map = new sfn.Map(stack, 'Each', { itemsPath: '$.items', maxConcurrency: 40 });
  map.itemProcessor(new tasks.LambdaInvoke(stack, 'Item', { lambdaFunction: alias, payloadResponseOnly: true, retryOnServiceExceptions: false }));
  return new sfn.StateMachine(stack, 'Mapper', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
}

const handlerFor = (names: string[]) => Object.fromEntries(names.map((n) => [n, async (e: unknown) => e]));

const SAGA_STEPS = 10;
const SAGA_SECONDS = Number(process.env.SAGA_SECONDS ?? 6);
const SAGA_ROUNDS = Number(process.env.SAGA_ROUNDS ?? 3);

/** A 10-step Saga of the library (every step but the last compensated). */
function sagaStack(): Saga {
  const stack = new Stack(new App(), 'SagaBench', { env: { account: '123456789012', region: 'us-east-1' } });
  const fns = Array.from({ length: SAGA_STEPS }, (_, i) => new WorkflowFunction(stack, `Fn${i + 1}`, {
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
  }));
  return new Saga(stack, 'Saga', {
    steps: fns.map((fn, i) => ({
      action: Step.lambda(`Step ${i + 1}`, fn),
      compensation: i < SAGA_STEPS - 1 ? Step.lambda(`Undo ${i + 1}`, fn) : undefined,
    })),
  });
}

/**
 * Executions per second of `once` over `seconds` (after a warm-up), per wall-clock second and per
 * second of this process's CPU time (user + system): the CPU figure is the stable one on a shared,
 * loaded machine.
 */
async function perSecond(once: (i: number) => Promise<void>, seconds: number): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 20; i++) await once(i);
  let n = 0;
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) await once(n++);
  const used = process.cpuUsage(cpu);
  return { wall: n / (ms(t) / 1000), cpu: n / ((used.user + used.system) / 1e6) };
}

/**
 * The issue-11 throughput goal: runner executions/s of a 10-step saga's happy path vs
 * aws-local-stepfunctions alone on the same (resolved) ASL with the same trivial handlers.
 * Interleaved rounds; medians.
 */
async function sagaThroughput(): Promise<{ runner: number; direct: number; ratio: number; cpuRatio: number; rounds: Array<Record<string, number>> }> {
  const saga = sagaStack();
  const { template, logicalId } = loadWorkflowSource(saga);
  const model = WorkflowModel.of(template).machine(logicalId);
  const taskNames = [...model.analysed.tasks.keys()];
  // Small results, as real steps return (an echo handler would double the saga state at every step).
  const smallResults = Object.fromEntries(taskNames.map((n) => [n, async () => ({ ok: true, step: n })]));
  const runner = await LocalWorkflowRunner.create(saga, { handlers: smallResults });
  const { StateMachine } = interpreterModule();
  const direct = new StateMachine(model.definition, { validationOptions: { checkArn: false, checkPaths: true } });
  const directHandlers = smallResults as unknown as Record<string, (input: Json) => Promise<Json>>;
  const rounds: Array<{ runner: number; direct: number; runnerCpu: number; directCpu: number }> = [];
  for (let r = 0; r < SAGA_ROUNDS; r++) {
    const runnerRate = await perSecond(async (i) => {
      const res = await runner.run({ orderId: `o-${i}` });
      if (res.status !== 'SUCCEEDED') throw new Error(`bad saga run: ${res.status} ${res.error} ${res.cause}`);
    }, SAGA_SECONDS);
    const directRate = await perSecond(async (i) => {
      await direct.run({ orderId: `o-${i}` }, {
        overrides: { taskResourceLocalHandlers: directHandlers },
        context: { Execution: { Id: `${model.arn}:e-${i}`, Name: `e-${i}` }, StateMachine: { Id: model.arn, Name: model.name } },
      }).result;
    }, SAGA_SECONDS);
    rounds.push({ runner: round(runnerRate.wall, 1), direct: round(directRate.wall, 1), runnerCpu: round(runnerRate.cpu, 1), directCpu: round(directRate.cpu, 1) });
  }
  await runner.close();
  const runnerMedian = median(rounds.map((x) => x.runner));
  const directMedian = median(rounds.map((x) => x.direct));
  const cpuRatio = median(rounds.map((x) => x.runnerCpu / x.directCpu));
  return { runner: runnerMedian, direct: directMedian, ratio: round(runnerMedian / directMedian, 3), cpuRatio: round(cpuRatio, 3), rounds };
}

async function main(): Promise<void> {
  const total = process.hrtime.bigint();
  interpreterModule();

  // --- 10-step saga: runner vs aws-local-stepfunctions alone (issue 11 goal: >= 0.9x) ----------
  const saga = await sagaThroughput();
  console.log(`  ${SAGA_STEPS}-step saga: runner ${saga.runner} exec/s, aws-local-stepfunctions alone ${saga.direct} exec/s, wall ratio ${saga.ratio}, per-CPU-second ratio ${saga.cpuRatio} (rounds ${JSON.stringify(saga.rounds)})`);
  if (process.env.BENCH_ONLY === 'saga') {
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'runner-saga.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, saga }, null, 2) + '\n');
    return;
  }

  // --- load: synth + resolve + build interpreter ---------------------------------------
  const coldMachine = chainStack('ColdChain');
  clearInterpreterCache();
  let t = process.hrtime.bigint();
  const { template, logicalId } = loadWorkflowSource({ stateMachine: coldMachine });
  const synthMs = ms(t);
  t = process.hrtime.bigint();
  const model = WorkflowModel.of(template).machine(logicalId);
  const resolveMs = ms(t);
  t = process.hrtime.bigint();
  buildInterpreterMachine(model.analysed.preparedJson, logicalId);
  const buildMs = ms(t);
  const coldLoadMs = synthMs + resolveMs + buildMs;

  const cachedLoads: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = process.hrtime.bigint();
    const again = loadWorkflowSource({ stateMachine: coldMachine });
    const m = WorkflowModel.of(again.template).machine(again.logicalId);
    buildInterpreterMachine(m.analysed.preparedJson, again.logicalId);
    cachedLoads.push(ms(t));
  }

  const names = Array.from({ length: CHAIN_LENGTH }, (_, i) => `Step ${i + 1}`);
  t = process.hrtime.bigint();
  const runner = await LocalWorkflowRunner.create({ stateMachine: coldMachine }, { handlers: handlerFor(names) });
  const createCachedMs = ms(t);

  // --- 100-step chain: executions per second ----------------------------------------------
  for (let i = 0; i < 20; i++) await runner.run({ n: i });
  let runs = 0;
  t = process.hrtime.bigint();
  const deadline = Date.now() + CHAIN_SECONDS * 1000;
  while (Date.now() < deadline) {
    const r = await runner.run({ n: runs });
    if (r.status !== 'SUCCEEDED' || r.statesEntered.length !== CHAIN_LENGTH) throw new Error(`bad run: ${r.status}`);
    runs++;
  }
  const runnerChainPerSec = runs / (ms(t) / 1000);

  // baseline: the interpreter directly on hand-written ASL, same handlers
  const { StateMachine } = interpreterModule();
  const states: Record<string, object> = {};
  names.forEach((n, i) => {
    states[n] = { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Fn:live', ...(i === names.length - 1 ? { End: true } : { Next: names[i + 1] }) };
  });
  const direct = new StateMachine({ StartAt: names[0], States: states }, { validationOptions: { checkArn: false, checkPaths: true } });
  const directHandlers = handlerFor(names) as Record<string, (input: Json) => Promise<Json>>;
  for (let i = 0; i < 20; i++) await direct.run({ n: i }, { overrides: { taskResourceLocalHandlers: directHandlers } }).result;
  let directRuns = 0;
  t = process.hrtime.bigint();
  const directDeadline = Date.now() + CHAIN_SECONDS * 1000;
  while (Date.now() < directDeadline) {
    await direct.run({ n: directRuns }, { overrides: { taskResourceLocalHandlers: directHandlers } }).result;
    directRuns++;
  }
  const directChainPerSec = directRuns / (ms(t) / 1000);
  await runner.close();

  // --- 1,000-item inline Map ----------------------------------------------------------------
  const mapper = mapStack();
  const mapRunner = await LocalWorkflowRunner.create({ stateMachine: mapper }, { handlers: { Item: async (e: unknown) => e } });
  const items = Array.from({ length: MAP_ITEMS }, (_, i) => ({ i }));
  await mapRunner.run({ items });
  const mapTimes: number[] = [];
  for (let i = 0; i < MAP_REPEATS; i++) {
    t = process.hrtime.bigint();
    const r = await mapRunner.run({ items });
    mapTimes.push(ms(t));
    if (r.status !== 'SUCCEEDED' || (r.output as unknown[]).length !== MAP_ITEMS || r.calls.Item !== MAP_ITEMS) throw new Error('bad map run');
  }
  await mapRunner.close();
  const directMap = new StateMachine(
    {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 40,
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Fn:live', End: true } } },
          End: true,
        },
      },
    },
    { validationOptions: { checkArn: false, checkPaths: true } },
  );
  const mapHandlers = { Item: async (e: Json) => e };
  await directMap.run({ items } as unknown as Json, { overrides: { taskResourceLocalHandlers: mapHandlers } }).result;
  const directMapTimes: number[] = [];
  for (let i = 0; i < MAP_REPEATS; i++) {
    t = process.hrtime.bigint();
    await directMap.run({ items } as unknown as Json, { overrides: { taskResourceLocalHandlers: mapHandlers } }).result;
    directMapTimes.push(ms(t));
  }

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    load: {
      workflow: `${CHAIN_LENGTH}-step Lambda chain`,
      coldMs: round(coldLoadMs),
      coldSynthMs: round(synthMs),
      coldResolveAndAnalyseMs: round(resolveMs),
      coldBuildInterpreterMs: round(buildMs),
      cachedMedianMs: round(median(cachedLoads), 3),
      createRunnerCachedMs: round(createCachedMs),
    },
    saga: { steps: SAGA_STEPS, runnerExecutionsPerSec: saga.runner, directExecutionsPerSec: saga.direct, runnerOverDirect: saga.ratio, runnerOverDirectCpu: saga.cpuRatio, rounds: saga.rounds },
    chain: {
      steps: CHAIN_LENGTH,
      runnerExecutionsPerSec: round(runnerChainPerSec, 1),
      directExecutionsPerSec: round(directChainPerSec, 1),
      runnerOverDirect: round(runnerChainPerSec / directChainPerSec, 3),
      runnerMsPerExecution: round(1000 / runnerChainPerSec, 3),
    },
    map: {
      items: MAP_ITEMS,
      runnerMedianMs: round(median(mapTimes)),
      directMedianMs: round(median(directMapTimes)),
      runnerOverDirectTime: round(median(mapTimes) / median(directMapTimes), 3),
    },
    totalSeconds: round(ms(total) / 1000, 1),
  };

  console.log('LocalWorkflowRunner benchmark');
  console.log(`  node ${results.node}, ${results.cpus} CPUs (${results.cpuModel})`);
  console.log(`  load ${results.load.workflow}: cold ${results.load.coldMs} ms (synth ${results.load.coldSynthMs}, resolve+analyse ${results.load.coldResolveAndAnalyseMs}, build interpreter ${results.load.coldBuildInterpreterMs}); cached ${results.load.cachedMedianMs} ms; create() with cached load + dynalite ${results.load.createRunnerCachedMs} ms`);
  console.log(`  ${CHAIN_LENGTH}-step chain: runner ${results.chain.runnerExecutionsPerSec} exec/s (${results.chain.runnerMsPerExecution} ms/exec), direct aws-local-stepfunctions ${results.chain.directExecutionsPerSec} exec/s, ratio ${results.chain.runnerOverDirect}`);
  console.log(`  ${MAP_ITEMS}-item inline Map: runner ${results.map.runnerMedianMs} ms, direct ${results.map.directMedianMs} ms, time ratio ${results.map.runnerOverDirectTime}`);
  console.log(`  total ${results.totalSeconds} s`);

  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'runner.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`  wrote ${path.relative(process.cwd(), path.join(dir, 'runner.json'))}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
