import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FN, frozen, stamp, T0, templateWith } from './asl';
import { LocalWorkflowRunner, StatesError } from '../../src/testing';

const at = (iso: string) => new Date(iso).toISOString();
const plus = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

describe('virtual time: Waits, backoff and timeouts advance the runner clock instantly', () => {
  test('Wait Seconds/SecondsPath/TimestampPath/Timestamp move $$.State.EnteredTime; $$.Execution.StartTime is the virtual start', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Start',
        States: {
          'Start': { Type: 'Pass', Parameters: { 'started.$': '$$.Execution.StartTime', 'delay.$': '$.delay', 'until.$': '$.until' }, Next: 'Ten seconds' },
          'Ten seconds': { Type: 'Wait', Seconds: 10, Next: 'From path' },
          'From path': { Type: 'Wait', SecondsPath: '$.delay', Next: 'After path' },
          'After path': stamp('afterPath', 'Until'),
          'Until': { Type: 'Wait', TimestampPath: '$.until', Next: 'Past' },
          'Past': { Type: 'Wait', Timestamp: '2020-01-01T00:00:00Z', Next: 'End' },
          'End': stamp('end'),
        },
      }),
    }, { clock: frozen });
    try {
      const wall = Date.now();
      const result = await runner.run({ delay: 50, until: '2026-01-01T02:00:00Z' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({
        started: T0,
        delay: 50,
        until: '2026-01-01T02:00:00Z',
        times: { afterPath: { t: plus(60) }, end: { t: at('2026-01-01T02:00:00Z') } },
      });
      expect(result.startDate.toISOString()).toBe(T0);
      expect(result.stopDate.toISOString()).toBe(at('2026-01-01T02:00:00Z'));
      expect(runner.now().toISOString()).toBe(at('2026-01-01T02:00:00Z'));
      expect(Date.now() - wall).toBeLessThan(5000); // two virtual hours, no real waiting
    } finally {
      await runner.close();
    }
  });

  test('a SecondsPath that is not a non-negative integer fails the execution with States.Runtime', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.delay', End: true } } }),
    }, { clock: frozen });
    try {
      const result = await runner.run({ delay: -5 });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
    } finally {
      await runner.close();
    }
  });

  test('retry backoff advances the clock; FULL jitter comes from the seed; $$.State.RetryCount counts attempts', async () => {
    const definition = {
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: FN,
          Parameters: { 'retry.$': '$$.State.RetryCount', 'entered.$': '$$.State.EnteredTime' },
          Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3, JitterStrategy: 'FULL' }],
          End: true,
        },
      },
    };
    const seen: Array<{ retry: number; at: string }> = [];
    const flaky = async (event: { retry: number }, ctx: { retryCount: number; now(): Date }) => {
      seen.push({ retry: event.retry, at: ctx.now().toISOString() });
      expect(ctx.retryCount).toBe(event.retry);
      if (event.retry < 2) throw new StatesError('Busy', 'try later');
      return { done: true };
    };
    const runWithSeed = async (seed: number) => {
      seen.length = 0;
      const runner = await LocalWorkflowRunner.create({ template: templateWith(definition) }, { clock: frozen, seed, handlers: { Flaky: flaky } });
      try {
        const result = await runner.run({});
        return { result, seen: [...seen], skipped: runner.now().getTime() - Date.parse(T0) };
      } finally {
        await runner.close();
      }
    };
    const a = await runWithSeed(7);
    const b = await runWithSeed(7);
    const c = await runWithSeed(8);
    expect(a.result.status).toBe('SUCCEEDED');
    expect(a.seen.map((s) => s.retry)).toEqual([0, 1, 2]);
    expect(a.result.retries.map((r) => r.intervalSeconds)).toEqual([10, 20]);
    const waited = a.result.retries.map((r) => (r as unknown as { waitedSeconds: number }).waitedSeconds);
    waited.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual([10, 20][i]);
    });
    // the clock moved by exactly the jittered delays, and each attempt saw it
    expect(a.skipped).toBeCloseTo((waited[0] + waited[1]) * 1000, 0);
    expect(Date.parse(a.seen[1].at) - Date.parse(a.seen[0].at)).toBeCloseTo(waited[0] * 1000, -1);
    // same seed, same delays; another seed, other delays
    expect(b.skipped).toBe(a.skipped);
    expect(c.skipped).not.toBe(a.skipped);
  });

  test('without jitter the backoff is exactly IntervalSeconds * BackoffRate^n, capped by MaxDelaySeconds', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Flaky',
        States: { Flaky: { Type: 'Task', Resource: FN, Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 3, BackoffRate: 3, MaxDelaySeconds: 20, MaxAttempts: 4 }], End: true } },
      }),
    }, { clock: frozen, handlers: { Flaky: async () => { throw new StatesError('Busy', 'x'); } } });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('Busy');
      expect(result.retries.map((r) => r.intervalSeconds)).toEqual([3, 9, 20, 20]);
      expect(runner.now().toISOString()).toBe(plus(52));
    } finally {
      await runner.close();
    }
  });

  test('the execution TimeoutSeconds fires on the virtual clock: TIMED_OUT after exactly 60 virtual seconds', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'Long', TimeoutSeconds: 60, States: { Long: { Type: 'Wait', Seconds: 120, Next: 'After' }, After: { Type: 'Succeed' } } }),
    }, { clock: frozen });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('TIMED_OUT');
      expect(result.error).toBe('States.Timeout');
      expect(result.statesEntered).toEqual(['Long']);
      expect(runner.now().toISOString()).toBe(plus(60));
    } finally {
      await runner.close();
    }
  });

  test('a callback TimeoutSeconds inside a Parallel branch fires on the virtual clock, caught by the Parallel state', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Both',
        States: {
          'Both': {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'Slow call', States: { 'Slow call': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken', TimeoutSeconds: 300, Parameters: { 'token.$': '$$.Task.Token' }, End: true } } },
            ],
            Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Timed out' }],
            End: true,
          },
          'Timed out': { Type: 'Pass', End: true },
        },
      }),
    }, { clock: frozen });
    try {
      const done = runner.run({});
      await runner.waitForCallback('Slow call');
      await runner.advance('299s');
      expect(runner.pendingCallbacks()).toHaveLength(1);
      await runner.advance('1s');
      const result = await done;
      expect(result.status).toBe('SUCCEEDED');
      expect(result.statesEntered).toEqual(['Both', 'Slow call', 'Timed out']);
      expect((result.output as { error: { Error: string } }).error.Error).toBe('States.Timeout');
    } finally {
      await runner.close();
    }
  });

  test('advance() between runs, and TTL: expired items stay readable until swept, then are gone', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'Now', States: { Now: stamp('now') } }, {}, {
        Leases: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          },
        },
      }),
      stateMachineLogicalId: 'Machine',
    }, { clock: frozen });
    try {
      const TableName = runner.tableName('Leases');
      const nowSeconds = Math.floor(runner.now().getTime() / 1000);
      await runner.dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'short' }, expiresAt: { N: String(nowSeconds + 60) } } }));
      await runner.dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'long' }, expiresAt: { N: String(nowSeconds + 3600) } } }));
      await runner.dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'forever' } } }));

      await runner.advance('2m');
      expect(runner.now().toISOString()).toBe(plus(120));
      const run = await runner.run({});
      expect(run.output).toEqual({ times: { now: { t: plus(120) } } });
      // expired, not yet swept: DynamoDB still returns it
      const expired = await runner.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'short' } } }));
      expect(expired.Item?.pk.S).toBe('short');

      // swept
      expect(await runner.sweepExpiredItems()).toBe(1);
      expect((await runner.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'short' } } }))).Item).toBeUndefined();
      expect((await runner.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'long' } } }))).Item).toBeDefined();
      expect((await runner.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'forever' } } }))).Item).toBeDefined();
      await runner.advance('1h');
      expect(await runner.sweepExpiredItems('Leases')).toBe(1);
    } finally {
      await runner.close();
    }
  });
});
