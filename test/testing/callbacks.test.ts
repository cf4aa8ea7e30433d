import { FN, frozen, templateWith } from './asl';
import { LocalWorkflowRunner, TaskHandlerContext } from '../../src/testing';

const SQS_CALLBACK = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
const LAMBDA_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Ask (a callback task) -> Done, with a Catch recording the error. */
function approval(extra: Record<string, unknown> = {}) {
  return templateWith({
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: SQS_CALLBACK,
        Parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/approvals', MessageBody: { 'token.$': '$$.Task.Token', 'order.$': '$.order' } },
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rejected' }],
        ...extra,
        Next: 'Done',
      },
      Rejected: { Type: 'Pass', End: true },
      Done: { Type: 'Succeed' },
    },
  });
}

describe('callbacks (.waitForTaskToken) and heartbeats', () => {
  test('the task waits for SendTaskSuccess; the token is at $$.Task.Token; its output is the task result', async () => {
    const runner = await LocalWorkflowRunner.create({ template: approval() }, { clock: frozen });
    try {
      const done = runner.run({ order: 'o-1' });
      const waiting = await runner.waitForCallback('Ask');
      expect(waiting.input).toEqual({
        QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/approvals',
        MessageBody: { token: waiting.token, order: 'o-1' },
      });
      expect(runner.pendingCallbacks().map((p) => p.token)).toEqual([waiting.token]);
      runner.sendTaskSuccess(waiting.token, { approved: true });
      const result = await done;
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ approved: true });
      expect(runner.pendingCallbacks()).toEqual([]);
      // the task is over: Step Functions answers TaskTimedOut; an unknown token is InvalidToken
      expect(() => runner.sendTaskSuccess(waiting.token, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
      expect(() => runner.sendTaskSuccess('nope', {})).toThrow(expect.objectContaining({ name: 'InvalidToken' }));
    } finally {
      await runner.close();
    }
  });

  test('SendTaskFailure: error and cause reach Catch', async () => {
    const runner = await LocalWorkflowRunner.create({ template: approval() }, { clock: frozen });
    try {
      const done = runner.run({ order: 'o-2' });
      const { token } = await runner.waitForCallback();
      runner.sendTaskFailure(token, 'Rejected.ByManager', 'over budget');
      const result = await done;
      expect(result.statesEntered).toEqual(['Ask', 'Rejected']);
      expect(result.output).toEqual({ order: 'o-2', error: { Error: 'Rejected.ByManager', Cause: 'over budget' } });
    } finally {
      await runner.close();
    }
  });

  test('the handler of a callback step receives the token and answers later', async () => {
    let runner!: LocalWorkflowRunner;
    const handler = async (event: { token: string; n: number }, ctx: TaskHandlerContext) => {
      expect(event.token).toBe(ctx.taskToken);
      setTimeout(() => runner.sendTaskSuccess(ctx.taskToken, { doubled: event.n * 2 }), 20);
      return { accepted: true }; // ignored: the token's answer is the result
    };
    runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Double',
        States: {
          Double: {
            Type: 'Task',
            Resource: LAMBDA_CALLBACK,
            Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'n.$': '$.n' } },
            End: true,
          },
        },
      }),
    }, { handlers: { Double: handler } });
    try {
      const result = await runner.run({ n: 21 });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ doubled: 42 });
    } finally {
      await runner.close();
    }
  });

  test('HeartbeatSeconds on the virtual clock: heartbeats keep the task alive, silence fails it with States.HeartbeatTimeout', async () => {
    const runner = await LocalWorkflowRunner.create({ template: approval({ HeartbeatSeconds: 60, TimeoutSeconds: 3600 }) }, { clock: frozen });
    try {
      // kept alive by heartbeats for 100 s, then answered
      const alive = runner.run({ order: 'a' });
      const first = await runner.waitForCallback();
      await runner.advance('50s');
      runner.sendTaskHeartbeat(first.token);
      await runner.advance('50s');
      expect(runner.pendingCallbacks()).toHaveLength(1);
      runner.sendTaskSuccess(first.token, { ok: 1 });
      expect((await alive).status).toBe('SUCCEEDED');

      // silent for 60 s
      const silent = runner.run({ order: 'b' });
      const second = await runner.waitForCallback();
      await runner.advance('59s');
      expect(runner.pendingCallbacks()).toHaveLength(1);
      await runner.advance('1s');
      const result = await silent;
      expect(result.statesEntered).toEqual(['Ask', 'Rejected']);
      expect((result.output as { error: { Error: string } }).error.Error).toBe('States.HeartbeatTimeout');
      expect(() => runner.sendTaskSuccess(second.token, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    } finally {
      await runner.close();
    }
  });

  test('TimeoutSeconds of a callback fires States.Timeout after advance()', async () => {
    const runner = await LocalWorkflowRunner.create({ template: approval({ TimeoutSeconds: 300 }) }, { clock: frozen });
    try {
      const done = runner.run({ order: 'c' });
      await runner.waitForCallback();
      await runner.advance('5m');
      const result = await done;
      expect((result.output as { error: { Error: string } }).error.Error).toBe('States.Timeout');
    } finally {
      await runner.close();
    }
  });

  test('a Lambda task with HeartbeatSeconds 1 whose handler runs 1.5 s without heartbeat fails States.HeartbeatTimeout; with heartbeats it succeeds', async () => {
    const template = templateWith({
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: FN, HeartbeatSeconds: 1, End: true } },
    });
    const slow = (beat: boolean) => async (_event: unknown, ctx: TaskHandlerContext) => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 500));
        if (beat) ctx.heartbeat();
      }
      return { done: true };
    };
    const silent = await LocalWorkflowRunner.create({ template }, { handlers: { Work: slow(false) } });
    try {
      const result = await silent.run({});
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.HeartbeatTimeout');
    } finally {
      await silent.close();
    }
    const beating = await LocalWorkflowRunner.create({ template }, { handlers: { Work: slow(true) } });
    try {
      const result = await beating.run({});
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ done: true });
    } finally {
      await beating.close();
    }
  });

  test('an EXPRESS machine using .waitForTaskToken is refused at load, as Step Functions refuses it', async () => {
    await expect(LocalWorkflowRunner.create({ template: { Resources: { Machine: { ...approval().Resources.Machine, Properties: { ...approval().Resources.Machine.Properties, StateMachineType: 'EXPRESS' } } } } }))
      .rejects.toThrow(/state 'Ask' of EXPRESS state machine 'Machine' uses 'arn:aws:states:::sqs:sendMessage.waitForTaskToken'; Express workflows do not support .sync or .waitForTaskToken/);
  });
});
