import { FN, frozen, T0, templateWith } from './asl';
import { LocalWorkflowRunner, StatesError } from '../../src/testing';

describe('faithful details', () => {
  test('Catch with ResultPath "$": the error output replaces the state input', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Charge',
        States: {
          Charge: { Type: 'Task', Resource: FN, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'Failed' }], End: true },
          Failed: { Type: 'Pass', End: true },
        },
      }),
    }, { clock: frozen, handlers: { Charge: async () => { throw new StatesError('Declined', 'card declined'); } } });
    try {
      const result = await runner.run({ original: 1 });
      expect(result.output).toEqual({ Error: 'Declined', Cause: 'card declined' });
    } finally {
      await runner.close();
    }
  });

  test('$$.State.Name, $$.State.EnteredTime, $$.State.RetryCount and $$.Task.Token in Parameters, intrinsics and Choice', async () => {
    const seen: unknown[] = [];
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Describe me',
        States: {
          'Describe me': {
            Type: 'Pass',
            Parameters: { 'name.$': '$$.State.Name', 'entered.$': '$$.State.EnteredTime', 'retry.$': '$$.State.RetryCount', 'greeting.$': "States.Format('in {}', $$.State.Name)" },
            ResultPath: '$.pass',
            Next: 'Is it me?',
          },
          'Is it me?': { Type: 'Choice', Choices: [{ Variable: '$$.State.Name', StringEquals: 'Is it me?', Next: 'Call' }], Default: 'Wrong' },
          'Wrong': { Type: 'Fail', Error: 'WrongName' },
          'Call': {
            Type: 'Task',
            Resource: FN,
            Parameters: { 'name.$': '$$.State.Name', 'retry.$': '$$.State.RetryCount', 'token.$': '$$.Task.Token', 'tagged.$': "States.Format('{}#{}', $$.Task.Token, $$.State.RetryCount)" },
            Retry: [{ ErrorEquals: ['Again'], IntervalSeconds: 1, MaxAttempts: 1 }],
            ResultPath: '$.task',
            End: true,
          },
        },
      }),
    }, {
      clock: frozen,
      handlers: {
        Call: async (event: { retry: number }, ctx) => {
          seen.push({ event, token: ctx.taskToken });
          if (event.retry === 0) throw new StatesError('Again', 'once more');
          return event;
        },
      },
    });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('SUCCEEDED');
      const output = result.output as any;
      expect(output.pass).toEqual({ name: 'Describe me', entered: T0, retry: 0, greeting: 'in Describe me' });
      expect(seen).toHaveLength(2);
      const [first, second] = seen as Array<{ event: any; token: string }>;
      expect(first.event).toEqual({ name: 'Call', retry: 0, token: first.token, tagged: `${first.token}#0` });
      expect(second.event).toEqual({ name: 'Call', retry: 1, token: second.token, tagged: `${second.token}#1` });
      expect(second.token).not.toBe(first.token); // a new token per attempt
      expect(output.task).toEqual(second.event);
    } finally {
      await runner.close();
    }
  });

  test('an indefinite JSONPath returns an array: [] when a filter matches nothing, [x] for one match', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Select',
        States: {
          Select: {
            Type: 'Pass',
            Parameters: {
              'failed.$': "$.results[?(@.status == 'FAILED')]",
              'ok.$': "$.results[?(@.status == 'OK')]",
              'ids.$': '$.results[*].id',
              'failedCount.$': "States.ArrayLength($.results[?(@.status == 'FAILED')])",
              'first.$': '$.results[0]',
            },
            End: true,
          },
        },
      }),
    }, { clock: frozen });
    try {
      const result = await runner.run({ results: [{ id: 1, status: 'OK' }] });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ failed: [], ok: [{ id: 1, status: 'OK' }], ids: [1], failedCount: 0, first: { id: 1, status: 'OK' } });
    } finally {
      await runner.close();
    }
  });

  test('a definite path that points nowhere still fails with States.Runtime', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({ StartAt: 'Select', States: { Select: { Type: 'Pass', Parameters: { 'x.$': '$.missing' }, End: true } } }),
    }, { clock: frozen });
    try {
      const result = await runner.run({});
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
    } finally {
      await runner.close();
    }
  });
});
