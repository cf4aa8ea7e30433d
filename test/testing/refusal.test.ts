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

  test('GIVEN a Distributed Map with an ItemReader WHEN loading THEN the message says it would run inline', async () => {
    // GIVEN
    const template = templateWith({
      StartAt: 'Process all',
      States: {
        'Process all': {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', Key: 'k' } },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    });

    // WHEN / THEN
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(
      "LocalWorkflowRunner cannot faithfully run state 'Process all' of state machine 'Machine': Distributed Map with ItemReader " +
        '(aws-local-stepfunctions runs it inline as an ordinary Map, ignoring child executions, item readers, result writers, batching ' +
        'and failure tolerance). Test the inline mode, or assert the template.',
    );
  });

  test('a Distributed Map without any distributed-only field is refused as well (its child executions would run inline)', async () => {
    const template = templateWith({
      StartAt: 'M',
      States: {
        M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true },
      },
    });
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(
      "LocalWorkflowRunner cannot faithfully run state 'M' of state machine 'Machine': Distributed Map (aws-local-stepfunctions runs it inline",
    );
  });

  test('a Distributed Map with a failure tolerance nested in a Parallel branch is refused too', async () => {
    const template = templateWith({
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          End: true,
          Branches: [{
            StartAt: 'M',
            States: {
              M: {
                Type: 'Map',
                ToleratedFailurePercentage: 5,
                ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
                End: true,
              },
            },
          }],
        },
      },
    });
    await expect(LocalWorkflowRunner.create({ template })).rejects.toThrow(/state 'M' .*Distributed Map with ToleratedFailurePercentage/);
  });

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
