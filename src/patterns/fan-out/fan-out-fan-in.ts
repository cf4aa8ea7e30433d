import { Annotations, Aws, CfnElement, CfnResource, Duration, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FanOutItemSource } from './item-source';
import {
  estimateHistoryEvents,
  formatBytes,
  LIMITS,
  maxInlineItems,
  multiplyIntrinsic,
  percentageFactors,
} from './planning';
import { workflowError } from '../../core/errors';
import { IWorkflowStep, StepBinding } from '../../core/step';
import { WorkflowType } from '../../core/types';
import { Workflow, WorkflowProps } from '../../core/workflow';
import { acknowledgeOwnedWildcards, explainWildcardStatement, wildcardFindings } from '../../nag';
import { isRetriable } from '../../steps/retry';

/**
 * How a `FanOutFanIn` runs its items.
 */
export enum FanOutMode {
  /**
   * Choose from the configuration: DISTRIBUTED when the items come from S3, `batchSize` is set,
   * `maxConcurrency` exceeds 40, `resultBucket` is set, or `expectedItems` would take an inline
   * Map past 80% of the 25,000-event Standard history; INLINE otherwise. The choice and its
   * reason are reported as a synth-time info annotation.
   */
  AUTO = 'AUTO',
  /**
   * An inline Map: iterations run inside the workflow's own execution (at most 40 at a time, every
   * iteration's events in the parent's history). Works in Standard and Express workflows.
   */
  INLINE = 'INLINE',
  /**
   * A Distributed Map: each item (or batch) runs as a child execution (Express by default), with
   * its own history, up to 10,000 at a time, items from the state input or S3, results optionally
   * written to S3. Standard workflows only (Step Functions does not run a Distributed Map in an
   * Express workflow).
   */
  DISTRIBUTED = 'DISTRIBUTED',
}

/**
 * Properties of a `FanOutFanIn`.
 */
export interface FanOutFanInProps extends WorkflowProps {
  /**
   * The step run for each item (or, with `batchSize`, for each batch). It receives
   * `{ "index": <position in the list>, "item": <the item> }` (with `batchSize`:
   * `{ "Items": [ { "index", "item" }, ... ] }`); its retry policy applies per item.
   */
  readonly worker: IWorkflowStep;
  /**
   * JSONPath of the items array in the state input. Mutually exclusive with `itemSource`.
   * @default '$.items' (when `itemSource` is not set)
   */
  readonly itemsPath?: string;
  /**
   * Read the items from S3 instead of the state input (Distributed mode only).
   * @default - the items are read from `itemsPath`
   */
  readonly itemSource?: FanOutItemSource;
  /**
   * Reshapes each item before the worker sees it as `item` (a Map `ItemSelector`: JSONPath values
   * such as `$$.Map.Item.Value.id` or `$.jobId` from the state input).
   * @default - the item as it is
   */
  readonly itemSelector?: { [key: string]: any };
  /**
   * Inline, Distributed, or chosen automatically.
   * @default FanOutMode.AUTO
   */
  readonly mode?: FanOutMode;
  /**
   * Most items (or batches) processed at the same time: 1 to 40 inline, 1 to 10,000 distributed.
   * @default - 40 inline (the inline Map's own cap), 1,000 distributed (Lambda's default account concurrency)
   */
  readonly maxConcurrency?: number;
  /**
   * Process the items in batches of at most this many (a Distributed Map `ItemBatcher`); the worker
   * is called once per batch.
   * @default - no batching: the worker is called once per item
   */
  readonly batchSize?: number;
  /**
   * Percentage (0 to 100) of items that may fail without failing the workflow. Failed items are
   * reported to `aggregate`; beyond the tolerance the workflow fails with `FanOut.ToleranceExceeded`.
   * @default - no tolerance: the first item that still fails after its retries fails the workflow
   */
  readonly toleratedFailurePercentage?: number;
  /**
   * Number of items that may fail without failing the workflow. With `toleratedFailurePercentage`
   * too, exceeding either fails the workflow.
   * @default - no tolerance by count
   */
  readonly toleratedFailureCount?: number;
  /**
   * How many items a run typically has. AUTO uses it to estimate the history events and the
   * result payload of an inline Map.
   * @default - unknown: AUTO decides from the other properties
   */
  readonly expectedItems?: number;
  /**
   * Typical size of one item's (or batch's) result, for the payload estimate.
   * @default Size.bytes(256)
   */
  readonly expectedResultSize?: Size;
  /**
   * The fan-in step: receives the workflow state with `fanOut` (the results in item order, the
   * failed items with their errors, and the counts); its result is the workflow's output.
   * @default - no fan-in step: the output is the input plus `fanOut`
   */
  readonly aggregate?: IWorkflowStep;
  /**
   * Type of the child executions of a Distributed Map. Express children are cheaper and faster but
   * run at least once and at most 5 minutes; Standard children run exactly once, up to a year.
   * @default WorkflowType.EXPRESS
   */
  readonly childWorkflowType?: WorkflowType;
  /**
   * Write the Distributed Map's results to this bucket (`ResultWriter`) instead of the state, so
   * that they are not bound by the 256 KiB payload limit. The state then holds the Map Run ARN and
   * the location of the results manifest.
   * @default - results are returned in the state (an error at synth time when they are expected to exceed the payload limit)
   */
  readonly resultBucket?: s3.IBucket;
  /**
   * Write the Distributed Map's results to S3 in a bucket this construct creates (exposed as
   * `resultBucket`): encrypted with the workflow's `encryptionKey` (SSE-KMS) when it is set, else
   * SSE-S3; TLS-only; public access blocked; objects expire after `resultRetention`. Grant your
   * aggregate step read access with `fanOut.resultBucket.grantRead(fn.role)`. Mutually exclusive with
   * `resultBucket`.
   * @default false
   */
  readonly writeResults?: boolean;
  /**
   * How long the results written with `writeResults` are kept (a lifecycle expiration rule).
   * @default Duration.days(30)
   */
  readonly resultRetention?: Duration;
  /**
   * Key prefix of the results in `resultBucket`.
   * @default 'fan-out-results'
   */
  readonly resultPrefix?: string;
  /**
   * Name of the Map state (auxiliary states are named after it, e.g. `Fan out: tolerance exceeded`).
   * @default 'Fan out'
   */
  readonly stateName?: string;
}

/** Error name of a fan-out whose failures exceed the tolerance. */
const TOLERANCE_ERROR = 'FanOut.ToleranceExceeded';
/** Map Run label of the Distributed Map (narrows the redrive permission to this Map's runs). */
const MAP_RUN_LABEL = 'FanOut';
/** Default key prefix of written results. */
const DEFAULT_RESULT_PREFIX = 'fan-out-results';
/** Default expiry of the results written with `writeResults`, in days. */
const DEFAULT_RESULT_RETENTION_DAYS = 30;

/** Why AUTO would pick DISTRIBUTED, and what to change to stay inline. */
interface DistributedReason {
  readonly text: string;
  readonly inlineFix: string;
  /** An estimate rather than a hard limit: explicit INLINE is then warned, not refused. */
  readonly estimate?: boolean;
}

/**
 * Fan-out / fan-in: runs `worker` for every item of a list (from the state input or S3), with a
 * concurrency cap, optional batching and tolerated failures, then `aggregate` over all results.
 *
 * Inline mode renders a Map whose iterations run in the workflow's own execution; with a
 * tolerance, each failed item is caught (after its retries) and recorded instead of aborting the
 * Map, and the failures are counted and compared with the tolerance in the ASL itself (ending in
 * `FanOut.ToleranceExceeded` beyond it). Distributed mode renders a Distributed Map whose items run
 * as child executions (Express by default) with the native `ToleratedFailurePercentage`/`Count`,
 * `ItemReader`, `ItemBatcher` and `ResultWriter`, and the IAM the child executions need (start,
 * describe, stop and redrive of this state machine's executions). AUTO picks the mode from the
 * expected items, the concurrency, the 25,000-event Standard history and the payload limit.
 */
export class FanOutFanIn extends Workflow {
  /** The mode the fan-out runs in (AUTO resolved). */
  public readonly mode: FanOutMode;
  /** Why this mode (also reported as a synth-time info annotation). */
  public readonly modeReason: string;
  /**
   * Estimated history events of one Standard execution, for an inline fan-out with `expectedItems`.
   */
  public readonly estimatedHistoryEvents?: number;
  /** Type of the child executions (Distributed mode only). */
  public readonly childWorkflowType?: WorkflowType;
  /**
   * The bucket the Distributed Map writes its results to: `props.resultBucket`, or the bucket
   * created for `writeResults`; undefined when the results are returned in the state.
   */
  public readonly resultBucket?: s3.IBucket;
  private readonly resultPrefix: string;

  public constructor(scope: Construct, id: string, props: FanOutFanInProps) {
    super(scope, id, props);
    if (!props.worker) {
      throw workflowError(this, 'worker is missing. Pass the step run for each item, e.g. Step.lambda(\'Process item\', fn).');
    }
    this.validateNumbers(props);
    const name = props.stateName ?? 'Fan out';
    const itemsPath = props.itemsPath ?? (props.itemSource ? undefined : '$.items');
    this.validateSources(props, itemsPath);

    const requested = props.mode ?? FanOutMode.AUTO;
    const reasons = this.distributedReasons(props);
    const express = this.workflowType === WorkflowType.EXPRESS;
    let mode: FanOutMode;
    let reason: string;
    if (requested === FanOutMode.AUTO) {
      mode = reasons.length > 0 ? FanOutMode.DISTRIBUTED : FanOutMode.INLINE;
      reason = reasons.length > 0
        ? `AUTO chose DISTRIBUTED: ${reasons.map((r) => r.text).join('; ')}`
        : `AUTO chose INLINE: ${this.inlineFitText(props)}`;
      if (mode === FanOutMode.DISTRIBUTED && express) {
        throw workflowError(this, `mode AUTO needs a Distributed Map because ${reasons.map((r) => r.text).join('; ')}; but Step Functions runs a Distributed Map only in Standard workflows and this workflow is EXPRESS. Use WorkflowType.STANDARD (its child executions are Express by default), or ${reasons.map((r) => r.inlineFix).join(' and ')}.`);
      }
    } else if (requested === FanOutMode.INLINE) {
      const refused = reasons.filter((r) => !r.estimate);
      if (refused.length > 0) {
        throw workflowError(this, `mode is INLINE but ${refused[0].text}. Use FanOutMode.DISTRIBUTED (or AUTO), or ${refused[0].inlineFix}.`);
      }
      mode = FanOutMode.INLINE;
      reason = `INLINE as configured: ${this.inlineFitText(props)}`;
    } else if (requested === FanOutMode.DISTRIBUTED) {
      if (express) {
        throw workflowError(this, 'mode is DISTRIBUTED but this workflow is EXPRESS, and Step Functions runs a Distributed Map only in Standard workflows. Use WorkflowType.STANDARD (child executions are Express by default), or FanOutMode.INLINE.');
      }
      mode = FanOutMode.DISTRIBUTED;
      reason = reasons.length > 0 ? `DISTRIBUTED as configured (${reasons.map((r) => r.text).join('; ')})` : 'DISTRIBUTED as configured';
    } else {
      throw workflowError(this, `mode '${requested}' is not a FanOutMode. Use FanOutMode.AUTO, INLINE or DISTRIBUTED.`);
    }
    this.mode = mode;

    if (mode === FanOutMode.INLINE) {
      if (props.childWorkflowType !== undefined) {
        if (requested === FanOutMode.INLINE) {
          throw workflowError(this, 'childWorkflowType is set but mode is INLINE, which starts no child executions. Drop childWorkflowType, or use FanOutMode.DISTRIBUTED.');
        }
        Annotations.of(this).addWarningV2('cdk-stateful-workflows:fanOutChildTypeUnused',
          `childWorkflowType ${props.childWorkflowType} is unused: AUTO chose INLINE, which starts no child executions. Drop it, or set mode DISTRIBUTED.`);
      }
      this.estimatedHistoryEvents = this.checkInlineBudgets(props, requested);
      this.childWorkflowType = undefined;
    } else {
      this.childWorkflowType = props.childWorkflowType ?? WorkflowType.EXPRESS;
      this.checkDistributedResults(props, itemsPath);
    }
    this.checkCallbacks(props);

    this.modeReason = reason;
    if (mode === FanOutMode.DISTRIBUTED) {
      this.resultBucket = props.resultBucket ?? (props.writeResults ? this.createResultBucket(props) : undefined);
    }
    Annotations.of(this).addInfoV2('cdk-stateful-workflows:fanOutMode', `FanOutFanIn runs ${mode}. ${reason}.`);

    const definition = mode === FanOutMode.INLINE
      ? this.buildInline(props, name, itemsPath!)
      : this.buildDistributed(props, name, itemsPath);
    const stateMachine = this.createStateMachine(definition);
    this.resultPrefix = (props.resultPrefix ?? DEFAULT_RESULT_PREFIX).replace(/\/+$/, '');
    if (mode === FanOutMode.DISTRIBUTED && this.resultBucket) {
      for (const statement of resultWriterStatements(this.resultBucket, this.resultPrefix)) {
        stateMachine.addToRolePolicy(statement);
      }
    }
    if (mode === FanOutMode.DISTRIBUTED) {
      // aws-cdk-lib's DistributedMap lets the role start, describe, stop and redrive the Map Run's
      // child executions, whose names are generated per run: its resources end in '*', limited to
      // this state machine's executions. Acknowledged exactly (a wildcard added elsewhere stays reported).
      // (aws-cdk-lib puts them in the state machine's DistributedMapPolicy, or the role's default policy)
      // (the resources name the machine through its logical id: Fn::Select over its Ref)
      const machineId = Stack.of(this).getLogicalId(stateMachine.node.defaultChild as CfnElement);
      for (const policy of [stateMachine.node.tryFindChild('DistributedMapPolicy'), stateMachine.role.node.tryFindChild('DefaultPolicy')]) {
        if (policy instanceof iam.Policy) {
          acknowledgeOwnedWildcards(policy, policy.document, (r) => r.includes(':execution:') && r.includes(`"${machineId}"`),
            'A Distributed Map starts, describes, stops and redrives its own child executions, whose names Step Functions generates per Map Run (https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html); the ARNs are limited to this state machine\'s executions.');
        }
      }
    }
  }

  /**
   * Lets `grantee` read the Map Run results the ResultWriter writes (`manifest.json` and the result
   * files under the result prefix): `s3:GetObject` on `<prefix>/*` (and decrypt with the bucket's key).
   * The keys hold the Map Run id, known only at run time, so the grant names the prefix; that one
   * wildcard is acknowledged for cdk-nag by its exact finding.
   */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    if (!this.resultBucket) {
      throw workflowError(this, 'grantReadResults() needs a results bucket: set writeResults: true or resultBucket (a Distributed Map writes its results there).');
    }
    const statement = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.resultBucket.arnForObjects(`${this.resultPrefix}/*`)] });
    const result = grantee.grantPrincipal.addToPrincipalPolicy(statement);
    if (this.resultBucket.encryptionKey) {
      this.resultBucket.encryptionKey.grantDecrypt(grantee);
    }
    const where = result.policyDependable as unknown as Construct | undefined;
    if (where && (where as any).node) {
      for (const id of wildcardFindings(where, statement)) {
        Validations.of(where).acknowledge({ id, reason: 'Reads the manifest and result files of this workflow\'s Map Runs: their keys are <prefix>/<map run id>/..., and the run id is known only at run time (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).' });
      }
    }
    return iam.Grant.drop(grantee, 'grantReadResults');
  }

  /**
   * The bucket of `writeResults`: SSE-KMS with the workflow's key when it has one (Step Functions
   * writes Map Run results with the state machine role, which then needs kms:GenerateDataKey:
   * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html, IAM policies
   * for ResultWriter), TLS-only, public access blocked, and a lifecycle expiry.
   */
  private createResultBucket(props: FanOutFanInProps): s3.Bucket {
    const key = this.encryptionKey;
    const bucket = new s3.Bucket(this, 'Results', {
      encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: key,
      bucketKeyEnabled: key ? true : undefined,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{
        id: 'ExpireFanOutResults',
        expiration: props.resultRetention ?? Duration.days(DEFAULT_RESULT_RETENTION_DAYS),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
    });
    Validations.of(bucket.node.defaultChild as CfnResource).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Transient Map Run results, written and read only by this workflow and expiring by lifecycle; server access logs would outlive the data they describe. CloudTrail S3 data events can record access account-wide if required.',
    });
    return bucket;
  }

  // ---------------------------------------------------------------- validation

  private validateNumbers(props: FanOutFanInProps): void {
    const integer = (what: string, value: number | undefined, min: number, max: number, fix: string) => {
      if (value === undefined || Token.isUnresolved(value)) return;
      if (!Number.isInteger(value) || value < min || value > max) {
        throw workflowError(this, `${what} is ${value}; it must be a whole number from ${min} to ${max.toLocaleString('en-US')}. ${fix}`);
      }
    };
    integer('maxConcurrency', props.maxConcurrency, 1, LIMITS.distributedMaxConcurrency,
      'It caps the items processed at the same time (an inline Map runs at most 40).');
    integer('batchSize', props.batchSize, 1, Number.MAX_SAFE_INTEGER, 'It is the most items passed to one worker call.');
    integer('toleratedFailureCount', props.toleratedFailureCount, 0, Number.MAX_SAFE_INTEGER, 'It is the number of items allowed to fail.');
    integer('expectedItems', props.expectedItems, 0, Number.MAX_SAFE_INTEGER, 'It is the typical number of items of one run.');
    const pct = props.toleratedFailurePercentage;
    if (pct !== undefined && !Token.isUnresolved(pct) && !(Number.isFinite(pct) && pct >= 0 && pct <= 100)) {
      throw workflowError(this, `toleratedFailurePercentage is ${pct}; it must be a number from 0 to 100. Use e.g. 5 for "up to 5% of the items may fail".`);
    }
    const size = props.expectedResultSize;
    if (size !== undefined && !Token.isUnresolved(size.toBytes()) && size.toBytes() <= 0) {
      throw workflowError(this, `expectedResultSize is ${size.toBytes()} bytes; it must be positive. Give the typical size of one item's result.`);
    }
  }

  private validateSources(props: FanOutFanInProps, itemsPath: string | undefined): void {
    if (props.itemsPath !== undefined && props.itemSource) {
      throw workflowError(this, `both itemsPath ('${props.itemsPath}') and itemSource (${props.itemSource.description}) are set. Keep one: itemsPath for items in the state input, itemSource for items in S3.`);
    }
    if (itemsPath !== undefined && !Token.isUnresolved(itemsPath) && !/^\$(\.|\[|$)/.test(itemsPath)) {
      throw workflowError(this, `itemsPath '${itemsPath}' is not a JSONPath. Write it from the state root, e.g. '$.items' or '$' when the input is the array itself.`);
    }
    if (itemsPath !== undefined && /[?*@]|\.\./.test(itemsPath)) {
      throw workflowError(this, `itemsPath '${itemsPath}' uses filters, wildcards or deep scan, which a Map's ItemsPath (a reference path) does not allow. Point it at one array, e.g. '$.items'.`);
    }
    const problems = props.itemSource?._validate() ?? [];
    if (problems.length > 0) {
      throw workflowError(this, problems.join(' '));
    }
    if (props.resultPrefix !== undefined && !props.resultBucket && !props.writeResults) {
      throw workflowError(this, `resultPrefix '${props.resultPrefix}' is set without resultBucket. Set resultBucket (or writeResults: true) too, or drop resultPrefix.`);
    }
    if (props.writeResults && props.resultBucket) {
      throw workflowError(this, 'both writeResults and resultBucket are set. Keep resultBucket to write to your bucket, or writeResults: true to let the construct create one.');
    }
    if (props.resultRetention !== undefined && !props.writeResults) {
      throw workflowError(this, `resultRetention ${props.resultRetention.toHumanString()} is set without writeResults. It sets the expiry of the bucket writeResults creates; set writeResults: true, or configure your own resultBucket's lifecycle.`);
    }
    if (props.resultRetention !== undefined && !Token.isUnresolved(props.resultRetention.toDays({ integral: false }))
      && (props.resultRetention.toDays({ integral: false }) < 1 || !Number.isInteger(props.resultRetention.toDays({ integral: false })))) {
      throw workflowError(this, `resultRetention is ${props.resultRetention.toHumanString()}; S3 lifecycle expiry counts whole days (at least 1). Use e.g. Duration.days(7).`);
    }
    if (props.resultPrefix !== undefined && !Token.isUnresolved(props.resultPrefix)
      && (props.resultPrefix.trim() === '' || props.resultPrefix.startsWith('/') || props.resultPrefix.includes('*'))) {
      throw workflowError(this, `resultPrefix '${props.resultPrefix}' is not a usable key prefix. Use a non-empty prefix without a leading '/' or '*', e.g. 'nightly/results'.`);
    }
  }

  /** Everything that needs a Distributed Map, with what would keep the fan-out inline. */
  private distributedReasons(props: FanOutFanInProps): DistributedReason[] {
    const reasons: DistributedReason[] = [];
    if (props.itemSource) {
      reasons.push({ text: `the items come from ${props.itemSource.description} (an inline Map iterates only over the state input)`, inlineFix: 'pass the items in the state input (itemsPath)' });
    }
    if (props.batchSize !== undefined) {
      reasons.push({ text: `batchSize ${props.batchSize} needs an ItemBatcher, which only a Distributed Map has`, inlineFix: 'drop batchSize' });
    }
    if (props.maxConcurrency !== undefined) {
      if (Token.isUnresolved(props.maxConcurrency) && (props.mode ?? FanOutMode.AUTO) === FanOutMode.AUTO) {
        throw workflowError(this, 'maxConcurrency is a token, so mode AUTO cannot tell whether an inline Map (at most 40 at a time) suffices. Set mode INLINE or DISTRIBUTED explicitly.');
      }
      if (props.maxConcurrency > LIMITS.inlineMaxConcurrency) {
        reasons.push({ text: `maxConcurrency ${props.maxConcurrency} exceeds the ${LIMITS.inlineMaxConcurrency} iterations an inline Map runs at a time`, inlineFix: `lower maxConcurrency to ${LIMITS.inlineMaxConcurrency} or less` });
      }
    }
    if (props.resultBucket) {
      reasons.push({ text: 'resultBucket is set, and only a Distributed Map writes its results to S3', inlineFix: 'drop resultBucket' });
    }
    if (props.writeResults) {
      reasons.push({ text: 'writeResults is set, and only a Distributed Map writes its results to S3', inlineFix: 'drop writeResults' });
    }
    const items = this.knownExpectedItems(props);
    if (items !== undefined && this.workflowType === WorkflowType.STANDARD) {
      const events = estimateHistoryEvents(items, 1);
      const budget = LIMITS.standardHistoryEvents * LIMITS.historyBudgetShare;
      if (events > budget) {
        reasons.push({
          text: `expectedItems ${items} would take about ${events.toLocaleString('en-US')} history events inline, over the ${budget.toLocaleString('en-US')} (80%) budget of the 25,000-event Standard history (an inline Map fits about ${maxInlineItems(1).toLocaleString('en-US')} items)`,
          inlineFix: 'split the items over several executions',
          estimate: true,
        });
      }
    }
    return reasons;
  }

  private knownExpectedItems(props: FanOutFanInProps): number | undefined {
    if (props.expectedItems === undefined) return undefined;
    if (Token.isUnresolved(props.expectedItems)) {
      throw workflowError(this, 'expectedItems is a token; it must be a literal number, since it only feeds synth-time estimates. Give a typical count, or omit it.');
    }
    return props.expectedItems;
  }

  private hasTolerance(props: FanOutFanInProps): boolean {
    return props.toleratedFailurePercentage !== undefined || props.toleratedFailureCount !== undefined;
  }

  /** Estimated bytes of the results returned in the state, or undefined when the item count is unknown. */
  private estimatedResultBytes(props: FanOutFanInProps, inline: boolean): number | undefined {
    const items = this.knownExpectedItems(props);
    if (items === undefined) return undefined;
    const sizeBytes = props.expectedResultSize?.toBytes() ?? LIMITS.defaultResultBytes;
    if (Token.isUnresolved(sizeBytes)) return undefined;
    const perResult = sizeBytes + (inline && this.hasTolerance(props) ? LIMITS.envelopeBytes : 0);
    const results = props.batchSize ? Math.ceil(items / props.batchSize) : items;
    return results * perResult;
  }

  private inlineFitText(props: FanOutFanInProps): string {
    const items = this.knownExpectedItems(props);
    const concurrency = `at most ${props.maxConcurrency ?? LIMITS.inlineMaxConcurrency} items at a time`;
    if (this.workflowType === WorkflowType.EXPRESS) {
      return `${concurrency}; an Express workflow keeps no execution history, so only its 5-minute duration and the 256 KiB payload bound the items`;
    }
    if (items === undefined) {
      return `${concurrency}; expectedItems is not set (an inline Map fits about ${maxInlineItems(1).toLocaleString('en-US')} items in 80% of the 25,000-event Standard history, at ${LIMITS.eventsPerIteration + LIMITS.eventsPerTask} events per item)`;
    }
    return `${concurrency}; expectedItems ${items} take about ${estimateHistoryEvents(items, 1).toLocaleString('en-US')} of the 25,000 Standard history events`;
  }

  /** History and payload checks of an inline fan-out; returns the history estimate. */
  private checkInlineBudgets(props: FanOutFanInProps, requested: FanOutMode): number | undefined {
    const bytes = this.estimatedResultBytes(props, true);
    const payloadBudget = LIMITS.payloadBytes * LIMITS.payloadBudgetShare;
    if (bytes !== undefined && bytes > payloadBudget) {
      throw workflowError(this, `expectedItems ${props.expectedItems} results of about ${formatBytes(bytes / props.expectedItems!)} each make about ${formatBytes(bytes)}, over the ${formatBytes(payloadBudget)} of the 256 KiB state payload limit left for results. Set writeResults: true or resultBucket (a Distributed Map writes the results to S3), or return smaller results (set expectedResultSize to their real size).`);
    }
    const items = this.knownExpectedItems(props);
    if (items === undefined || this.workflowType !== WorkflowType.STANDARD) {
      return undefined;
    }
    const events = estimateHistoryEvents(items, 1);
    const budget = LIMITS.standardHistoryEvents * LIMITS.historyBudgetShare;
    if (requested === FanOutMode.INLINE && events > LIMITS.standardHistoryEvents) {
      throw workflowError(this, `mode is INLINE but expectedItems ${items} would take about ${events.toLocaleString('en-US')} history events, over the 25,000-event limit of a Standard execution (it would fail mid-way). Use FanOutMode.DISTRIBUTED or AUTO, or split the items over several executions.`);
    }
    if (events > budget) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:fanOutHistoryBudget',
        `expectedItems ${items} take about ${events.toLocaleString('en-US')} history events, over the ${budget.toLocaleString('en-US')} (80%) budget of the 25,000-event Standard history: retries and failed items may push the execution over the limit. Use FanOutMode.DISTRIBUTED or AUTO, or fewer items per execution.`);
    }
    return events;
  }

  /** Where the results of a Distributed Map go, and whether that is safe. */
  private checkDistributedResults(props: FanOutFanInProps, itemsPath: string | undefined): void {
    if (props.resultBucket || props.writeResults) return;
    const bytes = this.estimatedResultBytes(props, false);
    const payloadBudget = LIMITS.payloadBytes * LIMITS.payloadBudgetShare;
    if (bytes !== undefined && bytes > payloadBudget) {
      throw workflowError(this, `the Distributed Map would return about ${formatBytes(bytes)} of results in the state (expectedItems ${props.expectedItems}${props.batchSize ? ` in batches of ${props.batchSize}` : ''}, about ${formatBytes(props.expectedResultSize?.toBytes() ?? LIMITS.defaultResultBytes)} per result), over the ${formatBytes(payloadBudget)} left for results under the 256 KiB payload limit. Set writeResults: true (or resultBucket) to write the results to S3.`);
    }
    if (bytes === undefined && props.itemSource) {
      throw workflowError(this, `the items come from ${props.itemSource.description}, so their number is unbounded, and without resultBucket all results would be returned in the state (256 KiB at most). Set writeResults: true (or resultBucket) to write the results to S3, or set expectedItems (and expectedResultSize) so that the results are known to fit.`);
    }
    if (bytes === undefined && itemsPath !== undefined) {
      Annotations.of(this).addInfoV2('cdk-stateful-workflows:fanOutResultsInState',
        'The Distributed Map returns its results in the state (256 KiB at most). If they may grow beyond that, set resultBucket to write them to S3.');
    }
  }

  /** Callback (`.waitForTaskToken`) tasks and child-execution limits. */
  private checkCallbacks(props: FanOutFanInProps): void {
    const expressParent = this.workflowType === WorkflowType.EXPRESS;
    for (const step of [props.worker, props.aggregate]) {
      if (step?.waitsForCallback && expressParent) {
        throw workflowError(this, `step '${step.name}' waits for a callback (.waitForTaskToken), which Express workflows do not support. Use WorkflowType.STANDARD, or a step that does not wait.`);
      }
    }
    if (this.childWorkflowType !== WorkflowType.EXPRESS) {
      return;
    }
    const worker = props.worker;
    if (worker.waitsForCallback) {
      throw workflowError(this, `worker '${worker.name}' waits for a callback (.waitForTaskToken), which Express child executions do not support. Set childWorkflowType: WorkflowType.STANDARD.`);
    }
    if (worker.timeout && !Token.isUnresolved(worker.timeout.toSeconds()) && worker.timeout.toSeconds() > LIMITS.expressMaxSeconds) {
      throw workflowError(this, `worker '${worker.name}' may run ${worker.timeout.toHumanString()}, longer than the 5 minutes an Express child execution lives. Shorten its timeout, or set childWorkflowType: WorkflowType.STANDARD.`);
    }
    if (!worker.idempotent) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:fanOutExpressChildNotIdempotent',
        `worker '${worker.name}' is not marked idempotent, but runs in Express child executions, which run at least once: an item may be processed twice. Make the worker idempotent and pass { idempotent: true }, or set childWorkflowType: WorkflowType.STANDARD.`);
    }
  }

  // ---------------------------------------------------------------- inline

  private buildInline(props: FanOutFanInProps, name: string, itemsPath: string): sfn.IChainable {
    const tolerance = this.hasTolerance(props);
    const pct = props.toleratedFailurePercentage;
    const count = props.toleratedFailureCount;
    if (pct !== undefined && Token.isUnresolved(pct)) {
      throw workflowError(this, 'toleratedFailurePercentage is a token; an inline fan-out compares it in the ASL and needs a literal number. Give a number, or use FanOutMode.DISTRIBUTED.');
    }
    if (count !== undefined && Token.isUnresolved(count)) {
      throw workflowError(this, 'toleratedFailureCount is a token; an inline fan-out compares it in the ASL and needs a literal number. Give a number, or use FanOutMode.DISTRIBUTED.');
    }
    const factors = pct !== undefined && pct > 0 && pct < 100 ? percentageFactors(pct) : undefined;
    if (factors && Math.max(factors.failedFactor, factors.totalFactor) > LIMITS.maxMultiplier) {
      throw workflowError(this, `toleratedFailurePercentage ${pct} needs the comparison failed * ${factors.failedFactor} > total * ${factors.totalFactor}, too large to render with JSONPath intrinsics (at most ${LIMITS.maxMultiplier}). Round it to a whole number or one with fewer decimals (e.g. ${Math.round(pct!)}), or use toleratedFailureCount.`);
    }

    this.claimStateName(name);
    const worker = this.bindStep(props.worker, tolerance
      ? { resultSelector: { 'failed': false, 'output.$': '$' } }
      : {});
    const state = worker.state;
    if (props.expectedItems !== undefined && (state instanceof sfn.Parallel || state instanceof sfn.Map || state instanceof sfn.CustomState)) {
      Annotations.of(this).addWarningV2('cdk-stateful-workflows:fanOutCompositeWorker',
        `worker '${props.worker.name}' renders a ${state.constructor.name} state, but the history estimate assumes one Task per item (7 events): each item costs more events, so fewer items fit the 25,000-event Standard history than estimated. Lower expectedItems accordingly, or use FanOutMode.DISTRIBUTED.`);
    }
    let processor: sfn.IChainable = worker.state;
    if (tolerance) {
      processor = this.catchItemFailures(worker, props.worker, name);
    }

    const map = new sfn.Map(this, name, {
      itemsPath,
      itemSelector: itemSelectorOf(props.itemSelector),
      maxConcurrency: props.maxConcurrency ?? LIMITS.inlineMaxConcurrency,
      resultSelector: tolerance
        ? {
          'results.$': '$',
          'total.$': 'States.ArrayLength($)',
          // The failed items, by a JSONPath filter (a path in a payload template may filter; one that
          // selects nothing is an empty array: "Paths", https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html).
          // They are counted by the next state: a filter inside an intrinsic's argument is not documented.
          'failedItems.$': '$[?(@.failed == true)]',
        }
        : { 'results.$': '$', 'total.$': 'States.ArrayLength($)', 'failedCount': 0 },
      resultPath: '$.fanOut',
    });
    map.itemProcessor(processor);

    const aggregate = props.aggregate ? this.bindStep(props.aggregate) : undefined;
    if (!tolerance) {
      return aggregate ? map.next(aggregate.state) : map;
    }
    this.claimStateName(`${name}: count failures`);
    const countFailures = new sfn.Pass(this, `${name}: count failures`, {
      parameters: { 'results.$': '$.fanOut.results', 'total.$': '$.fanOut.total', 'failedCount.$': 'States.ArrayLength($.fanOut.failedItems)' },
      resultPath: '$.fanOut',
    });
    map.next(countFailures);

    // An empty list skips the Map and the counting (nothing can have failed). The no-items branch
    // still reads the list, so a missing or non-array itemsPath fails the run.
    const after: sfn.State = aggregate?.state ?? this.succeed(`${name}: done`);
    this.claimStateName(`${name}: any items?`);
    this.claimStateName(`${name}: no items`);
    const noItems = new sfn.Pass(this, `${name}: no items`, {
      parameters: { 'results.$': itemsPath, 'total.$': `States.ArrayLength(${itemsPath})`, 'failedCount': 0 },
      resultPath: '$.fanOut',
    });
    noItems.next(after);
    const guard = new sfn.Choice(this, `${name}: any items?`)
      .when(sfn.Condition.isPresent(`${itemsPath}[0]`), map)
      .otherwise(noItems);

    const exceeded = toleranceExceeded(pct, count, factors !== undefined);
    if (!exceeded) {
      countFailures.next(after);
      return guard;
    }
    this.claimStateName(`${name}: evaluate tolerance`);
    this.claimStateName(`${name}: within tolerance?`);
    this.claimStateName(`${name}: tolerance exceeded`);
    const evaluate = new sfn.Pass(this, `${name}: evaluate tolerance`, {
      parameters: {
        'summary.$': `States.Format('{} of {} items failed; tolerated: ${toleranceText(pct, count)}.', $.fanOut.failedCount, $.fanOut.total)`,
        ...(factors ? {
          'failedScaled.$': multiplyIntrinsic('$.fanOut.failedCount', factors.failedFactor),
          'allowedScaled.$': multiplyIntrinsic('$.fanOut.total', factors.totalFactor),
        } : {}),
      },
      resultPath: '$.fanOut.tolerance',
    });
    const fail = new sfn.Fail(this, `${name}: tolerance exceeded`, {
      error: TOLERANCE_ERROR,
      causePath: '$.fanOut.tolerance.summary',
    });
    countFailures.next(evaluate).next(
      new sfn.Choice(this, `${name}: within tolerance?`).when(exceeded, fail).otherwise(after),
    );
    return guard;
  }

  /** Catch of the worker: a failed item becomes a result instead of failing the Map. */
  private catchItemFailures(worker: StepBinding, step: IWorkflowStep, name: string): sfn.IChainable {
    const state = worker.state;
    if (state instanceof sfn.Pass || !isRetriable(state)) {
      throw workflowError(this, `worker '${step.name}' renders a ${state.constructor.name} state, which cannot fail or catch errors, so a failure tolerance means nothing for it. Drop toleratedFailurePercentage/Count, or use a Task step (Step.lambda, Step.awsSdk).`);
    }
    const failedName = `${name}: item failed`;
    this.claimStateName(failedName);
    const recordFailure = new sfn.Pass(this, failedName, {
      parameters: {
        'failed': true,
        'index.$': '$.index',
        'item.$': '$.item',
        'error.$': '$.error',
      },
    });
    state.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  }

  private succeed(stateName: string): sfn.Succeed {
    this.claimStateName(stateName);
    return new sfn.Succeed(this, stateName);
  }

  // ---------------------------------------------------------------- distributed

  private buildDistributed(props: FanOutFanInProps, name: string, itemsPath: string | undefined): sfn.IChainable {
    this.claimStateName(name);
    const worker = this.bindStep(props.worker);
    const extra: Record<string, unknown> = {};
    // Rendered explicitly (aws-cdk-lib drops zeros): 0 is also Step Functions' default.
    if (props.toleratedFailurePercentage !== undefined) extra.ToleratedFailurePercentage = props.toleratedFailurePercentage;
    if (props.toleratedFailureCount !== undefined) extra.ToleratedFailureCount = props.toleratedFailureCount;
    if (props.toleratedFailurePercentage === undefined && props.toleratedFailureCount === undefined) {
      extra.ToleratedFailurePercentage = 0;
    }
    if (this.resultBucket) {
      extra.ResultWriter = {
        Resource: `arn:${Aws.PARTITION}:states:::s3:putObject`,
        Parameters: { Bucket: this.resultBucket.bucketName, Prefix: props.resultPrefix ?? DEFAULT_RESULT_PREFIX },
      };
    }
    const map = new FanOutDistributedMap(this, name, {
      itemsPath: props.itemSource ? undefined : itemsPath,
      itemReader: props.itemSource?._reader(),
      itemSelector: itemSelectorOf(props.itemSelector),
      itemBatcher: props.batchSize !== undefined ? new sfn.ItemBatcher({ maxItemsPerBatch: props.batchSize }) : undefined,
      maxConcurrency: props.maxConcurrency ?? LIMITS.distributedDefaultConcurrency,
      mapExecutionType: this.childWorkflowType === WorkflowType.STANDARD ? sfn.StateMachineType.STANDARD : sfn.StateMachineType.EXPRESS,
      label: MAP_RUN_LABEL,
      resultSelector: this.resultBucket
        ? { 'mapRunArn.$': '$.MapRunArn', 'resultWriterDetails.$': '$.ResultWriterDetails' }
        : { 'results.$': '$', 'total.$': 'States.ArrayLength($)' },
      resultPath: '$.fanOut',
    }, extra);
    map.itemProcessor(worker.state);

    const failName = `${name}: tolerance exceeded`;
    this.claimStateName(failName);
    map.addCatch(new sfn.Fail(this, failName, { error: TOLERANCE_ERROR, causePath: '$.Cause' }), {
      errors: ['States.ExceedToleratedFailureThreshold'],
    });
    const aggregate = props.aggregate ? this.bindStep(props.aggregate) : undefined;
    return aggregate ? map.next(aggregate.state) : map;
  }
}

/** `{ index, item }` for each item (the position makes failures traceable and batches orderable). */
function itemSelectorOf(selector: { [key: string]: any } | undefined): { [key: string]: any } {
  return selector
    ? { 'index.$': '$$.Map.Item.Index', 'item': selector }
    : { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' };
}

/** The Choice condition "failures exceed the tolerance", or undefined when nothing can exceed it. */
function toleranceExceeded(pct: number | undefined, count: number | undefined, scaled: boolean): sfn.Condition | undefined {
  const conditions: sfn.Condition[] = [];
  if (count !== undefined) {
    conditions.push(sfn.Condition.numberGreaterThan('$.fanOut.failedCount', count));
  }
  if (pct === 0) {
    conditions.push(sfn.Condition.numberGreaterThan('$.fanOut.failedCount', 0));
  } else if (scaled) {
    conditions.push(sfn.Condition.numberGreaterThanJsonPath('$.fanOut.tolerance.failedScaled', '$.fanOut.tolerance.allowedScaled'));
  }
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? conditions[0] : sfn.Condition.or(...conditions);
}

/** "at most 10 percent of the items and at most 3 items" (no characters intrinsics must escape). */
function toleranceText(pct: number | undefined, count: number | undefined): string {
  const parts: string[] = [];
  if (pct !== undefined) parts.push(`at most ${pct} percent of the items`);
  if (count !== undefined) parts.push(`at most ${count} items`);
  return parts.join(' and ');
}

/** What the state machine role needs to write Map Run results under `prefix`. */
function resultWriterStatements(bucket: s3.IBucket, prefix: string): iam.PolicyStatement[] {
  const statements = [explainWildcardStatement(new iam.PolicyStatement({
    actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
    resources: [bucket.arnForObjects(`${prefix}/*`)],
  }), 'The ResultWriter writes each Map Run\'s results under <prefix>/<map run id>/; the run id is known only at run time (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html, IAM policies for ResultWriter).')];
  if (bucket.encryptionKey) {
    statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [bucket.encryptionKey.keyArn] }));
  }
  return statements;
}

/**
 * aws-cdk-lib's DistributedMap plus fields it cannot render without a feature flag or drops when
 * zero: `ResultWriter` (its non-deprecated writer needs the `useDistributedMapResultWriterV2` flag)
 * and explicit zero tolerances.
 */
class FanOutDistributedMap extends sfn.DistributedMap {
  private readonly extraFields: Record<string, unknown>;

  public constructor(scope: Construct, id: string, props: sfn.DistributedMapProps, extraFields: Record<string, unknown>) {
    super(scope, id, props);
    this.extraFields = extraFields;
  }

  public toStateJson(stateMachineQueryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(stateMachineQueryLanguage), ...this.extraFields };
  }
}
