/**
 * The checkpoint coordinator: the one Lambda invocation at the start of every execution of a
 * `CheckpointedWorkflow`. It is the workflow's source of time (JSONPath has no clock arithmetic)
 * and does, in one call:
 *
 * 1. validate the input and read the business key at `keyPath`;
 * 2. acquire the key's lease with a conditional UpdateItem (free, expired, or already ours);
 *    a live lease held by another execution fails fast with `Checkpoint.KeyLocked`;
 * 3. pick the checkpoint generation (kept; a new one when the input asks for a restart or the key's
 *    generation expired: a key's checkpoints live and die together, counted from its last run);
 * 4. load the completed steps of that generation (Query, consistent read);
 * 5. take ownership of every step item of the key until the lease ends and refresh their TTL
 *    (completed items keep their result, the others are reset), then return the workflow state:
 *    the input, the stored results, and `checkpoint` (key, generation, TTL, lease end, done).
 *
 * `coordinate` is self-contained (no imports; its only outer reference is `LAYOUT`, the shared
 * item layout of ./layout.ts, which `coordinatorInlineCode()` defines as JSON ahead of the
 * function): its source text is rendered into the function's inline code, and tests call the very
 * same function as the local runner's handler. Module-private (not part of the jsii API).
 */

import { CHECKPOINT_LAYOUT } from './layout';

/**
 * The item layout, under a module-local name that the compiled function text keeps (an imported
 * binding would be rewritten to `layout_1.CHECKPOINT_LAYOUT`); the inline code defines it too.
 */
const LAYOUT = CHECKPOINT_LAYOUT;

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
 * The coordinator's logic. Keep it free of imports and outer references other than `LAYOUT`: its
 * source text is the deployed code.
 */
export async function coordinate(event: CoordinatorEvent, deps: CoordinatorDeps): Promise<Record<string, unknown>> {
  const LEASE_SK = LAYOUT.leaseSortKey;
  const STEP_PREFIX = LAYOUT.stepSortKeyPrefix;
  const A = LAYOUT.attributes;
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
  const pk = `${event.namespace}${LAYOUT.separator}${key}`;
  const me = event.executionId;
  const keyOf = (sk: string) => ({ [event.partitionKeyName]: { S: pk }, [event.sortKeyName]: { S: sk } });

  // 1. The lease: free, expired, or already ours. The lease item is also the key's generation
  //    item: its TTL is the key's last activity plus the checkpoint TTL.
  let previous: Record<string, any> | undefined;
  try {
    const response = await deps.dynamodb('UpdateItem', {
      TableName: event.table,
      Key: keyOf(LEASE_SK),
      UpdateExpression: 'SET #owner = :me, #until = :until, #acquired = :acquired, #bk = :bk, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#owner) OR #until < :now OR #owner = :me',
      ExpressionAttributeNames: {
        '#owner': A.leaseOwner,
        '#until': A.leaseUntil,
        '#acquired': A.leaseAcquiredAt,
        '#bk': A.businessKey,
        '#ttl': event.ttlAttribute,
      },
      ExpressionAttributeValues: {
        ':me': { S: me },
        ':until': { N: String(leaseUntil) },
        ':acquired': { S: new Date(nowMs).toISOString() },
        ':bk': { S: key },
        ':ttl': { N: String(expiresAt) },
        ':now': { N: String(now) },
      },
      ReturnValues: 'ALL_OLD',
    });
    previous = response.Attributes;
  } catch (e) {
    if ((e as Error).name !== 'ConditionalCheckFailedException') {
      throw e;
    }
    const current = await deps.dynamodb('GetItem', { TableName: event.table, Key: keyOf(LEASE_SK), ConsistentRead: true });
    const owner = current.Item?.[A.leaseOwner]?.S ?? 'another execution';
    const until = Number(current.Item?.[A.leaseUntil]?.N ?? now);
    throw fail('Checkpoint.KeyLocked', `checkpoint key '${key}' is being processed by ${owner} (lease until ${new Date(until * 1000).toISOString()}); ` +
      'this execution did not run any step. Start it again after that execution ends, or, if it is dead, release the lease with CheckpointClient.unlock().');
  }

  // 2. The generation. A key's checkpoints live and die together: when the generation item expired
  //    (swept by DynamoDB's TTL or not yet: DynamoDB deletes expired items only eventually,
  //    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), the
  //    key starts afresh, exactly as after a restart.
  const previousGeneration: string | undefined = previous?.[A.generation]?.S;
  const previousExpiry = Number(previous?.[event.ttlAttribute]?.N ?? '0');
  const fresh = restart || previousGeneration === undefined || previousExpiry <= now;
  const generation: string = fresh ? me : previousGeneration!;
  if (generation !== previousGeneration) {
    await deps.dynamodb('UpdateItem', {
      TableName: event.table,
      Key: keyOf(LEASE_SK),
      UpdateExpression: 'SET #gen = :gen',
      ConditionExpression: '#owner = :me',
      ExpressionAttributeNames: { '#gen': A.generation, '#owner': A.leaseOwner },
      ExpressionAttributeValues: { ':gen': { S: generation }, ':me': { S: me } },
    });
  }

  // 3. The completed steps of that generation (consistent read).
  const results: Record<string, unknown> = {};
  const done: Record<string, boolean> = {};
  if (!fresh) {
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
        if (!wanted.has(stepKey) || item[A.generation]?.S !== generation || ttl <= now || item[A.result]?.S === undefined) {
          continue;
        }
        results[stepKey] = JSON.parse(item[A.result].S);
        done[stepKey] = true;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  // 4. Every step item of the key now belongs to this execution until the lease ends, and expires
  //    with the key: completed ones keep their result (their TTL is refreshed), the others are reset
  //    to an empty placeholder (a stale or expired result is dropped). A step's checkpoint write
  //    succeeds only while its item names this execution as owner and the lease has not ended
  //    (compared with $$.State.EnteredTime), so a redriven execution whose lease expired or passed
  //    to another execution cannot write checkpoints or go on to the next step.
  const leaseUntilIso = new Date(leaseUntil * 1000).toISOString();
  const own = (stepKey: string) => deps.dynamodb('UpdateItem', {
    TableName: event.table,
    Key: keyOf(STEP_PREFIX + stepKey),
    UpdateExpression: done[stepKey]
      ? 'SET #owner = :me, #until = :until, #ttl = :ttl'
      : 'SET #owner = :me, #until = :until, #ttl = :ttl, #gen = :gen REMOVE #result, #exec, #started',
    ExpressionAttributeNames: done[stepKey]
      ? { '#owner': A.leaseOwner, '#until': A.leaseExpiresAt, '#ttl': event.ttlAttribute }
      : { '#owner': A.leaseOwner, '#until': A.leaseExpiresAt, '#ttl': event.ttlAttribute, '#gen': A.generation, '#result': A.result, '#exec': A.executionId, '#started': A.executionStartedAt },
    ExpressionAttributeValues: done[stepKey]
      ? { ':me': { S: me }, ':until': { S: leaseUntilIso }, ':ttl': { N: String(expiresAt) } }
      : { ':me': { S: me }, ':until': { S: leaseUntilIso }, ':ttl': { N: String(expiresAt) }, ':gen': { S: generation } },
  });
  const pending = [...event.steps];
  const workers: Array<Promise<void>> = [];
  for (let w = 0; w < Math.min(10, pending.length); w++) {
    workers.push((async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        await own(next);
      }
    })());
  }
  await Promise.all(workers);

  const state: Record<string, unknown> = Object.assign({}, input);
  state.results = results;
  const resuming = Object.keys(done).length > 0;
  state.checkpoint = { key, partitionKey: pk, generation, expiresAt: String(expiresAt), leaseUntil: leaseUntilIso, resuming, done };
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
    `const LAYOUT = ${JSON.stringify(CHECKPOINT_LAYOUT)};`,
    'const client = new ddb.DynamoDBClient({});',
    `const coordinate = ${coordinate.toString()};`,
    'exports.handler = (event) => coordinate(event, {',
    '  dynamodb: (action, params) => client.send(new ddb[action + "Command"](params)),',
    '  now: () => Date.now(),',
    '});',
    '',
  ].join('\n');
}
