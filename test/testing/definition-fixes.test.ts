import { Faults, LocalWorkflowRunner } from '../../src/testing';

/** A template with one state machine (the given definition) and optional resource metadata. */
function templateWith(definition: object, metadata?: Record<string, unknown>) {
  return {
    Resources: {
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: JSON.stringify(definition) },
        ...(metadata ? { Metadata: metadata } : {}),
      },
    },
  };
}

describe('where the runner corrects the interpreter or reads the library metadata', () => {
  test('ResultPath "$" replaces the state with the result (the interpreter would write a literal "$" key)', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Shape',
        States: { Shape: { Type: 'Pass', Result: { shaped: true }, ResultPath: '$', End: true } },
      }),
    });
    try {
      const result = await runner.run({ original: 1 });
      expect(result.output).toEqual({ shaped: true });
    } finally {
      await runner.close();
    }
  });

  test('Choice type tests with false match when the test fails (IsPresent/IsNull false, nested in And)', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith({
        StartAt: 'Route',
        States: {
          Route: {
            Type: 'Choice',
            Choices: [
              { And: [{ Variable: '$.a', IsPresent: false }, { Variable: '$.b', IsNull: false }], Next: 'NoA' },
              { Variable: '$.a', IsPresent: true, Next: 'HasA' },
            ],
            Default: 'Other',
          },
          NoA: { Type: 'Pass', End: true },
          HasA: { Type: 'Pass', End: true },
          Other: { Type: 'Pass', End: true },
        },
      }),
    });
    try {
      expect((await runner.run({ b: 1 })).statesEntered).toEqual(['Route', 'NoA']);
      expect((await runner.run({ b: null })).statesEntered).toEqual(['Route', 'Other']);
      expect((await runner.run({ a: 1, b: 1 })).statesEntered).toEqual(['Route', 'HasA']);
    } finally {
      await runner.close();
    }
  });

  test('a state rendered under another name than its step (library metadata) uses the step handler and faults', async () => {
    const runner = await LocalWorkflowRunner.create({
      template: templateWith(
        {
          StartAt: 'Resize (resume)',
          States: {
            'Resize (resume)': { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Resize:live', Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 1 }], End: true },
          },
        },
        { 'cdk-stateful-workflows:stepNames': { 'Resize (resume)': 'Resize' } },
      ),
    }, { handlers: { Resize: async (event: { n: number }) => ({ doubled: event.n * 2 }) } });
    try {
      const result = await runner.run({ n: 21 }, { faults: { Resize: Faults.failTimes(1, 'Boom') } });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ doubled: 42 });
      expect(result.calls).toEqual({ 'Resize (resume)': 2 });
    } finally {
      await runner.close();
    }
  });
});
