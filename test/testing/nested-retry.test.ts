/**
 * Retry of Parallel and Map states waits its backoff on the virtual clock, like Task retries:
 * IntervalSeconds * BackoffRate^(n-1), capped by MaxDelaySeconds, FULL jitter from the seeded PRNG.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
import { FN, frozen, stamp, T0, templateWith } from './asl';
import { LocalWorkflowRunner, StatesError } from '../../src/testing';

const plus = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function retried(type: 'Parallel' | 'Map', retry: Record<string, unknown>) {
  const body = { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: FN, Parameters: { 't.$': '$$.State.EnteredTime' }, End: true } } };
  const state = type === 'Parallel'
    ? { Type: 'Parallel', Branches: [body] }
    : { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...body } };
  return templateWith({
    StartAt: 'Fan',
    States: {
      Fan: { ...state, Retry: [{ ErrorEquals: ['Flaky'], ...retry }], ResultPath: '$.fan', Next: 'Done' },
      Done: stamp('done'),
    },
  });
}

describe('Retry of Parallel and Map states on the virtual clock', () => {
  test.each(['Parallel', 'Map'] as const)('%s: branches/iterations start again after IntervalSeconds * BackoffRate^(n-1), capped by MaxDelaySeconds', async (type) => {
    const template = retried(type, { IntervalSeconds: 10, BackoffRate: 3, MaxAttempts: 3, MaxDelaySeconds: 60 });
    const runner = await LocalWorkflowRunner.create({ template }, { clock: frozen });
    try {
      const entered: string[] = [];
      let calls = 0;
      runner.setHandler('Work', async (e: any) => {
        entered.push(e.t);
        if (++calls <= 3) throw new StatesError('Flaky', `call ${calls}`);
        return { ok: true };
      });
      const wall = Date.now();
      const result = await runner.run({ items: [1] });
      expect(result.status).toBe('SUCCEEDED');
      // attempts at 0 s, then after 10 s, 30 s and min(90, 60) = 60 s of virtual time
      expect(entered).toEqual([plus(0), plus(10), plus(40), plus(100)]);
      expect((result.output as any).times.done.t).toBe(plus(100));
      expect(result.retries.map((r) => [r.state, r.attempt, r.error, r.intervalSeconds, (r as any).waitedSeconds])).toEqual([
        ['Fan', 1, 'Flaky', 10, 10],
        ['Fan', 2, 'Flaky', 30, 30],
        ['Fan', 3, 'Flaky', 60, 60],
      ]);
      expect(result.stopDate.toISOString()).toBe(plus(100));
      expect(Date.now() - wall).toBeLessThan(5000); // 100 virtual seconds, no real waiting
    } finally {
      await runner.close();
    }
  });

  test('JitterStrategy FULL waits a seeded random part of the interval; the same seed gives the same schedule', async () => {
    const schedule = async (seed: number) => {
      const runner = await LocalWorkflowRunner.create({ template: retried('Parallel', { IntervalSeconds: 100, BackoffRate: 2, MaxAttempts: 2, JitterStrategy: 'FULL' }) }, { clock: frozen, seed });
      try {
        let calls = 0;
        runner.setHandler('Work', async () => {
          if (++calls <= 2) throw new StatesError('Flaky', 'again');
          return {};
        });
        const result = await runner.run({});
        expect(result.status).toBe('SUCCEEDED');
        const waited = result.retries.map((r) => (r as any).waitedSeconds as number);
        expect(waited[0]).toBeGreaterThanOrEqual(0);
        expect(waited[0]).toBeLessThanOrEqual(100);
        expect(waited[1]).toBeLessThanOrEqual(200);
        expect(result.stopDate.getTime() - Date.parse(T0)).toBeCloseTo((waited[0] + waited[1]) * 1000, 0);
        return waited;
      } finally {
        await runner.close();
      }
    };
    const a = await schedule(7);
    expect(await schedule(7)).toEqual(a);
    expect(a).not.toEqual([100, 200]);
  });

  test('the execution timeout fires during a Parallel backoff: TIMED_OUT, the branch does not run again', async () => {
    const template = retried('Parallel', { IntervalSeconds: 600, MaxAttempts: 1 });
    const definition = JSON.parse((template.Resources.Machine.Properties as any).DefinitionString);
    (template.Resources.Machine.Properties as any).DefinitionString = JSON.stringify({ ...definition, TimeoutSeconds: 60 });
    const runner = await LocalWorkflowRunner.create({ template }, { clock: frozen });
    try {
      let calls = 0;
      runner.setHandler('Work', async () => {
        calls++;
        throw new StatesError('Flaky', 'again');
      });
      const result = await runner.run({});
      expect(result.status).toBe('TIMED_OUT');
      expect(calls).toBe(1);
      expect(result.stopDate.toISOString()).toBe(plus(60));
    } finally {
      await runner.close();
    }
  });
});
