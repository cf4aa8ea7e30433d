/**
 * The events the generated state machines send to your Lambda handlers, and the shapes they read
 * back, for every pattern. TypeScript-only (the `cdk-stateful-workflows/runtime` entry point):
 * types, no runtime code.
 *
 * Each type is read off the ASL the pattern generates (its `Parameters`, `ItemSelector`,
 * `ResultSelector` and `ResultPath`), so it is what the library sends, not what a handler might
 * wish for. A step's result is stored under its *step key*: the step name with every character
 * other than a letter, digit or `_` replaced by `_` (`Reserve funds` -> `results.Reserve_funds`).
 *
 * @example
 * import type { SagaActionEvent } from 'cdk-stateful-workflows/runtime';
 * export const handler = async (event: SagaActionEvent<{ orderId: string }>) => {
 *   await payments.reserve(event.input.orderId, { idempotencyKey: event.idempotencyKey });
 *   return { reservationId: '...' };
 * };
 */

/** Results of the steps that completed, by step key (`Reserve funds` -> `Reserve_funds`). */
export type StepResults = Readonly<Record<string, unknown>>;

/**
 * A Step Functions error as a Catch hands it over (`ResultPath` of a Catch): `Error` is the error
 * name, `Cause` its cause (for a Lambda error, the JSON text `{"errorType","errorMessage","trace"}`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export interface StepFunctionsError {
  readonly Error: string;
  readonly Cause?: string;
}

// ------------------------------------------------------------------------------------------ Saga

/**
 * What a saga action (a Lambda step) receives: the Task's `Parameters` are
 * `{ "input.$": "$", "idempotencyKey.$": "States.Format('{}:<step>', $$.Execution.Name)" }`.
 *
 * @typeParam I the execution input.
 */
export interface SagaActionEvent<I extends object = Record<string, unknown>> {
  /** The saga state: the execution input plus `results` of the steps that completed so far. */
  readonly input: I & { readonly results?: StepResults };
  /** `<execution name>:<step name>`: stable across retries and redrives; pass it to the downstream API. */
  readonly idempotencyKey: string;
}

/**
 * What a saga compensation receives: `{ input, step, stepFailed, error, idempotencyKey }`, plus
 * `result` (the action's stored result) when the action had completed.
 *
 * @typeParam R the result of the action being undone.
 * @typeParam I the execution input.
 */
export interface SagaCompensationEvent<R = unknown, I extends object = Record<string, unknown>> {
  /** The saga state: the execution input, `results`, and `saga.error` (the error that started the rollback). */
  readonly input: I & { readonly results?: StepResults; readonly saga?: { readonly error?: StepFunctionsError } };
  /** Name of the action being undone. */
  readonly step: string;
  /**
   * True when the action itself failed and its compensation runs because the step sets
   * `compensateOnFailure` (it may have partially applied); `result` is then absent.
   */
  readonly stepFailed: boolean;
  /** The error that started the rollback (the failing step's error after its retries). */
  readonly error: StepFunctionsError;
  /** The result of the action being undone (`$.results.<step key>`); absent when `stepFailed`. */
  readonly result?: R;
  /** `<execution name>:<compensation name>`. */
  readonly idempotencyKey: string;
}

// ------------------------------------------------------------------------------------ Checkpoint

/** The `checkpoint` field the coordinator adds to a checkpointed workflow's state. */
export interface CheckpointState {
  /** The business key (the value at the workflow's key path, as a string). */
  readonly key: string;
  /** The checkpoint item's partition key (`<namespace>#<key>`). */
  readonly partitionKey: string;
  /** The checkpoint generation this run belongs to (a restart starts a new one). */
  readonly generation: string;
  /** When the checkpoints expire (DynamoDB TTL, epoch seconds, as a string). */
  readonly expiresAt: string;
  /** When this execution's lease on the key ends (ISO 8601); checkpoint writes after it are refused. */
  readonly leaseUntil: string;
  /** Whether the run resumes a key that already has completed steps. */
  readonly resuming: boolean;
  /** Step keys of the steps already done (`true`); those steps are skipped and their results reused. */
  readonly done: Readonly<Record<string, true>>;
}

/**
 * What a step of a `CheckpointedWorkflow` receives (the Task has no `Parameters`, so the whole
 * state): the execution input, `results` of the steps done in this run or stored by an earlier
 * one, and `checkpoint`. Its result is stored at `results.<step key>` and in the checkpoint table.
 *
 * @typeParam I the execution input.
 */
export type CheckpointStepEvent<I extends object = Record<string, unknown>> = I & {
  readonly results: StepResults;
  readonly checkpoint: CheckpointState;
};

// ---------------------------------------------------------------------------------------- Fan-out

/**
 * What a fan-out worker receives for one item: the Map `ItemSelector` is
 * `{ "index.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value" }` (with `itemSelector`, `item`
 * is that reshaped value).
 *
 * @typeParam T an item (or the reshaped item).
 */
export interface FanOutItemEvent<T = unknown> {
  /** 0-based position of the item in the list. */
  readonly index: number;
  readonly item: T;
}

/**
 * What a fan-out worker receives for one batch (`batchSize`, a Distributed Map `ItemBatcher`):
 * the selected items under `Items`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
 */
export interface FanOutBatchEvent<T = unknown> {
  readonly Items: ReadonlyArray<FanOutItemEvent<T>>;
}

/** One result of an inline fan-out with a failure tolerance: the worker's output, or the failed item. */
export type FanOutEntry<R = unknown, T = unknown> =
  | {
    readonly failed: false;
    /** The worker's result. */
    readonly output: R;
  }
  | {
    readonly failed: true;
    readonly index: number;
    readonly item: T;
    /** The error the worker failed with, after its retries. */
    readonly error: StepFunctionsError;
  };

/** The tolerance verdict an inline fan-out with a failure tolerance adds. */
export interface FanOutTolerance {
  /** `<failed> of <total> items failed; tolerated: ...`. */
  readonly summary: string;
  /** Present for a fractional percentage: the scaled counts the Choice compares. */
  readonly failedScaled?: number;
  readonly allowedScaled?: number;
}

/** `fanOut` of an inline fan-out without a failure tolerance: the worker results in item order. */
export interface InlineFanOutResults<R = unknown> {
  readonly results: readonly R[];
  readonly total: number;
  /** Always 0 (the first failed item fails the workflow). */
  readonly failedCount: 0;
}

/** `fanOut` of an inline fan-out with a failure tolerance. */
export interface TolerantFanOutResults<R = unknown, T = unknown> {
  readonly results: ReadonlyArray<FanOutEntry<R, T>>;
  readonly total: number;
  readonly failedCount: number;
  /** Present when the tolerance was evaluated (at least one item). */
  readonly tolerance?: FanOutTolerance;
}

/**
 * `fanOut` of a Distributed fan-out without `resultBucket`: the child executions' outputs (one per
 * item, or per batch), in order.
 */
export interface DistributedFanOutResults<R = unknown> {
  readonly results: readonly R[];
  readonly total: number;
}

/**
 * `fanOut` of a Distributed fan-out with `resultBucket`: where Step Functions wrote the results
 * (`ResultSelector` of `MapRunArn` and `ResultWriterDetails`). Read the manifest at
 * `s3://<Bucket>/<Key>` ({@link ResultWriterManifest}).
 */
export interface ResultWriterFanOutResults {
  readonly mapRunArn: string;
  readonly resultWriterDetails: {
    readonly Bucket: string;
    /** Key of `manifest.json`. */
    readonly Key: string;
  };
}

/**
 * The `manifest.json` a Distributed Map's `ResultWriter` writes: the result files by status.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */
export interface ResultWriterManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: {
    readonly SUCCEEDED?: ReadonlyArray<ResultWriterFile>;
    readonly FAILED?: ReadonlyArray<ResultWriterFile>;
    readonly PENDING?: ReadonlyArray<ResultWriterFile>;
  };
}

/** One results file listed in a {@link ResultWriterManifest}. */
export interface ResultWriterFile {
  readonly Key: string;
  readonly Size: number;
}

/**
 * One child execution in a results file (`SUCCEEDED_0.json`, `FAILED_0.json`, ...): a JSON array
 * of these (the `NONE` transformation, the default when writing to S3). `Input` and `Output` are
 * JSON text: parse them.
 */
export interface ResultWriterExecution {
  readonly ExecutionArn: string;
  readonly Name: string;
  readonly StateMachineArn: string;
  readonly Status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'RUNNING';
  readonly StartDate: string;
  readonly StopDate?: string;
  /** The child's input, as JSON text (a {@link FanOutItemEvent} or {@link FanOutBatchEvent}). */
  readonly Input: string;
  readonly InputDetails?: { readonly Included: boolean };
  /** The child's output, as JSON text (SUCCEEDED). */
  readonly Output?: string;
  readonly OutputDetails?: { readonly Included: boolean };
  /** FAILED / TIMED_OUT / ABORTED. */
  readonly Error?: string;
  readonly Cause?: string;
  readonly RedriveCount?: number;
  readonly RedriveStatus?: string;
  readonly RedriveStatusReason?: string;
}

/**
 * What a fan-out's `aggregate` step receives: the workflow state (the execution input) plus
 * `fanOut`, whose shape depends on the mode: {@link InlineFanOutResults},
 * {@link TolerantFanOutResults}, {@link DistributedFanOutResults} or {@link ResultWriterFanOutResults}.
 *
 * @typeParam F the `fanOut` shape of your configuration.
 * @typeParam I the execution input.
 */
export type FanOutAggregateEvent<F = InlineFanOutResults, I extends object = Record<string, unknown>> = I & {
  readonly fanOut: F;
};

// -------------------------------------------------------------------------- Hybrid and sequential

/**
 * What a step of a `SequentialWorkflow` or `HybridWorkflow` receives (no `Parameters`: the whole
 * state): the execution input plus `results` of the steps before it. Steps in an Express child
 * also see {@link HybridChildInput.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID}.
 *
 * @typeParam I the execution input.
 */
export type WorkflowStepEvent<I extends object = Record<string, unknown>> = I & {
  readonly results?: StepResults;
};

/**
 * The input of a `HybridWorkflow`'s Express child: the parent's state merged with the correlation
 * field Step Functions uses to link the child to the parent execution
 * (`States.JsonMerge($.state, $.correlation, false)`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-nested-workflows.html
 */
export type HybridChildInput<I extends object = Record<string, unknown>> = I & {
  readonly results?: StepResults;
  /** The parent's `$$.Execution.Id`. */
  readonly AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: string;
};

/**
 * The output of a `HybridWorkflow`'s Express child: its final state. The parent copies
 * `results.<step key>` of the child's steps into its own `results`.
 */
export type HybridChildOutput<I extends object = Record<string, unknown>> = HybridChildInput<I> & {
  readonly results: StepResults;
};
