/**
 * DynamoDB: an in-process dynalite server, table creation, and the Step Functions
 * DynamoDB integrations (optimized `arn:aws:states:::dynamodb:*` and
 * `arn:aws:states:::aws-sdk:dynamodb:*`) executed against it.
 */
import type { Server } from 'http';
import * as ddb from '@aws-sdk/client-dynamodb';
import { RunnerConfigurationError, StatesError } from '../errors';
import type { Json } from '../interpreter';
import type { TableModel } from '../model';

/** A running dynalite server and a client pointed at it. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: ddb.DynamoDBClient;
  close(): Promise<void>;
}

/** Starts dynalite in-process on 127.0.0.1, on a random port. */
export async function startDynalite(): Promise<LocalDynamo> {
  let dynalite: (options: object) => Server;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    dynalite = require('dynalite');
  } catch (e) {
    throw new Error(
      'LocalWorkflowRunner needs the package "dynalite" (4.x) to run DynamoDB tasks locally. Install it as a dev dependency: ' +
        `npm install --save-dev dynalite@^4 (${(e as Error).message})`,
    );
  }
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') {
    throw new Error('LocalWorkflowRunner: dynalite did not report a TCP port');
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new ddb.DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let closed = false;
  return {
    endpoint,
    client,
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates the template's tables in dynalite (in parallel). */
export async function createTables(client: ddb.DynamoDBClient, tables: readonly TableModel[]): Promise<void> {
  await Promise.all(
    tables.map(async (t) => {
      try {
        await client.send(new ddb.CreateTableCommand(t.createTable as unknown as ddb.CreateTableCommandInput));
      } catch (e) {
        throw new Error(`LocalWorkflowRunner: could not create table '${t.name}' (${t.logicalId}) in dynalite: ${(e as Error).message}`);
      }
    }),
  );
}

const UNSUPPORTED_BY_DYNALITE = new Set(['transactWriteItems', 'transactGetItems', 'executeTransaction', 'executeStatement', 'batchExecuteStatement']);

/**
 * Runs one DynamoDB integration call against dynalite.
 *
 * Errors are raised as Step Functions reports them: `DynamoDB.<Exception>` for the optimized
 * integration and `DynamoDb.<Exception>` for the AWS SDK integration.
 */
export async function callDynamoDb(
  client: ddb.DynamoDBClient,
  flavor: 'optimized' | 'sdk',
  action: string,
  parameters: Json,
  stateName: string,
): Promise<Json> {
  if (UNSUPPORTED_BY_DYNALITE.has(action)) {
    throw new RunnerConfigurationError(
      `LocalWorkflowRunner: state '${stateName}' calls DynamoDB ${action}, which dynalite does not implement (no transactions / PartiQL). ` +
        `Register a handler for '${stateName}' to emulate it, or assert the template.`,
    );
  }
  const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
  type AnyCommand = Parameters<ddb.DynamoDBClient['send']>[0];
  const Command = (ddb as unknown as Record<string, unknown>)[commandName] as (new (input: unknown) => AnyCommand) | undefined;
  if (typeof Command !== 'function') {
    throw new RunnerConfigurationError(`LocalWorkflowRunner: state '${stateName}' calls an unknown DynamoDB action '${action}'`);
  }
  let response: unknown;
  try {
    response = await client.send(new Command(parameters));
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (err.$metadata?.httpStatusCode === undefined) {
      throw new RunnerConfigurationError(`LocalWorkflowRunner: DynamoDB call of state '${stateName}' failed to reach dynalite: ${err.message}`);
    }
    const code = err.name.endsWith('Exception') ? err.name : `${err.name}Exception`;
    if (flavor === 'optimized') {
      throw new StatesError(
        `DynamoDB.${code}`,
        `${err.message} (Service: AmazonDynamoDBv2; Status Code: ${err.$metadata.httpStatusCode}; Error Code: ${err.name}; Request ID: LOCAL; Proxy: null)`,
      );
    }
    throw new StatesError(
      `DynamoDb.${code}`,
      `${err.message} (Service: DynamoDb, Status Code: ${err.$metadata.httpStatusCode}, Request ID: LOCAL)`,
    );
  }
  return toStepFunctionsJson(response) as Json;
}

/** Drops SDK metadata and converts binary values to base64, as Step Functions returns them. */
function toStepFunctionsJson(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.from(value).toString('base64');
  }
  if (Array.isArray(value)) {
    return value.map(toStepFunctionsJson);
  }
  if (value instanceof Set) {
    return [...value].map(toStepFunctionsJson);
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$metadata' || v === undefined) continue;
      out[k] = toStepFunctionsJson(v);
    }
    return out;
  }
  return value;
}

/** DynamoDB does not delete items whose TTL is more than five years in the past (howitworks-ttl). */
const TTL_MAX_AGE_SECONDS = 5 * 365 * 24 * 3600;

/**
 * Deletes every item whose TTL attribute is a number of epoch seconds below `nowSeconds`, in the
 * tables that have a TTL attribute, as the DynamoDB TTL sweeper eventually does. Returns the number
 * of deleted items. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 */
export async function sweepExpired(client: ddb.DynamoDBClient, tables: readonly TableModel[], nowSeconds: number): Promise<number> {
  let deleted = 0;
  for (const table of tables) {
    if (!table.ttlAttribute) continue;
    const keyNames = ((table.createTable.KeySchema ?? []) as Array<{ AttributeName: string }>).map((k) => k.AttributeName);
    let startKey: Record<string, ddb.AttributeValue> | undefined;
    do {
      const page = await client.send(new ddb.ScanCommand({ TableName: table.name, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const raw = item[table.ttlAttribute]?.N;
        if (raw === undefined) continue;
        const expiresAt = Number(raw);
        if (!(expiresAt < nowSeconds) || expiresAt < nowSeconds - TTL_MAX_AGE_SECONDS) continue;
        const key = Object.fromEntries(keyNames.map((k) => [k, item[k]]));
        await client.send(new ddb.DeleteItemCommand({ TableName: table.name, Key: key }));
        deleted++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return deleted;
}
