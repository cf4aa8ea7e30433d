import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TestParent, machineId, taskStatements } from './fixtures';
import { ChildWorkflowStep, SequentialWorkflow, Step, WorkflowType } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { aslOf, inlineFunction, newStack } from '../../util';

// GIVEN an Express parent whose step 'Get quote' runs an Express child (one Lambda step 'Get price'),
// retried on the child's 'QuoteUnavailable', with a Catch for 'QuoteRejected' and 'ChildWorkflow.Failed'.
const stack = newStack();
const priceFn = inlineFunction(stack, 'PriceFn', { provisionedConcurrency: 0 });
const child = new SequentialWorkflow(stack, 'Quote', { type: WorkflowType.EXPRESS, steps: [Step.lambda('Get price', priceFn)] });
const parent = new TestParent(stack, 'Parent', {
  type: WorkflowType.EXPRESS,
  step: Step.childWorkflow('Get quote', child, { retry: { errors: ['QuoteUnavailable', 'Sfn.ThrottlingException'], maxAttempts: 2, interval: Duration.seconds(3) } }),
  catchErrors: ['QuoteRejected', 'ChildWorkflow.Failed'],
});
const template = Template.fromStack(stack);
const childId = machineId(template, 'Quote');

describe('Step.childWorkflow from an Express parent: rendered ASL and IAM', () => {
  test('one Parallel around StartSyncExecution (SDK integration), a Choice on Status that re-throws the child error, a Pass that parses the output', () => {
    const asl = aslOf(template, machineId(template, 'Parent'));
    const parallel = asl.States['Get quote'];
    expect(parallel).toMatchObject({
      Type: 'Parallel',
      Parameters: { 'state.$': '$', 'correlation': { 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' } },
      OutputPath: '$[0]',
      Retry: [{ ErrorEquals: ['QuoteUnavailable', 'Sfn.ThrottlingException'], IntervalSeconds: 3, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['QuoteRejected', 'ChildWorkflow.Failed'], ResultPath: '$.error', Next: 'Handled' }],
    });
    expect(parallel.Branches).toEqual([{
      StartAt: 'Get quote - run',
      States: {
        'Get quote - run': {
          Type: 'Task',
          Resource: 'arn:${AWS::Partition}:states:::aws-sdk:sfn:startSyncExecution',
          Parameters: { 'StateMachineArn': `\${Ref:${childId}}`, 'Input.$': 'States.JsonToString(States.JsonMerge($.state, $.correlation, false))' },
          TimeoutSeconds: 305,
          ResultPath: '$.child',
          Next: 'Get quote - check',
        },
        'Get quote - check': {
          Type: 'Choice',
          Choices: [
            { Variable: '$.child.Status', StringEquals: 'SUCCEEDED', Next: 'Get quote - parse output' },
            {
              And: [
                { Variable: '$.child.Error', IsPresent: true },
                { Not: { Variable: '$.child.Error', StringMatches: 'States.*' } },
                { Variable: '$.child.Cause', IsPresent: true },
              ],
              Next: 'Get quote - rethrow',
            },
            {
              And: [{ Variable: '$.child.Error', IsPresent: true }, { Not: { Variable: '$.child.Error', StringMatches: 'States.*' } }],
              Next: 'Get quote - rethrow error',
            },
          ],
          Default: 'Get quote - describe failure',
        },
        'Get quote - parse output': {
          Type: 'Pass',
          Parameters: { 'value.$': 'States.StringToJson($.child.Output)' },
          ResultPath: '$.parsed',
          Next: 'Get quote - result',
        },
        'Get quote - result': {
          Type: 'Pass',
          InputPath: '$.parsed.value',
          ResultPath: '$.state.results.child',
          OutputPath: '$.state',
          End: true,
        },
        'Get quote - rethrow': { Type: 'Fail', ErrorPath: '$.child.Error', CausePath: '$.child.Cause' },
        'Get quote - rethrow error': { Type: 'Fail', ErrorPath: '$.child.Error' },
        'Get quote - describe failure': {
          Type: 'Pass',
          Parameters: {
            'cause.$': "States.Format('Child execution {} ended with status {} and no error name of its own (or a States.* error); see its execution history or logs.', $.child.ExecutionArn, $.child.Status)",
          },
          Next: 'Get quote - failed',
        },
        'Get quote - failed': { Type: 'Fail', Error: 'ChildWorkflow.Failed', CausePath: '$.cause' },
      },
    }]);
  });

  test('IAM: states:StartSyncExecution on the child state machine only (no .sync polling permissions)', () => {
    expect(taskStatements(template, 'Parent')).toEqual([
      { Action: 'states:StartSyncExecution', Effect: 'Allow', Resource: { Ref: childId } },
    ]);
  });

  test('default retry: the transient Sfn.* errors of the start call', () => {
    const s = newStack();
    const c = new SequentialWorkflow(s, 'C', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    new TestParent(s, 'A', { type: WorkflowType.EXPRESS, step: Step.childWorkflow('Call', c) });
    const t = Template.fromStack(s);
    expect(aslOf(t, machineId(t, 'A')).States.Call.Retry).toEqual([{
      ErrorEquals: [
        'Sfn.ThrottlingException', 'Sfn.TooManyRequestsException', 'Sfn.ServiceUnavailableException', 'Sfn.ServiceUnavailable',
        'Sfn.InternalServerErrorException', 'Sfn.InternalServerError', 'Sfn.InternalFailure', 'Sfn.RequestLimitExceeded',
        'Sfn.ProvisionedThroughputExceededException',
      ],
      IntervalSeconds: 1,
      MaxAttempts: 3,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
      JitterStrategy: 'FULL',
    }]);
  });

  test('bad input: an Express parent calling a Standard child synchronously', () => {
    const s = newStack();
    const standardChild = new SequentialWorkflow(s, 'Audit', { steps: [Step.pass('Record')] });
    expect(() => new TestParent(s, 'Fast', { type: WorkflowType.EXPRESS, step: Step.childWorkflow('Audit order', standardChild) }))
      .toThrow(/\[TestStack\/Fast\] step 'Audit order': an Express workflow cannot call the Standard workflow TestStack\/Audit synchronously\. Express state machines do not support the '\.sync' integration.*Make the child Express, make the parent Standard/);
  });
});

describe('Step.childWorkflow from an Express parent: executed with the local runner', () => {
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(parent, {
      handlers: { 'Get price': async (event: { sku: string }) => ({ sku: event.sku, cents: 1200 }) },
    });
  });
  afterAll(async () => {
    await runner.close();
  });

  test('success: StartSyncExecution runs the child with the parent id; its output string is parsed into the result path', async () => {
    const r = await runner.run({ sku: 'sku-book' });
    expect(r.status).toBe('SUCCEEDED');
    const childInput = { sku: 'sku-book', [ChildWorkflowStep.PARENT_EXECUTION_ID_FIELD]: r.executionArn };
    expect(r.executions[1]).toMatchObject({ type: 'EXPRESS', status: 'SUCCEEDED', parent: 0, input: childInput });
    expect(r.output).toEqual({ sku: 'sku-book', results: { child: { ...childInput, results: { Get_price: { sku: 'sku-book', cents: 1200 } } } } });
    expect(r.statesEntered).toEqual(['Get quote', 'Get quote - run', 'Get quote - check', 'Get quote - parse output', 'Get quote - result']);
  });

  test('a failed child (HTTP 200, Status FAILED) is re-thrown under its error name and caught by the parent', async () => {
    const r = await runner.run({ sku: 'sku-lamp' }, { faults: { 'Get price': Faults.fail('QuoteRejected', { cause: 'over the limit' }) } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ caught: { Error: 'QuoteRejected', Cause: 'over the limit' } });
    expect(r.statesEntered).toEqual(['Get quote', 'Get quote - run', 'Get quote - check', 'Get quote - rethrow', 'Handled']);
  });

  test('a child failure named in the step retry re-runs the child with the parent backoff', async () => {
    const r = await runner.run({ sku: 'sku-pen' }, { faults: { 'Get price': Faults.failTimes(1, 'QuoteUnavailable') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.retries).toEqual([{ state: 'Get quote', attempt: 1, error: 'QuoteUnavailable', intervalSeconds: 3, jitter: 'FULL', execution: 0 }]);
    expect(r.executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
  });

  test('a child failing with a States.* error surfaces as ChildWorkflow.Failed', async () => {
    const r = await runner.run({ sku: 'sku-book' }, { faults: { 'Get price': Faults.timeout() } });
    expect(r.output).toEqual({
      caught: {
        Error: 'ChildWorkflow.Failed',
        Cause: `Child execution ${r.executions[1].executionArn} ended with status FAILED and no error name of its own (or a States.* error); see its execution history or logs.`,
      },
    });
  });

  test('a throttled start call propagates under its own name and is retried', async () => {
    const r = await runner.run({ sku: 'sku-book' }, { faults: { 'Get quote - run': Faults.failTimes(1, 'Sfn.ThrottlingException') } });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.retries).toEqual([expect.objectContaining({ state: 'Get quote', error: 'Sfn.ThrottlingException', intervalSeconds: 3 })]);
    expect(r.executions).toHaveLength(2);
  });
});
