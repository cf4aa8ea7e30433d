/**
 * One sample of bench/create.bench.ts: a jest test file (run by that benchmark in a fresh jest
 * process, never by the test suite) that builds a 10-step workflow as a user's test file would,
 * times `LocalWorkflowRunner.create`, runs the workflow once and writes the figures as JSON to
 * `$CREATE_BENCH_OUT`. `$CREATE_BENCH_KIND` is `saga` or `sequential`.
 */
import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Saga, SequentialWorkflow, Step, WorkflowFunction } from '../src';
import { LocalWorkflowRunner } from '../src/testing';

const STEPS = 10;
const kind = process.env.CREATE_BENCH_KIND ?? 'sequential';

test(`create() of a ${STEPS}-step ${kind} workflow`, async () => {
  const t0 = performance.now();
  const stack = new Stack(new App(), 'CreateBench');
  const code = lambda.Code.fromInline('exports.handler = async (e) => e;');
  const fns = Array.from({ length: STEPS }, (_, i) => new WorkflowFunction(stack, `Fn${i + 1}`, { code }));
  const workflow = kind === 'saga'
    ? new Saga(stack, 'Workflow', {
      steps: fns.map((fn, i) => ({
        action: Step.lambda(`Step ${i + 1}`, fn),
        compensation: i < STEPS - 1 ? Step.lambda(`Undo ${i + 1}`, fn) : undefined,
      })),
    })
    : new SequentialWorkflow(stack, 'Workflow', { steps: fns.map((fn, i) => Step.lambda(`Step ${i + 1}`, fn)) });
  const handlers = Object.fromEntries(fns.map((_, i) => [`Step ${i + 1}`, async () => ({ ok: i })]));
  const t1 = performance.now();
  const runner = await LocalWorkflowRunner.create(workflow, { handlers });
  const t2 = performance.now();
  let status: string;
  let entered: number;
  try {
    const result = await runner.run({ orderId: 'o-1' });
    status = result.status;
    entered = result.statesEntered.length;
  } finally {
    await runner.close();
  }
  const t3 = performance.now();
  const figures = {
    kind,
    cdkValidation: process.env.CDK_VALIDATION ?? 'unset',
    constructMs: Math.round(t1 - t0),
    createMs: Math.round(t2 - t1),
    firstRunMs: Math.round(t3 - t2),
    status,
    statesEntered: entered,
  };
  if (process.env.CREATE_BENCH_OUT) fs.writeFileSync(process.env.CREATE_BENCH_OUT, JSON.stringify(figures));
  expect(status).toBe('SUCCEEDED');
});
