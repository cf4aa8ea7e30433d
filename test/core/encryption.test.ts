import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HybridWorkflow, SequentialWorkflow, Step, WorkflowType } from '../../src';
import { inlineFunction, newStack } from '../util';

/**
 * One encryptionKey for the state machine and its log group (issue 14): the role's KMS grant is
 * conditioned on the real state machine ARN, and the key policy lets CloudWatch Logs use the key
 * for this workflow's log group only, with named actions.
 */
function build(stateMachineName?: string) {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  new SequentialWorkflow(stack, 'Orders', { encryptionKey: key, stateMachineName, steps: [Step.pass('P')] });
  const template = Template.fromStack(stack);
  const machine = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const statements = Object.values<any>(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  const keyPolicy = Object.values<any>(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as any[];
  return { template, machine, statements, keyPolicy };
}

function stateMachineCondition(statements: any[]): any {
  const grant = statements.find((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:states:stateMachineArn']);
  return grant.Condition.StringEquals['kms:EncryptionContext:aws:states:stateMachineArn'];
}

describe('state machine encrypted with a customer key', () => {
  test('without stateMachineName a physical name is generated, and the KMS grant is conditioned on exactly that ARN', () => {
    const { machine, statements } = build();
    const name = machine.Properties.StateMachineName;
    expect(name).toMatch(/^TestStack-Orders-[A-Z0-9]{8}$/);
    expect(name.length).toBeLessThanOrEqual(80);
    // before: 'arn:...:stateMachine:' with an empty name, which no execution's encryption context matches
    expect(stateMachineCondition(statements)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:us-east-1:123456789012:stateMachine:${name}`]],
    });
  });

  test('with stateMachineName the condition names it', () => {
    const { machine, statements } = build('orders');
    expect(machine.Properties.StateMachineName).toBe('orders');
    expect(JSON.stringify(stateMachineCondition(statements))).toContain(':stateMachine:orders');
  });

  test('the key policy lets CloudWatch Logs use the key for this workflow\'s log group only, with named actions', () => {
    const { template, keyPolicy } = build();
    const logGroup = Object.values<any>(template.findResources('AWS::Logs::LogGroup'))[0];
    const logsStatement = keyPolicy.find((s) => JSON.stringify(s.Principal).includes('logs.us-east-1.amazonaws.com'));
    expect(logsStatement).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:123456789012:log-group:${logGroup.Properties.LogGroupName}`]],
          },
        },
      },
    });
    expect(JSON.stringify(logsStatement)).not.toMatch(/kms:(ReEncrypt|GenerateDataKey|Describe|Encrypt|Decrypt)\*/);
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
  });

  test('two workflows on one key get one statement each, each scoped to its own log group', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new SequentialWorkflow(stack, 'A', { encryptionKey: key, steps: [Step.pass('P')] });
    new SequentialWorkflow(stack, 'B', { encryptionKey: key, steps: [Step.pass('P')] });
    const keyPolicy = Object.values<any>(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as any[];
    const arns = keyPolicy
      .filter((s) => JSON.stringify(s.Principal).includes('logs.us-east-1'))
      .map((s) => s.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']['Fn::Join'][1][2] as string);
    expect(arns).toHaveLength(2);
    expect(arns[0]).not.toEqual(arns[1]);
    expect(arns.every((a: string) => a.startsWith(':logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/'))).toBe(true);
  });

  test('without a key no physical name is forced (CloudFormation generates it as before)', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Orders', { steps: [Step.pass('P')] });
    const machine = Object.values<any>(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(machine.Properties.StateMachineName).toBeUndefined();
  });
});

describe('log retention chosen per role of the log', () => {
  test('Express: 90 days (its logs are the only execution record; Standard keeps history 90 days)', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, steps: [Step.pass('P')] });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('Standard: 30 days (Step Functions keeps the execution history itself)', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')] });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('an explicit retention wins', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { type: WorkflowType.EXPRESS, logging: { retention: logs.RetentionDays.ONE_YEAR }, steps: [Step.pass('P')] });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });
});

describe('the workflow key and the functions it invokes', () => {
  test('functions without their own key are named in a warning; with the key passed to them, no warning and their environment uses it', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const plain = inlineFunction(stack, 'Plain');
    const keyed = inlineFunction(stack, 'Keyed', { encryptionKey: key });
    new SequentialWorkflow(stack, 'Orders', { encryptionKey: key, steps: [Step.lambda('A', plain), Step.lambda('B', keyed)] });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('functionsWithoutWorkflowKey'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(/have no customer key for their environment and log group: TestStack\/Plain\. Pass the same key/);
    expect(warnings[0].entry.data).not.toMatch(/Keyed/);
    const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const keyedFn = Object.entries<any>(fns).find(([id]) => id.startsWith('Keyed'))![1];
    expect(keyedFn.Properties.KmsKeyArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });

    const stack2 = newStack();
    const key2 = new kms.Key(stack2, 'Key');
    new SequentialWorkflow(stack2, 'Orders', { encryptionKey: key2, steps: [Step.lambda('B', inlineFunction(stack2, 'Keyed', { encryptionKey: key2 }))] });
    expect(Annotations.fromStack(stack2).findWarning('*', Match.stringLikeRegexp('functionsWithoutWorkflowKey'))).toEqual([]);
  });

  test('a HybridWorkflow names each function once: an express step\'s in its child\'s warning, a Standard step\'s in the parent\'s (the parent\'s alarms watching the children\'s functions do not repeat them)', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const check = inlineFunction(stack, 'Check', { timeout: Duration.seconds(10) });
    const book = inlineFunction(stack, 'Book');
    new HybridWorkflow(stack, 'H', {
      encryptionKey: key,
      steps: [
        { step: Step.lambda('Check', check, { idempotent: true, timeout: Duration.seconds(15) }), express: true },
        { step: Step.lambda('Book', book) },
      ],
    });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('functionsWithoutWorkflowKey'));
    expect(warnings.map((w) => [w.id, String(w.entry.data).match(/TestStack\/(Check|Book)/g)]).sort()).toEqual([
      ['/TestStack/H', ['TestStack/Book']],
      ['/TestStack/H/ExpressGroup1', ['TestStack/Check']],
    ]);
  });
});
