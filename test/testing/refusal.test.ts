import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { newStack } from './fixtures';
import { LocalWorkflowRunner } from '../../src/testing';

function templateWith(definition: object, extra: Record<string, unknown> = {}) {
  return {
    Resources: {
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(definition), ...extra } },
    },
  };
}

describe('refusal of what the interpreter would silently ignore', () => {
  test('GIVEN a JSONata state machine built with CDK WHEN loading THEN a clear error names it', async () => {
    // GIVEN
    const stack = newStack('JsonataStack');
    const pass = sfn.Pass.jsonata(stack, 'Shape', { outputs: { x: '{% $states.input.x %}' } });
    const machine = new sfn.StateMachine(stack, 'Machine', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(pass),
    });

    // WHEN / THEN
    await expect(LocalWorkflowRunner.create({ stateMachine: machine })).rejects.toThrow(
      /LocalWorkflowRunner cannot faithfully run state machine 'Machine[0-9A-F]+': QueryLanguage 'JSONata'/,
    );
  });

  test('a per-state JSONata query language is refused with the state name', async () => {
    const template = templateWith({ StartAt: 'A', States: { A: { Type: 'Pass', QueryLanguage: 'JSONata', Output: {}, End: true } } });
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(/cannot faithfully run state 'A' of state machine 'Machine': QueryLanguage 'JSONata'/);
  });

  test.each(['Assign', 'Output', 'Arguments'])('the %s field is refused', async (field) => {
    const template = templateWith({ StartAt: 'A', States: { A: { Type: 'Pass', [field]: { x: 1 }, End: true } } });
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(new RegExp(`state 'A' of state machine 'Machine': the '${field}' field`));
  });

  // Distributed Maps are executed by the runner now (integrations/distributed-map.ts, tested in distributed-map.test.ts).

  test('an inline Map and a plain JSONPath machine are accepted (no dynalite needed to prove it)', async () => {
    const template = templateWith({
      QueryLanguage: 'JSONPath',
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } },
    });
    const runner = await LocalWorkflowRunner.create({ template });
    try {
      const result = await runner.run([1, 2]);
      expect(result.output).toEqual([1, 2]);
      expect(result.statesEntered).toEqual(['M', 'I', 'I']);
    } finally {
      await runner.close();
    }
  });

  test('an EXPRESS machine using .sync is refused like Step Functions would', async () => {
    const template = templateWith(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: 'x' }, End: true } } },
      { StateMachineType: 'EXPRESS' },
    );
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(/Express workflows do not support \.sync/);
  });

  test('a template with several machines needs stateMachineLogicalId', async () => {
    const t = templateWith({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
    const template = { Resources: { ...t.Resources, Other: t.Resources.Machine } };
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(/2 state machines \(Machine, Other\); pass stateMachineLogicalId/);
  });
});
