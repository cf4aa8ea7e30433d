import { Annotations, CfnResource, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { coordinatorInlineCode } from './coordinator';
import { decompose, describeSeries, Element, leavesOf, ParallelElement, validateDependencies } from './dag';
import { CHECKPOINT_LAYOUT, namespaceLeadingKeys, stepSortKey } from './layout';
import { workflowError } from '../../core/errors';
import { CHECKPOINT_COORDINATOR_ROLE, LIBRARY_FUNCTION_ROLE_METADATA } from '../../core/metadata';
import { IWorkflowStep } from '../../core/step';
import { MAX_NAME_LENGTH, stepResultKey, validateDurationRange, validateNonNegativeInteger } from '../../core/validation';
import { Workflow, WorkflowProps } from '../../core/workflow';
import { CheckpointTable } from '../../defaults/checkpoint-table';
import { DEFAULTS } from '../../defaults/constants';
import { WorkflowFunction } from '../../defaults/workflow-function';
import { Step } from '../../steps/step';

/** Attribute names of the checkpoint items (the layout shared with the coordinator and CheckpointClient). */
const A = CHECKPOINT_LAYOUT.attributes;
/** Fields of the execution input (and of the workflow state) the workflow reserves. */
const RESERVED_FIELDS = ['results', 'checkpoint', 'checkpointError'];
/** Margin added to the execution timeout for the lease duration. */
const LEASE_MARGIN = Duration.minutes(1);
/** What a skipped conditional step records as its result. */
const SKIPPED_RESULT = { skipped: true };
/** What a step with `discardResult` keeps as its result. */
const DISCARDED_RESULT = { discarded: true };
/** Input paths (`$.a.b`) the key may be read from. */
const KEY_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$/;
/** Input field names allowed for the restart flag. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A step of a `CheckpointedWorkflow` and where it sits in the dependency graph.
 */
export interface CheckpointedStep {
  /** The step. Its result is stored at `$.results.<step key>` and in the checkpoint table. */
  readonly step: IWorkflowStep;
  /**
   * Names of the steps this step waits for. When no step of the workflow declares `dependsOn`,
   * the steps run one after another in the order given; as soon as one does, the steps form a
   * DAG in which a step without `dependsOn` starts at once, and independent steps run in parallel.
   * @default - the previous step (sequence) or none (DAG), see above
   */
  readonly dependsOn?: string[];
  /**
   * Run the step only when this condition holds on the workflow state (for example on a result of a
   * step it depends on: `Condition.booleanEquals('$.results.Run_OCR.textFound', true)`). A skipped
   * step is checkpointed too, with the result `{ "skipped": true }`.
   * @default - the step always runs
   */
  readonly condition?: sfn.Condition;
  /**
   * Reshapes the step's raw result before it is stored in the state and in its checkpoint
   * (`ResultSelector`), so that only what later steps need travels: e.g.
   * `{ 'bucket.$': '$.Bucket', 'key.$': '$.Key' }`. Step Functions fails an execution whose state
   * exceeds 256 KiB with `States.DataLimitExceeded`, which no Catch can handle (the key then stays
   * locked until its lease expires).
   * @default - the whole result is kept
   */
  readonly resultSelector?: { [key: string]: any };
  /**
   * Keep nothing of the step's result: the state and the checkpoint store `{ "discarded": true }`.
   * For steps whose result no later step needs.
   * @default false
   */
  readonly discardResult?: boolean;
}

/**
 * Properties of a `CheckpointedWorkflow`.
 */
export interface CheckpointedWorkflowProps extends WorkflowProps {
  /** The steps: a sequence, or a DAG through `dependsOn`. */
  readonly steps: CheckpointedStep[];
  /**
   * Where the business key is in the execution input, as a plain JSONPath of field names
   * (`$.jobId`, `$.image.id`). The value must be a non-empty string or a number. Executions with the
   * same key share checkpoints: a rerun skips the steps already completed.
   */
  readonly keyPath: string;
  /**
   * The checkpoint table. Several workflows may share one table: items are prefixed by `namespace`.
   * @default - a `CheckpointTable` created for the workflow (on-demand, PITR, TTL, encryption, RETAIN)
   */
  readonly table?: CheckpointTable;
  /**
   * How long checkpoints are kept (DynamoDB TTL), counted from the key's last execution start:
   * every execution refreshes the TTL of all the key's items, so a key's checkpoints expire
   * together, and a key whose checkpoints expired starts afresh (even before DynamoDB deletes
   * them). Must be longer than the lease (the execution timeout plus one minute).
   * @default Duration.days(30)
   */
  readonly checkpointTtl?: Duration;
  /**
   * Name of the input field that asks for a restart: an input with this field set to `true` ignores
   * the key's checkpoints (they are superseded by a new generation) and runs every step again.
   * @default 'checkpointRestart'
   */
  readonly restartField?: string;
  /**
   * Prefix of the partition key of this workflow's items (`<namespace>#<key>`), so that workflows
   * sharing a table never see each other's checkpoints. Changing it orphans existing checkpoints.
   * @default - the construct path of the workflow
   */
  readonly namespace?: string;
  /**
   * Provisioned concurrency of the coordinator function (the one Lambda invocation at the start of
   * every execution, which acquires the lease and loads the checkpoints).
   * @default 0 - no provisioned concurrency: a cold start of a small inline function is accepted
   */
  readonly coordinatorProvisionedConcurrency?: number;
}

/**
 * The states of one rendered element of a series. Every step is rendered ONCE (no resume copy):
 * the element after another one is entered through `entry`, a Choice that skips it when all its
 * steps are checkpointed; the resume jump enters an element that is not complete at `start`.
 */
interface Rendered {
  /** Runs the element (for a conditional step: its Choice, which also skips it when checkpointed). */
  readonly start: sfn.State;
  /** Skips the element when all its steps are checkpointed, else goes to `start`. */
  readonly entry: sfn.State;
  /** Chains `next` after the element; `undefined` ends the branch the element is the last of. */
  then(next: sfn.State | undefined): void;
}

/** A state graph (the top one, or a Parallel branch) and its lazily created failure states. */
interface Graph {
  readonly top: boolean;
  readonly id: number;
  /** Result keys of every step of the branch (empty for the top graph). */
  readonly leaves: string[];
  conflict?: sfn.State;
  tooLarge?: sfn.State;
  /** Where a failed checkpoint write of the graph goes: a Choice naming conflict / too large. */
  writeFailed?: sfn.State;
  /** Branch only: settles the branch after a failure (see `buildBranchFailure`). */
  failed?: sfn.State;
  /** Branch only: the branch's terminal state, when its last element needs one. */
  done?: sfn.State;
}

/** Where a branch wraps the error of a failed checkpoint write (`$.checkpointError.<mark>`). */
const WRITE_FAILURE_MARK = 'checkpointWrite';

/** Result keys starting with this are the workflow's own (step names giving such keys are refused). */
const RESERVED_KEY_PREFIX = '__checkpoint';
/** Where a parallel block puts the merge of its branches' results before it moves it to $.results. */
const MERGED_KEY = `${RESERVED_KEY_PREFIX}Merged`;
/**
 * Blocks with at most this many branches merge their results with nested `States.JsonMerge`: a
 * field may nest at most 10 intrinsic functions
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
 */
const MAX_MERGED_BRANCHES = 11;

/** The key a failed branch marks each of its steps' results with (the caught error). */
const BRANCH_FAILURE_MARK = '__checkpointFailure';

const CONFLICT_ERROR = 'Checkpoint.Conflict';
const CONFLICT_CAUSE = 'The checkpoint write was refused: this execution no longer holds the key\'s lease (the lease expired, e.g. a redriven execution, ' +
  'or another execution took the key), or another execution already checkpointed this step. The step may have run, but its result was not stored and no later step runs. ' +
  'Redriving a checkpointed execution is only safe while its lease lasts; otherwise start a new execution with the same key: it resumes from the checkpoints.';
const TOO_LARGE_ERROR = 'Checkpoint.ResultTooLarge';
const TOO_LARGE_CAUSE = 'A step result is too large for its checkpoint item (DynamoDB items hold at most 400 KB; Step Functions payloads 256 KB). Return a reference to the data (for example an S3 key) instead of the data.';

/**
 * Steps whose results are checkpointed in DynamoDB under a business key: running the workflow
 * again with the same key skips every completed step, feeds its stored result to the steps that
 * depend on it, and runs only what is not done yet. Works for Standard and Express, for as long as
 * the checkpoints live (default 30 days).
 *
 * Steps form a sequence, or a DAG through `dependsOn` (independent steps run in parallel). Each
 * step receives the workflow state: the input, `results` (the results of completed steps, by step
 * key) and `checkpoint` (key, generation, TTL, which steps were already done). The output is the
 * input plus `results` and `checkpoint: { key }`.
 *
 * Concurrency: one execution per key at a time. The coordinator acquires a lease on the key with
 * a conditional write; a second execution of the same key fails fast with `Checkpoint.KeyLocked`
 * without running any step. The lease is released when the execution ends (success or caught
 * failure) and expires one minute after the execution timeout, so a killed execution never
 * blocks its key for longer. Every checkpoint write checks that this execution still owns the key
 * and that its lease has not ended, so a redriven execution whose lease expired, or whose key
 * another execution took, stops at its first checkpoint write (`Checkpoint.Conflict`).
 *
 * A failing step inside a parallel block does not stop its siblings: the block settles (every
 * branch finishes and checkpoints), then the first failing branch's error is re-raised with its
 * original name and cause. Limits (256 KiB state, uncatchable failures): see
 * docs/guarantees-checkpoint-saga.md.
 *
 * Size: every step is rendered once (its state, its checkpoint write, and a Choice that skips it
 * when it is checkpointed), about 2.4 KB of definition per step, so a few hundred steps fit the
 * 1 MB definition limit (docs/scale.md); above it synthesis fails and says to split the workflow
 * with `Step.childWorkflow`.
 */
export class CheckpointedWorkflow extends Workflow {
  /** The checkpoint table. */
  public readonly table: CheckpointTable;
  /** The coordinator function (lease, checkpoint loading, clock). */
  public readonly coordinator: WorkflowFunction;
  /** Name of the coordinator's Task state. */
  public readonly coordinatorStateName: string;
  /** Prefix of the partition key of this workflow's items. */
  public readonly namespace: string;
  /** The step names, in declaration order. */
  public readonly stepNames: string[];
  /** Where the business key is in the input. */
  public readonly keyPath: string;
  /** Input field that asks for a restart. */
  public readonly restartField: string;
  /** How long checkpoints are kept. */
  public readonly checkpointTtl: Duration;
  /** How long a lease lasts if its execution never releases it (execution timeout + 1 minute). */
  public readonly leaseDuration: Duration;
  /**
   * The series-parallel plan the steps run in: `;` separates what runs one after another, `|`
   * branches that run in parallel, e.g. `A ; (B | C) ; D`.
   */
  public readonly executionPlan: string;

  private readonly stepsByName = new Map<string, CheckpointedStep>();
  private graphCounter = 0;
  private parallelCounter = 0;
  private releaseOnFailure!: sfn.State;
  private readonly topGraph: Graph = { top: true, id: 0, leaves: [] };
  private branchFailed?: sfn.State;

  public constructor(scope: Construct, id: string, props: CheckpointedWorkflowProps) {
    super(scope, id, props);
    if (!props.steps || props.steps.length === 0) {
      throw workflowError(this, 'steps is empty. Give at least one step: { step: Step.lambda(...), dependsOn?: [...] }.');
    }

    // Keys, names and the DAG
    const keys = new Map<string, string>();
    for (const entry of props.steps) {
      const name = entry.step?.name;
      if (typeof name !== 'string') {
        throw workflowError(this, 'a steps entry has no step. Each entry is { step: Step.lambda(...), dependsOn?: [...] }.');
      }
      if (this.stepsByName.has(name)) {
        throw workflowError(this, `the step name '${name}' is used twice. Step names must be unique: rename one of them.`);
      }
      const key = stepResultKey(name);
      if (key.startsWith(RESERVED_KEY_PREFIX)) {
        throw workflowError(this, `step name '${name}' gives the result key '${key}', which starts with '${RESERVED_KEY_PREFIX}', reserved by the workflow for its own bookkeeping in $.results. Rename the step.`);
      }
      const clash = keys.get(key);
      if (clash !== undefined) {
        throw workflowError(this, `steps '${clash}' and '${name}' would both store their result at $.results.${key} (and the same checkpoint item). Rename one of them.`);
      }
      keys.set(key, name);
      if (entry.discardResult && entry.resultSelector) {
        throw workflowError(this, `step '${name}' sets both discardResult and resultSelector. Keep resultSelector to store part of the result, or discardResult to store none of it.`);
      }
      this.stepsByName.set(name, entry);
    }
    this.stepNames = props.steps.map((s) => s.step.name);
    const isDag = props.steps.some((s) => s.dependsOn !== undefined);
    const dependsOn = new Map<string, string[]>();
    props.steps.forEach((s, i) => {
      dependsOn.set(s.step.name, isDag ? [...(s.dependsOn ?? [])] : i === 0 ? [] : [props.steps[i - 1].step.name]);
    });
    const invalid = validateDependencies(this.stepNames, dependsOn);
    if (invalid) {
      throw workflowError(this, invalid);
    }
    const plan = decompose(this.stepNames, dependsOn);
    this.executionPlan = describeSeries(plan.series);
    if (plan.added.length > 0) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:checkpointNotSeriesParallel',
        'The step dependencies are not series-parallel, which Step Functions (chains and Parallel branches) cannot express exactly. ' +
        `Plan: ${this.executionPlan}. Added waits: ${plan.added.map((a) => `'${a.step}' also waits for '${a.waitsFor}'`).join('; ')}. ` +
        'Add these dependencies yourself to acknowledge the plan, or reshape the DAG.');
    }

    // Key, restart flag, TTL, lease
    this.keyPath = props.keyPath;
    if (typeof props.keyPath !== 'string' || !KEY_PATH.test(props.keyPath)) {
      throw workflowError(this, `keyPath '${props.keyPath}' is not a plain JSONPath of field names. Use a path such as '$.jobId' or '$.image.id' (no wildcards, filters or array indexes).`);
    }
    const keyRoot = props.keyPath.slice(2).split('.')[0];
    if (RESERVED_FIELDS.includes(keyRoot)) {
      // the coordinator refuses an input holding these fields (Checkpoint.InvalidInput), so every execution would fail
      throw workflowError(this, `keyPath '${props.keyPath}' is under $.${keyRoot}, which the workflow reserves for its own state (${RESERVED_FIELDS.map((f) => `$.${f}`).join(', ')}): ` +
        'every execution would be refused. Read the key from an input field of your own, e.g. \'$.jobId\'.');
    }
    this.restartField = props.restartField ?? 'checkpointRestart';
    if (!FIELD_NAME.test(this.restartField) || RESERVED_FIELDS.includes(this.restartField)) {
      throw workflowError(this, `restartField '${this.restartField}' is not a usable input field name. Use letters, digits and '_' (not 'results', 'checkpoint' or 'checkpointError', which the workflow reserves), e.g. 'checkpointRestart'.`);
    }
    if (this.keyPath === `$.${this.restartField}`) {
      throw workflowError(this, `keyPath '${this.keyPath}' is the restart field. Use different fields for the key and restartField.`);
    }
    this.leaseDuration = this.timeout.plus(LEASE_MARGIN);
    this.checkpointTtl = props.checkpointTtl ?? DEFAULTS.checkpointTtl;
    validateDurationRange(this, 'checkpointTtl', this.checkpointTtl, this.leaseDuration.plus(Duration.seconds(1)), Duration.days(3650),
      `Checkpoints must outlive the lease (the execution timeout plus one minute, ${this.leaseDuration.toHumanString()}) or a long run could lose its own checkpoints.`);
    validateNonNegativeInteger(this, 'coordinatorProvisionedConcurrency', props.coordinatorProvisionedConcurrency, 'Use 0 to switch provisioned concurrency off.');
    if (props.namespace !== undefined && !Token.isUnresolved(props.namespace) && (props.namespace.length === 0 || props.namespace.length > 200)) {
      throw workflowError(this, `namespace '${props.namespace}' must be 1 to 200 characters long. Omit it to use the construct path.`);
    }
    this.namespace = props.namespace ?? this.node.path;
    if (!Token.isUnresolved(this.namespace) && this.namespace.includes(CHECKPOINT_LAYOUT.separator)) {
      // '#' separates the namespace from the business key (`<namespace>#<key>`), and IAM limits the
      // workflow to `<namespace>#*`: a namespace 'a#b' would let workflow 'a' reach the items of 'a#b'.
      throw workflowError(this, `namespace '${this.namespace}'${props.namespace === undefined ? ' (the construct path, the default)' : ''} contains '${CHECKPOINT_LAYOUT.separator}', ` +
        `which separates the namespace from the key in the partition key ('<namespace>${CHECKPOINT_LAYOUT.separator}<key>'), so another namespace's items could match this one's. ` +
        `${props.namespace === undefined ? 'Set namespace to' : 'Use'} a value without '${CHECKPOINT_LAYOUT.separator}', e.g. '${this.namespace.split(CHECKPOINT_LAYOUT.separator).join('-')}'.`);
    }

    // Table and coordinator
    this.table = props.table ?? new CheckpointTable(this, 'Checkpoints');
    this.claimNamespace(props.namespace !== undefined);
    this.registerTable(this.table);
    this.coordinator = new WorkflowFunction(this, 'Coordinator', {
      code: lambda.Code.fromInline(coordinatorInlineCode()),
      description: `Checkpoint coordinator of ${this.node.path}: acquires the key lease and loads completed steps.`,
      provisionedConcurrency: props.coordinatorProvisionedConcurrency ?? 0,
    });
    (this.coordinator.function.node.defaultChild as CfnResource).addMetadata(LIBRARY_FUNCTION_ROLE_METADATA, CHECKPOINT_COORDINATOR_ROLE);
    this.coordinator.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [namespaceLeadingKeys(this.namespace)] } },
    }));
    this.table.encryptionKey?.grantEncryptDecrypt(this.coordinator.role);

    this.validateNameLengths();

    // The graph
    this.coordinatorStateName = 'Checkpoint: start';
    const start = this.bindStep(Step.lambda(this.coordinatorStateName, this.coordinator), {
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.entirePayload,
        executionId: sfn.JsonPath.executionId,
        table: this.table.tableName,
        partitionKeyName: this.table.partitionKeyName,
        sortKeyName: this.table.sortKeyName,
        ttlAttribute: this.table.timeToLiveAttribute,
        namespace: this.namespace,
        keyPath: this.keyPath.slice(2).split('.'),
        restartField: this.restartField,
        steps: this.stepNames.map(stepResultKey),
        ttlSeconds: this.checkpointTtl.toSeconds(),
        leaseSeconds: this.leaseDuration.toSeconds(),
      }),
      // no ResultPath: the coordinator's result (input + results + checkpoint) replaces the state
    }).state as sfn.TaskStateBase;

    this.releaseOnFailure = this.buildFailurePath();
    const releaseOnSuccess = this.buildRelease('Checkpoint: done', 'SUCCEEDED');
    this.claim('Checkpoint: lease lost');
    releaseOnSuccess.addCatch(new sfn.Fail(this, 'Checkpoint: lease lost', {
      error: 'Checkpoint.LeaseLost',
      cause: 'Every step completed and was checkpointed, but the key lease was no longer held by this execution at the end (it expired or was released by hand), so another execution may have run steps of the same key at the same time.',
    }), { errors: ['DynamoDb.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });

    releaseOnSuccess.addCatch(this.releaseOnFailure, { errors: ['States.ALL'], resultPath: '$.checkpointError' });

    this.claim('Checkpoint: resume?');
    const resume = new sfn.Choice(this, 'Checkpoint: resume?', {
      comment: 'Jumps to the first element not completed yet (the first one on a fresh run); every later element is entered through a Choice that skips it when it is checkpointed.',
    });
    start.next(resume);
    // one chain; the first element is only entered by the jump, which knows it is not complete
    const chain = this.renderSeries(plan.series, this.topGraph, [], false);
    chain[chain.length - 1].then(releaseOnSuccess);
    plan.series.forEach((element, i) => resume.when(sfn.Condition.not(complete(element)), chain[i].start));
    resume.otherwise(releaseOnSuccess);

    this.createStateMachine(start);
    this.table.encryptionKey?.grantEncryptDecrypt(this.stateMachine);
  }

  /**
   * The Task (or Pass) state names that run a step. Every step is rendered once, so this is the
   * step name; register local runner handlers for each name returned (kept as a list so that tests
   * do not depend on the rendering).
   */
  public stateNamesOf(stepName: string): string[] {
    if (!this.stepsByName.has(stepName)) {
      throw workflowError(this, `'${stepName}' is not a step of this workflow (steps: ${this.stepNames.map((n) => `'${n}'`).join(', ')}).`);
    }
    return [stepName];
  }

  /** The states of one element of a series; `guarded` creates its skip Choice (`entry`). */
  private renderElement(element: Element, graph: Graph, knownBefore: string[], guarded: boolean): Rendered {
    return element.kind === 'leaf' ? this.renderLeaf(element.name, graph, guarded) : this.renderParallel(element, graph, knownBefore, guarded);
  }

  /** Where a failure in `graph` goes: the lease release (top), or the branch's settling states. */
  private failureTarget(graph: Graph): sfn.State {
    if (graph.top) {
      return this.releaseOnFailure;
    }
    graph.failed ??= this.buildBranchFailure(graph);
    return graph.failed;
  }

  /**
   * A failed Parallel branch does not fail the Parallel (which would stop its siblings before they
   * checkpoint their finished work): it settles. Every step of the branch gets, as its result, a
   * failure mark (the first one holding the caught error); the branch ends normally; the Choice after the Parallel finds the
   * first marked branch and re-raises its error with the original name and cause.
   */
  private buildBranchFailure(graph: Graph): sfn.State {
    // the error once (on the branch's first step, which the Choice after the Parallel reads), a
    // flag on the others: a cause can be 32 KB, and the state must stay under 256 KiB
    const marks: { [key: string]: any } = {};
    graph.leaves.forEach((leaf, i) => {
      marks[leaf] = i === 0 ? { [`${BRANCH_FAILURE_MARK}.$`]: '$.checkpointError' } : { [BRANCH_FAILURE_MARK]: true };
    });
    const mark = new sfn.Pass(this, this.claim(`Checkpoint: branch ${graph.id} failed`), {
      parameters: marks,
      resultPath: '$.checkpointMarks',
    });
    const settle = new sfn.Pass(this, this.claim(`Checkpoint: branch ${graph.id} settled`), {
      parameters: { 'results.$': 'States.JsonMerge($.results, $.checkpointMarks, false)' },
    });
    mark.next(settle);
    return mark;
  }

  /** The branch's terminal state (for a branch whose last element is a Choice). */
  private branchDone(graph: Graph): sfn.State {
    graph.done ??= new sfn.Succeed(this, this.claim(`Checkpoint: branch ${graph.id} done`));
    return graph.done;
  }

  /**
   * Run -> Save, entered through a Choice that skips the step when it is checkpointed (and, for a
   * conditional step, runs it only when its condition holds; otherwise records it as skipped).
   */
  private renderLeaf(name: string, graph: Graph, guarded: boolean): Rendered {
    const entry = this.stepsByName.get(name)!;
    const run = this.bindStep(entry.step, {
      stateName: name,
      resultPath: this.resultPathOf(name),
      resultSelector: entry.discardResult ? DISCARDED_RESULT : entry.resultSelector,
    }).state;
    const save = this.buildSave(`${name}: checkpoint`, name, graph);
    this.catchAll(run, this.failureTarget(graph), '$.checkpointError');
    this.asNextable(run, name).next(save);
    if (entry.condition) {
      // one Choice for both: skipped when checkpointed, else run only when the condition holds
      const check = new sfn.Choice(this, this.claim(`${name}?`));
      const skip = new sfn.Pass(this, this.claim(`${name}: skipped`), {
        result: sfn.Result.fromObject(SKIPPED_RESULT),
        resultPath: this.resultPathOf(name),
      });
      skip.next(save);
      const condition = entry.condition;
      return {
        start: check,
        entry: check,
        then: (next) => {
          if (next) save.next(next);
          check.when(isDone(name), next ?? this.branchDone(graph)).when(condition, run).otherwise(skip);
        },
      };
    }
    const guard = guarded ? new sfn.Choice(this, this.claim(`${name}?`)) : undefined;
    guard?.otherwise(run);
    return {
      start: run,
      entry: guard ?? run,
      then: (next) => {
        if (next) save.next(next);
        guard?.when(isDone(name), next ?? this.branchDone(graph));
      },
    };
  }

  /**
   * A Parallel state whose branches are chains; merges the branches' results into `$.results`.
   * Every branch settles (a failure inside a branch is caught there); the Choice after the Parallel
   * re-raises the first branch's failure. Each branch enters every element (its first one too)
   * through a Choice that skips it when it is checkpointed.
   */
  private renderParallel(element: ParallelElement, graph: Graph, knownBefore: string[], guarded: boolean): Rendered {
    const n = ++this.parallelCounter;
    // The branches' results are merged into $.results. Up to MAX_MERGED_BRANCHES branches: with
    // States.JsonMerge of every branch's $.results (a branch's results hold the results known
    // before the block, unchanged, plus its own), so that the selector does not grow with the
    // results before the block; a Pass after the failure check moves the merge to $.results. The
    // first step of each branch is also picked from its own branch, where a failed branch marks it.
    // More branches: every result is picked from the branch that owns it.
    const selector: { [key: string]: string } = {};
    const merged = element.branches.length <= MAX_MERGED_BRANCHES;
    if (merged) {
      // The picks come first: the local interpreter (aws-local-stepfunctions 3.x) evaluates the
      // fields in order and its JsonMerge writes into its first argument, so a merge evaluated first
      // would overwrite branch 0's failure mark with another branch's copy of that result. On AWS
      // intrinsics do not change their arguments; the order is harmless there.
      element.branches.forEach((branch, b) => {
        const first = stepResultKey(leavesOf(branch[0])[0]);
        selector[`${first}.$`] = `$[${b}].results.${first}`;
      });
      selector[`${MERGED_KEY}.$`] = element.branches.slice(1).reduce(
        (acc, _branch, b) => `States.JsonMerge(${acc}, $[${b + 1}].results, false)`, '$[0].results');
    } else {
      for (const k of knownBefore) {
        selector[`${stepResultKey(k)}.$`] = `$[0].results.${stepResultKey(k)}`;
      }
      element.branches.forEach((branch, b) => {
        for (const leaf of branch.flatMap(leavesOf)) {
          selector[`${stepResultKey(leaf)}.$`] = `$[${b}].results.${stepResultKey(leaf)}`;
        }
      });
    }
    const parallel = new sfn.Parallel(this, this.claim(parallelName(n, element)), {
      resultSelector: selector,
      resultPath: '$.results',
    });
    for (const branch of element.branches) {
      const g: Graph = { top: false, id: ++this.graphCounter, leaves: branch.flatMap(leavesOf).map(stepResultKey) };
      const chain = this.renderSeries(branch, g, knownBefore, true);
      chain[chain.length - 1].then(undefined);
      parallel.branch(chain[0].entry);
    }
    // errors the branches do not catch themselves (e.g. States.Runtime of a result selector)
    parallel.addCatch(this.failureTarget(graph), { errors: ['States.ALL'], resultPath: '$.checkpointError' });

    // (no comments on the states rendered per block or branch: they would count against the 1 MB definition)
    const failed = new sfn.Choice(this, this.claim(`Parallel ${n}: failed?`));
    parallel.next(failed);
    element.branches.forEach((branch, b) => {
      const first = stepResultKey(leavesOf(branch[0])[0]);
      const raise = new sfn.Pass(this, this.claim(`Parallel ${n}: branch ${b + 1} failed`), {
        inputPath: `$.results.${first}.${BRANCH_FAILURE_MARK}`,
        resultPath: '$.checkpointError',
      });
      raise.next(graph.top ? this.branchFailure() : this.failureTarget(graph));
      failed.when(sfn.Condition.isPresent(`$.results.${first}.${BRANCH_FAILURE_MARK}`), raise);
    });
    const guard = guarded ? new sfn.Choice(this, this.claim(`Parallel ${n}?`)) : undefined;
    guard?.otherwise(parallel);
    return {
      start: parallel,
      entry: guard ?? parallel,
      then: (next) => {
        const after = next ?? this.branchDone(graph);
        if (merged) {
          const move = new sfn.Pass(this, this.claim(`Parallel ${n}: merged`), {
            inputPath: `$.results.${MERGED_KEY}`,
            resultPath: '$.results',
          });
          move.next(after);
          failed.otherwise(move);
        } else {
          failed.otherwise(after);
        }
        guard?.when(complete(element), after);
      },
    };
  }

  /**
   * Renders the elements of a series one after another (each knowing the results before it) and
   * links each to the next one's skip Choice. The first element gets a skip Choice only when
   * `guardFirst` (a branch start; the top chain's first element is entered by the resume jump).
   */
  private renderSeries(series: Element[], graph: Graph, knownBefore: string[], guardFirst: boolean): Rendered[] {
    let known = knownBefore;
    const rendered = series.map((element, i) => {
      const r = this.renderElement(element, graph, known, guardFirst || i > 0);
      known = [...known, ...leavesOf(element)];
      return r;
    });
    rendered.forEach((r, i) => {
      if (i + 1 < rendered.length) r.then(rendered[i + 1].entry);
    });
    return rendered;
  }

  /**
   * The checkpoint write of a step: a conditional UpdateItem of the step's item, which the
   * coordinator created for this execution (owner, lease end, generation, TTL) at the start. It
   * stores the result, the execution and the step name; the item's generation and TTL stay those the
   * coordinator set for the whole key.
   */
  private buildSave(stateName: string, stepName: string, graph: Graph): sfn.TaskStateBase {
    const t = this.table;
    const save = this.bindCheckpointTask(stateName, {
      TableName: t.tableName,
      Key: {
        [t.partitionKeyName]: { S: sfn.JsonPath.stringAt('$.checkpoint.partitionKey') },
        [t.sortKeyName]: { S: stepSortKey(stepResultKey(stepName)) },
      },
      UpdateExpression: 'SET #r = :r, #e = :x, #s = :s, #t = :t',
      // The coordinator made this execution the owner of every step item of the key until its
      // lease ends. The write needs that ownership, a lease that has not ended yet (ISO 8601
      // timestamps compare as strings; $$.State.EnteredTime, see
      // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html),
      // and an item no other execution completed; a retry of this very write is accepted. A missing
      // item (deleted meanwhile) fails the condition too.
      // Condition expressions: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
      ConditionExpression: '#o = :x AND #u > :n AND (attribute_not_exists(#r) OR #e = :x)',
      ExpressionAttributeNames: { '#o': A.leaseOwner, '#u': A.leaseExpiresAt, '#r': A.result, '#e': A.executionId, '#s': A.executionStartedAt, '#t': A.step },
      ExpressionAttributeValues: {
        ':r': { S: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(`$.results.${stepResultKey(stepName)}`)) },
        ':x': { S: sfn.JsonPath.executionId },
        ':s': { S: sfn.JsonPath.executionStartTime },
        ':n': { S: sfn.JsonPath.stringAt('$$.State.EnteredTime') },
        ':t': { S: stepName },
      },
    }, undefined, sfn.JsonPath.DISCARD);
    save.addCatch(this.writeFailure(graph), { errors: ['States.ALL'], resultPath: '$.checkpointError' });
    return save;
  }

  /**
   * Where a failed checkpoint write goes (one state per graph, so that each write needs one Catch).
   *
   * In the top graph: a Choice that names a refused condition `Checkpoint.Conflict` and an item
   * too large `Checkpoint.ResultTooLarge` (DynamoDB reports both errors of UpdateItem under these
   * names: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_Errors);
   * any other error goes on as it is.
   *
   * In a Parallel branch: a Pass that wraps the caught error as `{ checkpointWrite: <error> }`
   * (so that it is told apart from a step's own error, e.g. a step's own conditional write) before
   * the branch settles; the top graph names it when the block re-raises it (`branchFailure`). The
   * long causes are so rendered once, not once per branch.
   */
  private writeFailure(graph: Graph): sfn.State {
    if (graph.writeFailed) {
      return graph.writeFailed;
    }
    if (!graph.top) {
      const tag = new sfn.Pass(this, this.claim(`Checkpoint: write failed (branch ${graph.id})`), {
        parameters: { [`${WRITE_FAILURE_MARK}.$`]: '$.checkpointError' },
        resultPath: '$.checkpointError',
      });
      tag.next(this.failureTarget(graph));
      graph.writeFailed = tag;
      return tag;
    }
    const choice = new sfn.Choice(this, this.claim('Checkpoint: write failed'), {
      comment: 'Names the error of a checkpoint write that was refused or too large.',
    });
    choice.when(sfn.Condition.stringEquals('$.checkpointError.Error', 'DynamoDb.ConditionalCheckFailedException'), this.failureState(graph, 'conflict'))
      .when(sfn.Condition.stringEquals('$.checkpointError.Error', 'DynamoDb.ValidationException'), this.failureState(graph, 'tooLarge'))
      .otherwise(this.failureTarget(graph));
    graph.writeFailed = choice;
    return choice;
  }

  /**
   * Where the top graph's blocks re-raise a branch's error: a checkpoint write failure (wrapped by
   * the branch, see `writeFailure`) is unwrapped and named like a top-level one; any other error
   * goes to the lease release as it is.
   */
  private branchFailure(): sfn.State {
    if (this.branchFailed) {
      return this.branchFailed;
    }
    const choice = new sfn.Choice(this, this.claim('Checkpoint: branch failed'), {
      comment: 'A checkpoint write failed in a branch: named as a top-level one. Any other error is re-raised as it is.',
    });
    const unwrap = new sfn.Pass(this, this.claim('Checkpoint: branch write failed'), {
      inputPath: `$.checkpointError.${WRITE_FAILURE_MARK}`,
      resultPath: '$.checkpointError',
    });
    unwrap.next(this.writeFailure(this.topGraph));
    choice.when(sfn.Condition.isPresent(`$.checkpointError.${WRITE_FAILURE_MARK}`), unwrap).otherwise(this.releaseOnFailure);
    this.branchFailed = choice;
    return choice;
  }

  /**
   * The state a Save's conflict / too-large error goes to: a Pass that names the error, then the
   * graph's failure target (the lease release, or the branch's settling states).
   */
  private failureState(graph: Graph, kind: 'conflict' | 'tooLarge'): sfn.State {
    const existing = graph[kind];
    if (existing) {
      return existing;
    }
    const error = kind === 'conflict' ? CONFLICT_ERROR : TOO_LARGE_ERROR;
    const cause = kind === 'conflict' ? CONFLICT_CAUSE : TOO_LARGE_CAUSE;
    const label = kind === 'conflict' ? 'Checkpoint: conflict' : 'Checkpoint: result too large';
    const pass = new sfn.Pass(this, this.claim(graph.top ? label : `${label} (branch ${graph.id})`), {
      parameters: { Error: error, Cause: cause },
      resultPath: '$.checkpointError',
    });
    pass.next(this.failureTarget(graph));
    graph[kind] = pass;
    return pass;
  }

  /**
   * A DynamoDB UpdateItem of the workflow's own bookkeeping (save, release), rendered through the step
   * model: an AWS SDK step bound like any other step, so its IAM statement is derived from the
   * state graph, with the table's transient errors retried. The statement is limited to this
   * workflow's items with `ForAllValues:StringLike dynamodb:LeadingKeys <namespace>#*`
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
   */
  private bindCheckpointTask(
    stateName: string, parameters: { [key: string]: any }, comment: string | undefined,
    resultPath: string, resultSelector?: { [key: string]: any },
  ): sfn.TaskStateBase {
    return this.bindStep(Step.awsSdk(stateName, {
      service: 'dynamodb',
      action: 'updateItem',
      parameters,
      iamResources: [this.table.tableArn],
      iamConditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [namespaceLeadingKeys(this.namespace)] } },
      comment,
    }), { resultPath, resultSelector }).state as sfn.TaskStateBase;
  }

  /**
   * Two workflows with the same namespace on one table would share (and overwrite) each other's
   * checkpoints and leases: refused, naming both.
   */
  private claimNamespace(explicit: boolean): void {
    if (Token.isUnresolved(this.namespace)) {
      return;
    }
    let claimed = namespacesByTable.get(this.table);
    if (!claimed) {
      claimed = new Map<string, string>();
      namespacesByTable.set(this.table, claimed);
    }
    const other = claimed.get(this.namespace);
    if (other !== undefined) {
      throw workflowError(this, `namespace '${this.namespace}'${explicit ? '' : ' (the construct path, the default)'} is already used by the CheckpointedWorkflow ${other} on the table ${this.table.node.path}: ` +
        'the two workflows would read, overwrite and lock each other\'s checkpoints. Give each workflow sharing the table its own namespace.');
    }
    claimed.set(this.namespace, this.node.path);
  }

  /** Release the lease after a failure, then fail with the original error and cause. */
  private buildFailurePath(): sfn.State {
    const release = this.buildRelease('Checkpoint: release after failure', 'FAILED');
    this.claim('Checkpoint: failed');
    const failed = new sfn.Fail(this, 'Checkpoint: failed', {
      errorPath: '$.checkpointError.Error',
      causePath: '$.checkpointError.Cause',
    });
    release.addCatch(failed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    release.next(failed);
    return release;
  }

  /** Releases the key lease (keeps the generation) and records how the run ended. */
  private buildRelease(stateName: string, status: 'SUCCEEDED' | 'FAILED'): sfn.TaskStateBase {
    const t = this.table;
    const success = status === 'SUCCEEDED';
    return this.bindCheckpointTask(stateName, {
      TableName: t.tableName,
      Key: {
        [t.partitionKeyName]: { S: sfn.JsonPath.stringAt('$.checkpoint.partitionKey') },
        [t.sortKeyName]: { S: CHECKPOINT_LAYOUT.leaseSortKey },
      },
      UpdateExpression: 'REMOVE #owner SET #until = :zero, #lastExec = :exec, #lastStatus = :status',
      // also accepts a retry of this very release
      ConditionExpression: '#owner = :exec OR (attribute_not_exists(#owner) AND #lastExec = :exec)',
      ExpressionAttributeNames: { '#owner': A.leaseOwner, '#until': A.leaseUntil, '#lastExec': A.lastExecutionId, '#lastStatus': A.lastStatus },
      ExpressionAttributeValues: { ':exec': { S: sfn.JsonPath.executionId }, ':zero': { N: '0' }, ':status': { S: status } },
      ...(success ? { ReturnValues: 'ALL_NEW' } : {}),
    },
    success
      ? 'Releases the key lease; the output is the input plus results and checkpoint.key.'
      : 'Releases the key lease so that a rerun can resume at once.',
    success ? '$.checkpoint' : sfn.JsonPath.DISCARD,
    success ? { key: sfn.JsonPath.stringAt(`$.Attributes.${A.businessKey}.S`) } : undefined);
  }

  private asNextable(state: sfn.State, stepName: string): sfn.State & sfn.INextable {
    if (typeof (state as unknown as sfn.INextable).next !== 'function') {
      throw workflowError(this, `step '${stepName}' rendered a ${state.constructor.name} state, which cannot be followed by the checkpoint write. Use a step that renders a Task, Pass, Parallel or Map state.`);
    }
    return state as sfn.State & sfn.INextable;
  }

  /** Claims a generated state name and returns it. */
  private claim(name: string): string {
    this.claimStateName(name);
    return name;
  }

  /** Checks, before rendering, that every generated state name fits in 80 characters. */
  private validateNameLengths(): void {
    for (const name of this.stepNames) {
      // its checkpoint write has the longest generated name
      const generated = `${name}: checkpoint`;
      if (generated.length > MAX_NAME_LENGTH) {
        throw workflowError(this, `step name '${name}' is ${name.length} characters long; the workflow also generates the state '${generated}', ` +
          `which exceeds the ${MAX_NAME_LENGTH} characters Step Functions allows. Shorten the step name to at most ${name.length - (generated.length - MAX_NAME_LENGTH)} characters.`);
      }
    }
  }
}

/** Namespaces claimed per checkpoint table (namespace -> construct path of the workflow). */
const namespacesByTable = new WeakMap<CheckpointTable, Map<string, string>>();

/** `Parallel <n>: <first step of each branch>`, at most 80 characters. */
function parallelName(n: number, element: ParallelElement): string {
  const prefix = `Parallel ${n}: `;
  const detail = element.branches.map((b) => leavesOf(b[0])[0]).join(' | ');
  const room = MAX_NAME_LENGTH - prefix.length;
  return prefix + (detail.length <= room ? detail : `${detail.slice(0, room - 3)}...`);
}

function isDone(name: string): sfn.Condition {
  return sfn.Condition.isPresent(`$.checkpoint.done.${stepResultKey(name)}`);
}

function all(conditions: sfn.Condition[]): sfn.Condition {
  return conditions.length === 1 ? conditions[0] : sfn.Condition.and(...conditions);
}

/** Every step of the element is checkpointed. */
function complete(element: Element): sfn.Condition {
  return all(leavesOf(element).map(isDone));
}
