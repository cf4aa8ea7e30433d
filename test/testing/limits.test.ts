import { FN, frozen, templateWith } from './asl';
import { LocalWorkflowRunner } from '../../src/testing';

const big = (bytes: number) => 'x'.repeat(bytes);

describe('service limits enforced as Step Functions enforces them', () => {
  test('a 300 KB task result fails the execution with States.DataLimitExceeded; Catch States.ALL is NOT taken', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Fetch',
        States: {
          Fetch: { Type: 'Task', Resource: FN, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], Retry: [{ ErrorEquals: ['States.ALL'] }], End: true },
          Caught: { Type: 'Pass', End: true },
        },
      }),
    }, { clock: frozen, handlers: { Fetch: async () => ({ blob: big(300_000) }) } });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.DataLimitExceeded');
      expect(result.cause).toMatch(/The state\/task 'Fetch' returned a result with a size exceeding the maximum number of bytes service limit/);
      expect(result.statesEntered).toEqual(['Fetch']);
      expect(result.retries).toEqual([]);
      expect(result.calls).toEqual({ Fetch: 1 });
    } finally {
      await runner.close();
    }
  });

  test('a result just under 256 KiB passes; multi-byte characters count as UTF-8 bytes', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'Fetch', States: { Fetch: { Type: 'Task', Resource: FN, End: true } } }),
    }, { clock: frozen });
    try {
      runner.setHandler('Fetch', async () => big(262_144 - 2)); // the JSON string with its quotes: exactly 262,144 bytes
      expect((await runner.run({})).status).toBe('SUCCEEDED');
      runner.setHandler('Fetch', async () => 'é'.repeat(90_000)); // 90,000 characters, 180,000 bytes... x2 below
      expect((await runner.run({})).status).toBe('SUCCEEDED');
      runner.setHandler('Fetch', async () => 'é'.repeat(140_000)); // 140,000 characters but 280,002 bytes
      expect((await runner.run({})).error).toBe('States.DataLimitExceeded');
    } finally {
      await runner.close();
    }
  });

  test('a state output above 256 KiB (a Pass combining its input) fails uncatchably too', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Parallel',
        States: {
          Parallel: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Double', States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.a', 'b.$': '$.a' }, End: true } } }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        },
      }),
    }, { clock: frozen });
    try {
      const result = await runner.run({ a: big(150_000) });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.DataLimitExceeded');
      expect(result.statesEntered).not.toContain('Caught');
    } finally {
      await runner.close();
    }
  });

  const loop = (type?: 'EXPRESS') => templateWith({
    StartAt: 'Init',
    States: {
      'Init': { Type: 'Pass', Result: 1, ResultPath: '$.i', Next: 'Count' }, // (Result: 0 would be ignored by the interpreter, see docs/local-runner.md)
      'Count': { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)' }, Next: 'More?' },
      'More?': { Type: 'Choice', Choices: [{ Variable: '$.i', NumericLessThan: 7000, Next: 'Count' }], Default: 'Done' },
      'Done': { Type: 'Succeed' },
    },
  }, type ? { StateMachineType: type } : {});

  test('a Standard execution fails when its history passes 25,000 events; an Express one (no history) does not', async () => {
    // 7,000 iterations of two states, each entered and exited: 28,000 events
    const standard = await LocalWorkflowRunner.create({ template: loop() }, { clock: frozen });
    try {
      const result = await standard.run({});
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(result.cause).toMatch(/maximum number of history events \(25000\)/);
    } finally {
      await standard.close();
    }
    const express = await LocalWorkflowRunner.create({ template: loop('EXPRESS') }, { clock: frozen });
    try {
      const result = await express.run({});
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ i: 7000 });
    } finally {
      await express.close();
    }
  }, 120_000);

  test('an Express execution times out after 5 minutes even when its TimeoutSeconds says more', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'Wait', TimeoutSeconds: 3600, States: { Wait: { Type: 'Wait', Seconds: 400, End: true } } }, { StateMachineType: 'EXPRESS' }),
    }, { clock: frozen });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('TIMED_OUT');
      expect(result.error).toBe('States.Timeout');
      expect(runner.now().getTime() - frozen().getTime()).toBe(300_000);
      // a 4-minute wait is fine
    } finally {
      await runner.close();
    }
  });

  test('an EXPRESS machine using .sync is refused at load', async () => {
    const template = templateWith({
      StartAt: 'Child',
      States: { Child: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:X' }, End: true } },
    }, { StateMachineType: 'EXPRESS' });
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(/Express workflows do not support \.sync or \.waitForTaskToken integrations/);
  });
});
