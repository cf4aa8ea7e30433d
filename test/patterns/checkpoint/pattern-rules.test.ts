import { Template } from 'aws-cdk-lib/assertions';
import { CheckpointedWorkflow, CheckpointTable, Step } from '../../../src';
import { newStack } from '../../util';

/** Pattern rules of the checkpointed workflow (docs/validation.md): refused at synth time, naming path, value and fix. */
describe('checkpoint pattern rules', () => {
  const steps = [{ step: Step.pass('A') }];

  test.each(['$.results', '$.results.id', '$.checkpoint.key', '$.checkpointError'])('keyPath %s under a reserved field is refused', (keyPath) => {
    const stack = newStack();
    const root = keyPath.slice(2).split('.')[0];
    expect(() => new CheckpointedWorkflow(stack, 'Wf', { keyPath, steps })).toThrow(
      new RegExp(`^\\[TestStack/Wf\\] keyPath '${keyPath.replace(/[$.]/g, (c) => `\\${c}`)}' is under \\$\\.${root}, which the workflow reserves for its own state .*every execution would be refused\\. Read the key from an input field of your own, e\\.g\\. '\\$\\.jobId'\\.$`),
    );
  });

  test('a keyPath that only starts like a reserved field is accepted', () => {
    const stack = newStack();
    expect(() => new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.resultsId', steps })).not.toThrow();
  });

  test("a namespace containing '#' is refused, with a usable suggestion", () => {
    const stack = newStack();
    expect(() => new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', namespace: 'orders#v2', steps })).toThrow(
      /^\[TestStack\/Wf\] namespace 'orders#v2' contains '#', which separates the namespace from the key in the partition key \('<namespace>#<key>'\).*Use a value without '#', e\.g\. 'orders-v2'\.$/,
    );
  });

  test("a default namespace (the construct path) containing '#' is refused, asking for an explicit namespace", () => {
    const stack = newStack();
    expect(() => new CheckpointedWorkflow(stack, 'Job#1', { keyPath: '$.id', steps })).toThrow(
      /^\[TestStack\/Job#1\] namespace 'TestStack\/Job#1' \(the construct path, the default\) contains '#'.*Set namespace to a value without '#', e\.g\. 'TestStack\/Job-1'\.$/,
    );
    // the fix works
    expect(() => new CheckpointedWorkflow(stack, 'Job#2', { keyPath: '$.id', namespace: 'job-2', steps })).not.toThrow();
  });

  test('two workflows with the same namespace on one table are refused, naming both', () => {
    const stack = newStack();
    const table = new CheckpointTable(stack, 'Shared');
    new CheckpointedWorkflow(stack, 'First', { keyPath: '$.id', table, namespace: 'orders', steps });
    expect(() => new CheckpointedWorkflow(stack, 'Second', { keyPath: '$.id', table, namespace: 'orders', steps })).toThrow(
      /^\[TestStack\/Second\] namespace 'orders' is already used by the CheckpointedWorkflow TestStack\/First on the table TestStack\/Shared: .*Give each workflow sharing the table its own namespace\.$/,
    );
  });

  test('workflows sharing a table with distinct namespaces, or one namespace on distinct tables, are accepted', () => {
    const stack = newStack();
    const table = new CheckpointTable(stack, 'Shared');
    new CheckpointedWorkflow(stack, 'First', { keyPath: '$.id', table, namespace: 'orders', steps });
    new CheckpointedWorkflow(stack, 'Second', { keyPath: '$.id', table, namespace: 'invoices', steps });
    new CheckpointedWorkflow(stack, 'Third', { keyPath: '$.id', table, steps });
    new CheckpointedWorkflow(stack, 'Elsewhere', { keyPath: '$.id', namespace: 'orders', steps });
    expect(Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 4)).toBeUndefined();
  });
});

describe('checkpoint bookkeeping tasks go through the step model', () => {
  const steps = [{ step: Step.pass('A') }];
  test('save and release: IAM derived from the graph, limited to the namespace by dynamodb:LeadingKeys', () => {
    const stack = newStack();
    new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', namespace: 'ns', steps });
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Action).includes('dynamodb:'));
    const condition = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ns#*'] } };
    // one statement per rendered task, each with the namespace condition, none without it
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Condition).toEqual(condition);
    }
    // the checkpoint writes and the release are both conditional UpdateItem calls
    expect([...new Set(statements.map((s: any) => s.Action))]).toEqual(['dynamodb:updateItem']);
  });
});
