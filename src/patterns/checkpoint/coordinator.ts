/**
 * The checkpoint coordinator: the one Lambda invocation at the start of every execution of a
 * `CheckpointedWorkflow`. It is the workflow's source of time (JSONPath has no clock arithmetic)
 * and does, in one call:
 *
 * 1. validate the input and read the business key at `keyPath`;
 * 2. acquire the key's lease with a conditional UpdateItem (free, expired, or already ours);
 *    a live lease held by another execution fails fast with `Checkpoint.KeyLocked`;
 * 3. pick the checkpoint generation (kept, or a new one when the input asks for a restart);
 * 4. load the completed steps of that generation (Query, consistent read) and return the
 *    workflow state: the input, the stored results, and `checkpoint` (key, generation, TTL, done).
 *
 * `coordinate` is self-contained (no imports, no outer references): its source text is rendered
 * into the function's inline code by `coordinatorInlineCode()`, and tests call the very same
 * function as the local runner's handler. Module-private (not part of the jsii API).
 */

/** What the state machine passes to the coordinator. */
export interface CoordinatorEvent {
  /** The execution input. */
  readonly input: unknown;
  /** `$$.Execution.Id`. */
  readonly executionId: string;
  /**
   * `$$.Execution.StartTime` (ISO 8601).
   * @default - the coordinator's clock
   */
  readonly executionStartTime?: string;
  /** Table name. */
  readonly table: string;
  /** Partition key attribute. */
  readonly partitionKeyName: string;
  /** Sort key attribute. */
  readonly sortKeyName: string;
  /** TTL attribute (epoch seconds). */
  readonly ttlAttribute: string;
  /** Prefix of the partition key (`<namespace>#<business key>`). */
  readonly namespace: string;
  /** Segments of the key path (`$.a.b` -> ['a', 'b']). */
  readonly keyPath: string[];
  /** Input field that asks for a restart (`true`). */
  readonly restartField: string;
  /** Result keys of the workflow's steps. */
  readonly steps: string[];
  /** Checkpoint TTL in seconds. */
  readonly ttlSeconds: number;
  /** Lease duration in seconds. */
  readonly leaseSeconds: number;
}

/** What the coordinator needs from its environment (real AWS in Lambda, dynalite in tests). */
export interface CoordinatorDeps {
  /** Sends a DynamoDB command by name (`UpdateItem`, `Query`, `GetItem`) and returns the response. */
  dynamodb(action: string, params: Record<string, unknown>): Promise<any>;
  /** Current time in epoch milliseconds. */
  now(): number;
}

/**
 * The coordinator's logic. Keep it free of imports and outer references: its source text is the
 * deployed code.
 */
export async function coordinate(event: CoordinatorEvent, deps: CoordinatorDeps): Promise<Record<string, unknown>> {
  const LEASE_SK = '#lease';
  const STEP_PREFIX = 'step#';
  const fail = (name: string, message: string): Error => {
    const error = new Error(message);
    error.name = name;
    return error;
  };
  const input = event.input as Record<string, unknown>;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw fail('Checkpoint.InvalidInput', `the execution input must be a JSON object holding the checkpoint key at $.${event.keyPath.join('.')}; got ${JSON.stringify(input)}.`);
  }
  for (const reserved of ['results', 'checkpoint', 'checkpointError']) {
    if (reserved in input) {
      throw fail('Checkpoint.InvalidInput', `the execution input has a field '${reserved}', which a checkpointed workflow reserves for its own state. Rename that input field.`);
    }
  }
  let key: unknown = input;
  for (const segment of event.keyPath) {
    key = key !== null && typeof key === 'object' && !Array.isArray(key) ? (key as Record<string, unknown>)[segment] : undefined;
  }
  if (typeof key === 'number' && Number.isFinite(key)) {
    key = String(key);
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw fail('Checkpoint.InvalidKey', `the checkpoint key at $.${event.keyPath.join('.')} must be a non-empty string (at most 1024 characters) or a number; got ${JSON.stringify(key) ?? 'nothing'}. Put the business key (e.g. a job id) there.`);
  }
  const restart = input[event.restartField] === true;
  const nowMs = deps.now();
  const now = Math.floor(nowMs / 1000);
  const expiresAt = now + event.ttlSeconds;
  const leaseUntil = now + event.leaseSeconds;
  const pk = `${event.namespace}#${key}`;
  const me = event.executionId;
  const keyOf = (sk: string) => ({ [event.partitionKeyName]: { S: pk }, [event.sortKeyName]: { S: sk } });

  let header: Record<string, any>;
  try {
    const response = await deps.dynamodb('UpdateItem', {
      TableName: event.table,
      Key: keyOf(LEASE_SK),
      UpdateExpression: `SET #owner = :me, #until = :until, #acquired = :acquired, #bk = :bk, #ttl = :ttl, #gen = ${restart ? ':me' : 'if_not_exists(#gen, :me)'}`,
      ConditionExpression: 'attribute_not_exists(#owner) OR #until < :now OR #owner = :me',
      ExpressionAttributeNames: {
        '#owner': 'leaseOwner',
        '#until': 'leaseUntil',
        '#acquired': 'leaseAcquiredAt',
        '#bk': 'businessKey',
        '#ttl': event.ttlAttribute,
        '#gen': 'generation',
      },
      ExpressionAttributeValues: {
        ':me': { S: me },
        ':until': { N: String(leaseUntil) },
        ':acquired': { S: new Date(nowMs).toISOString() },
        ':bk': { S: key },
        ':ttl': { N: String(expiresAt) },
        ':now': { N: String(now) },
      },
      ReturnValues: 'ALL_NEW',
    });
    header = response.Attributes;
  } catch (e) {
    if ((e as Error).name !== 'ConditionalCheckFailedException') {
      throw e;
    }
    const current = await deps.dynamodb('GetItem', { TableName: event.table, Key: keyOf(LEASE_SK), ConsistentRead: true });
    const owner = current.Item?.leaseOwner?.S ?? 'another execution';
    const until = Number(current.Item?.leaseUntil?.N ?? now);
    throw fail('Checkpoint.KeyLocked', `checkpoint key '${key}' is being processed by ${owner} (lease until ${new Date(until * 1000).toISOString()}); ` +
      'this execution did not run any step. Start it again after that execution ends, or, if it is dead, release the lease with CheckpointClient.unlock().');
  }
  const generation: string = header.generation.S;

  const results: Record<string, unknown> = {};
  const done: Record<string, boolean> = {};
  if (!restart) {
    const wanted = new Set(event.steps);
    let startKey: unknown;
    do {
      const page = await deps.dynamodb('Query', {
        TableName: event.table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': event.partitionKeyName, '#sk': event.sortKeyName },
        ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: STEP_PREFIX } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) {
        const stepKey = String(item[event.sortKeyName].S).slice(STEP_PREFIX.length);
        const ttl = Number(item[event.ttlAttribute]?.N ?? '0');
        if (!wanted.has(stepKey) || item.generation?.S !== generation || ttl <= now || item.result?.S === undefined) {
          continue;
        }
        results[stepKey] = JSON.parse(item.result.S);
        done[stepKey] = true;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  const state: Record<string, unknown> = Object.assign({}, input);
  state.results = results;
  state.checkpoint = { key, partitionKey: pk, generation, expiresAt: String(expiresAt), done };
  return state;
}

/**
 * The inline Lambda code of the coordinator: `coordinate`'s own source text, wired to the AWS SDK
 * for JavaScript v3 that the Lambda Node.js runtime provides.
 */
export function coordinatorInlineCode(): string {
  return [
    '"use strict";',
    'const ddb = require("@aws-sdk/client-dynamodb");',
    'const client = new ddb.DynamoDBClient({});',
    `const coordinate = ${coordinate.toString()};`,
    'exports.handler = (event) => coordinate(event, {',
    '  dynamodb: (action, params) => client.send(new ddb[action + "Command"](params)),',
    '  now: () => Date.now(),',
    '});',
    '',
  ].join('\n');
}
