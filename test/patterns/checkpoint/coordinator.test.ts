import * as fs from 'fs';
import type { Server } from 'http';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as ddb from '@aws-sdk/client-dynamodb';
import * as ts from 'typescript';
import { coordinate, CoordinatorEvent, coordinatorInlineCode } from '../../../src/patterns/checkpoint/coordinator';

// GIVEN an in-process dynalite with a checkpoint table
let server: Server;
let client: ddb.DynamoDBClient;
const TABLE = 'checkpoints';
const NOW = Date.UTC(2030, 0, 1);

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  server = require('dynalite')({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  client = new ddb.DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new ddb.CreateTableCommand({
    TableName: TABLE,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
});
afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const event = (key: string, executionId: string, extra: Record<string, unknown> = {}): CoordinatorEvent => ({
  input: { jobId: key, ...extra },
  executionId,
  table: TABLE,
  partitionKeyName: 'pk',
  sortKeyName: 'sk',
  ttlAttribute: 'expiresAt',
  namespace: 'ns',
  keyPath: ['jobId'],
  restartField: 'checkpointRestart',
  steps: ['A', 'B'],
  ttlSeconds: 1000,
  leaseSeconds: 60,
});

/** The deployed handler: the inline code evaluated as Lambda would load it, with the SDK pointed at dynalite and a fixed clock. */
function loadInline(code: string): (e: CoordinatorEvent) => Promise<any> {
  const sdk = { ...ddb, DynamoDBClient: function DynamoDBClient() { return client; } };
  const module = { exports: {} as any };
  const FixedDate = class extends Date {
    public static now() { return NOW; }
  };
  vm.runInNewContext(code, {
    require: (id: string) => {
      if (id !== '@aws-sdk/client-dynamodb') throw new Error(`unexpected require('${id}')`);
      return sdk;
    },
    module,
    exports: module.exports,
    Date: FixedDate,
    JSON,
    Object,
    Number,
    String,
    Error,
    Set,
  });
  return module.exports.handler;
}

/** `coordinatorInlineCode` of the module as compiled by tsc with a given target (jsii compiles with tsc too). */
function compiledInlineCode(target: ts.ScriptTarget): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coordinator-'));
  // the coordinator and the item layout it shares with the workflow and CheckpointClient
  for (const name of ['coordinator', 'layout']) {
    const source = fs.readFileSync(path.join(__dirname, `../../../src/patterns/checkpoint/${name}.ts`), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { target, module: ts.ModuleKind.CommonJS, strict: true } }).outputText;
    fs.writeFileSync(path.join(dir, `${name}.js`), js);
  }
  const file = path.join(dir, 'coordinator.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file).coordinatorInlineCode();
}

describe('the coordinator', () => {
  test('the inline code is the tested function: same DynamoDB calls, same result as calling coordinate directly', async () => {
    // WHEN the same events go through the deployed code and through the module function
    const deployed = loadInline(coordinatorInlineCode());
    const viaInline = await deployed(event('inline', 'exec-1'));
    const viaModule = await coordinate(event('module', 'exec-1'), {
      dynamodb: (action, params) => client.send(new (ddb as any)[`${action}Command`](params)),
      now: () => NOW,
    });

    // THEN
    const expected = (key: string) => ({
      jobId: key,
      results: {},
      checkpoint: { key, partitionKey: `ns#${key}`, generation: 'exec-1', expiresAt: String(NOW / 1000 + 1000), leaseUntil: '2030-01-01T00:01:00.000Z', resuming: false, done: {} },
    });
    expect(viaInline).toEqual(expected('inline'));
    expect(viaModule).toEqual(expected('module'));
    const lease = await client.send(new ddb.GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'ns#inline' }, sk: { S: '#lease' } } }));
    expect(lease.Item).toEqual({
      pk: { S: 'ns#inline' },
      sk: { S: '#lease' },
      leaseOwner: { S: 'exec-1' },
      leaseUntil: { N: String(NOW / 1000 + 60) },
      leaseAcquiredAt: { S: new Date(NOW).toISOString() },
      businessKey: { S: 'inline' },
      expiresAt: { N: String(NOW / 1000 + 1000) },
      generation: { S: 'exec-1' },
    });
  });

  test.each([
    ['ES2020', ts.ScriptTarget.ES2020],
    ['ES2022', ts.ScriptTarget.ES2022],
  ])('the inline code still works when the library is compiled by tsc for %s', async (_name, target) => {
    const deployed = loadInline(compiledInlineCode(target));
    const out = await deployed(event(`compiled-${_name}`, 'exec-2'));
    expect(out.checkpoint).toMatchObject({ key: `compiled-${_name}`, generation: 'exec-2', done: {} });
    // a second execution meets the live lease
    await expect(deployed(event(`compiled-${_name}`, 'exec-3'))).rejects.toMatchObject({
      name: 'Checkpoint.KeyLocked',
      message: expect.stringMatching(new RegExp(`checkpoint key 'compiled-${_name}' is being processed by exec-2 \\(lease until 2030-01-01T00:01:00.000Z\\)`)),
    });
  });

  test('loads only valid checkpoints: known steps of the current generation that have not expired', async () => {
    const put = (sk: string, generation: string, expiresAt: number, result = '{"ok":1}') => client.send(new ddb.PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: 'ns#load' }, sk: { S: sk }, generation: { S: generation }, expiresAt: { N: String(expiresAt) }, result: { S: result } },
    }));
    await coordinate(event('load', 'gen-1'), { dynamodb: (a, p) => client.send(new (ddb as any)[`${a}Command`](p)), now: () => NOW });
    await client.send(new ddb.UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: 'ns#load' }, sk: { S: '#lease' } }, UpdateExpression: 'REMOVE leaseOwner' }));
    await put('step#A', 'gen-1', NOW / 1000 + 500, '{"a":[1,2]}');
    await put('step#B', 'gen-0', NOW / 1000 + 500);
    await put('step#Gone', 'gen-1', NOW / 1000 + 500);
    await put('step#B2', 'gen-1', NOW / 1000 - 1);

    const out = await coordinate(event('load', 'exec-9'), { dynamodb: (a, p) => client.send(new (ddb as any)[`${a}Command`](p)), now: () => NOW });
    expect(out.results).toEqual({ A: { a: [1, 2] } });
    expect(out.checkpoint).toMatchObject({ generation: 'gen-1', done: { A: true } });

    // a restart starts a new generation and loads nothing
    await client.send(new ddb.UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: 'ns#load' }, sk: { S: '#lease' } }, UpdateExpression: 'REMOVE leaseOwner' }));
    const restarted = await coordinate(event('load', 'exec-10', { checkpointRestart: true }), { dynamodb: (a, p) => client.send(new (ddb as any)[`${a}Command`](p)), now: () => NOW });
    expect(restarted).toEqual({
      jobId: 'load',
      checkpointRestart: true,
      results: {},
      checkpoint: { key: 'load', partitionKey: 'ns#load', generation: 'exec-10', expiresAt: String(NOW / 1000 + 1000), leaseUntil: '2030-01-01T00:01:00.000Z', resuming: false, done: {} },
    });
  });

  test('an expired lease is taken over; a retry of the same execution re-acquires its own lease', async () => {
    const deps = (now: number) => ({ dynamodb: (a: string, p: any) => client.send(new (ddb as any)[`${a}Command`](p)), now: () => now });
    await coordinate(event('takeover', 'dead'), deps(NOW));
    await expect(coordinate(event('takeover', 'other'), deps(NOW + 59_000))).rejects.toMatchObject({ name: 'Checkpoint.KeyLocked' });
    await expect(coordinate(event('takeover', 'dead'), deps(NOW + 1_000))).resolves.toMatchObject({ checkpoint: { generation: 'dead' } });
    const taken = await coordinate(event('takeover', 'other'), deps(NOW + 62_000));
    expect(taken.checkpoint).toMatchObject({ generation: 'dead' });
  });

  test('every step item of the key is owned by the execution until its lease ends and expires with the key; an expired generation starts afresh', async () => {
    const deps = (now: number) => ({ dynamodb: (a: string, p: any) => client.send(new (ddb as any)[`${a}Command`](p)), now: () => now });
    const item = async (sk: string) => (await client.send(new ddb.GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'ns#own' }, sk: { S: sk } }, ConsistentRead: true }))).Item;
    const first = await coordinate(event('own', 'e1'), deps(NOW));
    expect(first.checkpoint).toMatchObject({ generation: 'e1', resuming: false, leaseUntil: '2030-01-01T00:01:00.000Z' });
    // a placeholder per step: owned, no result
    const steps = (event('own', 'e1') as any).steps as string[];
    for (const step of steps) {
      expect(await item(`step#${step}`)).toEqual({
        pk: { S: 'ns#own' },
        sk: { S: `step#${step}` },
        leaseOwner: { S: 'e1' },
        leaseExpiresAt: { S: '2030-01-01T00:01:00.000Z' },
        generation: { S: 'e1' },
        expiresAt: { N: String(NOW / 1000 + 1000) },
      });
    }
    // the first step completes (as the state machine's checkpoint write would store it)
    await client.send(new ddb.UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: 'ns#own' }, sk: { S: `step#${steps[0]}` } },
      UpdateExpression: 'SET #r = :r, executionId = :e',
      ExpressionAttributeNames: { '#r': 'result' },
      ExpressionAttributeValues: { ':r': { S: '{"v":1}' }, ':e': { S: 'e1' } },
    }));

    // WHEN a later run comes 900 s later (before the key's TTL of 1000 s): resumes, takes every item, refreshes every TTL
    const later = NOW + 900_000;
    const second = await coordinate(event('own', 'e2'), deps(later));
    expect(second.checkpoint).toMatchObject({ generation: 'e1', resuming: true, done: { [steps[0]]: true } });
    expect(await item(`step#${steps[0]}`)).toMatchObject({ result: { S: '{"v":1}' }, leaseOwner: { S: 'e2' }, expiresAt: { N: String(later / 1000 + 1000) } });
    expect(await item('#lease')).toMatchObject({ expiresAt: { N: String(later / 1000 + 1000) } });

    // WHEN a run comes after the key's TTL (items expired, not yet swept): a fresh generation, nothing done, results dropped
    const expired = later + 1_001_000;
    const third = await coordinate(event('own', 'e3'), deps(expired));
    expect(third.checkpoint).toMatchObject({ generation: 'e3', resuming: false, done: {} });
    expect(third.results).toEqual({});
    expect(await item(`step#${steps[0]}`)).toEqual(expect.not.objectContaining({ result: expect.anything() }));
    expect(await item('#lease')).toMatchObject({ generation: { S: 'e3' } });
  });
});
