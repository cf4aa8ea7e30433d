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

async function main(): Promise<void> {
  const total = process.hrtime.bigint();
  interpreterModule();

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
