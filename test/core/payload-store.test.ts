import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PayloadStore, SequentialWorkflow, Step } from '../../src';
import { PAYLOAD_BUCKET_ENV, PAYLOAD_PREFIX_ENV } from '../../src/runtime';
import { inlineFunction, logicalIdOf, newStack } from '../util';

/** The statements of the policies of `roleHint`'s role: separate policies, or inline in the role (a WorkflowFunction's). */
function policyStatementsOf(template: Template, roleHint: string): any[] {
  const separate = Object.entries<any>(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.includes(roleHint))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const inline = Object.entries<any>(template.findResources('AWS::IAM::Role'))
    .filter(([id]) => id.includes(roleHint))
    .flatMap(([, r]) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement))
    .filter((st: any) => !JSON.stringify(st.Action).includes('logs:'));
  return [...separate, ...inline];
}

describe('PayloadStore: the created bucket', () => {
  const stack = newStack();
  new PayloadStore(stack, 'Payloads');
  const template = Template.fromStack(stack);

  test('encrypted (SSE-S3), public access blocked, owner-enforced, objects expiring after 90 days, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'ExpirePayloads', Prefix: 'payloads/', ExpirationInDays: 90, Status: 'Enabled' },
            { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
          ],
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('TLS only: the bucket policy denies requests without aws:SecureTransport', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('PayloadStore: attached to a function through Step.lambda', () => {
  test('the function gets the bucket and prefix in its environment, and Put/Get on the prefix only', () => {
    const stack = newStack();
    const store = new PayloadStore(stack, 'Payloads', { keyPrefix: 'render/' });
    const fn = inlineFunction(stack, 'Render');
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Render', fn, { payloadStore: store })] });
    const template = Template.fromStack(stack);
    const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'Payloads');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [PAYLOAD_BUCKET_ENV]: { Ref: bucketId }, [PAYLOAD_PREFIX_ENV]: 'render/' } },
    });
    const s3Statements = policyStatementsOf(template, 'Render').filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3Statements).toEqual([{
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/render/*']] },
    }]);
    // the state machine itself never touches the bucket
    expect(JSON.stringify(policyStatementsOf(template, 'WfStateMachine'))).not.toContain('s3:');
  });

  test('with a customer key: SSE-KMS with a bucket key, and the function may use the key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const store = new PayloadStore(stack, 'Payloads', { encryptionKey: key, expiration: Duration.days(7) });
    const fn = inlineFunction(stack, 'Render');
    store.grantReadWrite(fn);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    store.grantRead(reader);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) },
    });
    const fnKms = policyStatementsOf(template, 'Render').filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(fnKms).toEqual([expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'] })]);
    const readerStatements = policyStatementsOf(template, 'Reader');
    expect(readerStatements.map((s) => s.Action)).toEqual(['s3:GetObject', 'kms:Decrypt']);
  });

  test('the user\'s own bucket', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Mine', 'my-payloads');
    const store = new PayloadStore(stack, 'Payloads', { bucket });
    store.grantReadWrite(inlineFunction(stack, 'Render'));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { [PAYLOAD_BUCKET_ENV]: 'my-payloads' } } });
  });

  test('bad input', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Mine', 'my-payloads');
    expect(() => new PayloadStore(stack, 'A', { bucket, expiration: Duration.days(3) }))
      .toThrow(/^\[TestStack\/A\] bucket is set together with encryptionKey\/expiration\/removalPolicy/);
    expect(() => new PayloadStore(stack, 'B', { bucket, removalPolicy: RemovalPolicy.DESTROY })).toThrow(/bucket is set together/);
    expect(() => new PayloadStore(stack, 'C', { bucketKey: new kms.Key(stack, 'K') })).toThrow(/^\[TestStack\/C\] bucketKey describes your own bucket/);
    expect(() => new PayloadStore(stack, 'D', { keyPrefix: '/abs' })).toThrow(/^\[TestStack\/D\] keyPrefix '\/abs' must be a non-empty S3 key prefix ending with '\/'/);
    expect(() => new PayloadStore(stack, 'E', { expiration: Duration.hours(12) })).toThrow(/^\[TestStack\/E\] expiration is 12 hours; S3 lifecycle expiration counts whole days/);
    const store = new PayloadStore(stack, 'F');
    const fn = inlineFunction(stack, 'Fn');
    expect(() => Step.lambdaFunction('X', fn.alias, { payloadStore: store })).toThrow(/payloadStore needs a WorkflowFunction/);
  });
});
