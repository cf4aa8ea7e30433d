import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { EXAMPLE_ENV } from '../../examples/app-builder';
import { register } from '../../examples/stacks/01-foundation';
import { CheckpointTable, SequentialWorkflow } from '../../src';
import { Faults, LocalWorkflowRunner } from '../../src/testing';

/**
 * The foundation example executed as synthesized: the Lambda step goes through its alias with the
 * default retry policy, the AWS SDK step writes to the real (dynalite) checkpoint table.
 */
describe('foundation example, executed locally', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = register(app);
  const workflow = stack.node.findAll().find((c): c is SequentialWorkflow => c instanceof SequentialWorkflow)!;
  const table = stack.node.findAll().find((c): c is CheckpointTable => c instanceof CheckpointTable)!;
  let runner: LocalWorkflowRunner;
  const seen: any[] = [];

  beforeAll(async () => {
    expect(stack.region).toBe(EXAMPLE_ENV.region);
    runner = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date('2026-01-01T00:00:00Z'),
      handlers: {
        'Validate job': async (event: any) => {
          seen.push(event);
          if (event.jobId === 'bad') {
            const err = new Error('job id rejected');
            err.name = 'InvalidJob';
            throw err;
          }
          return { valid: true };
        },
      },
    });
  });
  afterAll(async () => runner.close());

  test('success: each step once, results kept, the job recorded in DynamoDB', async () => {
    const result = await runner.run({ jobId: 'job-1' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual(['Validate job', 'Record job', 'Done']);
    expect(result.transitions).toBe(3);
    expect(result.output).toEqual({
      jobId: 'job-1',
      results: {
        Validate_job: { valid: true },
        Record_job: {},
        Done: { jobId: 'job-1', status: 'accepted', at: '2026-01-01T00:00:00.000Z' },
      },
    });
    expect(seen.at(-1)).toEqual({ jobId: 'job-1' });
    const item = await runner.dynamodb.send(new GetItemCommand({
      TableName: runner.tableName(table.table),
      Key: { pk: { S: 'job-1' }, sk: { S: 'intake' } },
    }));
    expect(item.Item).toEqual({ pk: { S: 'job-1' }, sk: { S: 'intake' } });
  });

  test('a throttled Lambda is retried with the default backoff (1 s, x2, full jitter)', async () => {
    const result = await runner.run({ jobId: 'job-2' }, { faults: { 'Validate job': Faults.failTimes(2, 'Lambda.TooManyRequestsException') } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.calls['Validate job']).toBe(3);
    expect(result.retries.map((r) => [r.state, r.attempt, r.error, r.intervalSeconds, r.jitter])).toEqual([
      ['Validate job', 1, 'Lambda.TooManyRequestsException', 1, 'FULL'],
      ['Validate job', 2, 'Lambda.TooManyRequestsException', 2, 'FULL'],
    ]);
    expect(result.transitions).toBe(5);
  });

  test('an application error is not retried (not transient) and fails the execution with its name', async () => {
    const result = await runner.run({ jobId: 'bad' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidJob');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorType: 'InvalidJob', errorMessage: 'job id rejected' });
    expect(result.calls['Validate job']).toBe(1);
    expect(result.statesEntered).toEqual(['Validate job']);
  });

  test('the same input twice gives the same states and output', async () => {
    const a = await runner.run({ jobId: 'job-3' }, { executionName: 'same' });
    const b = await runner.run({ jobId: 'job-3' }, { executionName: 'same' });
    expect(b.statesEntered).toEqual(a.statesEntered);
    expect(b.output).toEqual(a.output);
    expect(b.transitions).toBe(a.transitions);
  });
});
