import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TestParent, machineId, taskStatements } from './fixtures';
import { ChildWorkflowStep, SequentialWorkflow, Step, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { aslOf, inlineFunction, newStack } from '../../util';

// GIVEN a Standard parent whose step 'Get quote' runs an Express child (one Lambda step 'Get price'),
// retried on the child's 'QuoteUnavailable', with a Catch for 'QuoteRejected' and 'ChildWorkflow.Failed'.
const stack = newStack();
const priceFn = inlineFunction(stack, 'PriceFn', { provisionedConcurrency: 0 });
const child = new SequentialWorkflow(stack, 'Quote', { type: WorkflowType.EXPRESS, steps: [Step.lambda('Get price', priceFn)] });
const parent = new TestParent(stack, 'Parent', {
  step: Step.childWorkflow('Get quote', child, {
    retry: { errors: ['QuoteUnavailable', 'StepFunctions.ExecutionLimitExceededException'], maxAttempts: 2, interval: Duration.seconds(3) },
  }),
  catchErrors: ['QuoteRejected', 'ChildWorkflow.Failed'],
});
const template = Template.fromStack(stack);
const childId = machineId(template, 'Quote');

/** The Fail/Choice/Pass states that re-throw a failed child, shared by both parent types. */
const rethrowStates = (name: string) => ({
  [`${name} - check child`]: {
    Type: 'Choice',
    Choices: [
      {
        And: [
          { Variable: '$.child.Error', IsPresent: true },
          { Not: { Variable: '$.child.Error', StringMatches: 'States.*' } },
          { Variable: '$.child.Cause', IsPresent: true },
        ],
        Next: `${name} - rethrow`,
      },
      {
        And: [
          { Variable: '$.child.Error', IsPresent: true },
          { Not: { Variable: '$.child.Error', StringMatches: 'States.*' } },
        ],
        Next: `${name} - rethrow error`,
      },
    ],
    Default: `${name} - describe failure`,
  },
  [`${name} - rethrow`]: { Type: 'Fail', ErrorPath: '$.child.Error', CausePath: '$.child.Cause' },
  [`${name} - rethrow error`]: { Type: 'Fail', ErrorPath: '$.child.Error' },
  [`${name} - describe failure`]: {
    Type: 'Pass',
    Parameters: {
      'cause.$': "States.Format('Child execution {} ended with status {} and no error name of its own (or a States.* error); see its execution history or logs.', $.child.ExecutionArn, $.child.Status)",
    },
    Next: `${name} - failed`,
  },
  [`${name} - failed`]: { Type: 'Fail', Error: 'ChildWorkflow.Failed', CausePath: '$.cause' },
});

describe('Step.childWorkflow from a Standard parent: rendered ASL and IAM', () => {
  test('one Parallel (Retry and Catch on it) around startExecution.sync:2 with the parent id merged into the input, and a re-throw of the child error', () => {
    const asl = aslOf(template, machineId(template, 'Parent'));
    expect(asl.StartAt).toBe('Get quote');
    expect(asl.States['Get quote']).toEqual({
      Type: 'Parallel',
      End: true,
      Parameters: { 'state.$': '$', 'correlation': { 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' } },
      OutputPath: '$[0]',
      Retry: [{
        ErrorEquals: ['QuoteUnavailable', 'StepFunctions.ExecutionLimitExceededException'],
        IntervalSeconds: 3,
        MaxAttempts: 2,
        BackoffRate: 2,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      }],
      Catch: [{ ErrorEquals: ['QuoteRejected', 'ChildWorkflow.Failed'], ResultPath: '$.error', Next: 'Handled' }],
      Branches: [{
        StartAt: 'Get quote - run',
        States: {
          'Get quote - run': {
            Type: 'Task',
            Resource: 'arn:${AWS::Partition}:states:::states:startExecution.sync:2',
            Parameters: { 'StateMachineArn': `\${Ref:${childId}}`, 'Input.$': 'States.JsonMerge($.state, $.correlation, false)' },
            TimeoutSeconds: 305,
            ResultPath: '$.state.results.child',
            Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Get quote - check' }],
            Next: 'Get quote - result',
          },
          'Get quote - result': {
            Type: 'Pass',
            InputPath: '$.state.results.child.Output',
            ResultPath: '$.state.results.child',
            OutputPath: '$.state',
            End: true,
          },
          'Get quote - check': {
            Type: 'Choice',
            Choices: [{ Variable: '$.caught.Cause', StringMatches: '{*"ExecutionArn"*}', Next: 'Get quote - read failure' }],
            Default: 'Get quote - rethrow caught',
          },
          'Get quote - rethrow caught': { Type: 'Fail', ErrorPath: '$.caught.Error', CausePath: '$.caught.Cause' },
          'Get quote - read failure': {
            Type: 'Pass',
            Parameters: { 'child.$': 'States.StringToJson($.caught.Cause)' },
            Next: 'Get quote - check child',
          },
          ...rethrowStates('Get quote'),
        },
      }],
    });
  });

  test('IAM: StartExecution on the child, Describe/StopExecution on its execution ARNs only, the .sync events rule', () => {
    const executionArn = (kind: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:us-east-1:123456789012:${kind}:`, { 'Fn::GetAtt': [childId, 'Name'] }, ':*']],
    });
    expect(taskStatements(template, 'Parent')).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: childId } },
      {
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule']] },
      },
      // in the role's LibraryPolicy (its wildcard ARNs acknowledged there only);
      // an Express child's executions are arn:...:express:<machine>:..., a Standard child's arn:...:execution:<machine>:...
      { Action: ['states:DescribeExecution', 'states:StopExecution'], Effect: 'Allow', Resource: [executionArn('execution'), executionArn('express')] },
    ]);
  });

  test('a Standard child: execution ARNs only; a customer-managed key: kms:Decrypt/GenerateDataKey on it', () => {
    const s = newStack();
    const key = new kms.Key(s, 'Key');
    const standardChild = new SequentialWorkflow(s, 'Audit', { steps: [Step.pass('Record')], encryptionKey: key });
    new TestParent(s, 'Caller', { step: Step.childWorkflow('Audit order', standardChild) });
    const t = Template.fromStack(s);
    const id = machineId(t, 'Audit');
    const statements = taskStatements(t, 'Caller');
    expect(statements.find((st) => JSON.stringify(st.Action).includes('DescribeExecution'))).toEqual({
      Action: ['states:DescribeExecution', 'states:StopExecution'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:', { 'Fn::GetAtt': [id, 'Name'] }, ':*']] },
    });
    expect(statements).toContainEqual({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } });
    // the default retry: the start call's transient errors only
    expect(aslOf(t, machineId(t, 'Caller')).States['Audit order'].Retry[0].ErrorEquals).toEqual([
      'StepFunctions.ExecutionLimitExceededException', 'StepFunctions.AWSStepFunctionsException', 'StepFunctions.SdkClientException',
    ]);
  });

  test('placement: object payload, no correlation, result selector rebased onto the .sync:2 Output, result replacing the state', () => {
    const s = newStack();
    const c = new SequentialWorkflow(s, 'C', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    new TestParent(s, 'A', {
      step: Step.childWorkflow('Call', c, { associateWithParent: false }),
      placement: {
        payload: sfn.TaskInput.fromObject({ orderId: sfn.JsonPath.stringAt('$.order.id'), fixed: 1 }),
        resultPath: '$.quote',
        resultSelector: { 'total.$': '$.results.P.total', 'count.$': 'States.ArrayLength($.items)', 'who.$': '$$.Execution.Id', 'literal': "x '$.y'" },
      },
    });
    new TestParent(s, 'B', { step: Step.childWorkflow('Call B', c), placement: { resultPath: '$' } });
    new TestParent(s, 'D', { step: Step.childWorkflow('Call D', c), placement: { resultPath: sfn.JsonPath.DISCARD } });
    const t = Template.fromStack(s);
    const a = aslOf(t, machineId(t, 'A')).States.Call;
    expect(a.Parameters).toEqual({ 'state.$': '$', 'input': { 'orderId.$': '$.order.id', 'fixed': 1 } });
    expect(a.Branches[0].States['Call - run']).toMatchObject({
      Parameters: { 'Input.$': '$.input' },
      ResultSelector: { 'total.$': '$.Output.results.P.total', 'count.$': 'States.ArrayLength($.Output.items)', 'who.$': '$$.Execution.Id', 'literal': "x '$.y'" },
      ResultPath: '$.state.quote',
      OutputPath: '$.state',
      End: true,
    });
    expect(a.Branches[0].States['Call - result']).toBeUndefined();
    const b = aslOf(t, machineId(t, 'B')).States['Call B'].Branches[0].States['Call B - run'];
    expect(b).toMatchObject({ ResultPath: '$.state', OutputPath: '$.state.Output', End: true });
    const d = aslOf(t, machineId(t, 'D')).States['Call D'].Branches[0].States['Call D - run'];
    expect(d).toMatchObject({ ResultPath: null, OutputPath: '$.state', End: true });
  });
});

describe('Step.childWorkflow bad input fails at synth time', () => {
  test('a workflow calling itself (its own parent)', () => {
    const s = newStack();
    expect(() => new TestParent(s, 'Loop', { step: (self) => Step.childWorkflow('Call myself', self) }))
      .toThrow(/\[TestStack\/Loop\] step 'Call myself' calls workflow TestStack\/Loop, which contains this step: a workflow cannot call itself or its own parent synchronously/);
  });

  test('a text payload', () => {
    const s = newStack();
    const c = new SequentialWorkflow(s, 'C', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    expect(() => new TestParent(s, 'A', { step: Step.childWorkflow('Call', c), placement: { payload: sfn.TaskInput.fromText('hello') } }))
      .toThrow(/step 'Call': the payload is text \("hello"\), but a child workflow's input must be a JSON object/);
  });

  test('a name too long for the auxiliary states', () => {
    const s = newStack();
    const c = new SequentialWorkflow(s, 'C', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    expect(() => new TestParent(s, 'A', { step: Step.childWorkflow('x'.repeat(62), c) }))
      .toThrow(/step name 'x{62}' is 62 characters long; .* its name may have at most 61\. Shorten it/);
  });

  test('a resultPath that is not a JSONPath', () => {
    const s = newStack();
    const c = new SequentialWorkflow(s, 'C', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    expect(() => new TestParent(s, 'A', { step: Step.childWorkflow('Call', c), placement: { resultPath: 'results' } }))
      .toThrow(/step 'Call': resultPath 'results' is not a JSONPath starting with '\$'/);
  });
});

describe('Step.childWorkflow from a Standard parent: executed with the local runner', () => {
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(parent, {
      handlers: { 'Get price': async (event: { sku: string }) => ({ sku: event.sku, cents: 1200 }) },
    });
  });
  afterAll(async () => {
    await runner.close();
  });

  test('success: the child runs once with the parent id in its input; its output lands at the result path', async () => {
    // WHEN
    const r = await runner.run({ sku: 'sku-book' }, { executionName: 'ok' });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    const childInput = { sku: 'sku-book', [ChildWorkflowStep.PARENT_EXECUTION_ID_FIELD]: r.executionArn };
    expect(r.executions.map((e) => [e.type, e.status, e.parent])).toEqual([['STANDARD', 'SUCCEEDED', undefined], ['EXPRESS', 'SUCCEEDED', 0]]);
    expect(r.executions[1].input).toEqual(childInput);
    expect(r.output).toEqual({ sku: 'sku-book', results: { child: { ...childInput, results: { Get_price: { sku: 'sku-book', cents: 1200 } } } } });
    expect(r.statesEntered).toEqual(['Get quote', 'Get quote - run', 'Get quote - result']);
  });

  test('a child failure reaches the parent Catch under the child error name and cause', async () => {
    // WHEN the child's step fails with QuoteRejected (not retried anywhere)
    const r = await runner.run({ sku: 'sku-lamp' }, { faults: { 'Get price': Faults.fail('QuoteRejected', { cause: 'over the limit' }) } });

    // THEN
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ caught: { Error: 'QuoteRejected', Cause: 'over the limit' } });
    expect(r.executions[1]).toMatchObject({ type: 'EXPRESS', status: 'FAILED', error: 'QuoteRejected' });
    expect(r.statesEntered).toEqual([
      'Get quote', 'Get quote - run', 'Get quote - check', 'Get quote - read failure', 'Get quote - check child', 'Get quote - rethrow', 'Handled',
    ]);
    expect(r.retries).toEqual([]);
  });

  test('a child failure named in the step retry re-runs the whole child with the parent backoff', async () => {
    // WHEN the child's step is unavailable once
    const r = await runner.run({ sku: 'sku-pen' }, { faults: { 'Get price': Faults.failTimes(1, 'QuoteUnavailable') } });

    // THEN the parent retried the child once, 3 s (full jitter), and the second child succeeded
    expect(r.status).toBe('SUCCEEDED');
    expect(r.retries).toEqual([{ state: 'Get quote', attempt: 1, error: 'QuoteUnavailable', intervalSeconds: 3, jitter: 'FULL', execution: 0 }]);
    expect(r.executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(r.calls['Get price']).toBe(2);
    expect((r.output as any).results.child.results.Get_price).toEqual({ sku: 'sku-pen', cents: 1200 });
  });

  test('a child that keeps failing fails the parent with its error name once the retries are spent', async () => {
    const r = await runner.run({ sku: 'sku-pen' }, { faults: { 'Get price': Faults.fail('QuoteUnavailable') } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('QuoteUnavailable');
    expect(r.retries.map((x) => [x.attempt, x.intervalSeconds])).toEqual([[1, 3], [2, 6]]);
    expect(r.executions).toHaveLength(4);
  });

  test('a child failing with a States.* error (a timeout) surfaces as ChildWorkflow.Failed with its status', async () => {
    const r = await runner.run({ sku: 'sku-book' }, { faults: { 'Get price': Faults.timeout() } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({
      caught: {
        Error: 'ChildWorkflow.Failed',
        Cause: `Child execution ${r.executions[1].executionArn} ended with status FAILED and no error name of its own (or a States.* error); see its execution history or logs.`,
      },
    });
    expect(r.executions[1].error).toBe('States.Timeout');
  });

  test('an error of the start call itself is re-thrown as is (and retried when named)', async () => {
    const r = await runner.run({ sku: 'sku-book' }, { faults: { 'Get quote - run': Faults.failTimes(1, 'StepFunctions.ExecutionLimitExceededException', 'too many executions') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.statesEntered.slice(0, 4)).toEqual(['Get quote', 'Get quote - run', 'Get quote - check', 'Get quote - rethrow caught']);
    expect(r.retries).toEqual([expect.objectContaining({ state: 'Get quote', error: 'StepFunctions.ExecutionLimitExceededException' })]);
    expect(r.executions).toHaveLength(2);
  });
});
