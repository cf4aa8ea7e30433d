import { newStack, ParentWorkflow } from './fixtures';
import { Faults, LocalWorkflowRunner } from '../../src/testing';

const stack = newStack('ChildStack');
const workflow = new ParentWorkflow(stack, 'Flow');
let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, {
    handlers: { 'Child step': async (event: { value: number }) => ({ doubled: event.value * 2 }) },
  });
});

afterAll(async () => {
  await runner.close();
});

describe('child executions', () => {
  test('.sync:2 returns the child output as JSON, startSyncExecution as a string', async () => {
    // WHEN
    const result = await runner.run({ value: 21, fail: false, request: { value: 5, fail: false } }, { executionName: 'parent' });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as Record<string, any>;
    expect(output.sync).toEqual({ output: { doubled: 42 }, status: 'SUCCEEDED' });
    expect(output.express).toMatchObject({
      Status: 'SUCCEEDED',
      Name: 'parent-child-2',
      StateMachineArn: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:stateMachine:FlowChild/),
      Input: JSON.stringify({ value: 5, fail: false }),
    });
    expect(JSON.parse(output.express.Output)).toEqual({ doubled: 10 });
    expect(output.express.Error).toBeUndefined();
    expect(output.async.arn).toMatch(/^arn:aws:states:us-east-1:123456789012:express:FlowChild[A-Z0-9]+:parent-child-3:/);
    expect(result.statesEntered).toEqual(['Run child', 'Run child express', 'Fire and forget']);
    expect(result.executions.map((e) => [e.stateMachine, e.type, e.status, e.parent])).toEqual([
      [runner.stateMachineLogicalId, 'STANDARD', 'SUCCEEDED', undefined],
      [expect.stringMatching(/^FlowChild/), 'EXPRESS', 'SUCCEEDED', 0],
      [expect.stringMatching(/^FlowChild/), 'EXPRESS', 'SUCCEEDED', 0],
      [expect.stringMatching(/^FlowChild/), 'EXPRESS', 'SUCCEEDED', 0],
    ]);
    expect(result.executions[1].statesEntered).toEqual(['Child step', 'Child ok?', 'Child done']);
    expect(result.executions[1].transitions).toBe(3);
    expect(result.calls['Child step']).toBe(3);
  });

  test('a failed .sync:2 child fails the parent task with States.TaskFailed and the child error in the cause', async () => {
    // WHEN the .sync child fails (the express one succeeds)
    const result = await runner.run({ value: 1, fail: true, request: { value: 2, fail: false } });

    // THEN the parent caught States.TaskFailed
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual(['Run child', 'Child task failed', 'Run child express', 'Fire and forget']);
    const childError = (result.output as any).childError;
    expect(childError.Error).toBe('States.TaskFailed');
    const cause = JSON.parse(childError.Cause);
    expect(cause).toMatchObject({ Status: 'FAILED', Error: 'ChildBroke', Cause: 'the child was asked to fail', Input: { value: 1, fail: true } });
    expect(cause.ExecutionArn).toBe(result.executions[1].executionArn);
    expect(cause.Output).toBeUndefined();
    expect(result.executions[1]).toMatchObject({ status: 'FAILED', error: 'ChildBroke', cause: 'the child was asked to fail', parent: 0 });
  });

  test('startSyncExecution reports a FAILED child in its result without throwing', async () => {
    // WHEN the express child fails
    const result = await runner.run({ value: 1, fail: false, request: { value: 2, fail: true } });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as any).express).toMatchObject({ Status: 'FAILED', Error: 'ChildBroke', Cause: 'the child was asked to fail' });
    expect((result.output as any).express.Output).toBeUndefined();
    expect(result.statesEntered).toEqual(['Run child', 'Run child express', 'Fire and forget']);
    expect(result.executions[2].status).toBe('FAILED');
  });

  test('faults apply to the states of child machines', async () => {
    // WHEN the child's Lambda step always fails
    const result = await runner.run(
      { value: 1, fail: false, request: { value: 2, fail: false } },
      { faults: { 'Child step': Faults.fail('Boom', { cause: 'injected' }) } },
    );

    // THEN both synchronous children fail with the injected error
    const output = result.output as any;
    expect(JSON.parse(output.childError.Cause)).toMatchObject({ Error: 'Boom', Cause: 'injected' });
    expect(output.express).toMatchObject({ Status: 'FAILED', Error: 'Boom', Cause: 'injected' });
    expect(result.executions.slice(1).map((e) => e.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  });

  test('a crash inside a child aborts the parent too', async () => {
    const result = await runner.run({ value: 1, fail: false, request: {} }, { faults: { 'Child step': Faults.crashAfter() } });
    expect(result.status).toBe('ABORTED');
    expect(result.crashedAfter).toBe('Child step');
    expect(result.executions.map((e) => e.status)).toEqual(['ABORTED', 'ABORTED']);
    expect(result.calls).toEqual({ 'Run child': 1, 'Child step': 1 });
  });
});
