/**
 * The apps the scale benchmark synthesizes: each pattern with N steps built with the library's
 * defaults ("ours"), and the code a user would write without the library ("hand-written"): plain
 * aws-cdk-lib with, per Lambda, a Function, its Role + Policy (from grants) and a LogGroup, and no
 * alias, provisioned concurrency or alarms — what the library replaces, not a replica of its defaults.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export const PATTERNS = ['saga', 'checkpoint', 'hybrid', 'sequential', 'fan-out'] as const;
export type Pattern = typeof PATTERNS[number];
/**
 * `hand-written+defaults` is the reference point, not the goal: the same hand-written app with the
 * defaults the library promises, written the way a user writes them by hand (active tracing, a
 * published version and a `live` alias with provisioned concurrency that the state machine invokes,
 * an Errors alarm per function and an ExecutionsFailed alarm per machine). It shows what those
 * defaults cost aws-cdk-lib and its template validation whoever writes them.
 */
export type Impl = 'ours' | 'hand-written' | 'hand-written+defaults';

export const ENV = { account: '123456789012', region: 'us-east-1' };
export const CODE = 'exports.handler = async (e) => e;';

export const actionName = (i: number): string => `Step ${i + 1}`;
/**
 * The hybrid apps' express steps: all but the first, the last and every 9th, so that each run of
 * express steps (8 at most, each with a 35-second timeout) fits in the 5 minutes of one Express
 * execution, which the library checks at synth.
 */
export const isExpressStep = (i: number, n: number): boolean => i > 0 && i < n - 1 && i % 9 !== 0;
export const undoName = (i: number): string => `Undo ${i + 1}`;

/** Set while building `hand-written+defaults` (see Impl). */
let withDefaults = false;

/** The function a user writes by hand: Function + Role (+ Policy from the grant) + LogGroup. */
function plainFn(scope: Construct, id: string): lambda.IFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, id, {
    code: lambda.Code.fromInline(CODE),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(30),
    logGroup,
    role,
    tracing: withDefaults ? lambda.Tracing.ACTIVE : undefined,
  });
  if (!withDefaults) return fn;
  const alias = new lambda.Alias(scope, `${id}Live`, { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: 1 });
  alias.metricErrors({ period: Duration.minutes(5) }).createAlarm(scope, `${id}Errors`, { threshold: 1, evaluationPeriods: 1 });
  return alias;
}

function invoke(scope: Construct, name: string, fn: lambda.IFunction, resultPath = `$.results.s${name.replace(/\W/g, '')}`): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, name, { lambdaFunction: fn, payloadResponseOnly: true, resultPath });
}

function chainOf(states: sfn.INextable[]): sfn.Chain {
  let chain = sfn.Chain.start(states[0] as unknown as sfn.IChainable);
  for (const s of states.slice(1)) chain = chain.next(s as unknown as sfn.IChainable);
  return chain;
}

export function handWritten(stack: Stack, pattern: Pattern, n: number): void {
  const machine = (id: string, chain: sfn.IChainable, type = sfn.StateMachineType.STANDARD) => {
    const m = new sfn.StateMachine(stack, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(chain), stateMachineType: type, tracingEnabled: withDefaults || undefined,
    });
    if (withDefaults) m.metricFailed({ period: Duration.minutes(5) }).createAlarm(stack, `${id}Failed`, { threshold: 1, evaluationPeriods: 1 });
    return m;
  };
  switch (pattern) {
    case 'saga': {
      // One shared reverse chain of compensations: step i's Catch enters "Undo i-1" (or fails at once).
      const fail = new sfn.Fail(stack, 'Saga failed', { error: 'SagaFailed' });
      // Every step has a compensation function, as in the library's app; the last one's can never run
      // (nothing fails after the last step), so it gets no state.
      const undoFns = Array.from({ length: n }, (_, i) => plainFn(stack, `Undo${i}`));
      const undos = undoFns.slice(0, n - 1).map((fn, i) => invoke(stack, undoName(i), fn, sfn.JsonPath.DISCARD));
      for (let i = undos.length - 1; i > 0; i--) undos[i].next(undos[i - 1]);
      if (undos.length > 0) undos[0].next(fail);
      const actions = Array.from({ length: n }, (_, i) => {
        const task = invoke(stack, actionName(i), plainFn(stack, `Act${i}`));
        task.addCatch(i === 0 ? fail : undos[i - 1], { resultPath: '$.error' });
        return task;
      });
      machine('Saga', chainOf(actions));
      return;
    }
    case 'checkpoint': {
      // Per step: read the checkpoint, skip when done, else run and write it (what one writes by hand).
      const table = new dynamodb.Table(stack, 'Checkpoints', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      });
      const succeed = new sfn.Succeed(stack, 'Done');
      let next: sfn.IChainable = succeed;
      for (let i = n - 1; i >= 0; i--) {
        const key = { pk: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.jobId')), sk: tasks.DynamoAttributeValue.fromString(`step${i}`) };
        const get = new tasks.DynamoGetItem(stack, `Get ${i}`, { table, key, resultPath: `$.cp${i}` });
        const run = invoke(stack, actionName(i), plainFn(stack, `Fn${i}`));
        const put = new tasks.DynamoPutItem(stack, `Put ${i}`, {
          table,
          item: { ...key, done: tasks.DynamoAttributeValue.fromBoolean(true) },
          resultPath: sfn.JsonPath.DISCARD,
        });
        const choice = new sfn.Choice(stack, `Done ${i}?`)
          .when(sfn.Condition.isPresent(`$.cp${i}.Item`), next)
          .otherwise(run.next(put).next(next));
        next = get.next(choice);
      }
      machine('Checkpointed', next);
      return;
    }
    case 'hybrid': {
      // Each run of express steps (see isExpressStep) is one Express child the parent runs synchronously.
      const parent: sfn.INextable[] = [];
      let group: tasks.LambdaInvoke[] = [];
      const flush = () => {
        if (group.length === 0) return;
        const g = parent.filter((s) => s instanceof tasks.StepFunctionsStartExecution).length + 1;
        const child = machine(`Child${g}`, chainOf(group), sfn.StateMachineType.EXPRESS);
        parent.push(new tasks.StepFunctionsStartExecution(stack, `Run express steps ${g}`, {
          stateMachine: child,
          integrationPattern: sfn.IntegrationPattern.RUN_JOB,
          input: sfn.TaskInput.fromJsonPathAt('$'),
          resultSelector: { 'output.$': '$.Output' },
          resultPath: `$.express${g}`,
        }));
        group = [];
      };
      for (let i = 0; i < n; i++) {
        const task = invoke(stack, actionName(i), plainFn(stack, `Fn${i}`));
        if (isExpressStep(i, n)) {
          group.push(task);
        } else {
          flush();
          parent.push(task);
        }
      }
      flush();
      machine('Parent', chainOf(parent));
      return;
    }
    case 'sequential':
      machine('Sequential', chainOf(Array.from({ length: n }, (_, i) => invoke(stack, actionName(i), plainFn(stack, `Fn${i}`)))));
      return;
    case 'fan-out': {
      const map = new sfn.Map(stack, 'Process items', { itemsPath: '$.items', maxConcurrency: 50, resultPath: '$.results' });
      map.itemProcessor(new tasks.LambdaInvoke(stack, 'Process item', { lambdaFunction: plainFn(stack, 'Item'), payloadResponseOnly: true }));
      machine('FanOut', map.next(invoke(stack, 'Aggregate', plainFn(stack, 'AggregateFn'), '$')));
      return;
    }
  }
}

/** A fresh app with one stack holding `pattern` at size `n`, built either way. */
export function buildApp(pattern: Pattern, impl: Impl, n: number, props: { context?: Record<string, unknown> } = {}): { app: App; stack: Stack } {
  const app = new App({ context: props.context });
  const stack = new Stack(app, `${pattern}-${impl}-${n}`.replace(/[^A-Za-z0-9-]/g, ''), { env: ENV });
  // The library is loaded only for "ours": the hand-written process never pays for it.
  if (impl === 'ours') {
    require('./ours').build(stack, pattern, n);
  } else {
    withDefaults = impl === 'hand-written+defaults';
    try {
      handWritten(stack, pattern, n);
    } finally {
      withDefaults = false;
    }
  }
  return { app, stack };
}
