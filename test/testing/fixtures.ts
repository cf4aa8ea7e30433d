/**
 * Small state machines built with plain aws-cdk-lib, shared by the runner tests.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** A Lambda function with an alias `live`, as the workflow constructs create them. */
export function liveAlias(scope: Construct, id: string): lambda.Alias {
  const fn = new lambda.Function(scope, `${id}Fn`, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });
  return new lambda.Alias(scope, `${id}Alias`, { aliasName: 'live', version: fn.currentVersion });
}

/** A Lambda step rendered as the workflow constructs render it (payloadResponseOnly). */
export function lambdaStep(scope: Construct, name: string, props: Partial<tasks.LambdaInvokeProps> = {}): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: liveAlias(scope, name.replace(/[^A-Za-z0-9]/g, '')),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    ...props,
  });
}

/** The order workflow: reserve (retried) → save (conditional put) → charge (caught) → ship (timeout) → metric. */
export class OrderWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });

    const reserve = lambdaStep(this, 'Reserve funds', { resultPath: '$.reservation' }).addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      backoffRate: 3,
      maxDelay: Duration.seconds(10),
      maxAttempts: 4,
    });
    const save = new tasks.DynamoPutItem(this, 'Save order', {
      table: this.table,
      item: {
        pk: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.orderId')),
        amount: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.amount'))),
      },
      conditionExpression: 'attribute_not_exists(pk)',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const charge = lambdaStep(this, 'Charge card', { resultPath: '$.charge' });
    const release = lambdaStep(this, 'Release funds', { resultPath: sfn.JsonPath.DISCARD });
    const failed = new sfn.Fail(this, 'Order failed', { error: 'OrderFailed', cause: 'payment was declined' });
    charge.addCatch(release.next(failed), { errors: ['PaymentDeclined'], resultPath: '$.error' });
    const ship = lambdaStep(this, 'Ship', { resultPath: '$.shipment', taskTimeout: sfn.Timeout.duration(Duration.seconds(30)) });
    const metric = new sfn.CustomState(this, 'Emit metric', {
      stateJson: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
        Parameters: {
          Namespace: 'Orders',
          MetricData: [{ MetricName: 'OrderCompleted', Value: 1, Unit: 'Count', Dimensions: [{ 'Name': 'Workflow', 'Value.$': '$$.StateMachine.Name' }] }],
        },
        ResultPath: null,
      },
    });
    const done = new sfn.Pass(this, 'Done', {
      parameters: { 'orderId.$': '$.orderId', 'charge.$': '$.charge', 'shipment.$': '$.shipment', 'execution.$': '$$.Execution.Name' },
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(reserve.next(save).next(charge).next(ship).next(metric).next(done)),
    });
  }
}

/** A fresh app + stack. */
export function newStack(id = 'TestStack'): Stack {
  return new Stack(new App(), id);
}

/**
 * A parent (STANDARD) that runs an EXPRESS child three ways: `.sync:2` (caught on failure),
 * `aws-sdk:sfn:startSyncExecution`, and fire-and-forget `startExecution`.
 */
export class ParentWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly child: sfn.StateMachine;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const childStep = lambdaStep(this, 'Child step', { resultPath: '$.child' });
    const childFailed = new sfn.Fail(this, 'Child failed', { error: 'ChildBroke', cause: 'the child was asked to fail' });
    const childDone = new sfn.Pass(this, 'Child done', { parameters: { 'doubled.$': '$.child.doubled' } });
    const check = new sfn.Choice(this, 'Child ok?')
      .when(sfn.Condition.booleanEquals('$.fail', true), childFailed)
      .otherwise(childDone);
    this.child = new sfn.StateMachine(this, 'Child', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(childStep.next(check)),
    });

    const runChild = new tasks.StepFunctionsStartExecution(this, 'Run child', {
      stateMachine: this.child,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromObject({ 'value.$': '$.value', 'fail.$': '$.fail' }),
      resultSelector: { 'output.$': '$.Output', 'status.$': '$.Status' },
      resultPath: '$.sync',
    });
    const childTaskFailed = new sfn.Pass(this, 'Child task failed');
    const runExpress = new sfn.CustomState(this, 'Run child express', {
      stateJson: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:sfn:startSyncExecution',
        Parameters: {
          'StateMachineArn': this.child.stateMachineArn,
          'Input.$': 'States.JsonToString($.request)',
        },
        ResultPath: '$.express',
      },
    });
    const fireAndForget = new tasks.StepFunctionsStartExecution(this, 'Fire and forget', {
      stateMachine: this.child,
      input: sfn.TaskInput.fromObject({ value: 100, fail: false }),
      resultSelector: { 'arn.$': '$.ExecutionArn' },
      resultPath: '$.async',
    });
    runChild.addCatch(childTaskFailed, { errors: ['States.TaskFailed'], resultPath: '$.childError' });
    childTaskFailed.next(runExpress);
    this.stateMachine = new sfn.StateMachine(this, 'Parent', {
      definitionBody: sfn.DefinitionBody.fromChainable(runChild.next(runExpress).next(fireAndForget)),
    });
  }
}
