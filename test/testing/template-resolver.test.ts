import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Tags } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Saga, Step, WorkflowAlarms, WorkflowFunction } from '../../src';
import { stackTemplate } from '../../src/testing/stack-template';
import { CfnTemplate, TemplateResolver } from '../../src/testing/template-resolver';

const template: CfnTemplate = {
  Parameters: { Stage: { Type: 'String', Default: 'prod' }, Free: { Type: 'String' } },
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    NamedFn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: { 'Fn::Join': ['-', ['named', { Ref: 'Stage' }]] } } },
    Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live', FunctionVersion: '1' } },
    ArnAlias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { 'Fn::GetAtt': ['NamedFn', 'Arn'] }, Name: 'live', FunctionVersion: '1' } },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    NamedMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'orders' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
  },
};

describe('TemplateResolver', () => {
  const r = new TemplateResolver(template);

  test('Refs resolve to stable fake values derived from logical ids', () => {
    expect(r.resolve({ Ref: 'Alias' })).toBe('arn:aws:lambda:us-east-1:123456789012:function:Fn:live');
    expect(r.resolve({ Ref: 'ArnAlias' })).toBe('arn:aws:lambda:us-east-1:123456789012:function:named-prod:live');
    expect(r.resolve({ Ref: 'Table' })).toBe('Table');
    expect(r.resolve({ Ref: 'Machine' })).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:Machine');
    expect(r.resolve({ Ref: 'NamedMachine' })).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:orders');
    expect(r.resolve({ Ref: 'Queue' })).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/Queue');
    expect(r.resolve({ Ref: 'Free' })).toBe('Free');
  });

  test('pseudo parameters, GetAtt, Join, Sub, Select and Split', () => {
    expect(r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, '.', { Ref: 'AWS::URLSuffix' }]] })).toBe(
      'arn:aws:x:us-east-1:123456789012.amazonaws.com',
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/Table');
    expect(r.resolve({ 'Fn::GetAtt': ['Machine', 'Name'] })).toBe('Machine');
    expect(r.resolve({ 'Fn::Sub': 'a-${Table}-${Machine.Name}-${AWS::Region}-${!Literal}' })).toBe('a-Table-Machine-us-east-1-${Literal}');
    expect(r.resolve({ 'Fn::Sub': ['${X}/${Table}', { X: { Ref: 'Stage' } }] })).toBe('prod/Table');
    expect(r.resolve({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] })).toBe('Machine');
    expect(r.resolve({ a: [{ Ref: 'AWS::NoValue' }, 1], b: { Ref: 'AWS::NoValue' } })).toEqual({ a: [1] });
  });

  test('the same template always resolves to the same values; unknown ids and intrinsics are clear errors', () => {
    const again = new TemplateResolver(template);
    expect(again.resolve({ Ref: 'Alias' })).toBe(r.resolve({ Ref: 'Alias' }));
    expect(() => r.resolve({ Ref: 'Nope' })).toThrow(/the template has no resource 'Nope'/);
    expect(() => r.resolve({ 'Fn::If': ['c', 1, 2] })).toThrow(/'Fn::If' is not supported/);
  });
});

describe('stackTemplate: the template the runner reads', () => {
  /** A single-stack app with a 3-step saga (GIVEN of most cases); `extra` adds to it before returning. */
  function sagaApp(extra?: (app: App, stack: Stack) => void): { app: App; stack: Stack } {
    const app = new App();
    const stack = new Stack(app, 'Orders');
    const code = lambda.Code.fromInline('exports.handler = async (e) => e;');
    const fns = [1, 2, 3].map((i) => new WorkflowFunction(stack, `Fn${i}`, { code }));
    new Saga(stack, 'Saga', {
      steps: fns.map((fn, i) => ({ action: Step.lambda(`Step ${i + 1}`, fn), compensation: i < 2 ? Step.lambda(`Undo ${i + 1}`, fn) : undefined })),
    });
    extra?.(app, stack);
    return { app, stack };
  }
  const synthesized = (stack: Stack) => Template.fromStack(stack).toJSON();
  const assemblyOf = (app: App) => (app as unknown as { assembly?: unknown }).assembly;
  /**
   * What synthesis adds that rendering does not, none of which the runner reads: the
   * version-reporting resource, the bootstrap-version check and the `DependsOn` of deployment order.
   */
  const withoutSynthesisAdditions = (t: Record<string, any>) => {
    const { CDKMetadata: _m, ...resources } = t.Resources;
    for (const [id, r] of Object.entries<Record<string, unknown>>(resources)) {
      const { DependsOn: _d, ...rest } = r;
      resources[id] = rest;
    }
    return { ...t, Resources: resources, Parameters: undefined, Rules: undefined, Conditions: undefined };
  };

  test('GIVEN a single-stack app WHEN the runner reads it THEN the stack is rendered, unsynthesized, with the resources synthesis gives', () => {
    // GIVEN
    const { app, stack } = sagaApp();
    // the same app, never read by the runner
    const reference = synthesized(sagaApp().stack);

    // WHEN
    const { template: rendered, source } = stackTemplate(stack);

    // THEN
    expect(source).toBe('rendered');
    expect(assemblyOf(app)).toBeUndefined();
    expect(fs.existsSync(path.join(app.outdir, 'manifest.json'))).toBe(false);
    expect(withoutSynthesisAdditions(rendered)).toEqual(withoutSynthesisAdditions(reference));
    // and the app's own synthesis afterwards is exactly that of an app the runner never read
    expect(synthesized(stack)).toEqual(reference);
  });

  test('GIVEN tags on the app WHEN rendered THEN the later synthesis still applies them', () => {
    const tag = (app: App) => Tags.of(app).add('team', 'payments');
    const { stack } = sagaApp(tag);

    expect(stackTemplate(stack).source).toBe('rendered');

    expect(synthesized(stack)).toEqual(synthesized(sagaApp(tag).stack));
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', { Tags: [{ Key: 'team', Value: 'payments' }] });
  });

  test('GIVEN a role whose default policy is too large for one inline policy WHEN rendered THEN it is split as synthesis splits it', () => {
    // 200 statements of ~100 characters exceed the 10,240-character inline limit of a role
    const bigPolicy = (_app: App, stack: Stack) => {
      const role = new iam.Role(stack, 'Big', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      for (let i = 0; i < 200; i++) {
        role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::bucket-number-${i}-with-a-rather-long-name/*`] }));
      }
    };
    const { stack } = sagaApp(bigPolicy);
    const reference = synthesized(sagaApp(bigPolicy).stack);

    const { template: rendered, source } = stackTemplate(stack);

    expect(source).toBe('rendered');
    expect(Object.keys(rendered.Resources ?? {}).some((id) => id.startsWith('BigOverflowPolicy'))).toBe(true);
    expect(withoutSynthesisAdditions(rendered)).toEqual(withoutSynthesisAdditions(reference));
    expect(synthesized(stack)).toEqual(reference);
  });

  test('GIVEN any other aspect WHEN read THEN the stage is synthesized (so the aspect applies) and its assembly is reused', () => {
    // GIVEN an aspect that adds alarm actions
    const notify = (_app: App, stack: Stack) => WorkflowAlarms.notifyAll(stack, new cw_actions.SnsAction(new sns.Topic(stack, 'Pager')));
    const { app, stack } = sagaApp(notify);

    // WHEN
    const { template: rendered, source } = stackTemplate(stack);

    // THEN
    expect(source).toBe('synthesized');
    expect(assemblyOf(app)).toBeDefined();
    const alarms = Object.values(rendered.Resources ?? {}).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.filter((r) => Array.isArray(r.Properties?.AlarmActions)).length).toBeGreaterThan(0);
    expect(stackTemplate(stack).source).toBe('assembly');
  });

  test('GIVEN an app with two stacks WHEN read THEN the stage is synthesized (references between stacks are prepared by synthesis)', () => {
    const { stack } = sagaApp((app) => new Stack(app, 'Other'));

    expect(stackTemplate(stack).source).toBe('synthesized');
  });

  test('GIVEN a construct that fails validation WHEN rendered THEN it fails as synthesis does, naming the construct', () => {
    const { stack } = sagaApp((_app, s) => s.node.addValidation({ validate: () => ['the widget needs a name'] }));

    expect(() => stackTemplate(stack)).toThrow('Validation failed with the following errors:\n  [Orders] the widget needs a name');
  });
});
