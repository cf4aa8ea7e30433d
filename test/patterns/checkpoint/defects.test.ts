import * as ddb from '@aws-sdk/client-dynamodb';
import { CheckpointedWorkflow, Step } from '../../../src';
import { coordinate, CoordinatorEvent } from '../../../src/patterns/checkpoint/coordinator';
import { Faults, LocalWorkflowRunner, RunResult } from '../../../src/testing';
import { inlineFunction, newStack } from '../../util';

/**
 * Issue 10, defects 1, 2 and 4 of the CheckpointedWorkflow, each executed with the local runner
 * against dynalite, with one virtual clock read by the coordinator and by `$$.State.EnteredTime`.
 */

const DAY = 24 * 3600;

/** The virtual clock of a runner (the coordinator and `$$.State.EnteredTime` both read it). */
class Clock {
  public nowMs = Date.parse('2026-03-01T00:00:00Z');
  public advance(seconds: number): void {
    this.nowMs += seconds * 1000;
  }
  public get nowSeconds(): number {
    return Math.floor(this.nowMs / 1000);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Step calls of one run, summed over each step's fresh and resume states. */
function stepCalls(workflow: CheckpointedWorkflow, result: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const step of workflow.stepNames) {
    const n = workflow.stateNamesOf(step).reduce((sum, s) => sum + (result.calls[s] ?? 0), 0);
    if (n > 0) out[step] = n;
  }
  return out;
}

/** Handlers for every state of every step, counting calls per step into `counts`. */
function countingHandlers(workflow: CheckpointedWorkflow, counts: () => Record<string, number>, impl: (step: string, event: any) => unknown) {
  const handlers: Record<string, (event: any) => Promise<unknown>> = {};
  for (const step of workflow.stepNames) {
    for (const state of workflow.stateNamesOf(step)) {
      handlers[state] = async (event: any) => {
        counts()[step] = (counts()[step] ?? 0) + 1;
        return impl(step, event);
      };
    }
  }
  return handlers;
}

describe('defect 1: a failing DAG branch keeps its sibling\'s finished work', () => {
  // GIVEN Extract -> {Thumb (slow, succeeds), Ocr (fails fast)} -> Notify
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new CheckpointedWorkflow(stack, 'Dag', {
    keyPath: '$.id',
    steps: [
      { step: Step.lambda('Extract', fn), dependsOn: [] },
      { step: Step.lambda('Thumb', fn), dependsOn: ['Extract'] },
      { step: Step.lambda('Ocr', fn), dependsOn: ['Extract'] },
      { step: Step.lambda('Notify', fn), dependsOn: ['Thumb', 'Ocr'] },
    ],
  });
  const clock = new Clock();
  const counts: Record<string, number> = {};
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date(clock.nowMs),
      handlers: countingHandlers(workflow, () => counts, async (step, event) => {
        if (step === 'Thumb') {
          await sleep(400);
          if (event.failThumb) throw Object.assign(new Error('thumb broke'), { name: 'ThumbError' });
          return { thumb: 'ok' };
        }
        if (step === 'Ocr') {
          await sleep(20);
          if (event.failOcr) throw Object.assign(new Error('OCR vendor down'), { name: 'OcrVendorDown' });
          return { text: 'TOTAL 42' };
        }
        return { step };
      }),
    });
  });
  afterAll(async () => runner.close());

  test('Ocr fails after 20 ms while Thumb runs 400 ms: the run fails with Ocr\'s original error and cause; the rerun calls Thumb once in total', async () => {
    // WHEN
    const failed = await runner.run({ id: 'img-1', failOcr: true });

    // THEN the sibling settled and was checkpointed before the failure was re-raised
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('OcrVendorDown');
    expect(JSON.parse(failed.cause!)).toMatchObject({ errorType: 'OcrVendorDown', errorMessage: 'OCR vendor down' });
    expect(failed.statesEntered).toContain('Thumb: checkpoint');
    expect(failed.statesEntered.slice(-2)).toEqual(['Checkpoint: release after failure', 'Checkpoint: failed']);

    // WHEN the key runs again (the failure released the lease)
    const rerun = await runner.run({ id: 'img-1' });

    // THEN
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Ocr: 1, Notify: 1 });
    expect(counts).toEqual({ Extract: 1, Thumb: 1, Ocr: 2, Notify: 1 });
    expect((rerun.output as any).results).toEqual({ Extract: { step: 'Extract' }, Thumb: { thumb: 'ok' }, Ocr: { text: 'TOTAL 42' }, Notify: { step: 'Notify' } });
  });

  test('both branches fail: both settle, the first branch\'s error is re-raised', async () => {
    const failed = await runner.run({ id: 'img-2', failOcr: true, failThumb: true });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('ThumbError');
    expect(JSON.parse(failed.cause!)).toMatchObject({ errorMessage: 'thumb broke' });
    const rerun = await runner.run({ id: 'img-2' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ Thumb: 1, Ocr: 1, Notify: 1 });
  });
});

describe('defect 2: a key\'s checkpoints live and die together, counted from its last activity', () => {
  // GIVEN 5 steps, the default 30-day checkpoint TTL
  const STEPS = ['S1', 'S2', 'S3', 'S4', 'S5'];
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new CheckpointedWorkflow(stack, 'Seq', { keyPath: '$.id', steps: STEPS.map((s) => ({ step: Step.lambda(s, fn) })) });
  const clock = new Clock();
  let counts: Record<string, number> = {};
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date(clock.nowMs),
      handlers: countingHandlers(workflow, () => counts, (step) => ({ step })),
    });
  });
  afterAll(async () => runner.close());

  /** DynamoDB's TTL sweep, emulated: deletes every item whose TTL attribute is in the past. */
  async function sweep(id: string): Promise<number> {
    const table = runner.tableName(workflow.table.table);
    const items = (await runner.dynamodb.send(new ddb.ScanCommand({ TableName: table }))).Items ?? [];
    const expired = items.filter((i) => i.expiresAt?.N !== undefined && Number(i.expiresAt.N) < clock.nowSeconds);
    for (const item of expired) {
      await runner.dynamodb.send(new ddb.DeleteItemCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
    }
    return expired.filter((i) => i.pk.S === `${workflow.namespace}#${id}`).length;
  }

  /** Crash at day 0 after S2's checkpoint, crash at day 29 after S3's, rerun at `rerunDay` (swept first or not). */
  async function story(id: string, rerunDay: number, swept: boolean) {
    counts = {};
    const start = clock.nowMs;
    const day0 = await runner.run({ id }, { faults: { 'S2: checkpoint': Faults.crashAfter() } });
    clock.nowMs = start + 29 * DAY * 1000;
    // the day-29 run resumes at S3
    const day29 = await runner.run({ id }, { faults: { 'S3: checkpoint': Faults.crashAfter() } });
    clock.nowMs = start + rerunDay * DAY * 1000;
    const sweptItems = swept ? await sweep(id) : 0;
    const rerun = await runner.run({ id });
    const final = { ...counts };
    if (process.env.EXPIRY_FIGURES) process.stdout.write(`EXPIRY ${id} day${rerunDay} swept=${swept}: ${JSON.stringify(final)} rerun=${rerun.status} ${rerun.error ?? ''}\n`);
    clock.nowMs = start + 200 * DAY * 1000; // later stories start on fresh keys, far from this one
    return { day0, day29, rerun, final, sweptItems };
  }

  test.each([
    ['before the TTL sweep', false],
    ['after the TTL sweep', true],
  ])('crash at day 0 and day 29, rerun at day 31 (%s): every step ran once in total', async (_label, swept) => {
    const { day0, day29, rerun, final, sweptItems } = await story(`key-31-${swept}`, 31, swept as boolean);
    expect([day0.status, day29.status]).toEqual(['ABORTED', 'ABORTED']);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(sweptItems).toBe(0); // day 29 was the key's last activity: nothing of it expired at day 31
    expect(final).toEqual({ S1: 1, S2: 1, S3: 1, S4: 1, S5: 1 });
    expect(stepCalls(workflow, rerun)).toEqual({ S4: 1, S5: 1 });
  });

  test.each([
    ['before the TTL sweep', false],
    ['after the TTL sweep', true],
  ])('rerun 31 days after the last activity (day 60, %s): the expired generation is a fresh start, every step once more, no conflict', async (_label, swept) => {
    const { rerun, final, sweptItems } = await story(`key-60-${swept}`, 60, swept as boolean);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(sweptItems).toBe(swept ? 1 + STEPS.length : 0); // the lease item and every step item expired together
    expect(stepCalls(workflow, rerun)).toEqual({ S1: 1, S2: 1, S3: 1, S4: 1, S5: 1 });
    expect(final).toEqual({ S1: 2, S2: 2, S3: 2, S4: 1, S5: 1 }); // S4 and S5 had never run
  });

  test('after a resume jump the later steps still check their done flags (S1 lost, S3 and S4 done: only S1, S2, S5 run)', async () => {
    // GIVEN a key whose S1 and S2 checkpoints vanished (deleted by hand) while S3 and S4 are done
    counts = {};
    const first = await runner.run({ id: 'holes' }, { faults: { 'S4: checkpoint': Faults.crashAfter() } });
    expect(first.status).toBe('ABORTED');
    const table = runner.tableName(workflow.table.table);
    for (const s of ['S1', 'S2']) {
      await runner.dynamodb.send(new ddb.DeleteItemCommand({ TableName: table, Key: { pk: { S: `${workflow.namespace}#holes` }, sk: { S: `step#${s}` } } }));
    }
    clock.advance(workflow.leaseDuration.toSeconds() + 1);

    // WHEN
    const rerun = await runner.run({ id: 'holes' });

    // THEN
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({ S1: 1, S2: 1, S5: 1 });
  });
});

describe('defect 4: a redriven run cannot run beside another execution of its key', () => {
  // GIVEN three steps; "redrive" is emulated by replaying the execution under its own name
  // (same $$.Execution.Id) from the state it held when it stopped: the coordinator returns that state
  // and the run continues at the step that was in flight, as Step Functions' RedriveExecution does
  const STEPS = ['S1', 'S2', 'S3'];
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new CheckpointedWorkflow(stack, 'Seq', { keyPath: '$.id', steps: STEPS.map((s) => ({ step: Step.lambda(s, fn) })) });
  const clock = new Clock();
  const counts: Record<string, number> = {};
  const states = new Map<string, any>();
  let runner: LocalWorkflowRunner;
  const coordinator = async (event: CoordinatorEvent) => {
    const replay = states.get(`replay:${event.executionId}`);
    if (replay) return replay;
    const state = await coordinate(event, {
      dynamodb: (action, params) => runner.dynamodb.send(new (ddb as any)[`${action}Command`](params)),
      now: () => clock.nowMs,
    });
    states.set(event.executionId, state);
    return state;
  };
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date(clock.nowMs),
      handlers: { ...countingHandlers(workflow, () => counts, (step) => ({ step })), [workflow.coordinatorStateName]: coordinator },
    });
  });
  afterAll(async () => runner.close());

  /** Redrives the execution `name`, which stopped while S2 ran: it continues at S2 with the state it had there. */
  async function redrive(name: string): Promise<RunResult> {
    const arn = [...states.keys()].find((k) => k.endsWith(`:${name}`))!;
    const atStart = states.get(arn);
    // the state S2 was entered with (S1's result in it); `done`/`resuming` make the replay enter at S2
    const atS2 = { ...atStart, results: { S1: { step: 'S1' } }, checkpoint: { ...atStart.checkpoint, resuming: true, done: { S1: true } } };
    states.set(`replay:${arn}`, atS2);
    try {
      return await runner.run({ id: states.get(arn).checkpoint.key }, { executionName: name });
    } finally {
      states.delete(`replay:${arn}`);
    }
  }

  test('ABORTED during S2; another execution takes the key after the lease expired; the redriven run stops at its first checkpoint write', async () => {
    // GIVEN A aborted while S2 ran (S1 checkpointed)
    const a = await runner.run({ id: 'k1' }, { executionName: 'A', faults: { S2: Faults.crashAfter() } });
    expect(a.status).toBe('ABORTED');
    clock.advance(workflow.leaseDuration.toSeconds() + 1);
    // B holds the key now (it died right after acquiring the lease, before any step)
    const b = await runner.run({ id: 'k1' }, { executionName: 'B', faults: { [workflow.coordinatorStateName]: Faults.crashAfter() } });
    expect(b.status).toBe('ABORTED');
    const before = { ...counts };

    // WHEN A is redriven
    const redriven = await redrive('A');

    // THEN only the step in flight ran again; its checkpoint write is refused, S3 never runs beside B
    expect(redriven.status).toBe('FAILED');
    expect(redriven.error).toBe('Checkpoint.Conflict');
    expect(redriven.cause).toMatch(/redrive/);
    expect(redriven.statesEntered).toEqual([
      'Checkpoint: start', 'Checkpoint: resume?', 'S2', 'S2: checkpoint',
      'Checkpoint: write failed', 'Checkpoint: conflict', 'Checkpoint: release after failure', 'Checkpoint: failed',
    ]);
    expect(counts.S2 - before.S2).toBe(1);
    expect(counts.S3 ?? 0).toBe(0);
    // B's lease is untouched
    const lease = await runner.dynamodb.send(new ddb.GetItemCommand({
      TableName: runner.tableName(workflow.table.table),
      Key: { pk: { S: `${workflow.namespace}#k1` }, sk: { S: '#lease' } },
    }));
    expect(lease.Item?.leaseOwner?.S).toMatch(/:B$/);
  });

  test('TIMED_OUT/ABORTED and redriven after its lease expired (nobody else running): refused at the first checkpoint write', async () => {
    const a = await runner.run({ id: 'k2' }, { executionName: 'A2', faults: { S2: Faults.crashAfter() } });
    expect(a.status).toBe('ABORTED');
    clock.advance(workflow.leaseDuration.toSeconds() + 1);
    const s3Before = counts.S3 ?? 0;

    const redriven = await redrive('A2');

    expect(redriven.status).toBe('FAILED');
    expect(redriven.error).toBe('Checkpoint.Conflict');
    expect((counts.S3 ?? 0) - s3Before).toBe(0);
    // a fresh execution resumes the key normally: S2 and S3 once
    const c = await runner.run({ id: 'k2' });
    expect(c.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, c)).toEqual({ S2: 1, S3: 1 });
  });

  test('redriven while its own lease is still valid (nobody else could take the key): it completes', async () => {
    const a = await runner.run({ id: 'k3' }, { executionName: 'A3', faults: { S2: Faults.crashAfter() } });
    expect(a.status).toBe('ABORTED');
    clock.advance(60);
    const redriven = await redrive('A3');
    expect(redriven.status).toBe('SUCCEEDED');
  });
});

describe('defect 3: bounded state, and every failure ASL can catch releases the lease', () => {
  // GIVEN a sequence whose first step returns ~100 KB of which later steps need one field, a second
  // step whose result nobody needs, and a third that reads what was kept
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new CheckpointedWorkflow(stack, 'Seq', {
    keyPath: '$.id',
    steps: [
      { step: Step.lambda('Fetch', fn), resultSelector: { 'docId.$': '$.docId' } },
      { step: Step.lambda('Render', fn), discardResult: true },
      { step: Step.lambda('Publish', fn) },
    ],
  });
  const clock = new Clock();
  const sizes: Record<string, number> = {};
  let runner: LocalWorkflowRunner;
  beforeAll(async () => {
    runner = await LocalWorkflowRunner.create(workflow, {
      clock: () => new Date(clock.nowMs),
      handlers: countingHandlers(workflow, () => ({}), (step, event) => {
        sizes[step] = Math.max(sizes[step] ?? 0, JSON.stringify(event).length);
        if (step === 'Fetch') return { docId: 'd-1', body: 'x'.repeat(100_000) };
        if (step === 'Render') return { pdf: 'y'.repeat(100_000) };
        return { published: event.results.Fetch.docId };
      }),
    });
  });
  afterAll(async () => runner.close());

  test('only the selected part is kept in the state and in the checkpoint; a discarded result is stored as { discarded: true }', async () => {
    const r = await runner.run({ id: 'small' });
    expect(r.status).toBe('SUCCEEDED');
    expect((r.output as any).results).toEqual({ Fetch: { docId: 'd-1' }, Render: { discarded: true }, Publish: { published: 'd-1' } });
    expect(Math.max(...Object.values(sizes))).toBeLessThan(1_000);
    // a resumed run gets the same (small) results from the checkpoints
    const again = await runner.run({ id: 'small' });
    expect(stepCalls(workflow, again)).toEqual({});
    expect((again.output as any).results).toEqual((r.output as any).results);
  });

  test('the final lease release failing beyond its retries still releases through the failure path: the key is not left locked', async () => {
    // WHEN the release at the end is throttled beyond its 3 retries
    const r = await runner.run({ id: 'release' }, { faults: { 'Checkpoint: done': Faults.fail('DynamoDb.ProvisionedThroughputExceededException', { times: 4 }) } });

    // THEN the execution fails with that error, after releasing the lease
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('DynamoDb.ProvisionedThroughputExceededException');
    expect(r.statesEntered.slice(-2)).toEqual(['Checkpoint: release after failure', 'Checkpoint: failed']);
    const rerun = await runner.run({ id: 'release' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(stepCalls(workflow, rerun)).toEqual({});
  });

  test('discardResult and resultSelector together are refused', () => {
    const s2 = newStack();
    const f2 = inlineFunction(s2, 'Fn');
    expect(() => new CheckpointedWorkflow(s2, 'Wf', {
      keyPath: '$.id',
      steps: [{ step: Step.lambda('A', f2), discardResult: true, resultSelector: { 'a.$': '$.a' } }],
    })).toThrow(/\[TestStack\/Wf\] step 'A' sets both discardResult and resultSelector/);
  });
});
