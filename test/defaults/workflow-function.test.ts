import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CheckpointedWorkflow, CheckpointTable, SequentialWorkflow, Step, WorkflowFunction } from '../../src';
import { inlineFunction, newStack } from '../util';

function resourceTypes(stack: Stack): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(Template.fromStack(stack).toJSON().Resources) as any[]) {
    counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  }
  return counts;
}

function inlinePolicyStatements(template: Template, roleHint: string): any[] {
  const roles = template.findResources('AWS::IAM::Role');
  const id = Object.keys(roles).find((k) => k.startsWith(roleHint))!;
  return roles[id].Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
}

describe('WorkflowFunction: <= 4 resources with every default', () => {
  test('function, role (policy inline), version, alias; the log group is shared by the stack', () => {
    const stack = newStack();
    inlineFunction(stack, 'One');
    expect(resourceTypes(stack)).toEqual({
      'AWS::Lambda::Function': 1,
      'AWS::IAM::Role': 1,
      'AWS::Lambda::Version': 1,
      'AWS::Lambda::Alias': 1,
      'AWS::Logs::LogGroup': 1, // per stack, not per function
    });
    // every default is on: alias with provisioned concurrency, X-Ray, logs
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Alias', { ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^WorkflowFunctionLogs') } },
    });
  });

  test('each further function adds exactly 4 resources, none of them an AWS::IAM::Policy', () => {
    const stack = newStack();
    for (let i = 0; i < 5; i++) inlineFunction(stack, `Fn${i}`);
    const counts = resourceTypes(stack);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(5 * 4 + 1);
    expect(counts['AWS::IAM::Policy']).toBeUndefined();
  });

  test('log writes go into the role\'s own inline policy, scoped to the shared log group; X-Ray\'s wildcard stays out of it', () => {
    const stack = newStack();
    inlineFunction(stack, 'Fn');
    const template = Template.fromStack(stack);
    const statements = inlinePolicyStatements(template, 'FnServiceRole');
    expect(statements).toEqual([{
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowFunctionLogs/), 'Arn'] },
    }]);
    // the unavoidable X-Ray "*" comes from the AWS managed policy made for it (no extra resource)
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AWSXRayDaemonWriteAccess']] }],
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('AWSLambdaBasicExecutionRole');
  });

  test('tracing off: no X-Ray policy at all', () => {
    const stack = newStack();
    inlineFunction(stack, 'Fn', { tracing: lambda.Tracing.DISABLED });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test('a wildcard someone grants the function stays in its own inline policy, visible to a review', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:DeleteTable'], resources: ['*'] }));
    expect(JSON.stringify(inlinePolicyStatements(Template.fromStack(stack), 'FnServiceRole'))).toContain('"dynamodb:DeleteTable","Effect":"Allow","Resource":"*"');
  });

  test('logRetention gives the function a log group of its own (opt-in, one more resource)', () => {
    const stack = newStack();
    inlineFunction(stack, 'Fn', { logRetention: logs.RetentionDays.ONE_WEEK });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7, LogGroupName: Match.absent() });
  });
});

describe('WorkflowFunction behaves like a function (issue 13)', () => {
  test('IGrantable: bucket.grantRead(fn) grants the function\'s own role, and no other function\'s', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const reader = inlineFunction(stack, 'Reader');
    inlineFunction(stack, 'Other');
    const grant = bucket.grantRead(reader);
    expect(grant.success).toBe(true);
    expect(reader.grantPrincipal).toBe(reader.role);
    const template = Template.fromStack(stack);
    const readerStatements = JSON.stringify(inlinePolicyStatements(template, 'ReaderServiceRole'));
    expect(readerStatements).toContain('s3:GetObject*');
    expect(readerStatements).toContain('Bucket');
    expect(JSON.stringify(inlinePolicyStatements(template, 'OtherServiceRole'))).not.toContain('s3:');
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('addEnvironment, layers, vpc/vpcSubnets/securityGroups, function and alias exposed', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const layer = lambda.LayerVersion.fromLayerVersionArn(stack, 'Layer', 'arn:aws:lambda:us-east-1:123456789012:layer:shared:3');
    const fn = inlineFunction(stack, 'Fn', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroups: [sg], layers: [layer] });
    expect(fn.addEnvironment('MODE', 'strict')).toBe(fn);
    expect(fn.function).toBeInstanceOf(lambda.Function);
    expect(fn.alias).toBeInstanceOf(lambda.Alias);
    expect(fn.connections.securityGroups).toEqual([sg]);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { MODE: 'strict' } },
      Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:shared:3'],
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }], SubnetIds: Match.anyValue() },
    });
  });

  test('vpcSubnets without vpc is refused', () => {
    expect(() => inlineFunction(newStack(), 'Fn', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }))
      .toThrow(/\[TestStack\/Fn\] `vpcSubnets`\/`securityGroups` are set without `vpc`/);
  });
});

describe('encryptionKey (issue 14)', () => {
  test('encrypts the environment and the shared log group of that key, scoped key policy, decrypt grant', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    inlineFunction(stack, 'Plain');
    inlineFunction(stack, 'Secret', { encryptionKey: key, environment: { A: 'b' } });
    inlineFunction(stack, 'Secret2', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      Environment: { Variables: { A: 'b' } },
    });
    // one plain shared group + one per key, shared by both keyed functions
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    const groups = template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: Match.anyValue() } });
    const [keyedName] = Object.values(groups).map((g: any) => g.Properties.LogGroupName);
    expect(keyedName).toMatch(/^\/cdk-stateful-workflows\/TestStack\/functions-[0-9a-f]{8}$/);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'logs.us-east-1.amazonaws.com' },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', Match.arrayWith([`:logs:us-east-1:123456789012:log-group:${keyedName}`])] } } },
        })]),
      },
    });
    expect(JSON.stringify(inlinePolicyStatements(template, 'SecretServiceRole'))).toContain('kms:Decrypt');
    expect(JSON.stringify(inlinePolicyStatements(template, 'PlainServiceRole'))).not.toContain('kms:');
  });

  test('the checkpoint table a workflow creates uses the workflow\'s key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const fn = inlineFunction(stack, 'Fn');
    new CheckpointedWorkflow(stack, 'Wf', { keyPath: '$.id', encryptionKey: key, steps: [{ step: Step.lambda('A', fn) }] } as any);
    new CheckpointTable(stack, 'Standalone');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
    });
    // a table created outside any workflow keeps the AWS-managed key
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true } });
  });
});

describe('concurrency validation (issue 10 defect 6)', () => {
  test('reservedConcurrency 0 is refused with path, value and fix', () => {
    expect(() => inlineFunction(newStack(), 'Fn', { provisionedConcurrency: 0, reservedConcurrency: 0 }))
      .toThrow(/\[TestStack\/Fn\] reservedConcurrency is 0: Lambda would throttle every invocation.*Omit reservedConcurrency, or reserve at least/);
  });

  test('scaling maxCapacity above reservedConcurrency is refused', () => {
    expect(() => inlineFunction(newStack(), 'Fn', { provisionedConcurrency: 2, reservedConcurrency: 5, provisionedConcurrencyScaling: { maxCapacity: 8 } }))
      .toThrow(/\[TestStack\/Fn\] provisionedConcurrencyScaling.maxCapacity \(8\) is above reservedConcurrency \(5\).*Raise reservedConcurrency to at least 8 or lower maxCapacity/);
  });

  test('tokens skip the numeric checks', () => {
    const stack = newStack();
    const token = (n: number) => Lazy.number({ produce: () => n });
    expect(() => inlineFunction(stack, 'Fn', {
      provisionedConcurrency: token(2),
      reservedConcurrency: token(1),
      provisionedConcurrencyScaling: { maxCapacity: token(9) },
    })).not.toThrow();
  });

  test('a workflow over several functions keeps each grant on its own role', () => {
    const stack = newStack();
    const a = inlineFunction(stack, 'A');
    const b = inlineFunction(stack, 'B');
    new s3.Bucket(stack, 'Bucket').grantWrite(a);
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('A', a), Step.lambda('B', b)], timeout: Duration.minutes(5) });
    const template = Template.fromStack(stack);
    expect(JSON.stringify(inlinePolicyStatements(template, 'AServiceRole'))).toContain('s3:PutObject');
    expect(JSON.stringify(inlinePolicyStatements(template, 'BServiceRole'))).not.toContain('s3:');
  });
});

test('an App-less use still works (WorkflowFunction in a plain Stack)', () => {
  const stack = new Stack(new App(), 'S');
  new WorkflowFunction(stack, 'Fn', { code: lambda.Code.fromInline('exports.handler=async()=>1') });
  expect(Template.fromStack(stack).toJSON().Resources).toBeDefined();
});
