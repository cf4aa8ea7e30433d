/**
 * Where the local interpreter (aws-local-stepfunctions 3, under LocalWorkflowRunner) departs from
 * the ASL specification in ways FanOutFanIn had to design around, and what the runner now fixes.
 * The `IsPresent: false` gap is fixed by the runner (rewritten to `Not`); so is the empty filter,
 * which now yields `[]` as on AWS ("Reference paths" / "Paths": a JSONPath filter that selects
 * nothing is an empty array, https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { LocalWorkflowRunner } from '../../../src/testing';
import { newStack } from '../../util';

const stack = newStack();
const absent = new sfn.Pass(stack, 'Absent');
const present = new sfn.Pass(stack, 'Present');
const filter = new sfn.Pass(stack, 'Filter', { parameters: { 'failed.$': '$.list[?(@.failed == true)]' } });
const start = new sfn.Choice(stack, 'Which')
  .when(sfn.Condition.stringEquals('$.probe', 'presence'), new sfn.Choice(stack, 'Missing?')
    .when(sfn.Condition.isNotPresent('$.missing'), absent)
    .otherwise(present))
  .otherwise(filter);
const machine = new sfn.StateMachine(stack, 'Gaps', { definitionBody: sfn.DefinitionBody.fromChainable(start) });

let runner: LocalWorkflowRunner;
beforeAll(async () => {
  runner = await LocalWorkflowRunner.create(machine);
});
afterAll(async () => {
  await runner.close();
});

describe('local interpreter gaps (pinned)', () => {
  test('a Choice rule `IsPresent: false` matches when the path is absent (the runner rewrites it to a Not the interpreter evaluates)', async () => {
    const absentRun = await runner.run({ probe: 'presence' });
    expect(absentRun.status).toBe('SUCCEEDED');
    expect(absentRun.statesEntered).toEqual(['Which', 'Missing?', 'Absent']);
    const presentRun = await runner.run({ probe: 'presence', missing: 1 });
    expect(presentRun.statesEntered).toEqual(['Which', 'Missing?', 'Present']);
  });

  test('a JSONPath filter that matches nothing yields an empty array', async () => {
    const matching = await runner.run({ probe: 'filter', list: [{ failed: true }, { failed: false }] });
    expect(matching.output).toEqual({ failed: [{ failed: true }] });
    const none = await runner.run({ probe: 'filter', list: [{ failed: false }] });
    expect(none.status).toBe('SUCCEEDED');
    expect(none.output).toEqual({ failed: [] });
  });
});
