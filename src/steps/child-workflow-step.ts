import { Annotations, ArnFormat, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { stepResultSelector } from './result';
import { applyRetryPolicy, DEFAULT_RETRY, transientSdkErrors } from './retry';
import { workflowError } from '../core/errors';
import { IWorkflowStep, RetryPolicy, StepBindOptions, StepBinding } from '../core/step';
import type { StepFacts } from '../core/step-rules';
import { WorkflowType } from '../core/types';
import { MAX_NAME_LENGTH } from '../core/validation';
import { IWorkflow, Workflow } from '../core/workflow';
import { explainWildcardStatement } from '../nag';

/** Margin added to the child's execution timeout for the parent task's `TimeoutSeconds`. */
const CHILD_TIMEOUT_MARGIN = Duration.seconds(5);

/**
 * Transient errors of the optimized `states:startExecution.sync:2` integration (the start and
 * polling calls being throttled or the service being briefly unavailable). The child's own
 * errors are not in this list: they are re-thrown under their own names and retried only when
 * the retry policy names them.
 */
const TRANSIENT_START_EXECUTION_ERRORS: readonly string[] = [
  'StepFunctions.ExecutionLimitExceededException',
  'StepFunctions.AWSStepFunctionsException',
  'StepFunctions.SdkClientException',
];

/** Suffixes of the auxiliary states a child workflow step renders (the longest one bounds the step name). */
const AUX = {
  run: ' - run',
  check: ' - check',
  readFailure: ' - read failure',
  checkChild: ' - check child',
  parse: ' - parse output',
  result: ' - result',
  rethrow: ' - rethrow',
  rethrowError: ' - rethrow error',
  rethrowCaught: ' - rethrow caught',
  describe: ' - describe failure',
  failed: ' - failed',
};
const LONGEST_SUFFIX = Math.max(...Object.values(AUX).map((s) => s.length));

/**
 * Options of a child workflow step.
 */
export interface ChildWorkflowStepOptions {
  /**
   * Retry policy of the whole child execution, applied in the parent. Errors raised inside the
   * child reach the parent under their own names, so naming them here re-runs the child (do it
   * only for idempotent children).
   * @default - 3 retries with backoff and jitter on the start call's transient errors only
   * (`StepFunctions.ExecutionLimitExceededException`, `StepFunctions.AWSStepFunctionsException`,
   * `StepFunctions.SdkClientException` from a Standard parent; `Sfn.ThrottlingException` and the
   * other transient `Sfn.*` errors from an Express parent)
   */
  readonly retry?: RetryPolicy;
  /**
   * Error names that are never retried and go straight to the parent's Catch.
   * @default - none
   */
  readonly nonRetryableErrors?: string[];
  /**
   * Time limit of one child run, as seen by the parent (the start task's `TimeoutSeconds`).
   * @default - the child's execution timeout plus 5 seconds
   */
  readonly timeout?: Duration;
  /**
   * Whether running the child twice with the same input has the effect of running it once.
   * @default false
   */
  readonly idempotent?: boolean;
  /**
   * Pass the parent's execution ID to the child, merged into the child's input as
   * `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` (the field Step Functions uses to link a child
   * execution to its parent in the console). Child states can read it from
   * `$$.Execution.Input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`.
   * @default true
   */
  readonly associateWithParent?: boolean;
  /**
   * A comment rendered into the step's state.
   * @default - none
   */
  readonly comment?: string;
  /**
   * Keep only part of the child's output in the parent's state (JSONPath selections read from
   * the child's output, e.g. `{ 'total.$': '$.results.Sum.total' }`). Mutually exclusive with
   * `discardResult`.
   * @default - the child's whole output is kept
   */
  readonly resultSelector?: { [key: string]: any };
  /**
   * Keep nothing of the child's output (the parent stores `{}` at the step's result place).
   * @default false
   */
  readonly discardResult?: boolean;
}

/**
 * A state that also contributes IAM statements to the state machine role. The start task of a
 * Standard parent is a `CustomState` (no L2 task renders `.sync:2` with a merged input), so its
 * statements are registered here, where the whole step's graph is bound.
 */
class ChildWorkflowParallel extends sfn.Parallel {
  private readonly statements: iam.PolicyStatement[] = [];

  public addStatements(...statements: iam.PolicyStatement[]): void {
    this.statements.push(...statements);
  }

  public bindToGraph(graph: sfn.StateGraph): void {
    super.bindToGraph(graph);
    for (const statement of this.statements) {
      graph.registerPolicyStatement(statement);
    }
  }
}

/**
 * A step that runs another workflow synchronously and continues with its output.
 *
 * The step renders one `Parallel` state (named after the step, so the pattern's Retry and Catch
 * apply to the whole call) whose single branch starts the child and checks its outcome:
 *
 * - **Standard parent**: `arn:aws:states:::states:startExecution.sync:2` (output as JSON). A failed
 *   child fails that task with `States.TaskFailed` and the child's description as the cause; the
 *   branch parses it and re-throws the child's own error name and cause with a `Fail` state.
 * - **Express parent**: `.sync` is not available to Express machines, so the branch calls
 *   `StartSyncExecution` through the AWS SDK integration (Express children only), which answers
 *   HTTP 200 even when the child failed; a `Choice` on `Status` re-throws the child's error name
 *   and cause, and a `Pass` parses the child's output string.
 *
 * Either way the parent sees the child's error name (e.g. `PaymentDeclined`) as if the child's
 * steps had run inline. A child that fails without an error name, or with a `States.*` error
 * (e.g. it timed out), surfaces as `ChildWorkflow.Failed` with its status in the cause.
 */
export class ChildWorkflowStep implements IWorkflowStep {
  /** The input field carrying the parent's execution ID. */
  public static readonly PARENT_EXECUTION_ID_FIELD = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';
  /** The error raised when a child fails without an error name of its own, or with a `States.*` error. */
  public static readonly CHILD_FAILED_ERROR = 'ChildWorkflow.Failed';

  public readonly name: string;
  public readonly timeout?: Duration;
  public readonly idempotent: boolean;
  public readonly waitsForCallback: boolean = false;
  /** The workflow started by the step. */
  public readonly child: IWorkflow;
  private readonly options: ChildWorkflowStepOptions;

  public constructor(name: string, child: IWorkflow, options: ChildWorkflowStepOptions = {}) {
    if (!child || !child.node) {
      throw new Error(`step '${name}': the child workflow is ${child}. Pass a Workflow construct (for example a SequentialWorkflow).`);
    }
    this.name = name;
    this.child = child;
    this.options = options;
    this.timeout = options.timeout ?? child.timeout.plus(CHILD_TIMEOUT_MARGIN);
    this.idempotent = options.idempotent ?? false;
  }

  /** @internal */
  public _validationFacts(): StepFacts {
    return {
      kind: 'child',
      retry: this.options.retry,
      nonRetryableErrors: this.options.nonRetryableErrors,
      explicitTimeout: this.options.timeout,
      childTimeout: this.child.timeout,
      childType: this.child.workflowType,
      childPath: this.child.node.path,
      defaultMaxAttempts: DEFAULT_RETRY.maxAttempts,
      defaultInterval: DEFAULT_RETRY.interval,
      defaultBackoffRate: DEFAULT_RETRY.backoffRate,
      defaultMaxDelay: DEFAULT_RETRY.maxDelay,
    };
  }

  public bind(scope: Construct, bindOptions: StepBindOptions): StepBinding {
    const stateName = bindOptions.stateName ?? this.name;
    const options: StepBindOptions = {
      ...bindOptions,
      resultSelector: stepResultSelector(scope, this.name, this.options, bindOptions.resultSelector),
    };
    const parentType = options.workflowType;
    if (stateName.length + LONGEST_SUFFIX > MAX_NAME_LENGTH) {
      throw workflowError(scope, `step name '${stateName}' is ${stateName.length} characters long; a child workflow step also renders states named '<step>${AUX.describe}', and state names are at most ${MAX_NAME_LENGTH} characters, so its name may have at most ${MAX_NAME_LENGTH - LONGEST_SUFFIX}. Shorten it.`);
    }
    this.validateTarget(scope, stateName, parentType);

    const express = parentType === WorkflowType.EXPRESS;
    const names = auxNames(stateName);
    const resultPath = options.resultPath ?? '$';
    const discard = resultPath === sfn.JsonPath.DISCARD;
    const statePath = discard ? undefined : underState(scope, stateName, resultPath);

    // The branch receives the parent's state under `state`, the child input under `input` (when it
    // is not the whole state) and the correlation object, and ends with the parent's new state.
    const parameters: { [key: string]: any } = { 'state.$': '$' };
    const inputPath = childInputPath(scope, stateName, options.payload, parameters);
    const associate = this.options.associateWithParent ?? true;
    let inputExpression = inputPath;
    if (associate) {
      parameters.correlation = { [`${ChildWorkflowStep.PARENT_EXECUTION_ID_FIELD}.$`]: '$$.Execution.Id' };
      inputExpression = `States.JsonMerge(${inputPath}, $.correlation, false)`;
    }

    const parallel = new ChildWorkflowParallel(scope, stateName, {
      stateName,
      parameters,
      outputPath: '$[0]',
      comment: this.options.comment,
    });
    const sm = this.child.stateMachine;
    const start = express
      ? this.renderExpressStart(parallel, names, inputExpression)
      : this.renderStandardStart(parallel, names, inputExpression, options.resultSelector, statePath, discard);

    // Failure handling shared by both parent types: `$.child` holds the child's description.
    const rethrow = new sfn.Fail(parallel, 'Rethrow', { stateName: names.rethrow, errorPath: '$.child.Error', causePath: '$.child.Cause' });
    const rethrowError = new sfn.Fail(parallel, 'RethrowError', { stateName: names.rethrowError, errorPath: '$.child.Error' });
    const describe = new sfn.Pass(parallel, 'Describe', {
      stateName: names.describe,
      parameters: {
        'cause.$': "States.Format('Child execution {} ended with status {} and no error name of its own (or a States.* error); see its execution history or logs.', $.child.ExecutionArn, $.child.Status)",
      },
    });
    describe.next(new sfn.Fail(parallel, 'Failed', { stateName: names.failed, error: ChildWorkflowStep.CHILD_FAILED_ERROR, causePath: '$.cause' }));
    const errorPresent = sfn.Condition.isPresent('$.child.Error');
    const ownErrorName = sfn.Condition.not(sfn.Condition.stringMatches('$.child.Error', 'States.*'));
    const checkChild = new sfn.Choice(parallel, 'CheckChild', { stateName: express ? names.check : names.checkChild });

    let branch: sfn.IChainable;
    if (express) {
      const parse = new sfn.Pass(parallel, 'Parse', {
        stateName: names.parse,
        parameters: { 'value.$': 'States.StringToJson($.child.Output)' },
        resultPath: '$.parsed',
      });
      const result = new sfn.Pass(parallel, 'Result', {
        stateName: names.result,
        inputPath: '$.parsed.value',
        parameters: options.resultSelector,
        resultPath: statePath ?? sfn.JsonPath.DISCARD,
        outputPath: '$.state',
      });
      parse.next(result);
      checkChild.when(sfn.Condition.stringEquals('$.child.Status', 'SUCCEEDED'), parse);
      const task = start as tasks.CallAwsService;
      task.next(checkChild);
      branch = task;
    } else {
      const custom = start as StandardStart;
      const readFailure = new sfn.Pass(parallel, 'ReadFailure', {
        stateName: names.readFailure,
        parameters: { 'child.$': 'States.StringToJson($.caught.Cause)' },
      });
      readFailure.next(checkChild);
      const check = new sfn.Choice(parallel, 'Check', { stateName: names.check })
        .when(sfn.Condition.stringMatches('$.caught.Cause', '{*"ExecutionArn"*}'), readFailure)
        .otherwise(new sfn.Fail(parallel, 'RethrowCaught', { stateName: names.rethrowCaught, errorPath: '$.caught.Error', causePath: '$.caught.Cause' }));
      custom.task.addCatch(check, { errors: [sfn.Errors.TASKS_FAILED], resultPath: '$.caught' });
      branch = custom.task;
      if (custom.resultPass) {
        custom.task.next(custom.resultPass);
      }
    }
    checkChild
      .when(sfn.Condition.and(errorPresent, ownErrorName, sfn.Condition.isPresent('$.child.Cause')), rethrow)
      .when(sfn.Condition.and(errorPresent, ownErrorName), rethrowError)
      .otherwise(describe);
    parallel.branch(branch);

    applyRetryPolicy(scope, parallel, options.retry ?? this.options.retry, this.options.nonRetryableErrors,
      express ? transientSdkErrors('sfn') : TRANSIENT_START_EXECUTION_ERRORS);
    parallel.addStatements(...this.policyStatements(scope, express, sm));
    return { state: parallel, auxiliaryStateNames: Object.values(names) };
  }

  /** Refuses a child the parent cannot call synchronously. */
  private validateTarget(scope: Construct, stateName: string, parentType: WorkflowType): void {
    for (const ancestor of scope.node.scopes) {
      if (ancestor === (this.child as IConstruct)) {
        throw workflowError(scope, `step '${stateName}' calls workflow ${this.child.node.path}, which contains this step: a workflow cannot call itself or its own parent synchronously (it would wait on itself). Call a different workflow, or start it asynchronously with Step.awsSdk (sfn:startExecution).`);
      }
    }
    if (parentType === WorkflowType.EXPRESS && this.child.workflowType !== WorkflowType.EXPRESS) {
      throw workflowError(scope, `step '${stateName}': an Express workflow cannot call the Standard workflow ${this.child.node.path} synchronously. Express state machines do not support the '.sync' integration, and StartSyncExecution starts Express machines only. Make the child Express, make the parent Standard, or start the child asynchronously with Step.awsSdk (sfn:startExecution).`);
    }
  }

  private renderExpressStart(parallel: Construct, names: AuxNames, inputExpression: string): tasks.CallAwsService {
    return new tasks.CallAwsService(parallel, 'Run', {
      stateName: names.run,
      service: 'sfn',
      action: 'startSyncExecution',
      iamAction: 'states:StartSyncExecution',
      iamResources: [this.child.stateMachine.stateMachineArn],
      parameters: {
        StateMachineArn: this.child.stateMachine.stateMachineArn,
        Input: sfn.JsonPath.stringAt(`States.JsonToString(${inputExpression})`),
      },
      resultPath: '$.child',
      taskTimeout: this.timeout ? sfn.Timeout.duration(this.timeout) : undefined,
    });
  }

  private renderStandardStart(
    parallel: Construct,
    names: AuxNames,
    inputExpression: string,
    resultSelector: { [key: string]: any } | undefined,
    statePath: string | undefined,
    discard: boolean,
  ): StandardStart {
    const json: { [key: string]: any } = {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::states:startExecution.sync:2`,
      Parameters: {
        'StateMachineArn': this.child.stateMachine.stateMachineArn,
        'Input.$': inputExpression,
      },
    };
    if (this.timeout) {
      json.TimeoutSeconds = this.timeout.toSeconds();
    }
    let resultPass: sfn.Pass | undefined;
    if (discard) {
      json.ResultPath = null;
      json.OutputPath = '$.state';
    } else if (resultSelector) {
      json.ResultSelector = rebaseSelector(parallel, resultSelector, '$.Output');
      json.ResultPath = statePath;
      json.OutputPath = '$.state';
    } else if (statePath === '$.state') {
      json.ResultPath = '$.state';
      json.OutputPath = '$.state.Output';
    } else {
      // Any other place: keep the description there, then replace it by its Output.
      json.ResultPath = statePath;
      resultPass = new sfn.Pass(parallel, 'Result', {
        stateName: names.result,
        inputPath: `${statePath}.Output`,
        resultPath: statePath,
        outputPath: '$.state',
      });
    }
    // CustomState has no stateName prop: its construct id is its state name.
    const task = new sfn.CustomState(parallel, names.run, { stateJson: json });
    return { task, resultPass };
  }

  /** Least-privilege statements for starting (and, for `.sync`, following) the child. */
  private policyStatements(scope: Construct, express: boolean, sm: sfn.StateMachine): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    const stack = Stack.of(scope);
    if (!express) {
      statements.push(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }));
      const executionArns = [stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${sm.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })];
      if (this.child.workflowType === WorkflowType.EXPRESS) {
        // An Express child's executions are named arn:...:express:<machine>:<execution>:<id>.
        executionArns.push(stack.formatArn({ service: 'states', resource: 'express', resourceName: `${sm.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
      }
      // The execution's name is chosen at run time: the ARN ends in a wildcard, scoped to this one child
      // machine (Step Functions Developer Guide, IAM policies for nested workflows).
      statements.push(explainWildcardStatement(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: executionArns }),
        'states:startExecution.sync:2 must describe and stop the child execution it started, whose name is chosen at run time; the ARN is scoped to the one child state machine (arn:...:execution|express:<child name>:*), as the Step Functions Developer Guide documents for nested workflows (IAM policies for nested workflows).'));
      statements.push(new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' })],
      }));
    }
    const key = this.child instanceof Workflow ? this.child.encryptionKey : undefined;
    if (key) {
      // Starting an execution of a machine encrypted with a customer key encrypts its input and
      // reads its definition with that key.
      statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }));
    } else if (!(this.child instanceof Workflow)) {
      Annotations.of(scope).addInfoV2('cdk-stateful-workflows:childWorkflowKey',
        `Child workflow ${this.child.node.path} is not a Workflow of this library, so its encryption key (if any) is unknown: grant kms:Decrypt and kms:GenerateDataKey on it to the parent's role yourself.`);
    }
    return statements;
  }
}

interface StandardStart {
  readonly task: sfn.CustomState;
  readonly resultPass?: sfn.Pass;
}

type AuxNames = { [K in keyof typeof AUX]: string };

function auxNames(stateName: string): AuxNames {
  const out: Partial<AuxNames> = {};
  for (const [key, suffix] of Object.entries(AUX)) {
    out[key as keyof AuxNames] = `${stateName}${suffix}`;
  }
  return out as AuxNames;
}

/**
 * Where the step's result goes inside the branch, whose input keeps the parent's state at `$.state`.
 */
function underState(scope: IConstruct, stateName: string, resultPath: string): string {
  if (Token.isUnresolved(resultPath)) {
    throw workflowError(scope, `step '${stateName}': resultPath is an unresolved token. Give a literal JSONPath such as '$.results.child'.`);
  }
  if (resultPath === '$') {
    return '$.state';
  }
  if (/^\$(\.|\[)/.test(resultPath)) {
    return `$.state${resultPath.slice(1)}`;
  }
  throw workflowError(scope, `step '${stateName}': resultPath '${resultPath}' is not a JSONPath starting with '$'. Use '$', '$.field...' or JsonPath.DISCARD.`);
}

/**
 * The branch-relative JSONPath of the child's input; adds `input` to the Parallel's parameters when
 * the payload is not the whole state.
 */
function childInputPath(scope: IConstruct, stateName: string, payload: sfn.TaskInput | undefined, parameters: { [key: string]: any }): string {
  if (!payload) {
    return '$.state';
  }
  const pathToken = payload.type === sfn.InputType.TEXT && typeof payload.value === 'string' && sfn.JsonPath.isEncodedJsonPath(payload.value);
  if (payload.type !== sfn.InputType.OBJECT && !pathToken) {
    throw workflowError(scope, `step '${stateName}': the payload is text (${JSON.stringify(payload.value)}), but a child workflow's input must be a JSON object. Use TaskInput.fromObject(...) or TaskInput.fromJsonPathAt('$.field').`);
  }
  // Rendered by CDK as `input` (an object) or `input.$` (a JSONPath).
  parameters.input = payload.value;
  return '$.input';
}

/**
 * Rewrites a result selector written against the child's output so that it reads the same values
 * from the `.sync:2` description, where the output sits at `base` (`$.Output`).
 */
function rebaseSelector(scope: IConstruct, selector: { [key: string]: any }, base: string): { [key: string]: any } {
  const out: { [key: string]: any } = {};
  for (const [key, value] of Object.entries(selector)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      out[key] = rebasePathExpression(scope, value, base);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = rebaseSelector(scope, value, base);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function rebasePathExpression(scope: IConstruct, expression: string, base: string): string {
  if (expression.startsWith('$$')) {
    return expression;
  }
  if (expression === '$') {
    return base;
  }
  if (/^\$(\.|\[)/.test(expression)) {
    return `${base}${expression.slice(1)}`;
  }
  if (expression.startsWith('States.')) {
    // Rewrite the paths of an intrinsic function call, leaving quoted literals alone.
    return expression.split(/('(?:[^'\\]|\\.)*')/).map((part, i) => i % 2 === 1
      ? part
      : part.replace(/(^|[^$\w])\$(?=[.[,)\s]|$)/g, (_m, lead: string) => `${lead}${base}`)).join('');
  }
  throw workflowError(scope, `resultSelector value '${expression}' is neither a JSONPath nor an intrinsic function. Use '$.field' or 'States.*(...)'.`);
}
