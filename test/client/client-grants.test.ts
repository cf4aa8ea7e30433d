/**
 * grantWorkflowClient: exactly the IAM WorkflowClient calls, per workflow type and pattern.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CheckpointedWorkflow, CheckpointTable, Saga, Step, WorkflowType } from '../../src';
import { grantWorkflowClient } from '../../src/core/client-grants';
import { inlineFunction, newStack } from '../util';

function policyOf(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements: any[] = [];
  for (const policy of Object.values(policies) as any[]) {
    if (policy.Properties.Roles.some((r: any) => r.Ref?.startsWith(roleLogicalIdPrefix))) {
      statements.push(...policy.Properties.PolicyDocument.Statement);
    }
  }
  return statements;
}

describe('grantWorkflowClient', () => {
  test('Standard saga: start/list on the machine, describe/history/stop/redrive on its executions, nothing else', () => {
    // GIVEN
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const saga = new Saga(stack, 'Order', { steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: Step.lambda('Ship', fn) }] });
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    grantWorkflowClient(saga, role);

    // THEN
    const template = Template.fromStack(stack);
    const machine = stack.resolve((saga.stateMachine.node.defaultChild as any).logicalId);
    expect(policyOf(template, 'AppRole')).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution', 'states:ListExecutions'], Resource: { Ref: machine } },
      {
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution', 'states:RedriveExecution'],
        Resource: {
          'Fn::Join': ['', [
            'arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:',
            { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: machine }] }] },
            ':*',
          ]],
        },
      },
    ]);
  });

  test('Express checkpointed workflow: StartExecution + StartSyncExecution only; GetItem/Query limited to the namespace', () => {
    // GIVEN
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const job = new CheckpointedWorkflow(stack, 'Job', {
      type: WorkflowType.EXPRESS, keyPath: '$.jobId', namespace: 'jobs', steps: [{ step: Step.lambda('Fetch', fn) }],
    });
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    grantWorkflowClient(job, role);

    // THEN
    const template = Template.fromStack(stack);
    const machine = stack.resolve((job.stateMachine.node.defaultChild as any).logicalId);
    const table = stack.resolve((job.table.table.node.defaultChild as any).logicalId);
    expect(policyOf(template, 'AppRole')).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution', 'states:StartSyncExecution'], Resource: { Ref: machine } },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['jobs#*'] } },
      },
    ]);
  });

  test('Express saga: StartSyncExecution only', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const saga = new Saga(stack, 'Quick', { type: WorkflowType.EXPRESS, steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: Step.lambda('Ship', fn) }] });
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    grantWorkflowClient(saga, role);
    const statements = policyOf(Template.fromStack(stack), 'AppRole');
    expect(statements.map((s) => s.Action)).toEqual(['states:StartSyncExecution']);
  });

  test('customer-managed keys: decrypt/generate on the machine key for this machine only, decrypt on the table key', () => {
    // GIVEN
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const machineKey = new kms.Key(stack, 'MachineKey');
    const tableKey = new kms.Key(stack, 'TableKey');
    const table = new CheckpointTable(stack, 'Checkpoints', { encryptionKey: tableKey });
    const job = new CheckpointedWorkflow(stack, 'Job', {
      keyPath: '$.jobId', table, encryptionKey: machineKey, steps: [{ step: Step.lambda('Fetch', fn) }],
    });
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    grantWorkflowClient(job, role);

    // THEN
    const template = Template.fromStack(stack);
    const machine = stack.resolve((job.stateMachine.node.defaultChild as any).logicalId);
    const statements = policyOf(template, 'AppRole');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [stack.resolve((machineKey.node.defaultChild as any).logicalId), 'Arn'] },
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': { Ref: machine } } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [stack.resolve((tableKey.node.defaultChild as any).logicalId), 'Arn'] },
    });
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${job.namespace}#*`] } },
    }));
    // no write access to the table anywhere in the client's policy
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:(Put|Update|Delete|BatchWrite)/);
  });

  test('a namespace with IAM wildcard characters is refused, naming the construct', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const saga = new Saga(stack, 'Order', { steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', fn) }, { action: Step.lambda('Ship', fn) }] });
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const table = new CheckpointTable(stack, 'Checkpoints');
    expect(() => grantWorkflowClient(saga, role, { checkpointTable: table, checkpointNamespace: 'orders*' }))
      .toThrow(/\[TestStack\/Order\] grantWorkflowClient: checkpoint namespace 'orders\*' contains '\*' or '\?'/);
  });
});
