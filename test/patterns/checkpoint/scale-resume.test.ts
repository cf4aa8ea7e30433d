import * as ddb from '@aws-sdk/client-dynamodb';
import { FakeClock, stepCalls, stepHandlers } from './helpers';
import { CheckpointedWorkflow, Step } from '../../../src';
import { renderedDefinition } from '../../../src/core/limits';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

// GIVEN a 200-step Standard checkpointed sequence (issue 12: it used to be refused at synth), each
// step computing from the previous step's stored result
const N = 200;
const STEPS = Array.from({ length: N }, (_, i) => `S${i + 1}`);
const stack = newStack();
const fn = inlineFunction(stack, 'Fn');
const workflow = new CheckpointedWorkflow(stack, 'Long', {
  keyPath: '$.id',
  steps: STEPS.map((s) => ({ step: Step.lambda(s, fn) })),
});
const clock = new FakeClock();
/** Step i's value, from the previous step's result. */
const valueOf = (i: number, results: Record<string, { v: number }>) => ({ v: ((i === 0 ? 1 : results[STEPS[i - 1]].v) * 7 + i) % 1000003 });
const impl = async (step: string, event: any) => valueOf(STEPS.indexOf(step), event.results);
/** The output of an uninterrupted run, computed here (an extra 200-step run would cost seconds). */
const reference = { results: {} as Record<string, { v: number }> };
STEPS.forEach((s, i) => {
  reference.results[s] = valueOf(i, reference.results);
});
let runner: LocalWorkflowRunner;

beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(workflow, { handlers: stepHandlers(workflow, () => runner, clock, impl, new Map()) });
});
afterAll(async () => {
  await runner.close();
});

describe('a 200-step CheckpointedWorkflow executed with the local runner', () => {
  test('it fits one definition (every step rendered once)', () => {
    expect(Buffer.byteLength(renderedDefinition(workflow.stateMachine), 'utf8')).toBeLessThan(700_000);
  });

  test('crash in the middle (after step 120 was checkpointed), rerun: steps 1..120 are skipped, 121..200 run once, same output; with S30 and S31 lost meanwhile, only they run again among 1..120', async () => {
    // GIVEN a run that died right after step 120's checkpoint (the lease stays held)
    const crashed = await runner.run({ id: 'mid' }, { faults: { 'S120: checkpoint': Faults.crashAfter() } });
    expect(crashed.status).toBe('ABORTED');
    expect(stepCalls(workflow, crashed)).toEqual(Object.fromEntries(STEPS.slice(0, 120).map((s) => [s, 1])));
    // and two checkpoints in the middle deleted by hand (a gap: later steps are still done)
    for (const s of ['S30', 'S31']) {
      await runner.dynamodb.send(new ddb.DeleteItemCommand({
        TableName: runner.tableName(workflow.table.table),
        Key: { pk: { S: `${workflow.namespace}#mid` }, sk: { S: `step#${s}` } },
      }));
    }

    // WHEN the key runs again after the dead run's lease expired
    clock.advance(workflow.leaseDuration.toSeconds() + 1);
    const rerun = await runner.run({ id: 'mid' });

    // THEN the resume Choice jumps to S30; S32..S120 are skipped by their Choice; 121..200 run once
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual(Object.fromEntries(['S30', 'S31', ...STEPS.slice(120)].map((s) => [s, 1])));
    expect(rerun.statesEntered.slice(0, 3)).toEqual(['Checkpoint: start', 'Checkpoint: resume?', 'S30']);
    expect(rerun.statesEntered).toEqual(expect.arrayContaining(['S32?', 'S120?', 'S121?', 'S121']));
    // S30 and S31 ran on the stored results before them: the output equals an uninterrupted run
    expect(rerun.output).toEqual({ ...reference, id: 'mid', checkpoint: { key: 'mid' } });
  });
});
