import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ChildWorkflowStep, ChildWorkflowStepOptions } from './child-workflow-step';
import { applyRetryPolicy, transientSdkErrors, TRANSIENT_LAMBDA_ERRORS } from './retry';
import { workflowError } from '../core/errors';
import { IWorkflowStep, StepBindOptions, StepBinding, StepOptions } from '../core/step';
import type { IWorkflow } from '../core/workflow';
import { WorkflowFunction } from '../defaults/workflow-function';

/** Margin added to a WorkflowFunction's own timeout for the state's `TimeoutSeconds`. */
const LAMBDA_STATE_TIMEOUT_MARGIN = Duration.seconds(5);

/**
 * Options of a Lambda step.
 */
export interface LambdaStepOptions extends StepOptions {}

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
    this.options = options;
    this.timeout = options.timeout ?? defaultTimeout;
    this.idempotent = options.idempotent ?? false;
  }

  public abstract bind(scope: Construct, options: StepBindOptions): StepBinding;
}

/** Time limits rendered into a task state. */
function taskTimeouts(scope: Construct, step: StepBase, options: StepOptions): { taskTimeout?: sfn.Timeout; heartbeatTimeout?: sfn.Timeout } {
  if (step.timeout && options.heartbeat && options.heartbeat.toSeconds() >= step.timeout.toSeconds()) {
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

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const { payload, inputPath } = lambdaEvent(scope, this.name, options.payload);
    const task = new tasks.LambdaInvoke(scope, options.stateName ?? this.name, {
      lambdaFunction: this.target,
      payload,
      inputPath,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: options.resultPath,
      resultSelector: options.resultSelector,
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
    const task = new tasks.CallAwsService(scope, options.stateName ?? this.name, {
      service: this.props.service,
      action: this.props.action,
      parameters: this.props.parameters,
      iamResources: this.props.iamResources,
      iamAction: this.props.iamAction,
      additionalIamStatements: this.props.additionalIamStatements,
      resultPath: options.resultPath,
      resultSelector: options.resultSelector,
      comment: this.props.comment,
      ...taskTimeouts(scope, this, this.props),
    });
    applyRetryPolicy(task, task, options.retry ?? this.props.retry, this.props.nonRetryableErrors, transientSdkErrors(this.props.service));
    return { state: task };
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
    return new LambdaStep(name, fn.alias, options, fn);
  }

  /**
   * A step that invokes any Lambda function or alias as given. Prefer `Step.lambda` with a
   * `WorkflowFunction`: an unqualified function gets no provisioned concurrency.
   */
  public static lambdaFunction(name: string, fn: lambda.IFunction, options: LambdaStepOptions = {}): IWorkflowStep {
    return new LambdaStep(name, fn, options);
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
