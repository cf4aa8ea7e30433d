import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HybridWorkflow, Placement, Saga, SequentialWorkflow, Step, WorkflowFunction } from '../src';
import { complianceFindings } from './compliance/harness';
import { addLibraryStatements, addLibraryWildcardPolicy, LIBRARY_WILDCARD_POLICY_ID, RESOURCE_STAR_FINDING } from '../src/nag';

/*
 * The example stacks are checked against every pack (AwsSolutions and Serverless included) in
 * test/compliance/compliance.test.ts. Here: small stacks that prove the acknowledgments are the
 * library's own and scoped, so a user's wildcard is still reported.
 */

const ENV = { account: '123456789012', region: 'us-east-1' };
const code = lambda.Code.fromInline('exports.handler = async () => 1;');

interface Built { stack: Stack; fn: WorkflowFunction; wf: SequentialWorkflow; saga: Saga }

function build(app: App, customize?: (b: Built) => void): Built {
  const stack = new Stack(app, 'Control', { env: ENV });
  const fn = new WorkflowFunction(stack, 'Fn', { code });
  const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)] });
  const undo = new WorkflowFunction(stack, 'Undo', { code, provisionedConcurrency: 0 });
  const saga = new Saga(stack, 'Saga', {
    steps: [{ action: Step.lambda('Reserve', fn), compensation: Step.lambda('Release', undo) }, { action: Step.lambda('Ship', fn) }],
  });
  const built = { stack, fn, wf, saga };
  customize?.(built);
  return built;
}

function nag(customize?: (b: Built) => void): string[] {
  return complianceFindings((outdir) => {
    const app = new App({ outdir });
    build(app, customize);
    return app;
  }, ['AwsSolutions', 'Serverless']).map((f) => `${f.rule} at ${f.path}`);
}

const deleteAnyTable = () => new iam.PolicyStatement({ actions: ['dynamodb:DeleteTable'], resources: ['*'] });

describe('cdk-nag AwsSolutions + Serverless without user acknowledgments', () => {
  test('a stack of constructs with defaults has zero findings', () => {
    expect(nag()).toEqual([]);
  });

  test('control: dynamodb:DeleteTable on * added by the user to a workflow role and a function role is still reported', () => {
    const findings = nag(({ fn, wf, saga }) => {
      wf.stateMachine.addToRolePolicy(deleteAnyTable());
      fn.role.addToPrincipalPolicy(deleteAnyTable());
      saga.stateMachine.role.addToPrincipalPolicy(deleteAnyTable());
    });
    // A function role keeps its grants inline (4 resources per function), so the user's wildcard is
    // reported on the role itself, by both packs.
    expect(findings).toEqual([
      `${RESOURCE_STAR_FINDING} at Control/Fn/ServiceRole/Resource`,
      `${RESOURCE_STAR_FINDING} at Control/Saga/StateMachineRole/DefaultPolicy/Resource`,
      `${RESOURCE_STAR_FINDING} at Control/Wf/StateMachineRole/DefaultPolicy/Resource`,
      'Serverless-LambdaStarPermissions at Control/Fn/ServiceRole/Resource',
    ]);
  });

  test('control: a wildcard that only looks like the library\'s is still reported', () => {
    const findings = nag(({ fn, wf }) => {
      // an allowlisted action mixed with another one
      wf.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'dynamodb:DeleteTable'], resources: ['*'] }));
      // PutMetricData without the namespace condition
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'] }));
      // an action wildcard
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:*'], resources: ['*'] }));
    });
    expect(findings).toEqual([
      'AwsSolutions-IAM5[Action::xray:*] at Control/Fn/ServiceRole/Resource',
      `${RESOURCE_STAR_FINDING} at Control/Fn/ServiceRole/Resource`,
      `${RESOURCE_STAR_FINDING} at Control/Wf/StateMachineRole/DefaultPolicy/Resource`,
      'Serverless-LambdaStarPermissions at Control/Fn/ServiceRole/Resource',
    ]);
  });

  test('control: a user policy of their own on a library role is reported', () => {
    const findings = nag(({ fn }) => {
      new iam.Policy(fn, 'Extra', { roles: [fn.role], statements: [deleteAnyTable()] });
    });
    expect(findings).toEqual([`${RESOURCE_STAR_FINDING} at Control/Fn/Extra/Resource`]);
  });
});

describe('the library wildcard policy', () => {
  const app = new App();
  const { stack } = build(app);
  const template = Template.fromStack(stack);

  function policyOf(rolePathPrefix: string): unknown[] {
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const id = Object.keys(policies).find((k) => k.startsWith(`${rolePathPrefix}${LIBRARY_WILDCARD_POLICY_ID}`));
    expect(id).toBeDefined();
    return policies[id!].Properties.PolicyDocument.Statement;
  }

  test('a function role: its log group inline, X-Ray from the AWS managed policy; 4 resources per function', () => {
    const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([k]) => k.startsWith('FnServiceRole'))![1];
    expect(role.Properties.Policies.map((p: any) => p.PolicyName)).toEqual(['Permissions']);
    const statements = role.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statements[0].Resource['Fn::GetAtt'][0]).toMatch(/^WorkflowFunctionLogs/);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('AWSXRayDaemonWriteAccess');
    const fnResources = stack.node.findChild('Fn').node.findAll().filter((c) => CfnResource.isCfnResource(c)).map((c) => (c as CfnResource).cfnResourceType);
    expect(fnResources.sort()).toEqual(['AWS::IAM::Role', 'AWS::Lambda::Alias', 'AWS::Lambda::Function', 'AWS::Lambda::Version']);
  });

  test('a state machine role: log delivery and X-Ray; a saga\'s also PutMetricData limited to its namespace', () => {
    const logDelivery = {
      Effect: 'Allow',
      Action: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
      Resource: '*',
    };
    const xray = {
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Resource: '*',
    };
    expect(policyOf('WfStateMachineRole')).toEqual([logDelivery, xray]);
    // the saga's statement is derived from its state graph (its metric task), so it comes first
    expect(policyOf('SagaStateMachineRole')).toEqual([{
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': Saga.METRIC_NAMESPACE } },
    }, logDelivery, xray]);
  });

  test('no wildcard is left in the roles\' DefaultPolicies', () => {
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      const resources = (policy.Properties.PolicyDocument.Statement as Array<{ Resource: unknown }>).flatMap((s) => s.Resource);
      expect({ id, star: resources.includes('*') }).toEqual({ id, star: false });
    }
  });

  test('the acknowledgment sits on the wildcard policy only, naming the exact finding', () => {
    const acknowledged = stack.node.findAll()
      .filter((c) => c.node.metadata.some((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .map((c) => `${c.node.path}: ${c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.keys(m.data)).join(', ')}`);
    expect(acknowledged.map((a) => a.replace(/Annotation::/g, ''))).toEqual([
      'Control/Fn/ServiceRole: AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSXRayDaemonWriteAccess]',
      'Control/Fn/Function/Resource: Serverless-LambdaDLQ, HIPAA.Security-LambdaDLQ, NIST.800.53.R5-LambdaDLQ',
      `Control/Wf/StateMachineRole/${LIBRARY_WILDCARD_POLICY_ID}: ${RESOURCE_STAR_FINDING}`,
      'Control/Undo/ServiceRole: AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSXRayDaemonWriteAccess]',
      'Control/Undo/Function/Resource: Serverless-LambdaDLQ, HIPAA.Security-LambdaDLQ, NIST.800.53.R5-LambdaDLQ',
      `Control/Saga/StateMachineRole/${LIBRARY_WILDCARD_POLICY_ID}: ${RESOURCE_STAR_FINDING}`,
    ]);
  });

  test('addLibraryWildcardPolicy refuses a statement that is not on the allowlist', () => {
    const s = new Stack(new App(), 'S');
    const role = new iam.Role(s, 'R', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    expect(() => addLibraryWildcardPolicy(role, [deleteAnyTable()]))
      .toThrow(/\[S\/R\] addLibraryWildcardPolicy\(\) accepts only the allowlisted actions.*dynamodb:DeleteTable/);
  });

  test('addLibraryStatements refuses any wildcard, so the acknowledgment can never hide one', () => {
    const s = new Stack(new App(), 'S');
    const role = new iam.Role(s, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => addLibraryStatements(role, [new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [`${s.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'x' })}:*`] })]))
      .toThrow(/\[S\/R\] addLibraryStatements\(\) accepts only Allow statements without wildcards/);
    expect(() => addLibraryStatements(role, [new iam.PolicyStatement({ actions: ['logs:*'], resources: ['arn:aws:logs:us-east-1:1:log-group:x'] })]))
      .toThrow(/without wildcards/);
  });

  test('a function writing to an imported log group (ARN ending in :*) is still clean, acknowledged for that ARN only', () => {
    const findings = complianceFindings((outdir) => {
      const a = new App({ outdir });
      const st = new Stack(a, 'Imported', { env: ENV });
      new WorkflowFunction(st, 'Fn', { code, logGroup: logs.LogGroup.fromLogGroupName(st, 'Logs', 'shared-functions') });
      return a;
    }, ['AwsSolutions', 'Serverless']);
    expect(findings).toEqual([]);
  });

  test('a role the user passes in gets the library statements in a policy of its own too', () => {
    const s = new Stack(new App(), 'S');
    const role = new iam.Role(s, 'Mine', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    addLibraryWildcardPolicy(role, [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] })]);
    Template.fromStack(s).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }] },
      Roles: [{ Ref: Match.stringLikeRegexp('^Mine') }],
    });
  });
});

describe('cdk-nag with parts the library placed in nested stacks', () => {
  test('functions, function alarms and Express children in nested stacks have zero findings too', () => {
    const findings = complianceFindings((outdir) => {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Placed', { env: ENV });
      const fns = ['A', 'B', 'C'].map((id) => new WorkflowFunction(stack, id, { code, placement: Placement.NESTED_STACK }));
      new Saga(stack, 'Saga', {
        steps: [{ action: Step.lambda('Reserve', fns[0]), compensation: Step.lambda('Release', fns[1]) }, { action: Step.lambda('Ship', fns[2]) }],
        alarms: { functionAlarmsPlacement: Placement.NESTED_STACK },
      });
      new HybridWorkflow(stack, 'Hybrid', {
        steps: [{ step: Step.lambda('Check', fns[2], { idempotent: true }), express: true }, { step: Step.lambda('Book', fns[0]) }],
        expressChildren: { placement: Placement.NESTED_STACK },
      });
      return app;
    }, ['AwsSolutions', 'Serverless']).map((f) => `${f.rule} at ${f.path}`);
    expect(findings).toEqual([]);
  });

  test("a user's acknowledgment on a moved function, or on a construct around it, reaches its resources in the nested stack; another function's finding is still reported", () => {
    const findings = (acknowledgeOn: 'function' | 'service' | 'nothing') => complianceFindings((outdir) => {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Placed', { env: ENV });
      const service = new Construct(stack, 'Service');
      const fn = new WorkflowFunction(service, 'Fn', { code, placement: Placement.NESTED_STACK });
      const other = new WorkflowFunction(stack, 'Other', { code, placement: Placement.NESTED_STACK });
      new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('A', fn), Step.lambda('B', other)] });
      fn.role.addToPrincipalPolicy(deleteAnyTable());
      other.role.addToPrincipalPolicy(deleteAnyTable());
      // acknowledged after the function was created, as users do
      const reason = 'DeleteTable on any table is this cleanup function\'s job (test).';
      const acks = [{ id: RESOURCE_STAR_FINDING, reason }, { id: 'Serverless-LambdaStarPermissions', reason }];
      if (acknowledgeOn === 'function') Validations.of(fn).acknowledge(...acks);
      if (acknowledgeOn === 'service') Validations.of(service).acknowledge(...acks);
      return app;
    }, ['AwsSolutions', 'Serverless']).map((f) => `${f.rule} at ${f.path}`);
    // the resources are in the nested stack, not under Placed/Service/Fn
    const otherFindings = [
      `${RESOURCE_STAR_FINDING} at Placed/WorkflowFunctions/Other/ServiceRole/Resource`,
      'Serverless-LambdaStarPermissions at Placed/WorkflowFunctions/Other/ServiceRole/Resource',
    ];
    expect(findings('nothing')).toEqual([
      `${RESOURCE_STAR_FINDING} at Placed/WorkflowFunctions/Fn/ServiceRole/Resource`,
      otherFindings[0],
      'Serverless-LambdaStarPermissions at Placed/WorkflowFunctions/Fn/ServiceRole/Resource',
      otherFindings[1],
    ]);
    expect(findings('function')).toEqual(otherFindings);
    expect(findings('service')).toEqual(otherFindings);
  });
});
