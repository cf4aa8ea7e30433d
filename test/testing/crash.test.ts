import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { lambdaStep, newStack } from './fixtures';
import { Faults, LocalWorkflowRunner } from '../../src/testing';

/**
 * A crash in one Parallel branch while the other branch is still working: run() returns only once
 * the in-flight work has settled, so what a test reads afterwards is final, and nothing after the
 * crash point starts.
 */
describe('crash while another branch is in flight', () => {
  const stack = newStack('CrashStack');
  const parallel = new sfn.Parallel(stack, 'Both')
    .branch(lambdaStep(stack, 'Fast'))
    .branch(sfn.Chain.start(lambdaStep(stack, 'Slow')).next(lambdaStep(stack, 'After slow')));
  const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(parallel) });
  const log: string[] = [];
  let runner: LocalWorkflowRunner;

  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(machine, {
      handlers: {
        'Fast': async () => {
          log.push('fast');
          return 1;
        },
        'Slow': async () => {
          await new Promise((resolve) => setTimeout(resolve, 80));
          log.push('slow finished');
          return 2;
        },
        'After slow': async () => {
          log.push('after slow');
          return 3;
        },
      },
    });
  });
  afterAll(async () => runner.close());

  test('run() waits for the slow branch task, and the state after it never starts', async () => {
    const result = await runner.run({}, { faults: { Fast: Faults.crashAfter() } });
    expect(result.status).toBe('ABORTED');
    expect(result.crashedAfter).toBe('Fast');
    expect(log).toEqual(['fast', 'slow finished']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual(['fast', 'slow finished']);
    expect(result.calls['After slow']).toBeUndefined();
  });
});
