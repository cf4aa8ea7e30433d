/**
 * Distributed Map executed by the local runner: item readers against the in-process S3 server,
 * ItemSelector, ItemBatcher, MaxConcurrency, tolerated failures, child executions and ResultWriter.
 */
import { gzipSync } from 'zlib';
import { LocalWorkflowRunner, StatesError } from '../../src/testing';
import { interpreterModule } from '../../src/testing/interpreter';

const WORK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:work';

function distributedMap(fields: Record<string, unknown>, processor: Record<string, unknown> = {}, executionType = 'EXPRESS') {
  return {
    Type: 'Map',
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: executionType },
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: WORK_ARN, End: true } },
      ...processor,
    },
    ...fields,
  };
}

function templateOf(states: Record<string, unknown>, startAt = 'Fan out') {
  return {
    Resources: {
      Data: { Type: 'AWS::S3::Bucket' },
      Results: { Type: 'AWS::S3::Bucket' },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { StateMachineName: 'Jobs', DefinitionString: JSON.stringify({ StartAt: startAt, States: states }) },
      },
    },
  };
}

const runners: LocalWorkflowRunner[] = [];
async function runnerFor(states: Record<string, unknown>, handlers: Record<string, (e: any) => unknown> = {}) {
  const runner = await LocalWorkflowRunner.create({ template: templateOf(states) }, { handlers });
  runners.push(runner);
  return runner;
}
afterAll(async () => {
  for (const r of runners) await r.close();
});

describe('Distributed Map over the state input', () => {
  test('GIVEN items in the input WHEN run THEN each item is its own EXPRESS child execution, ItemSelector sees $$.Map.Item and the state input, and outputs come back in item order', async () => {
    // GIVEN
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        ItemSelector: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value', 'job.$': '$.jobId' },
        MaxConcurrency: 3,
        ResultPath: '$.results',
        End: true,
      }),
    });
    let inFlight = 0;
    let maxInFlight = 0;
    runner.setHandler('Work', async (e: { index: number; value: number; job: string }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { doubled: e.value * 2, index: e.index, job: e.job };
    });

    // WHEN
    const result = await runner.run({ jobId: 'j-1', items: [5, 6, 7, 8, 9, 10, 11] });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as any).results).toEqual([5, 6, 7, 8, 9, 10, 11].map((v, index) => ({ doubled: v * 2, index, job: 'j-1' })));
    const children = result.executions.filter((e) => e.parent === 0);
    expect(children).toHaveLength(7);
    expect(children.every((c) => c.type === 'EXPRESS' && c.stateMachine === 'Machine/Fan out' && c.status === 'SUCCEEDED')).toBe(true);
    expect(children.map((c) => c.input)).toEqual([5, 6, 7, 8, 9, 10, 11].map((value, index) => ({ index, value, job: 'j-1' })));
    expect(children[0].executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:express:Jobs\/Fan out:/);
    expect(maxInFlight).toBe(3);
    // the parent entered the Map once; the processor's states belong to the children
    expect(result.statesEntered).toEqual(['Fan out']);
    expect(children[0].statesEntered).toEqual(['Work']);
  });

  test('STANDARD children have execution ARNs under the Map\'s state machine; MaxConcurrencyPath is read from the input', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemsPath: '$.items', MaxConcurrencyPath: '$.limit', End: true }, {}, 'STANDARD'),
    }, { Work: (e: number) => e + 1 });
    const result = await runner.run({ items: [1, 2], limit: 1 });
    expect(result.output).toEqual([2, 3]);
    const children = result.executions.filter((e) => e.parent === 0);
    expect(children.map((c) => c.type)).toEqual(['STANDARD', 'STANDARD']);
    expect(children[0].executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:Jobs\/Fan out:[0-9a-f-]+$/);
  });

  test('ItemsPath that is not an array fails the state with States.Runtime', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemsPath: '$.items', End: true }) }, { Work: (e: unknown) => e });
    const result = await runner.run({ items: { not: 'an array' } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
  });
});

describe('ItemBatcher', () => {
  test('MaxItemsPerBatch with BatchInput: each child gets { BatchInput, Items } with at most N items', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        ItemBatcher: { MaxItemsPerBatch: 3, BatchInput: { 'job.$': '$.jobId' } },
        End: true,
      }),
    }, { Work: (e: { Items: number[] }) => e.Items.reduce((a, b) => a + b, 0) });
    const result = await runner.run({ jobId: 'j', items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    expect(result.output).toEqual([6, 15, 24, 10]);
    const children = result.executions.filter((e) => e.parent === 0);
    expect(children.map((c) => c.input)).toEqual([
      { BatchInput: { job: 'j' }, Items: [1, 2, 3] },
      { BatchInput: { job: 'j' }, Items: [4, 5, 6] },
      { BatchInput: { job: 'j' }, Items: [7, 8, 9] },
      { BatchInput: { job: 'j' }, Items: [10] },
    ]);
  });

  test('MaxInputBytesPerBatch bounds the JSON size of each batch input', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemsPath: '$.items', ItemBatcher: { MaxInputBytesPerBatch: 40 }, End: true }),
    }, { Work: (e: { Items: string[] }) => e.Items.length });
    const items = ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dddddddddd'];
    const result = await runner.run({ items });
    // {"Items":["aaaaaaaaaa","bbbbbbbbbb"]} is 37 bytes; a third item would make 50
    expect(result.output).toEqual([2, 2]);
    for (const child of result.executions.filter((e) => e.parent === 0)) {
      expect(Buffer.byteLength(JSON.stringify(child.input))).toBeLessThanOrEqual(40);
    }
  });
});

describe('tolerated failures', () => {
  const failOdd = (e: { value: number } | number) => {
    const v = typeof e === 'number' ? e : e.value;
    if (v % 2 === 1) throw Object.assign(new Error(`odd ${v}`), { name: 'OddItem' });
    return v;
  };

  test('default tolerance 0: one failed child fails the Map with States.ExceedToleratedFailureThreshold', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemsPath: '$.items', End: true }) }, { Work: failOdd });
    const result = await runner.run({ items: [2, 4, 5, 6] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const failed = result.executions.filter((e) => e.parent === 0 && e.status === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toBe('OddItem');
  });

  test('ToleratedFailureCount: within it the Map succeeds and returns the failed children as execution entries; one more fails it', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemsPath: '$.items', ToleratedFailureCount: 2, MaxConcurrency: 1, End: true }) }, { Work: failOdd });
    const ok = await runner.run({ items: [1, 2, 3, 4] });
    expect(ok.status).toBe('SUCCEEDED');
    const output = ok.output as any[];
    expect(output[1]).toBe(2);
    expect(output[3]).toBe(4);
    // "If a child workflow execution fails, Step Functions returns its execution result unchanged"
    expect(output[0]).toMatchObject({ Status: 'FAILED', Error: 'OddItem', Input: '1', Name: expect.any(String), ExecutionArn: expect.stringContaining(':express:Jobs/Fan out:') });
    expect(JSON.parse(output[0].Cause)).toMatchObject({ errorType: 'OddItem', errorMessage: 'odd 1' });

    const beyond = await runner.run({ items: [1, 2, 3, 4, 5, 6, 7] });
    expect(beyond.status).toBe('FAILED');
    expect(beyond.error).toBe('States.ExceedToleratedFailureThreshold');
    // with MaxConcurrency 1, no child starts after the threshold is exceeded (at the 3rd failure, item 5)
    expect(beyond.executions.filter((e) => e.parent === 0)).toHaveLength(5);
  });

  test('ToleratedFailurePercentage counts failed items over all items: 2 of 4 is 50 %', async () => {
    const within = await runnerFor({ 'Fan out': distributedMap({ ItemsPath: '$.items', ToleratedFailurePercentage: 50, End: true }) }, { Work: failOdd });
    expect((await within.run({ items: [1, 2, 3, 4] })).status).toBe('SUCCEEDED');
    const beyond = await runnerFor({ 'Fan out': distributedMap({ ItemsPath: '$.items', ToleratedFailurePercentage: 49.9, End: true }) }, { Work: failOdd });
    expect((await beyond.run({ items: [1, 2, 3, 4] })).error).toBe('States.ExceedToleratedFailureThreshold');
  });

  test('the *Path forms are read from the state input', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemsPath: '$.items', ToleratedFailureCountPath: '$.count', ToleratedFailurePercentagePath: '$.pct', End: true }),
    }, { Work: failOdd });
    expect((await runner.run({ items: [1, 2, 3, 4], count: 2, pct: 100 })).status).toBe('SUCCEEDED');
    expect((await runner.run({ items: [1, 2, 3, 4], count: 1, pct: 100 })).error).toBe('States.ExceedToleratedFailureThreshold');
    expect((await runner.run({ items: [1, 2, 3, 4], count: 5, pct: 25 })).error).toBe('States.ExceedToleratedFailureThreshold');
  });

  test('with batching, a failed batch counts every item in it', async () => {
    // 10 items in batches of 5; the batch holding 7 fails: 5 of 10 items failed
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemsPath: '$.items', ItemBatcher: { MaxItemsPerBatch: 5 }, ToleratedFailureCountPath: '$.count', End: true }),
    }, {
      Work: (e: { Items: number[] }) => {
        if (e.Items.includes(7)) throw Object.assign(new Error('seven'), { name: 'BadBatch' });
        return e.Items.length;
      },
    });
    const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect((await runner.run({ items, count: 5 })).status).toBe('SUCCEEDED');
    expect((await runner.run({ items, count: 4 })).error).toBe('States.ExceedToleratedFailureThreshold');
  });

  test('States.ExceedToleratedFailureThreshold is caught by the Map\'s Catch, whose ResultPath applies', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        ToleratedFailureCount: 0,
        Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], ResultPath: '$.error', Next: 'Too many' }],
        End: true,
      }),
      'Too many': { Type: 'Pass', End: true },
    }, { Work: failOdd });
    const result = await runner.run({ items: [1] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual(['Fan out', 'Too many']);
    expect((result.output as any).error.Error).toBe('States.ExceedToleratedFailureThreshold');
  });
});

describe('Retry of the Map', () => {
  test('a Retry on States.ExceedToleratedFailureThreshold runs the whole Map Run again (its children included)', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        Retry: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], MaxAttempts: 1, IntervalSeconds: 30 }],
        End: true,
      }),
    });
    let calls = 0;
    runner.setHandler('Work', (e: number) => {
      calls++;
      if (e === 2 && calls <= 2) throw new StatesError('Flaky', 'first Map Run');
      return e;
    });
    const started = Date.now();
    const result = await runner.run({ items: [1, 2] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual([1, 2]);
    expect(result.executions.filter((e) => e.parent === 0)).toHaveLength(4);
    expect(result.retries.map((r) => [r.state, r.error])).toEqual([['Fan out', 'States.ExceedToleratedFailureThreshold']]);
    // the 30 s backoff is skipped (virtual time)
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('ItemReader from the local S3 server', () => {
  const reader = (inputType: string | undefined, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    Resource: inputType ? 'arn:aws:states:::s3:getObject' : 'arn:aws:states:::s3:listObjectsV2',
    ...(inputType ? { ReaderConfig: { InputType: inputType, ...extra } } : {}),
    Parameters: parameters,
  });

  test('JSON array, with Key.$ from the input and MaxItems', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemReader: { ...reader('JSON', { 'Bucket': 'data', 'Key.$': '$.key' }), ReaderConfig: { InputType: 'JSON', MaxItems: 2 } }, End: true }),
    }, { Work: (e: { id: number }) => e.id });
    await runner.s3.putObject(runner.s3.bucketName('Data'), 'in/items.json', [{ id: 1 }, { id: 2 }, { id: 3 }]);
    const result = await runner.run({ key: 'in/items.json' });
    expect(result.output).toEqual([1, 2]);
  });

  test('JSON Lines', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemReader: reader('JSONL', { Bucket: 'data', Key: 'in/items.jsonl' }), End: true }) }, { Work: (e: unknown) => e });
    await runner.s3.putObject('data', 'in/items.jsonl', '{"a":1}\n{"a":2}\n\n"three"\n');
    expect((await runner.run({})).output).toEqual([{ a: 1 }, { a: 2 }, 'three']);
  });

  test('CSV with a header row: one object of strings per row (quoted fields, CRLF)', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemReader: reader('CSV', { Bucket: 'data', Key: 'r.csv' }, { CSVHeaderLocation: 'FIRST_ROW' }), End: true }) }, { Work: (e: unknown) => e });
    await runner.s3.putObject('data', 'r.csv', 'id,name,score\r\n1,"Smith, J",4.5\r\n2,"say ""hi""",3\r\n');
    expect((await runner.run({})).output).toEqual([
      { id: '1', name: 'Smith, J', score: '4.5' },
      { id: '2', name: 'say "hi"', score: '3' },
    ]);
  });

  test('CSV with given headers and a semicolon delimiter', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemReader: reader('CSV', { Bucket: 'data', Key: 'r.csv' }, { CSVHeaderLocation: 'GIVEN', CSVHeaders: ['id', 'city'], CSVDelimiter: 'SEMICOLON' }), End: true }),
    }, { Work: (e: unknown) => e });
    await runner.s3.putObject('data', 'r.csv', '1;Lyon\n2;Oslo\n');
    expect((await runner.run({})).output).toEqual([{ id: '1', city: 'Lyon' }, { id: '2', city: 'Oslo' }]);
  });

  test('S3 inventory manifest: items from the gzip CSV files it lists, keyed by fileSchema', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemReader: reader('MANIFEST', { Bucket: 'data', Key: 'inv/manifest.json' }), End: true }) }, { Work: (e: unknown) => e });
    await runner.s3.putObject('data', 'inv/data/a.csv.gz', gzipSync('"data","photos/1.jpg","120"\n"data","photos/2.jpg","80"\n'));
    await runner.s3.putObject('data', 'inv/data/b.csv.gz', gzipSync('"data","photos/3.jpg","5"\n'));
    await runner.s3.putObject('data', 'inv/manifest.json', {
      sourceBucket: 'data',
      destinationBucket: 'arn:aws:s3:::data',
      version: '2016-11-30',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size',
      files: [{ key: 'inv/data/a.csv.gz', size: 1, MD5checksum: 'x' }, { key: 'inv/data/b.csv.gz', size: 1, MD5checksum: 'y' }],
    });
    expect((await runner.run({})).output).toEqual([
      { Bucket: 'data', Key: 'photos/1.jpg', Size: '120' },
      { Bucket: 'data', Key: 'photos/2.jpg', Size: '80' },
      { Bucket: 'data', Key: 'photos/3.jpg', Size: '5' },
    ]);
  });

  test('ListObjectsV2: one item per object under the prefix, with Etag, Key, LastModified (epoch seconds), Size, StorageClass', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemReader: reader(undefined, { Bucket: 'data', Prefix: 'inbox/' }), End: true }) }, { Work: (e: unknown) => e });
    await runner.s3.putObject('data', 'inbox/a.txt', 'aaa');
    await runner.s3.putObject('data', 'inbox/b.txt', 'bb');
    await runner.s3.putObject('data', 'elsewhere/c.txt', 'c');
    const output = (await runner.run({})).output as any[];
    expect(output.map((o) => [o.Key, o.Size, o.StorageClass])).toEqual([['inbox/a.txt', 3, 'STANDARD'], ['inbox/b.txt', 2, 'STANDARD']]);
    expect(output[0].Etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Number.isInteger(output[0].LastModified)).toBe(true);
    expect(Math.abs(output[0].LastModified - Date.now() / 1000)).toBeLessThan(600);
  });

  test('a missing object fails the Map with States.ItemReaderFailed', async () => {
    const runner = await runnerFor({ 'Fan out': distributedMap({ ItemReader: reader('JSON', { Bucket: 'data', Key: 'nope.json' }), End: true }) }, { Work: (e: unknown) => e });
    const result = await runner.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toMatch(/s3:\/\/data\/nope\.json/);
  });

  test('unsupported reader configurations are refused at load time', async () => {
    await expect(LocalWorkflowRunner.create({ template: templateOf({ 'Fan out': distributedMap({ ItemReader: reader('PARQUET', { Bucket: 'data', Key: 'x' }), End: true }) }) }))
      .rejects.toThrow(/cannot faithfully run state 'Fan out' of state machine 'Machine': ItemReader InputType 'PARQUET'/);
  });
});

describe('ResultWriter', () => {
  test('writes manifest.json and SUCCEEDED_0.json / FAILED_0.json as AWS documents, and the Map outputs MapRunArn + ResultWriterDetails', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        ToleratedFailureCount: 1,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket': 'results', 'Prefix.$': '$.prefix' } },
        ResultSelector: { 'mapRunArn.$': '$.MapRunArn', 'details.$': '$.ResultWriterDetails' },
        ResultPath: '$.fanOut',
        End: true,
      }),
    }, {
      Work: (e: number) => {
        if (e === 3) throw new StatesError('Bad', 'three');
        return { v: e };
      },
    });
    const result = await runner.run({ items: [1, 2, 3], prefix: 'runs/r1' });
    expect(result.status).toBe('SUCCEEDED');
    const fanOut = (result.output as any).fanOut;
    expect(fanOut.mapRunArn).toMatch(/^arn:aws:states:us-east-1:123456789012:mapRun:Jobs\/Fan out:[0-9a-f-]{36}$/);
    const runId = fanOut.mapRunArn.split(':').pop();
    expect(fanOut.details).toEqual({ Bucket: 'results', Key: `runs/r1/${runId}/manifest.json` });

    const manifest = await runner.s3.getJson<any>('results', fanOut.details.Key);
    expect(manifest).toEqual({
      DestinationBucket: 'results',
      MapRunArn: fanOut.mapRunArn,
      ResultFiles: {
        FAILED: [{ Key: `runs/r1/${runId}/FAILED_0.json`, Size: expect.any(Number) }],
        PENDING: [],
        SUCCEEDED: [{ Key: `runs/r1/${runId}/SUCCEEDED_0.json`, Size: expect.any(Number) }],
      },
    });
    const succeeded = await runner.s3.getJson<any[]>('results', manifest.ResultFiles.SUCCEEDED[0].Key);
    expect(succeeded).toHaveLength(2);
    expect(succeeded[0]).toEqual({
      ExecutionArn: expect.stringMatching(/:express:Jobs\/Fan out:/),
      Input: '1',
      InputDetails: { Included: true },
      Name: expect.any(String),
      Output: '{"v":1}',
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: 'NOT_REDRIVABLE',
      RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
      StartDate: expect.any(String),
      StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Jobs/Fan out',
      Status: 'SUCCEEDED',
      StopDate: expect.any(String),
    });
    const failed = await runner.s3.getJson<any[]>('results', manifest.ResultFiles.FAILED[0].Key);
    expect(failed).toEqual([expect.objectContaining({ Input: '3', Status: 'FAILED', Error: 'Bad', Cause: 'three' })]);
    expect(manifest.ResultFiles.SUCCEEDED[0].Size).toBe(Buffer.byteLength(JSON.stringify(succeeded)));
  });

  test('a Map Run beyond its tolerance still writes its results: failed, and never-started children as PENDING', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({
        ItemsPath: '$.items',
        MaxConcurrency: 1,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'results', Prefix: 'out' } },
        End: true,
      }),
    }, {
      Work: (e: number) => {
        if (e === 2) throw new StatesError('Bad', 'two');
        return e;
      },
    });
    const result = await runner.run({ items: [1, 2, 3, 4] });
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const keys = await runner.s3.listKeys('results', 'out/');
    const manifestKey = keys.find((k) => k.endsWith('/manifest.json'))!;
    const manifest = await runner.s3.getJson<any>('results', manifestKey);
    expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);
    expect(manifest.ResultFiles.FAILED).toHaveLength(1);
    const pending = await runner.s3.getJson<any[]>('results', manifest.ResultFiles.PENDING[0].Key);
    expect(pending.map((p) => p.Input)).toEqual(['3', '4']);
  });

  test('a writer bucket that does not exist fails the Map with States.ResultWriterFailed', async () => {
    const runner = await runnerFor({
      'Fan out': distributedMap({ ItemsPath: '$.items', ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'no-such-bucket' } }, End: true }),
    }, { Work: (e: number) => e });
    const result = await runner.run({ items: [1] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ResultWriterFailed');
    expect(result.cause).toMatch(/no-such-bucket.*NoSuchBucket/);
  });
});

describe('why the rewrite exists (notices when the interpreter changes)', () => {
  test('aws-local-stepfunctions alone runs a Distributed Map inline: its ItemReader and ItemBatcher are ignored', async () => {
    const { StateMachine } = interpreterModule();
    const definition = {
      StartAt: 'Fan out',
      States: {
        'Fan out': distributedMap({
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'data', Key: 'items.json' } },
          ItemBatcher: { MaxItemsPerBatch: 2 },
          End: true,
        }),
      },
    };
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: true } });
    const seen: unknown[] = [];
    const execution = machine.run([1, 2, 3], {
      overrides: { taskResourceLocalHandlers: { Work: async (e: any) => { seen.push(e); return e; } } },
    });
    // On AWS the items come from s3://data/items.json, two per child execution; the interpreter
    // iterates the state input one item at a time in the same execution.
    expect(await execution.result).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
  });
});
