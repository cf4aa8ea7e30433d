/**
 * Benchmark of the local runner (`cdk-stateful-workflows/testing`).
 *
 *   npx tsx bench/runner.bench.ts
 *
 * tsx wraps every closure in a naming helper, which slows the runner (not the interpreter's
 * compiled JS): for the saga figures, compile first and run the compiled bench, e.g.
 *   npx tsc -p tsconfig.json --outDir /tmp/benchlib --noEmit false   (then a copy of this file importing /tmp/benchlib)
 * or `BENCH_ONLY=saga` through tsx for an approximation.
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
const SAGA_BLOCKS = Number(process.env.SAGA_BLOCKS ?? 16);
const SAGA_BLOCK = Number(process.env.SAGA_BLOCK ?? 150);

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

/** CPU microseconds (user + system) per call of `once`, over `n` calls. */
async function cpuPerCall(once: (i: number) => Promise<void>, n: number, base: number): Promise<number> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) await once(base + i);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

/**
 * The issue-11 throughput goal: runner executions/s of a 10-step saga's happy path vs
 * aws-local-stepfunctions alone on the same (resolved) ASL with the same trivial handlers.
 * Three contenders, measured in interleaved blocks of SAGA_BLOCK executions (CPU time: the stable
 * figure on a shared, loaded machine); medians over SAGA_BLOCKS blocks:
 * - the runner;
 * - "alone": the aws-local-stepfunctions package as installed (`require('aws-local-stepfunctions')`,
 *   jsonpath-plus unpatched), what a user running it directly gets;
 * - "patched": the interpreter as the runner loads it (its jsonpath-plus fast path and corrections),
 *   without the runner around it: the ratio to it is the runner's own overhead.
 * Run in several fresh processes and take the median (the figures vary with the machine's load).
 */
async function sagaThroughput(): Promise<Record<string, number>> {
  const saga = sagaStack();
  const { template, logicalId } = loadWorkflowSource(saga);
  const model = WorkflowModel.of(template).machine(logicalId);
  const taskNames = [...model.analysed.tasks.keys()];
  // Small results, as real steps return (an echo handler would double the saga state at every step).
  const smallResults = Object.fromEntries(taskNames.map((n) => [n, async () => ({ ok: true, step: n })]));
  const runner = await LocalWorkflowRunner.create(saga, { handlers: smallResults });
  const directHandlers = smallResults as unknown as Record<string, (input: Json) => Promise<Json>>;
  const patched = new (interpreterModule().StateMachine)(model.definition, { validationOptions: { checkArn: false, checkPaths: true } });
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const pristineModule = require('aws-local-stepfunctions') as { StateMachine: new (d: object, o?: object) => typeof patched };
  const pristine = new pristineModule.StateMachine(model.definition, { validationOptions: { checkArn: false, checkPaths: true } });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jp = require(require.resolve('jsonpath-plus', { paths: [require.resolve('aws-local-stepfunctions')] })) as { JSONPath: { localRunnerOriginal?: unknown } };
  const patchedJsonPath = jp.JSONPath;
  const originalJsonPath = (patchedJsonPath.localRunnerOriginal ?? patchedJsonPath) as typeof patchedJsonPath;
  const runOptions = (i: number) => ({
    overrides: { taskResourceLocalHandlers: directHandlers },
    context: { Execution: { Id: `${model.arn}:e-${i}`, Name: `e-${i}` }, StateMachine: { Id: model.arn, Name: model.name } },
  });
  const runnerOnce = async (i: number): Promise<void> => {
    const res = await runner.run({ orderId: `o-${i}` });
    if (res.status !== 'SUCCEEDED') throw new Error(`bad saga run: ${res.status} ${res.error} ${res.cause}`);
  };
  const patchedOnce = async (i: number): Promise<void> => {
    await patched.run({ orderId: `o-${i}` }, runOptions(i)).result;
  };
  const aloneOnce = async (i: number): Promise<void> => {
    jp.JSONPath = originalJsonPath;
    try {
      await pristine.run({ orderId: `o-${i}` }, runOptions(i)).result;
    } finally {
      jp.JSONPath = patchedJsonPath;
    }
  };
  for (let i = 0; i < 300; i++) {
    await runnerOnce(i);
    await patchedOnce(i);
    await aloneOnce(i);
  }
  const r: number[] = [], a: number[] = [], p: number[] = [], ra: number[] = [], rp: number[] = [];
  for (let b = 0; b < SAGA_BLOCKS; b++) {
    const base = b * SAGA_BLOCK;
    const first = b % 2 === 0 ? await cpuPerCall(runnerOnce, SAGA_BLOCK, base) : 0;
    const alone = await cpuPerCall(aloneOnce, SAGA_BLOCK, base);
    const patch = await cpuPerCall(patchedOnce, SAGA_BLOCK, base);
    const ours = b % 2 === 0 ? first : await cpuPerCall(runnerOnce, SAGA_BLOCK, base);
    r.push(ours); a.push(alone); p.push(patch); ra.push(alone / ours); rp.push(patch / ours);
  }
  await runner.close();
  return {
    runner: round(1e6 / median(r), 1),
    alone: round(1e6 / median(a), 1),
    patchedInterpreter: round(1e6 / median(p), 1),
    ratio: round(median(ra), 3),
    overheadRatio: round(median(rp), 3),
  };
}

async function main(): Promise<void> {
  const total = process.hrtime.bigint();
  interpreterModule();

  // --- 10-step saga: runner vs aws-local-stepfunctions alone (issue 11 goal: >= 0.9x) ----------
  const saga = await sagaThroughput();
  console.log(`  ${SAGA_STEPS}-step saga (executions per CPU-second): runner ${saga.runner}, aws-local-stepfunctions alone ${saga.alone} (ratio ${saga.ratio}), ` +
    `interpreter as the runner patches it ${saga.patchedInterpreter} (ratio ${saga.overheadRatio}: the runner's own overhead)`);
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
    saga: { steps: SAGA_STEPS, ...saga },
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
