import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { ChildWorkflowStep, ChildWorkflowStepOptions } from './child-workflow-step';
import { stepResultSelector } from './result';
import { applyRetryPolicy, DEFAULT_RETRY, transientSdkErrors, TRANSIENT_LAMBDA_ERRORS } from './retry';
import { workflowError } from '../core/errors';
import { IWorkflowStep, StepBindOptions, StepBinding, StepOptions } from '../core/step';
import type { StepFacts } from '../core/step-rules';
import type { IWorkflow } from '../core/workflow';
import type { PayloadStore } from '../defaults/payload-store';
import { WorkflowFunction } from '../defaults/workflow-function';

/** Margin added to a WorkflowFunction's own timeout for the state's `TimeoutSeconds`. */
const LAMBDA_STATE_TIMEOUT_MARGIN = Duration.seconds(5);

/**
 * Options of a Lambda step.
 */
export interface LambdaStepOptions extends StepOptions {
  /**
   * A payload store for results that can be large. The function gets the store's bucket and key
   * prefix in its environment and may write and read objects under that prefix; its handler calls
   * `offload(result)` from `cdk-stateful-workflows/runtime`, which returns a small reference
   * (`{ "$payloadRef": { bucket, key, bytes } }`) instead of a result above the threshold, and
   * later handlers call `resolve(ref)` (grant them `payloadStore.grantRead`). See docs/payloads.md.
   * @default - no payload store: the whole result travels in the state (256 KiB at most)
   */
  readonly payloadStore?: PayloadStore;
}

/**
 * Properties of an AWS SDK step (`arn:aws:states:::aws-sdk:<service>:<action>`).
 */
export interface AwsSdkStepProps extends StepOptions {
  /** The AWS SDK service, lower case as in the SDK for JavaScript v3 client name (e.g. `dynamodb`, `s3`). */
  readonly service: string;
  /** The API action, camelCase (e.g. `putItem`). */
  readonly action: string;
  /**
   * The API parameters, with JSONPath values (`JsonPath.stringAt('$.id')`) read from the state.
   * @default - no parameters
   */
  readonly parameters?: { [key: string]: any };
  /** The resources the state machine role may call the action on (least privilege: name them exactly). */
  readonly iamResources: string[];
  /**
   * The IAM action to grant.
   * @default - `<service>:<Action>`
   */
  readonly iamAction?: string;
  /**
   * Further IAM statements the call needs (e.g. `kms:Decrypt`).
   * @default - none
   */
  readonly additionalIamStatements?: iam.PolicyStatement[];
  /**
   * Conditions of the statement that allows the call, for actions that cannot be scoped by
   * resource (e.g. `cloudwatch:PutMetricData` on `*`, limited with
   * `{ StringEquals: { 'cloudwatch:namespace': 'MyNamespace' } }`). The statement is still derived
   * from the state graph: it exists only while the step is in the workflow.
   * @default - no conditions
   */
  readonly iamConditions?: { [operator: string]: any };
}

/**
 * Properties of a Pass step.
 */
export interface PassStepProps {
  /**
   * A fixed result of the step.
   * @default - the input (or `parameters`) passes through
   */
  readonly result?: { [key: string]: any };
  /**
   * Builds the step's output from the input with JSONPath values.
   * @default - the input passes through
   */
  readonly parameters?: { [key: string]: any };
  /**
   * A comment rendered into the state.
   * @default - none
   */
  readonly comment?: string;
}

/**
 * Shared behaviour of the built-in steps: name, timeout, retry and idempotency flags.
 */
export abstract class StepBase implements IWorkflowStep {
  public readonly name: string;
  public readonly timeout?: Duration;
  public readonly idempotent: boolean;
  public readonly waitsForCallback: boolean = false;
  protected readonly options: StepOptions;

  protected constructor(name: string, options: StepOptions, defaultTimeout?: Duration) {
    this.name = name;
    this.options = options ?? {};
    this.timeout = this.options.timeout ?? defaultTimeout;
    this.idempotent = this.options.idempotent ?? false;
  }

  public abstract bind(scope: Construct, options: StepBindOptions): StepBinding;

  /**
   * What the Workflow base validates about this step (see docs/validation.md).
   * @internal
   */
  public _validationFacts(): StepFacts {
    return {
      kind: 'awsSdk',
      retry: this.options.retry,
      nonRetryableErrors: this.options.nonRetryableErrors,
      explicitTimeout: this.options.timeout,
      heartbeat: this.options.heartbeat,
      defaultMaxAttempts: DEFAULT_RETRY.maxAttempts,
      defaultInterval: DEFAULT_RETRY.interval,
      defaultBackoffRate: DEFAULT_RETRY.backoffRate,
      defaultMaxDelay: DEFAULT_RETRY.maxDelay,
    };
  }
}

/** Time limits rendered into a task state. */
function taskTimeouts(scope: Construct, step: StepBase, options: StepOptions): { taskTimeout?: sfn.Timeout; heartbeatTimeout?: sfn.Timeout } {
  if (step.timeout && options.heartbeat && !Token.isUnresolved(step.timeout.toSeconds({ integral: false }))
    && !Token.isUnresolved(options.heartbeat.toSeconds({ integral: false }))
    && options.heartbeat.toSeconds({ integral: false }) >= step.timeout.toSeconds({ integral: false })) {
    throw workflowError(scope, `step '${step.name}': heartbeat (${options.heartbeat.toHumanString()}) must be shorter than the timeout (${step.timeout.toHumanString()}). Shorten the heartbeat or lengthen the timeout.`);
  }
  return {
    taskTimeout: step.timeout ? sfn.Timeout.duration(step.timeout) : undefined,
    heartbeatTimeout: options.heartbeat ? sfn.Timeout.duration(options.heartbeat) : undefined,
  };
}


/**
 * A step that invokes a Lambda function (optimized integration, response payload only).
 */
export class LambdaStep extends StepBase {
  /** The function or alias invoked. */
  public readonly target: lambda.IFunction;
  private readonly workflowFunction?: WorkflowFunction;

  /**
   * @param name the step name
   * @param target the function or alias invoked
   * @param options step options
   * @param workflowFunction the WorkflowFunction the target belongs to, if any (for alarms and the default timeout)
   */
  public constructor(name: string, target: lambda.IFunction, options: LambdaStepOptions = {}, workflowFunction?: WorkflowFunction) {
    super(
      name,
      options,
      workflowFunction ? workflowFunction.timeout.plus(LAMBDA_STATE_TIMEOUT_MARGIN) : undefined,
    );
    this.target = target;
    this.workflowFunction = workflowFunction;
  }

  /** @internal */
  public _validationFacts(): StepFacts {
    return { ...super._validationFacts(), kind: 'lambda', functionTimeout: this.workflowFunction?.timeout };
  }

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const { payload, inputPath } = lambdaEvent(scope, this.name, options.payload);
    const task = new tasks.LambdaInvoke(scope, options.stateName ?? this.name, {
      lambdaFunction: this.target,
      payload,
      inputPath,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: options.resultPath,
      resultSelector: stepResultSelector(scope, this.name, this.options, options.resultSelector),
      comment: this.options.comment,
      ...taskTimeouts(scope, this, this.options),
    });
    applyRetryPolicy(task, task, options.retry ?? this.options.retry, this.options.nonRetryableErrors, TRANSIENT_LAMBDA_ERRORS);
    if (!this.workflowFunction && this.target instanceof lambda.Function) {
      Annotations.of(task).addWarningV2(
        'cdk-stateful-workflows:unqualifiedLambda',
        `Step '${this.name}' invokes the unqualified function ${this.target.node.path}: provisioned concurrency does not apply and IAM needs a ':*' wildcard. Use a WorkflowFunction (Step.lambda) or pass an alias.`,
      );
    }
    return { state: task, functions: this.workflowFunction ? [this.workflowFunction] : [] };
  }
}

/**
 * With `payloadResponseOnly` the payload becomes the state's `Parameters`, which must be an object:
 * a JSONPath payload (`TaskInput.fromJsonPathAt('$.item')`) is rendered as `InputPath` instead,
 * and a plain text payload is refused.
 */
function lambdaEvent(scope: Construct, stepName: string, payload: sfn.TaskInput | undefined): { payload?: sfn.TaskInput; inputPath?: string } {
  if (!payload || payload.type === sfn.InputType.OBJECT) {
    return { payload };
  }
  const resolved = Stack.of(scope).resolve(payload.value);
  if (typeof resolved === 'string' && resolved.startsWith('$')) {
    return { inputPath: resolved };
  }
  throw workflowError(scope, `step '${stepName}': the Lambda event must be a JSON object or a JSONPath, got the text ${JSON.stringify(resolved)}. Use TaskInput.fromObject({...}) or TaskInput.fromJsonPathAt('$.field').`);
}

/**
 * A step that calls any AWS API through the AWS SDK service integration.
 */
export class AwsSdkStep extends StepBase {
  private readonly props: AwsSdkStepProps;

  public constructor(name: string, props: AwsSdkStepProps) {
    super(name, props);
    this.props = props;
  }

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    validateSdkCall(scope, this.name, this.props);
    const task = new ConditionedCallAwsService(scope, options.stateName ?? this.name, this.props.iamConditions, {
      service: this.props.service,
      action: this.props.action,
      parameters: this.props.parameters,
      iamResources: this.props.iamResources,
      iamAction: this.props.iamAction,
      additionalIamStatements: this.props.additionalIamStatements,
      resultPath: options.resultPath,
      resultSelector: stepResultSelector(scope, this.name, this.props, options.resultSelector),
      comment: this.props.comment,
      ...taskTimeouts(scope, this, this.props),
    });
    applyRetryPolicy(task, task, options.retry ?? this.props.retry, this.props.nonRetryableErrors, transientSdkErrors(this.props.service));
    return { state: task };
  }
}

/**
 * `CallAwsService` whose main IAM statement carries conditions. aws-cdk-lib builds the statement
 * (`iamAction` on `iamResources`) in the constructor and registers `taskPolicies` with the state
 * graph when the state is bound, so replacing it here keeps IAM derived from the graph.
 */
class ConditionedCallAwsService extends tasks.CallAwsService {
  public constructor(scope: Construct, id: string, conditions: { [operator: string]: any } | undefined, props: tasks.CallAwsServiceProps) {
    super(scope, id, props);
    if (conditions && Object.keys(conditions).length > 0) {
      const policies = ((this as any).taskPolicies ?? []) as iam.PolicyStatement[];
      const [main, ...rest] = policies;
      const conditioned = new iam.PolicyStatement({ actions: main.actions, resources: main.resources, conditions });
      (this as any).taskPolicies = [conditioned, ...rest];
    }
  }
}

/**
 * Refuses the AWS SDK calls aws-cdk-lib would refuse with a message that names no step
 * (`CallAwsService`: camelCase action, PascalCase parameter names; IAM: at least one resource).
 */
function validateSdkCall(
  scope: IConstruct, stepName: string, props: { service: string; action: string; parameters?: { [key: string]: any }; iamResources: string[] },
): void {
  if (typeof props.service !== 'string' || props.service.length === 0) {
    throw workflowError(scope, `step '${stepName}': service is ${JSON.stringify(props.service)}. Give the AWS SDK service name in lower case, e.g. 'dynamodb' or 's3'.`);
  }
  if (typeof props.action !== 'string' || props.action.length === 0) {
    throw workflowError(scope, `step '${stepName}': action is ${JSON.stringify(props.action)}. Give the API action in camelCase, e.g. 'putItem'.`);
  }
  if (!Token.isUnresolved(props.action) && props.action[0] !== props.action[0].toLowerCase()) {
    const fixed = props.action[0].toLowerCase() + props.action.slice(1);
    throw workflowError(scope, `step '${stepName}': action '${props.action}' must be camelCase as in the AWS SDK for JavaScript v3 (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). Use '${fixed}'.`);
  }
  const lower = Object.keys(props.parameters ?? {}).filter((key) => key[0] !== key[0]?.toUpperCase());
  if (lower.length > 0) {
    throw workflowError(scope, `step '${stepName}': parameter names ${lower.map((k) => `'${k}'`).join(', ')} must be PascalCase as in the service API (e.g. 'TableName'). Rename them.`);
  }
  if (!Array.isArray(props.iamResources) || props.iamResources.length === 0) {
    throw workflowError(scope, `step '${stepName}': iamResources is empty, so the state machine role could not call ${props.service}:${props.action} (an IAM statement needs at least one resource). List the ARNs it calls, e.g. [table.tableArn].`);
  }
}

/**
 * Where a callback step sends its task token. The receiver answers with `SendTaskSuccess`,
 * `SendTaskFailure` (and `SendTaskHeartbeat` while it works) using the token.
 */
export class CallbackTarget {
  /**
   * Invoke a `WorkflowFunction` (through its alias) with the token: `arn:aws:states:::lambda:invoke.waitForTaskToken`.
   * @param fn the function
   * @param payload the event; must contain `JsonPath.taskToken` somewhere.
   *   Default: `{ taskToken, input }` with `input` the pattern's request (the state, by default).
   */
  public static lambda(fn: WorkflowFunction, payload?: sfn.TaskInput): CallbackTarget {
    return new CallbackTarget('lambda', { fn: fn.alias, workflowFunction: fn, payload });
  }

  /**
   * Invoke any Lambda function or alias with the token.
   * @param fn the function or alias
   * @param payload the event; must contain `JsonPath.taskToken`. Default: `{ taskToken, input }`.
   */
  public static lambdaFunction(fn: lambda.IFunction, payload?: sfn.TaskInput): CallbackTarget {
    return new CallbackTarget('lambda', { fn, payload });
  }

  /**
   * Send the token in an SQS message: `arn:aws:states:::sqs:sendMessage.waitForTaskToken`.
   * @param queue the queue
   * @param messageBody the body; must contain `JsonPath.taskToken`. Default: `{ taskToken, input }`.
   */
  public static sqs(queue: sqs.IQueue, messageBody?: sfn.TaskInput): CallbackTarget {
    return new CallbackTarget('sqs', { queue, payload: messageBody });
  }

  /**
   * Publish the token to an SNS topic: `arn:aws:states:::sns:publish.waitForTaskToken`.
   * @param topic the topic
   * @param message the message; must contain `JsonPath.taskToken`. Default: `{ taskToken, input }`.
   */
  public static sns(topic: sns.ITopic, message?: sfn.TaskInput): CallbackTarget {
    return new CallbackTarget('sns', { topic, payload: message });
  }

  /**
   * Any AWS SDK call that carries the token (`arn:aws:states:::aws-sdk:<service>:<action>.waitForTaskToken`);
   * its `parameters` must contain `JsonPath.taskToken` (`$$.Task.Token`).
   */
  public static awsSdk(props: CallbackSdkCall): CallbackTarget {
    return new CallbackTarget('awsSdk', { sdk: props });
  }

  /** @internal */
  public readonly _kind: CallbackKind;
  /** @internal */
  public readonly _config: CallbackConfig;

  private constructor(kind: CallbackKind, config: CallbackConfig) {
    this._kind = kind;
    this._config = config;
  }
}

type CallbackKind = 'lambda' | 'sqs' | 'sns' | 'awsSdk';
interface CallbackConfig {
  readonly fn?: lambda.IFunction;
  readonly workflowFunction?: WorkflowFunction;
  readonly queue?: sqs.IQueue;
  readonly topic?: sns.ITopic;
  readonly payload?: sfn.TaskInput;
  readonly sdk?: CallbackSdkCall;
}

/**
 * An AWS SDK call made by a callback step.
 */
export interface CallbackSdkCall {
  /** The AWS SDK service, lower case (e.g. `ecs`, `events`). */
  readonly service: string;
  /** The API action, camelCase. */
  readonly action: string;
  /** The API parameters; must contain `JsonPath.taskToken` (`$$.Task.Token`). */
  readonly parameters: { [key: string]: any };
  /** The resources the state machine role may call the action on. */
  readonly iamResources: string[];
  /**
   * The IAM action to grant.
   * @default - `<service>:<Action>`
   */
  readonly iamAction?: string;
  /**
   * Further IAM statements the call needs.
   * @default - none
   */
  readonly additionalIamStatements?: iam.PolicyStatement[];
}

/**
 * Properties of a callback step.
 */
export interface CallbackStepProps extends StepOptions {
  /** Where the task token is sent. */
  readonly target: CallbackTarget;
}

/** The default message of a callback: the token and the pattern's request. */
function defaultCallbackPayload(placement: sfn.TaskInput | undefined): sfn.TaskInput {
  if (placement && placement.type === sfn.InputType.OBJECT) {
    return sfn.TaskInput.fromObject({ ...placement.value, taskToken: sfn.JsonPath.taskToken });
  }
  const input = placement && placement.type === sfn.InputType.TEXT && typeof placement.value === 'string' && sfn.JsonPath.isEncodedJsonPath(placement.value)
    ? placement.value
    : sfn.JsonPath.entirePayload;
  return sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, input });
}

/** Whether a rendered request carries the task token. */
function carriesTaskToken(scope: IConstruct, value: any): boolean {
  return JSON.stringify(Stack.of(scope).resolve(value) ?? null).includes('$$.Task.Token');
}

/**
 * A step that sends a task token and pauses until it is answered (`.waitForTaskToken`): an
 * approval, an external job, a human. Standard workflows only (Express ones refuse it); a timeout
 * is required and a heartbeat recommended. The answer of `SendTaskSuccess` is the step's result;
 * `SendTaskFailure` fails the step with the given error name; `States.Timeout` and
 * `States.HeartbeatTimeout` fail it when nobody answers in time. The state machine role gets
 * exactly the permission the call needs (derived from the state graph).
 */
export class CallbackStep extends StepBase {
  public readonly waitsForCallback: boolean = true;
  private readonly props: CallbackStepProps;

  public constructor(name: string, props: CallbackStepProps) {
    super(name, props);
    if (!props || !(props.target instanceof CallbackTarget)) {
      throw new Error(`Step.callback('${name}'): target is ${props?.target}. Pass CallbackTarget.lambda(fn), CallbackTarget.sqs(queue), CallbackTarget.sns(topic) or CallbackTarget.awsSdk({...}).`);
    }
    this.props = props;
  }

  /** @internal */
  public _validationFacts(): StepFacts {
    return { ...super._validationFacts(), kind: 'callback' };
  }

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const target = this.props.target;
    const config = target._config;
    const stateName = options.stateName ?? this.name;
    const common = {
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      resultPath: options.resultPath,
      resultSelector: stepResultSelector(scope, this.name, this.props, options.resultSelector),
      comment: this.props.comment,
      ...taskTimeouts(scope, this, this.props),
    };
    const payload = config.payload ?? defaultCallbackPayload(options.payload);
    if (target._kind !== 'awsSdk' && !carriesTaskToken(scope, payload.value)) {
      throw workflowError(scope, `callback step '${this.name}': its message does not contain the task token, so nobody could answer it. Put JsonPath.taskToken ('$$.Task.Token') in the payload, e.g. TaskInput.fromObject({ token: JsonPath.taskToken, ... }).`);
    }
    let task: sfn.TaskStateBase;
    let transient: readonly string[];
    const functions: WorkflowFunction[] = [];
    switch (target._kind) {
      case 'lambda':
        // https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (.waitForTaskToken)
        task = new tasks.LambdaInvoke(scope, stateName, { ...common, lambdaFunction: config.fn!, payload, retryOnServiceExceptions: false });
        transient = TRANSIENT_LAMBDA_ERRORS;
        if (config.workflowFunction) functions.push(config.workflowFunction);
        break;
      case 'sqs':
        // https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html
        task = new tasks.SqsSendMessage(scope, stateName, { ...common, queue: config.queue!, messageBody: payload });
        transient = ['SQS.SdkClientException', 'SQS.AmazonSQSException'];
        break;
      case 'sns':
        // https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html
        task = new tasks.SnsPublish(scope, stateName, { ...common, topic: config.topic!, message: payload });
        transient = ['SNS.SdkClientException', 'SNS.AmazonSNSException'];
        break;
      default: {
        // AWS SDK integrations support .waitForTaskToken in Standard workflows
        // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html).
        const sdk = config.sdk!;
        validateSdkCall(scope, this.name, sdk);
        if (!carriesTaskToken(scope, sdk.parameters)) {
          throw workflowError(scope, `callback step '${this.name}': the parameters of ${sdk.service}:${sdk.action} do not contain the task token, so nobody could answer it. Put JsonPath.taskToken ('$$.Task.Token') in a parameter the receiver reads.`);
        }
        task = new tasks.CallAwsService(scope, stateName, {
          ...common,
          service: sdk.service,
          action: sdk.action,
          parameters: sdk.parameters,
          iamResources: sdk.iamResources,
          iamAction: sdk.iamAction,
          additionalIamStatements: sdk.additionalIamStatements,
        });
        transient = transientSdkErrors(sdk.service);
      }
    }
    applyRetryPolicy(task, task, options.retry ?? this.props.retry, this.props.nonRetryableErrors, transient);
    return { state: task, functions };
  }
}

/**
 * A step that shapes data without calling anything (a Pass state).
 */
export class PassStep extends StepBase {
  private readonly props: PassStepProps;

  public constructor(name: string, props: PassStepProps = {}) {
    super(name, { idempotent: true, comment: props.comment });
    this.props = props;
  }

  /** @internal */
  public _validationFacts(): StepFacts {
    return { ...super._validationFacts(), kind: 'pass', defaultMaxAttempts: 0 };
  }

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const pass = new sfn.Pass(scope, options.stateName ?? this.name, {
      parameters: this.props.parameters,
      result: this.props.result ? sfn.Result.fromObject(this.props.result) : undefined,
      resultPath: options.resultPath,
      comment: this.props.comment,
    });
    return { state: pass };
  }
}

/**
 * Factories for the built-in steps.
 */
export class Step {
  /**
   * A step that invokes a `WorkflowFunction` through its alias (`live` by default), so that
   * provisioned concurrency applies and the state machine role may invoke exactly that alias ARN.
   */
  public static lambda(name: string, fn: WorkflowFunction, options: LambdaStepOptions = {}): IWorkflowStep {
    if (!fn || !fn.alias) {
      throw new Error(`Step.lambda('${name}'): the function is ${fn}. Pass a WorkflowFunction (or use Step.lambdaFunction for a plain function or alias).`);
    }
    options?.payloadStore?.grantReadWrite(fn);
    return new LambdaStep(name, fn.alias, options, fn);
  }

  /**
   * A step that invokes any Lambda function or alias as given. Prefer `Step.lambda` with a
   * `WorkflowFunction`: an unqualified function gets no provisioned concurrency.
   */
  public static lambdaFunction(name: string, fn: lambda.IFunction, options: LambdaStepOptions = {}): IWorkflowStep {
    if (options?.payloadStore) {
      throw new Error(`Step.lambdaFunction('${name}'): payloadStore needs a WorkflowFunction (it sets the function's environment). Use Step.lambda with a WorkflowFunction, or call payloadStore.grantReadWrite yourself and drop the option.`);
    }
    return new LambdaStep(name, fn, options);
  }

  /**
   * A step that sends a task token (to a Lambda function, an SQS queue, an SNS topic or any AWS
   * SDK call) and waits until it is answered with `SendTaskSuccess` / `SendTaskFailure`
   * (`.waitForTaskToken`, Standard workflows only). `timeout` is required; set `heartbeat` when the
   * receiver reports progress with `SendTaskHeartbeat`.
   */
  public static callback(name: string, props: CallbackStepProps): IWorkflowStep {
    return new CallbackStep(name, props);
  }

  /**
   * A step that calls an AWS API through the AWS SDK service integration.
   */
  public static awsSdk(name: string, props: AwsSdkStepProps): IWorkflowStep {
    return new AwsSdkStep(name, props);
  }

  /**
   * A step that runs another workflow synchronously and continues with its output. From a Standard
   * parent it uses `states:startExecution.sync:2`; from an Express parent, `StartSyncExecution`
   * (Express children only) with a status check. Either way a failed child re-throws its own error
   * name and cause in the parent, so the parent's Retry and Catch work as if the child's steps ran
   * inline. The parent's execution ID is passed to the child for correlation.
   */
  public static childWorkflow(name: string, workflow: IWorkflow, options: ChildWorkflowStepOptions = {}): IWorkflowStep {
    return new ChildWorkflowStep(name, workflow, options);
  }

  /**
   * A step that shapes data without calling anything.
   */
  public static pass(name: string, props: PassStepProps = {}): IWorkflowStep {
    return new PassStep(name, props);
  }

  private constructor() {}
}
