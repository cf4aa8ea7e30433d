import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Saga, Step } from '../../../src';
import { Faults, LocalWorkflowRunner } from '../../../src/testing';
import { aslOf, DEFAULT_LAMBDA_RETRY, inlineFunction, newStack } from '../../util';

/**
 * Issue 10 for the Saga: defect 5 (a compensation's own retry is merged field by field with the
 * saga's, with a warning where the saga overrides a user value) and defect 3 (per-step result
 * selection or discard keeps the state bounded). Executed with the local runner.
 */

describe('defect 5: a compensation\'s own retry policy is kept, merged field by field', () => {
  // GIVEN a compensation with its own retry (9 attempts, on Custom.Error only)
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const saga = new Saga(stack, 'Saga', {
    steps: [
      { action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn, { retry: { maxAttempts: 9, errors: ['Custom.Error'] }, nonRetryableErrors: ['Fatal'] }) },
      { action: Step.lambda('Charge', fn) },
    ],
  });
  const asl = aslOf(Template.fromStack(stack));

  test('ASL: the compensation renders its own maxAttempts and errors; the other fields take the saga defaults', () => {
    expect(asl.States.Release.Retry).toEqual([
      { ErrorEquals: ['Fatal'], MaxAttempts: 0 },
      { ErrorEquals: ['Custom.Error'], MaxAttempts: 9, IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ]);
    // the actions keep their own (default) retry
    expect(asl.States.Reserve.Retry).toEqual([DEFAULT_LAMBDA_RETRY]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('overrides'));
  });

  test('executed: the compensation is retried 9 times on Custom.Error, then the saga ends in CompensationFailed', async () => {
    const runner = await LocalWorkflowRunner.create(saga, {
      handlers: { Reserve: async () => ({ id: 1 }), Charge: async () => ({ id: 2 }), Release: async () => ({ ok: true }) },
    });
    try {
      const r = await runner.run({}, { faults: { Charge: Faults.fail('Card.Declined'), Release: Faults.fail('Custom.Error') } });
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe(Saga.COMPENSATION_FAILED_ERROR);
      expect(r.calls.Release).toBe(10);
      expect(r.retries.filter((x) => x.state === 'Release').map((x) => x.intervalSeconds)).toEqual([1, 2, 4, 8, 16, 30, 30, 30, 30]);
    } finally {
      await runner.close();
    }
  });

  test('compensationRetry set on the saga overrides a compensation\'s own value field by field, with a warning naming both', () => {
    const s2 = newStack();
    const f2 = inlineFunction(s2, 'Fn');
    new Saga(s2, 'Saga', {
      compensationRetry: { maxAttempts: 2, interval: Duration.seconds(3) },
      steps: [
        { action: Step.lambda('Reserve', f2), compensation: Step.lambda('Release', f2, { retry: { maxAttempts: 9, errors: ['Custom.Error'], backoffRate: 3 } }) },
        { action: Step.lambda('Charge', f2) },
      ],
    });
    expect(aslOf(Template.fromStack(s2)).States.Release.Retry).toEqual([
      { ErrorEquals: ['Custom.Error'], MaxAttempts: 2, IntervalSeconds: 3, BackoffRate: 3, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ]);
    Annotations.fromStack(s2).hasWarning('/TestStack/Saga', Match.stringLikeRegexp(
      "compensationRetry.maxAttempts \\(2\\) overrides the retry.maxAttempts \\(9\\) of compensation 'Release'.*Remove one of them",
    ));
  });
});

describe('defect 3: per-step result selection keeps the saga state bounded', () => {
  // GIVEN a saga whose first action returns ~100 KB, of which the compensation needs only the id
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const big = 'x'.repeat(100_000);
  const saga = new Saga(stack, 'Saga', {
    steps: [
      { action: Step.lambda('Fetch', fn), compensation: Step.lambda('Unfetch', fn), resultSelector: { 'id.$': '$.id' } },
      { action: Step.lambda('Render', fn), compensation: Step.lambda('Unrender', fn), discardResult: true },
      { action: Step.lambda('Publish', fn) },
    ],
  });
  const asl = aslOf(Template.fromStack(stack));

  test('ASL: the selected action has a ResultSelector; the discarded one writes nothing; its compensation gets no result', () => {
    expect(asl.States.Fetch).toMatchObject({ ResultSelector: { 'id.$': '$.id' }, ResultPath: '$.results.Fetch' });
    expect(asl.States.Render.ResultPath).toBeNull();
    expect(asl.States.Render.ResultSelector).toBeUndefined();
    expect(asl.States.Unrender.Parameters['result.$']).toBeUndefined();
    expect(asl.States.Unfetch.Parameters['result.$']).toBe('$.results.Fetch');
  });

  test('executed: Publish fails; both compensations run with what they need; the largest state stays small', async () => {
    const sizes: Record<string, number> = {};
    const seen: Record<string, any> = {};
    const record = (name: string, result: unknown) => async (event: any) => {
      sizes[name] = JSON.stringify(event).length;
      seen[name] = event;
      return result;
    };
    const runner = await LocalWorkflowRunner.create(saga, {
      handlers: {
        Fetch: record('Fetch', { id: 'doc-1', body: big }),
        Render: record('Render', { pdf: big }),
        Publish: record('Publish', {}),
        Unfetch: record('Unfetch', {}),
        Unrender: record('Unrender', {}),
      },
    });
    try {
      const r = await runner.run({ orderId: 'o-1' }, { faults: { Publish: Faults.fail('Publish.Down') } });
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('Publish.Down');
      expect(r.statesEntered).toEqual(expect.arrayContaining(['Unrender', 'Unfetch']));
      expect(seen.Unfetch.result).toEqual({ id: 'doc-1' });
      expect(seen.Unrender.result).toBeUndefined();
      expect(seen.Unrender.stepFailed).toBe(false);
      // the state each step received (input + kept results) never carried the 100 KB bodies
      expect(Math.max(...Object.values(sizes))).toBeLessThan(1_000);
    } finally {
      await runner.close();
    }
  });

  test('discardResult and resultSelector together are refused', () => {
    const s2 = newStack();
    const f2 = inlineFunction(s2, 'Fn');
    expect(() => new Saga(s2, 'Saga', {
      steps: [{ action: Step.lambda('A', f2), compensation: Step.lambda('U', f2), discardResult: true, resultSelector: { 'a.$': '$.a' } }, { action: Step.lambda('B', f2) }],
    })).toThrow(/\[TestStack\/Saga\] steps\[0\] \('A'\) sets both discardResult and resultSelector/);
  });
});

describe('saga step names with a backslash (issue 11: the ban is lifted)', () => {
  test('the idempotency-key intrinsic escapes the backslash; executed, every step receives <execution name>:<step name> with one backslash, as AWS builds it', async () => {
    // GIVEN a saga whose steps are named with backslashes (and the other reserved characters)
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const saga = new Saga(stack, 'Saga', {
      steps: [
        { action: Step.lambda('Reserve\\EU', fn), compensation: Step.lambda('Release\\', fn) },
        { action: Step.lambda("Charge {card} 'x'", fn) },
      ],
    });
    // THEN the key is rendered with the escapes Step Functions defines for intrinsic strings
    // ("Reserved characters in intrinsic functions", https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html)
    expect(Saga.idempotencyKey('Reserve\\EU')).toBe("States.Format('{}:Reserve\\\\EU', $$.Execution.Name)");
    expect(aslOf(Template.fromStack(stack)).States['Reserve\\EU'].Parameters['idempotencyKey.$']).toBe("States.Format('{}:Reserve\\\\EU', $$.Execution.Name)");

    // WHEN it runs locally, the last step failing
    const keys: Record<string, string> = {};
    const record = (name: string, out: object) => async (e: any) => {
      keys[name] = e.idempotencyKey;
      return out;
    };
    const runner = await LocalWorkflowRunner.create(saga, {
      handlers: { 'Reserve\\EU': record('Reserve\\EU', { id: 1 }), 'Release\\': record('Release\\', { ok: true }), "Charge {card} 'x'": record('Charge', { id: 2 }) },
    });
    try {
      const ok = await runner.run({}, { executionName: 'exec-1' });
      expect(ok.status).toBe('SUCCEEDED');
      expect(keys).toEqual({ 'Reserve\\EU': 'exec-1:Reserve\\EU', 'Charge': "exec-1:Charge {card} 'x'" });
      const failed = await runner.run({}, { executionName: 'exec-2', faults: { "Charge {card} 'x'": Faults.fail('Declined') } });
      expect(failed.status).toBe('FAILED');
      expect(failed.statesEntered).toContain('Release\\');
      expect(keys['Release\\']).toBe('exec-2:Release\\');
    } finally {
      await runner.close();
    }
  });
});
