/**
 * Synth time and memory of the library's defaults vs the same resources written by hand with
 * aws-cdk-lib: N Lambda steps (function + version + alias with provisioned concurrency + log group
 * + role, X-Ray), one Standard state machine with logging ALL and tracing, and the same alarms.
 * Run: npx projen bench synth   (or node --expose-gc --import tsx bench/synth.bench.ts)
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { SequentialWorkflow, Step, WorkflowFunction } from '../src';
import { median, ms, round } from './util';

const SIZES = [10, 50];
const REPEATS = 7;
const code = lambda.Code.fromInline('exports.handler = async (e) => e;');

function library(n: number): Stack {
  const stack = new Stack(new App(), 'Library', { env: { account: '123456789012', region: 'us-east-1' } });
  const steps = Array.from({ length: n }, (_, i) => Step.lambda(`Step ${i}`, new WorkflowFunction(stack, `Fn${i}`, { code })));
  new SequentialWorkflow(stack, 'Wf', { steps });
  return stack;
}

function handWritten(n: number): Stack {
  const stack = new Stack(new App(), 'Baseline', { env: { account: '123456789012', region: 'us-east-1' } });
  const alarm = (id: string, metric: cloudwatch.IMetric) => new cloudwatch.Alarm(stack, id, {
    metric, threshold: 1, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });
  let chain: sfn.Chain | undefined;
  for (let i = 0; i < n; i++) {
    const logGroup = new logs.LogGroup(stack, `FnLogs${i}`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(stack, `FnRole${i}`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const fn = new lambda.Function(stack, `Fn${i}`, {
      code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64,
      memorySize: 512, timeout: Duration.seconds(30), tracing: lambda.Tracing.ACTIVE, logGroup, role,
    });
    const alias = new lambda.Alias(stack, `FnAlias${i}`, { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: 1 });
    alarm(`FnErrors${i}`, alias.metricErrors());
    alarm(`FnThrottles${i}`, alias.metricThrottles());
    alarm(`FnSpillover${i}`, alias.metric('ProvisionedConcurrencySpilloverInvocations', { statistic: 'Sum' }));
    const task = new tasks.LambdaInvoke(stack, `Step ${i}`, {
      lambdaFunction: alias, payloadResponseOnly: true, retryOnServiceExceptions: false,
      resultPath: `$.results.Step_${i}`, taskTimeout: sfn.Timeout.duration(Duration.seconds(35)),
    });
    task.addRetry({ errors: ['Lambda.TooManyRequestsException'], maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    chain = chain ? chain.next(task) : sfn.Chain.start(task);
  }
  const sm = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(chain!),
    timeout: Duration.hours(1),
    tracingEnabled: true,
    logs: { destination: new logs.LogGroup(stack, 'MachineLogs'), level: sfn.LogLevel.ALL },
  });
  alarm('Failed', sm.metricFailed());
  alarm('TimedOut', sm.metricTimedOut());
  alarm('Aborted', sm.metricAborted());
  alarm('Throttled', sm.metricThrottled());
  return stack;
}

function gc(): void {
  (global as any).gc?.();
}

/** Median synth time (construct + synth) and the heap retained by one synthesized app. */
function measure(build: (n: number) => Stack, n: number): { synthMs: number; heapMb?: number; resources: number } {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    const stack = build(n);
    const template = (stack.node.scope as App).synth().getStackByName(stack.stackName).template;
    times.push(ms(start));
    resources = Object.keys(template.Resources).length;
  }
  let heapMb: number | undefined;
  if ((global as any).gc) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const stack = build(n);
    (stack.node.scope as App).synth();
    gc();
    heapMb = round((process.memoryUsage().heapUsed - before) / 1024 / 1024);
    // keep the app alive until after the measurement
    if (!stack.node.id) console.log('unreachable');
  }
  return { synthMs: round(median(times)), heapMb, resources };
}

const results: any[] = [];
console.log(`Synth time and memory: library defaults vs hand-written aws-cdk-lib (median of ${REPEATS})`);
if (!(global as any).gc) console.log('  (heap not measured: run with node --expose-gc --import tsx)');
measure(handWritten, 2); // warm up module loading
for (const n of SIZES) {
  const lib = measure(library, n);
  const base = measure(handWritten, n);
  console.log(`  N=${n}: library ${lib.synthMs} ms, ${lib.resources} resources${lib.heapMb !== undefined ? `, ${lib.heapMb} MB heap` : ''} | ` +
    `hand-written ${base.synthMs} ms, ${base.resources} resources${base.heapMb !== undefined ? `, ${base.heapMb} MB heap` : ''} | ` +
    `time ratio ${round(lib.synthMs / base.synthMs)}${lib.heapMb !== undefined && base.heapMb ? `, heap ratio ${round(lib.heapMb / base.heapMb)}` : ''}`);
  results.push({ n, library: lib, handWritten: base, timeRatio: round(lib.synthMs / base.synthMs) });
}
const out = path.join(__dirname, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'synth.json'), JSON.stringify({ node: process.version, repeats: REPEATS, results }, null, 2));
console.log('  wrote bench/results/synth.json');
