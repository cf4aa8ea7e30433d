// Types only: the SDK is loaded on first use (see `sdk()`), so that importing the library (e.g. at
// synth time) loads no AWS SDK.
import type { AttributeValue, DynamoDBClient, QueryCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import { checkpointPartitionKey, CHECKPOINT_LAYOUT } from './layout';
import { stepResultKey } from '../../core/validation';

/** The DynamoDB client module, required on first use. */
function sdk(): typeof import('@aws-sdk/client-dynamodb') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-dynamodb');
}

/** Sort key of the per-key lease item. */
const LEASE_SORT_KEY = CHECKPOINT_LAYOUT.leaseSortKey;
/** Sort key prefix of the per-step checkpoint items. */
const STEP_SORT_KEY_PREFIX = CHECKPOINT_LAYOUT.stepSortKeyPrefix;
/** Attribute names of the checkpoint items. */
const A = CHECKPOINT_LAYOUT.attributes;
/** BatchWriteItem accepts at most 25 requests. */
const BATCH_SIZE = 25;

/**
 * Static AWS credentials for a `CheckpointClient`.
 */
export interface CheckpointClientCredentials {
  /** Access key id. */
  readonly accessKeyId: string;
  /** Secret access key. */
  readonly secretAccessKey: string;
  /**
   * Session token of temporary credentials.
   * @default - none
   */
  readonly sessionToken?: string;
}

/**
 * Properties of a `CheckpointClient`. Take them from the workflow: `table.tableName` (for example
 * through an environment variable), `namespace` and `stepNames`.
 */
export interface CheckpointClientProps {
  /** Name of the checkpoint table. */
  readonly tableName: string;
  /** The workflow's `namespace` (prefix of its partition keys). */
  readonly namespace: string;
  /** The workflow's `stepNames`, in order. */
  readonly stepNames: string[];
  /**
   * Partition key attribute of the table.
   * @default 'pk'
   */
  readonly partitionKeyName?: string;
  /**
   * Sort key attribute of the table.
   * @default 'sk'
   */
  readonly sortKeyName?: string;
  /**
   * TTL attribute of the table.
   * @default 'expiresAt'
   */
  readonly timeToLiveAttribute?: string;
  /**
   * AWS region.
   * @default - the SDK's default (AWS_REGION, profile)
   */
  readonly region?: string;
  /**
   * DynamoDB endpoint URL (for DynamoDB Local, dynalite, or a VPC endpoint).
   * @default - the regional endpoint
   */
  readonly endpoint?: string;
  /**
   * Static credentials.
   * @default - the SDK's default credential provider chain
   */
  readonly credentials?: CheckpointClientCredentials;
}

/**
 * A step whose checkpoint is stored for a key.
 */
export interface CompletedStep {
  /** The step name. */
  readonly name: string;
  /** The execution that completed the step (`$$.Execution.Id`). */
  readonly executionId: string;
  /** When that execution started (ISO 8601). */
  readonly executionStartedAt: string;
  /** When the checkpoint expires (ISO 8601). */
  readonly expiresAt: string;
}

/**
 * The progress of one key of a checkpointed workflow.
 */
export interface CheckpointProgress {
  /** The business key. */
  readonly key: string;
  /** Completed steps, in the workflow's step order. */
  readonly completed: CompletedStep[];
  /** Names of the steps not completed yet, in the workflow's step order. */
  readonly remaining: string[];
  /** Whether every step is completed. */
  readonly complete: boolean;
  /** Whether an execution holds the key's lease now. */
  readonly running: boolean;
  /**
   * Current checkpoint generation (the execution that started it; a restart starts a new one).
   * @default - none: the key was never run
   */
  readonly generation?: string;
  /**
   * The execution holding the lease.
   * @default - none: no execution holds it
   */
  readonly leaseOwner?: string;
  /**
   * When the current lease expires (ISO 8601).
   * @default - none: no execution holds it
   */
  readonly leaseExpiresAt?: string;
  /**
   * The last execution that released the key.
   * @default - none
   */
  readonly lastExecutionId?: string;
  /**
   * How that execution ended: `SUCCEEDED`, `FAILED` or `UNLOCKED` (released by `unlock`).
   * @default - none
   */
  readonly lastStatus?: string;
}

/**
 * Options of `CheckpointClient.reset`.
 */
export interface CheckpointResetOptions {
  /**
   * Delete the checkpoints even while an execution holds the key's lease (that execution then
   * fails with `Checkpoint.LeaseLost` at its end, and may write checkpoints again meanwhile).
   * @default false
   */
  readonly force?: boolean;
}

/**
 * Options of `CheckpointClient.unlock`.
 */
export interface CheckpointUnlockOptions {
  /**
   * Release the lease only if this execution (`$$.Execution.Id`, the execution ARN) holds it, so
   * that a lease taken meanwhile by a live execution is never broken by mistake.
   * @default - release whichever execution holds the lease
   */
  readonly owner?: string;
}

/**
 * Reads and resets the checkpoints of a `CheckpointedWorkflow` at runtime (in a Lambda function,
 * a script, an admin API), with the AWS SDK for JavaScript v3.
 *
 * The caller needs `dynamodb:Query` (progress), plus `dynamodb:BatchWriteItem` and
 * `dynamodb:UpdateItem` (reset, unlock) on the table: `workflow.table.grantReadData(fn)` or
 * `grantReadWriteData(fn)`.
 */
export class CheckpointClient {
  /** The table name. */
  public readonly tableName: string;
  /** The workflow's namespace. */
  public readonly namespace: string;
  /** The workflow's step names. */
  public readonly stepNames: string[];
  private readonly pkName: string;
  private readonly skName: string;
  private readonly ttlName: string;
  private readonly clientConfig: { region?: string; endpoint?: string; credentials?: CheckpointClientCredentials };
  private clientInstance?: DynamoDBClient;

  public constructor(props: CheckpointClientProps) {
    if (!props.tableName) {
      throw new Error('CheckpointClient: tableName is empty. Pass the checkpoint table name (workflow.table.tableName, e.g. through an environment variable).');
    }
    if (!props.namespace) {
      throw new Error('CheckpointClient: namespace is empty. Pass the workflow\'s namespace (workflow.namespace).');
    }
    if (!props.stepNames || props.stepNames.length === 0) {
      throw new Error('CheckpointClient: stepNames is empty. Pass the workflow\'s step names (workflow.stepNames).');
    }
    this.tableName = props.tableName;
    this.namespace = props.namespace;
    this.stepNames = [...props.stepNames];
    this.pkName = props.partitionKeyName ?? 'pk';
    this.skName = props.sortKeyName ?? 'sk';
    this.ttlName = props.timeToLiveAttribute ?? 'expiresAt';
    this.clientConfig = { region: props.region, endpoint: props.endpoint, credentials: props.credentials };
  }

  /** The DynamoDB client, created (and the SDK loaded) on first use. */
  private get client(): DynamoDBClient {
    this.clientInstance ??= new (sdk().DynamoDBClient)(this.clientConfig);
    return this.clientInstance;
  }

  /**
   * Which steps of `key` are completed (when, by which execution), which remain, and whether an
   * execution is running it now. Only checkpoints of the current generation that have not expired
   * count, exactly as a rerun would see them.
   */
  public async progress(key: string): Promise<CheckpointProgress> {
    const items = await this.items(key);
    const now = Math.floor(Date.now() / 1000);
    const lease = items.find((i) => i[this.skName]?.S === LEASE_SORT_KEY);
    // a key's checkpoints expire together with its generation (lease) item
    const generationAlive = lease !== undefined && Number(lease[this.ttlName]?.N ?? '0') > now;
    const generation = lease?.[A.generation]?.S;
    const byKey = new Map<string, Record<string, AttributeValue>>();
    for (const item of items) {
      const sk = item[this.skName]?.S ?? '';
      if (!sk.startsWith(STEP_SORT_KEY_PREFIX) || !generationAlive || generation === undefined || item[A.generation]?.S !== generation) continue;
      // placeholders (a step item the running execution owns but has not completed) hold no result
      if (item[A.result]?.S === undefined || Number(item[this.ttlName]?.N ?? '0') <= now) continue;
      byKey.set(sk.slice(STEP_SORT_KEY_PREFIX.length), item);
    }
    const completed: CompletedStep[] = [];
    const remaining: string[] = [];
    for (const name of this.stepNames) {
      const item = byKey.get(stepResultKey(name));
      if (item) {
        completed.push({
          name,
          executionId: item[A.executionId]?.S ?? '',
          executionStartedAt: item[A.executionStartedAt]?.S ?? '',
          expiresAt: new Date(Number(item[this.ttlName]?.N ?? '0') * 1000).toISOString(),
        });
      } else {
        remaining.push(name);
      }
    }
    const leaseUntil = Number(lease?.[A.leaseUntil]?.N ?? '0');
    const owner = lease?.[A.leaseOwner]?.S;
    const running = owner !== undefined && leaseUntil > now;
    return {
      key,
      completed,
      remaining,
      complete: remaining.length === 0,
      running,
      generation,
      leaseOwner: running ? owner : undefined,
      leaseExpiresAt: running ? new Date(leaseUntil * 1000).toISOString() : undefined,
      lastExecutionId: lease?.[A.lastExecutionId]?.S,
      lastStatus: lease?.[A.lastStatus]?.S,
    };
  }

  /**
   * Deletes every checkpoint of `key` (and its lease item), so that the next execution runs every
   * step. Refuses while an execution holds the lease, unless `force` is set. Returns the number of
   * items deleted.
   */
  public async reset(key: string, options: CheckpointResetOptions = {}): Promise<number> {
    const items = await this.items(key);
    const lease = items.find((i) => i[this.skName]?.S === LEASE_SORT_KEY);
    const now = Math.floor(Date.now() / 1000);
    if (!options.force && lease?.[A.leaseOwner]?.S !== undefined && Number(lease[A.leaseUntil]?.N ?? '0') > now) {
      throw new Error(`CheckpointClient.reset: checkpoint key '${key}' is being processed by ${lease[A.leaseOwner].S} (lease until ` +
        `${new Date(Number(lease[A.leaseUntil]!.N) * 1000).toISOString()}). Wait for it to end, or pass { force: true }.`);
    }
    const requests: WriteRequest[] = items.map((item) => ({
      DeleteRequest: { Key: { [this.pkName]: item[this.pkName], [this.skName]: item[this.skName] } },
    }));
    for (let i = 0; i < requests.length; i += BATCH_SIZE) {
      let pending: WriteRequest[] = requests.slice(i, i + BATCH_SIZE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= 8) {
          throw new Error(`CheckpointClient.reset: DynamoDB kept ${pending.length} deletes of key '${key}' unprocessed; try again later.`);
        }
        if (attempt > 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
        }
        const out = await this.client.send(new (sdk().BatchWriteItemCommand)({ RequestItems: { [this.tableName]: pending } }));
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
    return requests.length;
  }

  /**
   * Releases the lease of `key` held by an execution that is known to be dead (stopped, or lost),
   * so that a rerun can start before the lease expires. With `owner`, only that execution's lease
   * is released (a lease another execution took meanwhile stays). Checkpoints are kept. Returns
   * whether a lease was released.
   */
  public async unlock(key: string, options: CheckpointUnlockOptions = {}): Promise<boolean> {
    const owner = options.owner;
    if (owner !== undefined && (typeof owner !== 'string' || owner.length === 0)) {
      throw new Error(`CheckpointClient.unlock: owner ${JSON.stringify(owner)} must be the execution ARN ($$.Execution.Id) that holds the lease, or omitted.`);
    }
    try {
      await this.client.send(new (sdk().UpdateItemCommand)({
        TableName: this.tableName,
        Key: { [this.pkName]: { S: this.partitionKey(key) }, [this.skName]: { S: LEASE_SORT_KEY } },
        UpdateExpression: 'REMOVE #owner SET #until = :zero, #lastExec = :unlockedBy, #lastStatus = :unlocked',
        ConditionExpression: owner === undefined ? 'attribute_exists(#owner)' : '#owner = :owner',
        ExpressionAttributeNames: { '#owner': A.leaseOwner, '#until': A.leaseUntil, '#lastExec': A.lastExecutionId, '#lastStatus': A.lastStatus },
        ExpressionAttributeValues: {
          ':zero': { N: '0' },
          ':unlocked': { S: 'UNLOCKED' },
          ':unlockedBy': { S: owner ?? 'unlocked by CheckpointClient' },
          ...(owner === undefined ? {} : { ':owner': { S: owner } }),
        },
      }));
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') {
        return false;
      }
      throw e;
    }
  }

  /** Releases the client's connections. */
  public destroy(): void {
    this.clientInstance?.destroy();
    this.clientInstance = undefined;
  }

  private partitionKey(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new Error(`CheckpointClient: key ${JSON.stringify(key)} must be a non-empty string (numbers as their decimal text).`);
    }
    return checkpointPartitionKey(this.namespace, key);
  }

  private async items(key: string): Promise<Array<Record<string, AttributeValue>>> {
    const items: Array<Record<string, AttributeValue>> = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(new (sdk().QueryCommand)({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': this.pkName },
        ExpressionAttributeValues: { ':pk': { S: this.partitionKey(key) } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
