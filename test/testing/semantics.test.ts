import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Faults, LocalWorkflowRunner, StatesError } from '../../src/testing';

/** A hand-written template: the `{ template, stateMachineLogicalId }` entry, with CloudFormation tokens. */
function definitionString(definition: object): object {
  // Replace "<<Ref X>>" / "<<GetAtt X.Attr>>" / "<<Partition>>" markers by tokens, as CDK renders them
  const text = JSON.stringify(definition);
  const parts: unknown[] = [];
  let last = 0;
  for (const m of text.matchAll(/<<(Ref|GetAtt|Partition) ?([^>]*)>>/g)) {
    parts.push(text.slice(last, m.index));
    if (m[1] === 'Ref') parts.push({ Ref: m[2] });
    else if (m[1] === 'GetAtt') parts.push({ 'Fn::GetAtt': m[2].split('.') });
    else parts.push({ Ref: 'AWS::Partition' });
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  return { 'Fn::Join': ['', parts] };
}

const task = (resource: string, extra: object = {}) => ({ Type: 'Task', Resource: resource, ...extra });

const template = {
  Resources: {
    WorkFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    WorkAlias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'WorkFn' }, FunctionVersion: '1', Name: 'live' } },
    Items: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }, { AttributeName: 'gsi1', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byGsi1', KeySchema: [{ AttributeName: 'gsi1', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    },
    Named: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: { 'Fn::Sub': 'named-${AWS::Region}' },
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      },
    },
    Child: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        StateMachineType: 'STANDARD',
        DefinitionString: JSON.stringify({
          StartAt: 'Child work',
          States: {
            'Child work': task('arn:aws:lambda:us-east-1:123456789012:function:ChildFn', { Next: 'Child gate' }),
            'Child gate': { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: false, Next: 'Child fail' }], Default: 'Child end' },
            'Child fail': { Type: 'Fail' },
            'Child end': { Type: 'Succeed' },
          },
        }),
      },
    },
    Main: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        TimeoutSeconds: 31536000,
        DefinitionString: definitionString({
          StartAt: 'Route',
          TimeoutSeconds: 31536000,
          States: {
            'Route': {
              Type: 'Choice',
              Choices: [
                { Variable: '$.scenario', StringEquals: 'context', Next: 'Context' },
                { Variable: '$.scenario', StringEquals: 'fanout', Next: 'Fan out' },
                { Variable: '$.scenario', StringEquals: 'timeout', Next: 'Guarded' },
                { Variable: '$.scenario', StringEquals: 'invoke', Next: 'Invoke' },
                { Variable: '$.scenario', StringEquals: 'sdk', Next: 'Sdk put' },
                { Variable: '$.scenario', StringEquals: 'child', Next: 'Child sync' },
                { Variable: '$.scenario', StringEquals: 'publish', Next: 'Publish' },
                { Variable: '$.scenario', StringEquals: 'bare fail', Next: 'Bare fail' },
              ],
              Default: 'Wait a day',
            },
            'Wait a day': { Type: 'Wait', Seconds: 86400, Next: 'Done' },
            'Context': {
              Type: 'Pass',
              Parameters: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name', 'sm.$': '$$.StateMachine.Id', 'smName.$': '$$.StateMachine.Name', 'input.$': '$$.Execution.Input' },
              End: true,
            },
            'Fan out': {
              Type: 'Parallel',
              Branches: [
                {
                  StartAt: 'Each',
                  States: {
                    Each: {
                      Type: 'Map',
                      ItemsPath: '$.items',
                      MaxConcurrency: 1,
                      ItemSelector: { 'item.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
                      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Work', States: { Work: task('<<Ref WorkAlias>>', { End: true }) } },
                      End: true,
                    },
                  },
                },
                { StartAt: 'Side', States: { Side: { Type: 'Pass', Result: 'side', End: true } } },
              ],
              End: true,
            },
            'Guarded': task('<<Ref WorkAlias>>', {
              Catch: [
                { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Caught task failure' },
                { ErrorEquals: ['States.Timeout'], ResultPath: '$.caught', Next: 'Caught timeout' },
              ],
              Next: 'Done',
            }),
            'Caught task failure': { Type: 'Pass', End: true },
            'Caught timeout': { Type: 'Pass', End: true },
            'Invoke': task('arn:<<Partition>>:states:::lambda:invoke', {
              Parameters: { 'FunctionName': '<<Ref WorkAlias>>', 'Payload.$': '$.payload' },
              End: true,
            }),
            'Sdk put': task('arn:aws:states:::aws-sdk:dynamodb:putItem', {
              Parameters: { TableName: '<<Ref Items>>', Item: { pk: { 'S.$': '$.pk' }, sk: { S: 'v1' }, gsi1: { S: 'g' } }, ConditionExpression: 'attribute_not_exists(pk)' },
              ResultPath: '$.put',
              Next: 'Optimized get',
            }),
            'Optimized get': task('arn:aws:states:::dynamodb:getItem', {
              Parameters: { TableName: '<<Ref Items>>', Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'v1' } } },
              ResultPath: '$.got',
              Next: 'Sdk query',
            }),
            'Sdk query': task('arn:aws:states:::aws-sdk:dynamodb:query', {
              Parameters: { TableName: '<<Ref Items>>', IndexName: 'byGsi1', KeyConditionExpression: 'gsi1 = :g', ExpressionAttributeValues: { ':g': { S: 'g' } } },
              ResultSelector: { 'count.$': '$.Count' },
              ResultPath: '$.query',
              End: true,
            }),
            'Child sync': task('arn:aws:states:::states:startExecution.sync', {
              Parameters: { StateMachineArn: '<<Ref Child>>', Input: { 'ok.$': '$.ok' }, Name: 'fixed-child' },
              End: true,
            }),
            'Publish': task('arn:aws:states:::sns:publish', { Parameters: { 'TopicArn': 'arn:aws:sns:us-east-1:123456789012:topic', 'Message.$': '$.message' }, End: true }),
            'Bare fail': { Type: 'Fail' },
            'Done': { Type: 'Pass', Result: 'done', End: true },
          },
        }),
      },
    },
  },
};

let runner: LocalWorkflowRunner;
const work = jest.fn(async (event: unknown) => ({ echo: event }));

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(
    { template, stateMachineLogicalId: 'Main' },
    {
      handlers: {
        'Work': async (event) => work(event),
        'Guarded': async (event) => work(event),
        'Invoke': async (event: { n: number }) => ({ n: event.n + 1 }),
        'Child work': async (event) => event,
      },
    },
  );
});

afterAll(async () => {
  await runner.close();
});

describe('ASL semantics through the runner', () => {
  test('Wait states are skipped and a one-year state machine timeout does not fire early', async () => {
    const started = Date.now();
    const result = await runner.run({ scenario: 'wait' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toBe('done');
    expect(result.statesEntered).toEqual(['Route', 'Wait a day', 'Done']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('$$ context carries the fake execution ARN, name and state machine', async () => {
    const result = await runner.run({ scenario: 'context' }, { executionName: 'ctx-run' });
    expect(result.output).toEqual({
      id: 'arn:aws:states:us-east-1:123456789012:execution:Main:ctx-run',
      name: 'ctx-run',
      sm: 'arn:aws:states:us-east-1:123456789012:stateMachine:Main',
      smName: 'Main',
      input: { scenario: 'context' },
    });
  });

  test('default execution names are deterministic per runner', async () => {
    const a = await runner.run({ scenario: 'wait' });
    const b = await runner.run({ scenario: 'wait' });
    expect(Number(b.executionName.replace('exec-', ''))).toBe(Number(a.executionName.replace('exec-', '')) + 1);
  });

  test('Parallel and Map inner states are reported, in interpreter order', async () => {
    // WHEN
    const result = await runner.run({ scenario: 'fanout', items: ['a', 'b', 'c'] });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual([
      [
        { echo: { item: 'a', index: 0 } },
        { echo: { item: 'b', index: 1 } },
        { echo: { item: 'c', index: 2 } },
      ],
      'side',
    ]);
    expect([...result.statesEntered].sort()).toEqual(['Each', 'Fan out', 'Route', 'Side', 'Work', 'Work', 'Work'].sort());
    expect(result.statesEntered.slice(0, 2)).toEqual(['Route', 'Fan out']);
    expect(result.transitions).toBe(7);
    expect(result.calls.Work).toBe(3);
  });

  test('a timeout fault is not matched by States.TaskFailed but by States.Timeout', async () => {
    const timedOut = await runner.run({ scenario: 'timeout' }, { faults: { Guarded: Faults.timeout() } });
    expect(timedOut.statesEntered).toEqual(['Route', 'Guarded', 'Caught timeout']);
    expect((timedOut.output as any).caught.Error).toBe('States.Timeout');

    const failed = await runner.run({ scenario: 'timeout' }, { faults: { Guarded: Faults.fail('Lambda.Unknown', { cause: 'x' }) } });
    expect(failed.statesEntered).toEqual(['Route', 'Guarded', 'Caught task failure']);
    expect((failed.output as any).caught).toEqual({ Error: 'Lambda.Unknown', Cause: 'x' });
  });

  test('lambda:invoke returns the integration envelope around the payload', async () => {
    const result = await runner.run({ scenario: 'invoke', payload: { n: 1 } });
    expect(result.output).toEqual({ ExecutedVersion: '1', Payload: { n: 2 }, StatusCode: 200 });
  });

  test('aws-sdk DynamoDB integrations use DynamoDb.* errors; optimized getItem returns { Item }', async () => {
    // WHEN
    const first = await runner.run({ scenario: 'sdk', pk: 'k1' });
    const second = await runner.run({ scenario: 'sdk', pk: 'k1' });

    // THEN
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output).toEqual({
      scenario: 'sdk',
      pk: 'k1',
      put: {},
      got: { Item: { pk: { S: 'k1' }, sk: { S: 'v1' }, gsi1: { S: 'g' } } },
      query: { count: 1 },
    });
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('DynamoDb.ConditionalCheckFailedException');
    expect(runner.tableName('Items')).toBe('Items');
    expect(runner.tableName('Named')).toBe('named-us-east-1');
  });

  test('tables are created with their resolved names and can be seeded by tests', async () => {
    await runner.dynamodb.send(new PutItemCommand({ TableName: runner.tableName('Named'), Item: { id: { S: 'seed' } } }));
    const got = await runner.dynamodb.send(new GetItemCommand({ TableName: 'named-us-east-1', Key: { id: { S: 'seed' } } }));
    expect(got.Item).toEqual({ id: { S: 'seed' } });
  });

  test('.sync returns Output as a string; an uncaught child failure fails the parent with States.TaskFailed', async () => {
    const ok = await runner.run({ scenario: 'child', ok: true });
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output).toMatchObject({ Status: 'SUCCEEDED', Output: JSON.stringify({ ok: true }), Input: JSON.stringify({ ok: true }), Name: 'fixed-child' });
    expect(ok.executions[1]).toMatchObject({ stateMachine: 'Child', type: 'STANDARD', name: 'fixed-child', parent: 0 });

    const bad = await runner.run({ scenario: 'child', ok: false });
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toBe('States.TaskFailed');
    const cause = JSON.parse(bad.cause!);
    expect(cause.Status).toBe('FAILED');
    expect(cause).not.toHaveProperty('Error');
    expect(bad.executions[1].status).toBe('FAILED');
    expect(bad.executions[1].error).toBeUndefined();
  });

  test('a Fail state without Error/Cause reports neither', async () => {
    const result = await runner.run({ scenario: 'bare fail' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBeUndefined();
    expect(result.cause).toBeUndefined();
  });

  test('other integrations need a handler; a registered one is used, StatesError sets error and cause', async () => {
    await expect(runner.run({ scenario: 'publish', message: 'hi' })).rejects.toThrow(
      /no handler registered for task 'Publish'.*arn:aws:states:::sns:publish/,
    );
    runner.setHandler('Publish', async (params: { Message: string }) => ({ MessageId: `m-${params.Message}` }));
    expect((await runner.run({ scenario: 'publish', message: 'hi' })).output).toEqual({ MessageId: 'm-hi' });
    runner.setHandler('Publish', async () => {
      throw new StatesError('SNS.NotFoundException', 'Topic does not exist');
    });
    const failed = await runner.run({ scenario: 'publish', message: 'hi' });
    expect([failed.error, failed.cause]).toEqual(['SNS.NotFoundException', 'Topic does not exist']);
  });
});
