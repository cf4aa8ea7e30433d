import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Condition } from 'aws-cdk-lib/aws-stepfunctions';
import { CheckpointedWorkflow, CheckpointTable, Step, WorkflowAlarms, WorkflowType } from '../../../src';
import { aslOf, inlineFunction, logicalIdOf, newStack } from '../../util';

const DYNAMO_RETRY = {
  ErrorEquals: [
    'DynamoDb.ThrottlingException',
    'DynamoDb.TooManyRequestsException',
    'DynamoDb.ServiceUnavailableException',
    'DynamoDb.ServiceUnavailable',
    'DynamoDb.InternalServerErrorException',
    'DynamoDb.InternalServerError',
    'DynamoDb.InternalFailure',
    'DynamoDb.RequestLimitExceeded',
    'DynamoDb.ProvisionedThroughputExceededException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
};

/**
 * Every IAM statement of the template with the logical id holding it: policies (DefaultPolicy),
 * managed policies (LibraryPolicy) and the roles' inline policies (a WorkflowFunction's role).
 */
function roleStatements(template: Template): Array<[string, any]> {
  const out: Array<[string, any]> = [];
  for (const [id, r] of Object.entries<any>({ ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') })) {
    for (const st of r.Properties.PolicyDocument.Statement) out.push([id, st]);
  }
  for (const [id, r] of Object.entries<any>(template.findResources('AWS::IAM::Role'))) {
    for (const p of r.Properties.Policies ?? []) for (const st of p.PolicyDocument.Statement) out.push([id, st]);
  }
  return out;
}

describe('sequence: rendered ASL and resources', () => {
  // GIVEN a two-step Standard sequence with the default table
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new CheckpointedWorkflow(stack, 'Job', {
    keyPath: '$.order.id',
    steps: [{ step: Step.lambda('Reserve', fn) }, { step: Step.pass('Label', { result: { label: 'ok' } }) }],
  });
  const template = Template.fromStack(stack);
  const asl = aslOf(template);
  const tableId = logicalIdOf(template, 'AWS::DynamoDB::Table', 'JobCheckpoints');
  const coordinatorAlias = logicalIdOf(template, 'AWS::Lambda::Alias', 'JobCoordinator');

  test('the coordinator starts every execution with the input and the checkpoint configuration; its result replaces the state', () => {
    expect(asl.StartAt).toBe('Checkpoint: start');
    expect(asl.States['Checkpoint: start']).toMatchObject({
      Type: 'Task',
      Resource: `\${Ref:${coordinatorAlias}}`,
      Parameters: {
        'input.$': '$',
        'executionId.$': '$$.Execution.Id',
        'table': `\${Ref:${tableId}}`,
        'partitionKeyName': 'pk',
        'sortKeyName': 'sk',
        'ttlAttribute': 'expiresAt',
        'namespace': 'TestStack/Job',
        'keyPath': ['order', 'id'],
        'restartField': 'checkpointRestart',
        'steps': ['Reserve', 'Label'],
        'ttlSeconds': 30 * 24 * 3600,
        'leaseSeconds': 3600 + 60,
      },
      Next: 'Checkpoint: resume?',
    });
    expect(asl.States['Checkpoint: start'].ResultPath).toBeUndefined();
    expect(asl.States['Checkpoint: start'].Catch).toBeUndefined();
  });

  test('one chain, every step rendered once: the resume Choice jumps to the first step not done (the first one on a fresh run); later steps are entered through a Choice that skips them when checkpointed', () => {
    expect(asl.States['Checkpoint: resume?']).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [
        { Not: { Variable: '$.checkpoint.done.Reserve', IsPresent: true }, Next: 'Reserve' },
        { Not: { Variable: '$.checkpoint.done.Label', IsPresent: true }, Next: 'Label' },
      ],
      Default: 'Checkpoint: done',
    });
    expect(asl.States['Reserve: checkpoint'].Next).toBe('Label?');
    expect(asl.States['Label?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.checkpoint.done.Label', IsPresent: true, Next: 'Checkpoint: done' }],
      Default: 'Label',
    });
    expect(asl.States['Label: checkpoint'].Next).toBe('Checkpoint: done');
    expect(asl.States.Reserve).toMatchObject({ ResultPath: '$.results.Reserve', Next: 'Reserve: checkpoint' });
    expect(asl.States.Reserve.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: release after failure' }]);
    expect(asl.States.Label).toEqual({ Type: 'Pass', Result: { label: 'ok' }, ResultPath: '$.results.Label', Next: 'Label: checkpoint' });
    expect(Object.keys(asl.States).sort()).toEqual([
      'Checkpoint: conflict',
      'Checkpoint: done',
      'Checkpoint: failed',
      'Checkpoint: lease lost',
      'Checkpoint: release after failure',
      'Checkpoint: result too large',
      'Checkpoint: resume?',
      'Checkpoint: start',
      'Checkpoint: write failed',
      'Label',
      'Label: checkpoint',
      'Label?',
      'Reserve',
      'Reserve: checkpoint',
    ]);
  });

  test('the checkpoint write: a conditional UpdateItem of the step item the coordinator created (owner, lease end, generation, TTL): result, execution and step name, only while this execution owns it under a live lease', () => {
    expect(asl.States['Reserve: checkpoint']).toEqual({
      Type: 'Task',
      Resource: 'arn:${AWS::Partition}:states:::aws-sdk:dynamodb:updateItem',
      Parameters: {
        TableName: `\${Ref:${tableId}}`,
        Key: { pk: { 'S.$': '$.checkpoint.partitionKey' }, sk: { S: 'step#Reserve' } },
        UpdateExpression: 'SET #r = :r, #e = :x, #s = :s, #t = :t',
        ConditionExpression: '#o = :x AND #u > :n AND (attribute_not_exists(#r) OR #e = :x)',
        ExpressionAttributeNames: { '#o': 'leaseOwner', '#u': 'leaseExpiresAt', '#r': 'result', '#e': 'executionId', '#s': 'executionStartedAt', '#t': 'step' },
        ExpressionAttributeValues: {
          ':r': { 'S.$': 'States.JsonToString($.results.Reserve)' },
          ':x': { 'S.$': '$$.Execution.Id' },
          ':s': { 'S.$': '$$.Execution.StartTime' },
          ':n': { 'S.$': '$$.State.EnteredTime' },
          ':t': { S: 'Reserve' },
        },
      },
      ResultPath: null,
      Retry: [DYNAMO_RETRY],
      // one Catch; the shared Choice names the refused and the too-large write
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: write failed' }],
      Next: 'Label?',
    });
    expect(asl.States['Checkpoint: write failed']).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [
        { Variable: '$.checkpointError.Error', StringEquals: 'DynamoDb.ConditionalCheckFailedException', Next: 'Checkpoint: conflict' },
        { Variable: '$.checkpointError.Error', StringEquals: 'DynamoDb.ValidationException', Next: 'Checkpoint: result too large' },
      ],
      Default: 'Checkpoint: release after failure',
    });
  });

  test('release on success keeps the generation, frees the lease, and shapes the output; release on failure re-raises the error', () => {
    expect(asl.States['Checkpoint: done']).toMatchObject({
      Resource: 'arn:${AWS::Partition}:states:::aws-sdk:dynamodb:updateItem',
      Parameters: {
        Key: { pk: { 'S.$': '$.checkpoint.partitionKey' }, sk: { S: '#lease' } },
        UpdateExpression: 'REMOVE #owner SET #until = :zero, #lastExec = :exec, #lastStatus = :status',
        ConditionExpression: '#owner = :exec OR (attribute_not_exists(#owner) AND #lastExec = :exec)',
        ExpressionAttributeValues: { ':exec': { 'S.$': '$$.Execution.Id' }, ':zero': { N: '0' }, ':status': { S: 'SUCCEEDED' } },
        ReturnValues: 'ALL_NEW',
      },
      ResultSelector: { 'key.$': '$.Attributes.businessKey.S' },
      ResultPath: '$.checkpoint',
      Catch: [
        { ErrorEquals: ['DynamoDb.ConditionalCheckFailedException'], ResultPath: null, Next: 'Checkpoint: lease lost' },
        // any other failure of the release (e.g. throttled beyond its retries) still releases through the failure path
        { ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: release after failure' },
      ],
      End: true,
    });
    expect(asl.States['Checkpoint: release after failure']).toMatchObject({
      Parameters: { ExpressionAttributeValues: { ':status': { S: 'FAILED' } } },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Checkpoint: failed' }],
      Next: 'Checkpoint: failed',
    });
    expect(asl.States['Checkpoint: failed']).toEqual({ Type: 'Fail', ErrorPath: '$.checkpointError.Error', CausePath: '$.checkpointError.Cause' });
    expect(asl.States['Checkpoint: conflict']).toEqual({
      Type: 'Pass',
      Parameters: { Error: 'Checkpoint.Conflict', Cause: expect.stringMatching(/^The checkpoint write was refused: this execution no longer holds the key's lease .*redriven/) },
      ResultPath: '$.checkpointError',
      Next: 'Checkpoint: release after failure',
    });
    expect(asl.States['Checkpoint: result too large'].Parameters).toEqual({ Error: 'Checkpoint.ResultTooLarge', Cause: expect.stringMatching(/too large for its checkpoint item .* Return a reference/) });
  });

  test('a CheckpointTable is created with the library defaults, and the coordinator is an inline WorkflowFunction without provisioned concurrency', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true }, DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::Lambda::Function', {
      Properties: Match.objectLike({
        Handler: 'index.handler',
        Code: { ZipFile: Match.stringLikeRegexp('const coordinate = async function coordinate\\(event, deps\\)') },
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      }),
      Metadata: { 'cdk-stateful-workflows:role': 'checkpoint-coordinator' },
    });
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: Match.absent() });
    expect(workflow.coordinator.provisionedConcurrency).toBe(0);
  });

  test('least privilege: the coordinator may UpdateItem/GetItem/Query, the state machine UpdateItem only, only the items of the workflow\'s namespace', () => {
    const statements = (hint: string) => roleStatements(template).filter(([id]) => id.includes(hint)).map(([, st]) => st);
    const namespaceOnly = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TestStack/Job#*'] } };
    expect(statements('JobCoordinatorServiceRole')).toContainEqual({
      Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
      Condition: namespaceOnly,
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
    });
    const machine = statements('JobStateMachineRole');
    expect(machine.filter((st: any) => /dynamodb:/.test(JSON.stringify(st.Action))))
      .toEqual([{ Action: 'dynamodb:updateItem', Condition: namespaceOnly, Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } }]);
    expect(JSON.stringify([...machine, ...statements('JobCoordinatorServiceRole')].filter((st: any) => /dynamodb:/.test(JSON.stringify(st.Action)) && !st.Condition))).toBe('[]');
    expect(JSON.stringify(machine)).not.toMatch(/dynamodb:\*|dynamodb:Delete|dynamodb:Scan/i);
  });

  test('the table is registered for the throttle alarm, the coordinator for the function alarms', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Throttle events of TestStack/Job/Checkpoints',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'reads + writes' })]),
    });
    // function alarms are opt-in (a step's retry absorbs single errors): switched on, the
    // coordinator is one of the functions the workflow's function-error alarm watches
    const stack2 = newStack();
    const wf2 = new CheckpointedWorkflow(stack2, 'Job', {
      keyPath: '$.id',
      alarms: { functionErrors: { enabled: true } },
      steps: [{ step: Step.pass('A') }],
    });
    const alarms = Template.fromStack(stack2).findResources('AWS::CloudWatch::Alarm');
    const fnId = stack2.resolve((wf2.coordinator.function.node.defaultChild as any).logicalId);
    const errorAlarms = Object.entries(alarms).filter(([id]) => id.includes('FunctionErrors'));
    expect(errorAlarms).toHaveLength(1);
    expect(JSON.stringify(errorAlarms[0][1])).toContain(`"Ref":"${fnId}"`);
  });

  test('public properties describe the workflow for CheckpointClient and tests', () => {
    expect(workflow.namespace).toBe('TestStack/Job');
    expect(workflow.stepNames).toEqual(['Reserve', 'Label']);
    expect(workflow.executionPlan).toBe('Reserve ; Label');
    expect(workflow.stateNamesOf('Reserve')).toEqual(['Reserve']);
    expect(workflow.leaseDuration.toSeconds()).toBe(3660);
    expect(() => workflow.stateNamesOf('Nope')).toThrow(/'Nope' is not a step of this workflow \(steps: 'Reserve', 'Label'\)/);
  });
});

describe('DAG: rendered ASL', () => {
  // GIVEN a diamond A -> (B | C) -> D, Express, with a conditional D and an existing table
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const table = new CheckpointTable(stack, 'Shared');
  const workflow = new CheckpointedWorkflow(stack, 'Dag', {
    type: WorkflowType.EXPRESS,
    keyPath: '$.id',
    table,
    namespace: 'images',
    steps: [
      { step: Step.lambda('A', fn) },
      { step: Step.lambda('B', fn), dependsOn: ['A'] },
      { step: Step.lambda('C', fn), dependsOn: ['A'] },
      { step: Step.lambda('D', fn), dependsOn: ['B', 'C'], condition: Condition.booleanEquals('$.results.C.go', true) },
    ],
  });
  const template = Template.fromStack(stack);
  const asl = aslOf(template);

  test('the existing table is used (no new table), items are namespaced, and Express is kept', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
    expect(asl.TimeoutSeconds).toBe(300);
    expect(asl.States['Checkpoint: start'].Parameters).toMatchObject({ namespace: 'images', leaseSeconds: 360 });
    expect(workflow.table).toBe(table);
  });

  test('the resume Choice jumps to the first element not done; the block and D are entered through a Choice that skips them when checkpointed', () => {
    expect(asl.States['Checkpoint: resume?'].Choices).toEqual([
      { Not: { Variable: '$.checkpoint.done.A', IsPresent: true }, Next: 'A' },
      {
        Not: { And: [{ Variable: '$.checkpoint.done.B', IsPresent: true }, { Variable: '$.checkpoint.done.C', IsPresent: true }] },
        Next: 'Parallel 1: B | C',
      },
      { Not: { Variable: '$.checkpoint.done.D', IsPresent: true }, Next: 'D?' },
    ]);
    expect(asl.States['A: checkpoint'].Next).toBe('Parallel 1?');
    expect(asl.States['Parallel 1?']).toEqual({
      Type: 'Choice',
      Choices: [{ And: [{ Variable: '$.checkpoint.done.B', IsPresent: true }, { Variable: '$.checkpoint.done.C', IsPresent: true }], Next: 'D?' }],
      Default: 'Parallel 1: B | C',
    });
    expect(asl.States['Parallel 1: failed?'].Default).toBe('Parallel 1: merged');
    expect(asl.States['Parallel 1: merged'].Next).toBe('D?');
  });

  test('a failing branch settles: its errors are caught in the branch, its steps marked, and the Choice after the block re-raises the first', () => {
    expect(asl.States['Parallel 1: failed?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.results.B.__checkpointFailure', IsPresent: true, Next: 'Parallel 1: branch 1 failed' },
        { Variable: '$.results.C.__checkpointFailure', IsPresent: true, Next: 'Parallel 1: branch 2 failed' },
      ],
      Default: 'Parallel 1: merged',
    });
    expect(asl.States['Parallel 1: branch 1 failed']).toEqual({
      Type: 'Pass',
      InputPath: '$.results.B.__checkpointFailure',
      ResultPath: '$.checkpointError',
      Next: 'Checkpoint: branch failed',
    });
    // a checkpoint write failure of a branch (wrapped there) is named once, at the top
    expect(asl.States['Checkpoint: branch failed']).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: '$.checkpointError.checkpointWrite', IsPresent: true, Next: 'Checkpoint: branch write failed' }],
      Default: 'Checkpoint: release after failure',
    });
    expect(asl.States['Checkpoint: branch write failed']).toEqual({
      Type: 'Pass',
      InputPath: '$.checkpointError.checkpointWrite',
      ResultPath: '$.checkpointError',
      Next: 'Checkpoint: write failed',
    });
    const branch = asl.States['Parallel 1: B | C'].Branches[0].States;
    expect(branch.B.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: branch 1 failed' }]);
    expect(branch['B: checkpoint'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: write failed (branch 1)' }]);
    expect(branch['Checkpoint: write failed (branch 1)']).toEqual({
      Type: 'Pass',
      Parameters: { 'checkpointWrite.$': '$.checkpointError' },
      ResultPath: '$.checkpointError',
      Next: 'Checkpoint: branch 1 failed',
    });
    expect(branch['Checkpoint: branch 1 failed']).toEqual({
      Type: 'Pass',
      Parameters: { B: { '__checkpointFailure.$': '$.checkpointError' } },
      ResultPath: '$.checkpointMarks',
      Next: 'Checkpoint: branch 1 settled',
    });
    expect(branch['Checkpoint: branch 1 settled']).toEqual({
      Type: 'Pass',
      Parameters: { 'results.$': 'States.JsonMerge($.results, $.checkpointMarks, false)' },
      End: true,
    });
  });

  test('the block merges its branches\' results (JsonMerge, so that its size does not grow with the results before it), picks each branch\'s first step from its own branch for the failure check, then moves the merge to $.results; each branch starts with a Choice that skips its checkpointed step', () => {
    const block = asl.States['Parallel 1: B | C'];
    expect(block).toMatchObject({
      Type: 'Parallel',
      ResultSelector: {
        '__checkpointMerged.$': 'States.JsonMerge($[0].results, $[1].results, false)',
        'B.$': '$[0].results.B',
        'C.$': '$[1].results.C',
      },
      ResultPath: '$.results',
      Next: 'Parallel 1: failed?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkpointError', Next: 'Checkpoint: release after failure' }],
    });
    // the picks before the merge (the local interpreter's JsonMerge writes into its first argument)
    expect(Object.keys(block.ResultSelector)).toEqual(['B.$', 'C.$', '__checkpointMerged.$']);
    expect(asl.States['Parallel 1: failed?'].Default).toBe('Parallel 1: merged');
    expect(asl.States['Parallel 1: merged']).toEqual({ Type: 'Pass', InputPath: '$.results.__checkpointMerged', ResultPath: '$.results', Next: 'D?' });
    expect(block.Branches.map((b: any) => b.StartAt)).toEqual(['B?', 'C?']);
    expect(Object.keys(block.Branches[0].States).sort()).toEqual([
      'B', 'B: checkpoint', 'B?', 'Checkpoint: branch 1 done', 'Checkpoint: branch 1 failed', 'Checkpoint: branch 1 settled',
      'Checkpoint: write failed (branch 1)',
    ]);
    expect(block.Branches[0].States['B?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.checkpoint.done.B', IsPresent: true, Next: 'Checkpoint: branch 1 done' }],
      Default: 'B',
    });
    expect(block.Branches[0].States['Checkpoint: branch 1 done']).toEqual({ Type: 'Succeed' });
    expect(block.Branches[0].States['B: checkpoint'].End).toBe(true);
    expect(workflow.stateNamesOf('B')).toEqual(['B']);
  });

  test('a conditional step: one Choice skips it when checkpointed, else runs it only when its condition holds; a skipped step is checkpointed with { skipped: true }', () => {
    expect(asl.States['D?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.checkpoint.done.D', IsPresent: true, Next: 'Checkpoint: done' },
        { Variable: '$.results.C.go', BooleanEquals: true, Next: 'D' },
      ],
      Default: 'D: skipped',
    });
    expect(asl.States['D: skipped']).toEqual({ Type: 'Pass', Result: { skipped: true }, ResultPath: '$.results.D', Next: 'D: checkpoint' });
  });
});

describe('DAG planning', () => {
  const plan = (deps: Record<string, string[]>) => {
    const stack = newStack();
    // this test is about the planner's warning: the alarm-notification warning is acknowledged
    WorkflowAlarms.acknowledgeNoNotifications(stack, 'unit test of the DAG planner, no one on call');
    const wf = new CheckpointedWorkflow(stack, 'Wf', {
      keyPath: '$.id',
      steps: Object.entries(deps).map(([name, dependsOn]) => ({ step: Step.pass(name), dependsOn })),
    });
    return { wf, annotations: Annotations.fromStack(stack) };
  };

  test.each([
    [{ A: [], B: ['A'], C: ['B'] }, 'A ; B ; C'],
    [{ A: [], B: [], C: [] }, '(A | B | C)'],
    [{ A: [], B: ['A'], C: ['A'], D: ['B', 'C'] }, 'A ; (B | C) ; D'],
    [{ A: [], B: ['A'], C: ['B'], D: ['A'], E: ['C', 'D'] }, 'A ; (B ; C | D) ; E'],
    [{ A: [], W1: ['A'], W2: ['A'], W3: ['A'], W4: ['A'], Z: ['W1', 'W2', 'W3', 'W4'] }, 'A ; (W1 | W2 | W3 | W4) ; Z'],
    [{ A: [], B: [], C: ['A', 'B'], D: ['C'], E: [] }, '((A | B) ; C ; D | E)'],
    [{ A: [], B: ['A'], C: ['A', 'B'] }, 'A ; B ; C'],
  ])('%j is planned as %s with no added waits', (deps, expected) => {
    const { wf, annotations } = plan(deps);
    expect(wf.executionPlan).toBe(expected);
    annotations.hasNoWarning('*', Match.anyValue());
  });

  test('a graph that is not series-parallel (an N shape) gets the fewest added waits, reported as a warning', () => {
    // A -> C, B -> C, B -> D: D would have to wait for A in any chain/Parallel rendering
    const { wf, annotations } = plan({ A: [], B: [], C: ['A', 'B'], D: ['B'] });
    expect(wf.executionPlan).toBe('(A | B) ; (C | D)');
    annotations.hasWarning('/TestStack/Wf', Match.stringLikeRegexp("not series-parallel.*Plan: \\(A \\| B\\) ; \\(C \\| D\\)\\. Added waits: 'D' also waits for 'A'"));
  });
});

describe('bad input fails at synth time naming the value and the fix', () => {
  const fnIn = (stack: any) => inlineFunction(stack, 'Fn');
  const build = (props: any, stackHook?: (s: any) => void) => {
    const stack = newStack();
    stackHook?.(stack);
    return () => new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', ...props });
  };
  const pass = (name: string, dependsOn?: string[]) => ({ step: Step.pass(name), dependsOn });

  test.each([
    ['no steps', { steps: [] }, /\[TestStack\/Wf\] steps is empty/],
    ['a duplicate name', { steps: [pass('A'), pass('A')] }, /the step name 'A' is used twice/],
    ['two names with one result key', { steps: [pass('Send mail'), pass('Send-mail')] }, /steps 'Send mail' and 'Send-mail' would both store their result at \$\.results\.Send_mail/],
    ['an unknown dependency', { steps: [pass('A'), pass('B', ['Nope'])] }, /step 'B' depends on 'Nope', which is not a step of this workflow \(steps: 'A', 'B'\)/],
    ['a self dependency', { steps: [pass('A', ['A'])] }, /step 'A' depends on itself\. Remove 'A' from its dependsOn/],
    ['a dependency listed twice', { steps: [pass('A'), pass('B', ['A', 'A'])] }, /step 'B' lists 'A' twice in dependsOn/],
    ['a cycle', { steps: [pass('A', ['C']), pass('B', ['A']), pass('C', ['B']), pass('D', [])] }, /the dependencies form a cycle: 'A' depends on 'C' depends on 'B' depends on 'A'/],
    ['a key path with a wildcard', { keyPath: '$.items[0].id', steps: [pass('A')] }, /keyPath '\$\.items\[0\]\.id' is not a plain JSONPath of field names/],
    ['a reserved restart field', { restartField: 'results', steps: [pass('A')] }, /restartField 'results' is not a usable input field name/],
    ['a TTL shorter than the lease', { checkpointTtl: Duration.minutes(30), steps: [pass('A')] }, /checkpointTtl is 30 minutes \(1800 s\); it must be between 1 hour 1 minute and 3650 days\. Checkpoints must outlive the lease \(the execution timeout plus one minute, 1 hour 1 minute\)/],
    ['an empty namespace', { namespace: '', steps: [pass('A')] }, /namespace '' must be 1 to 200 characters long/],
    ['negative coordinator concurrency', { coordinatorProvisionedConcurrency: -1, steps: [pass('A')] }, /coordinatorProvisionedConcurrency is -1/],
    ['a step name giving a reserved result key', { steps: [pass('A'), pass('__checkpoint Merged')] }, /step name '__checkpoint Merged' gives the result key '__checkpoint_Merged', which starts with '__checkpoint', reserved by the workflow .* Rename the step/],
  ])('%s', (_what, props, message) => {
    expect(build(props)).toThrow(message);
  });

  test('a step name too long for the generated state names', () => {
    const name = 'x'.repeat(70);
    // every step generates '<name>: checkpoint' (its checkpoint write)
    expect(build({ steps: [pass(name)] })).toThrow(/step name 'x{70}' is 70 characters long; the workflow also generates the state 'x{70}: checkpoint', which exceeds the 80 characters .* at most 68 characters/);
    const inBlock = 'y'.repeat(69);
    expect(build({ steps: [pass('A', []), pass(inBlock, [])] })).toThrow(/generates the state 'y{69}: checkpoint'.*at most 68 characters/);
    // 68 characters fit
    expect(build({ steps: [pass('z'.repeat(68))] })).not.toThrow();
  });

  test('a customer-managed table key is granted to the coordinator and the state machine', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const table = new CheckpointTable(stack, 'Table', { encryptionKey: key });
    new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', table, steps: [{ step: Step.lambda('A', fnIn(stack)) }] });
    const policies = JSON.stringify(roleStatements(Template.fromStack(stack)));
    expect(policies.match(/kms:Decrypt/g)?.length).toBeGreaterThanOrEqual(2);
  });
});
