import { Template } from 'aws-cdk-lib/assertions';
import { FakeClock, stepCalls, stepHandlers } from './helpers';
import { CheckpointedWorkflow, Step } from '../../../src';
import { LocalWorkflowRunner } from '../../../src/testing';
import { aslOf, inlineFunction, newStack } from '../../util';

// GIVEN two fans after a root: one of 11 branches (merged with nested States.JsonMerge, the most a
// field may nest) and one of 12 (too many to nest: every result is picked from its branch), then a join
const ELEVEN = Array.from({ length: 11 }, (_, i) => `E${i + 1}`);
const TWELVE = Array.from({ length: 12 }, (_, i) => `W${i + 1}`);
const DEPENDS: Record<string, string[]> = {
  Root: [],
  ...Object.fromEntries(ELEVEN.map((s) => [s, ['Root']])),
  Mid: ELEVEN,
  ...Object.fromEntries(TWELVE.map((s) => [s, ['Mid']])),
  Join: TWELVE,
};
const STEPS = Object.keys(DEPENDS);
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Wide', {
  keyPath: '$.id',
  steps: STEPS.map((name) => ({ step: Step.lambda(name, fn), dependsOn: DEPENDS[name] })),
});
const asl = aslOf(Template.fromStack(stack));
const clock = new FakeClock();
/** A step's value is the sum of its dependencies' values plus its own index. */
const valueOf = (step: string, results: Record<string, { v: number }>) => ({
  v: DEPENDS[step].reduce((sum, d) => sum + results[d].v, 0) + STEPS.indexOf(step) + 1,
});
/** Each step computes its value from its dependencies' stored results. */
const impl = async (step: string, event: any) => {
  if (event.fail === step) throw Object.assign(new Error('down'), { name: 'Flaky' });
  return valueOf(step, event.results);
};
/** The results of an uninterrupted run. */
const expected: Record<string, { v: number }> = {};
for (const s of STEPS) expected[s] = valueOf(s, expected);
let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => runner, clock, impl, new Map()) });
});
afterAll(async () => {
  await runner.close();
});

describe('wide parallel blocks', () => {
  test('11 branches: one nested JsonMerge of 10 functions; 12 branches: every result picked from its own branch', () => {
    expect(workflow.executionPlan).toBe(`Root ; (${ELEVEN.join(' | ')}) ; Mid ; (${TWELVE.join(' | ')}) ; Join`);
    const block = (n: number) => Object.entries<any>(asl.States).find(([name]) => name.startsWith(`Parallel ${n}: `))![1];
    const eleven = block(1);
    const merge: string = eleven.ResultSelector['__checkpointMerged.$'];
    expect(merge.match(/States\.JsonMerge/g)).toHaveLength(10);
    expect(Object.keys(eleven.ResultSelector)).toHaveLength(1 + 11);
    const twelve = block(2);
    expect(twelve.ResultSelector['__checkpointMerged.$']).toBeUndefined();
    // the results known before the block (Root, E1..E11, Mid) and the block's own (W1..W12)
    expect(Object.keys(twelve.ResultSelector).sort()).toEqual(['Root', ...ELEVEN, 'Mid', ...TWELVE].map((s) => `${s}.$`).sort());
    expect(twelve.ResultSelector['W12.$']).toBe('$[11].results.W12');
    expect(asl.States['Parallel 2: failed?'].Default).toBe('Join?');
  });

  test('happy path: every result merged from its branch', async () => {
    const r = await runner.run({ id: 'happy' });
    expect(r.status).toBe('SUCCEEDED');
    expect((r.output as any).results).toEqual(expected);
  });

  test.each([['E11'], ['E1'], ['W12'], ['W1']])('%s fails after its siblings were checkpointed: the error is re-raised; the rerun runs only it and what follows, same results', async (failing) => {
    const id = `fail-${failing}`;
    const failed = await runner.run({ id, fail: failing });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('Flaky');
    const rerun = await runner.run({ id });
    expect(rerun.status).toBe('SUCCEEDED');
    const after = failing.startsWith('E') ? [failing, 'Mid', ...TWELVE, 'Join'] : [failing, 'Join'];
    expect(stepCalls(workflow, rerun)).toEqual(Object.fromEntries(after.map((s) => [s, 1])));
    expect((rerun.output as any).results).toEqual(expected);
  });
});
