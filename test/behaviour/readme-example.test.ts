// The README's "A complete jest test", verbatim but for the import paths (test/readme.test.ts keeps the two equal).
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SequentialWorkflow, Step, WorkflowFunction } from '../../src';
import { Faults, LocalWorkflowRunner } from '../../src/testing';

// GIVEN a workflow, built exactly as in your app
const stack = new Stack(new App(), 'Orders');
const code = lambda.Code.fromInline('exports.handler = async (e) => e;'); // never run locally
const workflow = new SequentialWorkflow(stack, 'Orders', {
  steps: [
    Step.lambda('Reserve funds', new WorkflowFunction(stack, 'Reserve', { code })),
    Step.lambda('Charge card', new WorkflowFunction(stack, 'Charge', { code })),
  ],
});

let runner: LocalWorkflowRunner;

beforeAll(async () => {
  // reads the stack's template once, starts dynalite, creates the tables
  runner = await LocalWorkflowRunner.create(workflow, {
    handlers: {
      'Reserve funds': async (event: { orderId: string }) => ({ reservationId: `r-${event.orderId}` }),
      'Charge card': async (event: { orderId: string; card: string }) => {
        if (event.card === 'stolen') {
          const err = new Error('card reported stolen');
          err.name = 'PaymentDeclined'; // the error name the workflow's Retry/Catch see
          throw err;
        }
        return { chargeId: `c-${event.orderId}` };
      },
    },
  });
});

afterAll(async () => {
  await runner.close(); // stops dynalite
});

test('an order goes through', async () => {
  const result = await runner.run({ orderId: 'o-1', card: 'ok' });

  expect(result.status).toBe('SUCCEEDED');
  expect(result.statesEntered).toEqual(['Reserve funds', 'Charge card']);
  expect(result.output).toMatchObject({ results: { Charge_card: { chargeId: 'c-o-1' } } });
});

test('throttling is retried with the default backoff', async () => {
  const result = await runner.run(
    { orderId: 'o-2', card: 'ok' },
    { faults: { 'Reserve funds': Faults.failTimes(2, 'Lambda.TooManyRequestsException') } },
  );

  expect(result.status).toBe('SUCCEEDED');
  expect(result.calls['Reserve funds']).toBe(3);
  expect(result.retries.map((r) => r.intervalSeconds)).toEqual([1, 2]); // what Step Functions would wait
});

test('a declined card fails the execution with the Lambda error', async () => {
  const result = await runner.run({ orderId: 'o-3', card: 'stolen' });

  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('PaymentDeclined');
  expect(JSON.parse(result.cause!)).toEqual({ errorType: 'PaymentDeclined', errorMessage: 'card reported stolen', trace: [] });
});

test('a crash after a step leaves the world as it was', async () => {
  const result = await runner.run({ orderId: 'o-4', card: 'ok' }, { faults: { 'Reserve funds': Faults.crashAfter() } });

  expect(result.status).toBe('ABORTED');
  expect(result.crashedAfter).toBe('Reserve funds');
  expect(result.calls['Charge card']).toBeUndefined(); // never called
});
