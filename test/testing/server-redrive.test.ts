/**
 * RedriveExecution through runner.serve(): as on AWS, a redriven execution continues from its
 * unsuccessful state with that state's input; the states that succeeded are not run again.
 * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 */
import {
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { FN, templateWith } from './asl';
import { localSfnClient, waitForEnd } from './sfn-sdk';
import { LocalSfnServer, LocalWorkflowRunner, StatesError } from '../../src/testing';

const task = (resultPath: string, next?: string, parameters?: object) => ({
  Type: 'Task', Resource: FN, ResultPath: resultPath, ...(parameters ? { Parameters: parameters } : {}), ...(next ? { Next: next } : { End: true }),
});

interface Served {
  runner: LocalWorkflowRunner;
  server: LocalSfnServer;
  client: SFNClient;
}

async function serve(definition: object, handlers: Record<string, (e: any) => Promise<unknown>>): Promise<Served> {
  const runner = await LocalWorkflowRunner.create({ template: templateWith(definition) }, { handlers });
  const server = await runner.serve();
  return { runner, server, client: localSfnClient(server.endpoint) };
}

describe('RedriveExecution continues from the unsuccessful state (runner.serve(), default mode)', () => {
  test('Reserve -> Charge (fails once) -> Ship: the redrive runs Charge and Ship only, with Reserve\'s result kept; same ARN, redriveCount 1', async () => {
    const calls: Record<string, number> = { Reserve: 0, Charge: 0, Ship: 0 };
    const { runner, server, client } = await serve({
      StartAt: 'Reserve',
      States: {
        Reserve: task('$.reserved', 'Charge'),
        Charge: task('$.charged', 'Ship'),
        Ship: task('$.shipped', undefined, { 'all.$': '$', 'redriveCount.$': '$$.Execution.RedriveCount', 'input.$': '$$.Execution.Input' }),
      },
    }, {
      Reserve: async () => ({ n: ++calls.Reserve }),
      Charge: async () => {
        if (++calls.Charge === 1) throw new StatesError('Card.Declined', 'try later');
        return { n: calls.Charge };
      },
      Ship: async (e) => {
        calls.Ship++;
        return { got: e };
      },
    });
    try {
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'order-1', input: JSON.stringify({ id: 1 }) }));
      const failed = await waitForEnd(client, started.executionArn!);
      expect(failed).toMatchObject({ status: 'FAILED', error: 'Card.Declined', redriveStatus: 'REDRIVABLE' });

      // WHEN
      await client.send(new RedriveExecutionCommand({ executionArn: started.executionArn }));
      const done = await waitForEnd(client, started.executionArn!);

      // THEN
      expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, executionArn: started.executionArn });
      expect(calls).toEqual({ Reserve: 1, Charge: 2, Ship: 1 });
      expect(JSON.parse(done.output!)).toEqual({
        id: 1,
        reserved: { n: 1 },
        charged: { n: 2 },
        shipped: { got: { all: { id: 1, reserved: { n: 1 }, charged: { n: 2 } }, redriveCount: 1, input: { id: 1 } } },
      });
      const history = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
      const types = history.events!.map((e) => e.type);
      expect(types.filter((t) => t === 'TaskStateEntered').length).toBe(4); // Reserve, Charge, then Charge, Ship
      expect(types.indexOf('ExecutionRedriven')).toBeGreaterThan(types.indexOf('ExecutionFailed'));
    } finally {
      client.destroy();
      await server.close();
      await runner.close();
    }
  });

  test('a failure inside a Parallel state is refused loudly (AWS reruns only the failed branches, which the interpreter cannot)', async () => {
    const { runner, server, client } = await serve({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Left', States: { Left: task('$.l') } },
            { StartAt: 'Right', States: { Right: { Type: 'Fail', Error: 'Right.Failed' } } },
          ],
        },
      },
    }, { Left: async () => ({}) });
    try {
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'p-1' }));
      expect(await waitForEnd(client, started.executionArn!)).toMatchObject({ status: 'FAILED' });
      const refused = client.send(new RedriveExecutionCommand({ executionArn: started.executionArn }));
      await expect(refused).rejects.toBeInstanceOf(ExecutionNotRedrivable);
      await expect(client.send(new RedriveExecutionCommand({ executionArn: started.executionArn }))).rejects.toThrow(/Parallel state 'Both'.*failed branches/);
    } finally {
      client.destroy();
      await server.close();
      await runner.close();
    }
  });
});
