import { createHash } from 'crypto';
import { ArnFormat, CfnElement, IResolveContext, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { DEFAULTS } from './constants';

/**
 * An execution role whose grants all land in ONE inline policy of the role itself, instead of the
 * separate `AWS::IAM::Policy` (`DefaultPolicy`) aws-cdk-lib creates: one resource less per
 * function, same permissions. Inline policies are part of `AWS::IAM::Role` (`Policies`), see
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
 * (an inline policy is embedded in its role: deleted with it, never shared with another principal).
 * The role keeps CloudFormation's 10,240-character aggregate inline policy limit in mind:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 * @internal
 */
export class InlinePolicyRole extends iam.Role {
  private document?: iam.PolicyDocument;

  public constructor(scope: Construct, id: string, props: iam.RoleProps) {
    const document = new iam.PolicyDocument();
    super(scope, id, { ...props, inlinePolicies: { ...props.inlinePolicies, Permissions: document } });
    this.document = document;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (isXrayWrite(statement)) {
      // Active tracing needs xray:PutTraceSegments/PutTelemetryRecords on "*" (X-Ray has no
      // resource-level permissions: https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html).
      // The AWS managed policy for exactly that keeps the unavoidable wildcard out of the role's own
      // policy (no extra resource: ManagedPolicyArns is a property of the role), so reviewers and
      // cdk-nag can tell it apart from a wildcard someone adds:
      // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html
      this.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(XRAY_WRITE_POLICY));
      // The library acknowledges exactly this one finding (by its full id); any other managed
      // policy or wildcard on the role is still reported.
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${XRAY_WRITE_POLICY}]`,
        reason: 'Active X-Ray tracing of a WorkflowFunction: AWSXRayDaemonWriteAccess grants only the X-Ray writes and sampling reads, which support no resource-level permissions (Resource "*"); kept out of the role\'s own policy so that a wildcard added there is still reported.',
      });
      return { statementAdded: true, policyDependable: this };
    }
    if (!this.document) {
      // called from the base constructor (never today): fall back to aws-cdk-lib's behaviour
      return super.addToPrincipalPolicy(statement);
    }
    this.document.addStatements(statement);
    return { statementAdded: true, policyDependable: this };
  }
}

/** AWS managed policy granting the X-Ray writes of active tracing. @internal */
export const XRAY_WRITE_POLICY = 'AWSXRayDaemonWriteAccess';

/** The statement aws-cdk-lib's Function adds for active tracing. */
function isXrayWrite(statement: iam.PolicyStatement): boolean {
  const json = statement.toStatementJson();
  const actions = ([] as string[]).concat(json.Action ?? []).sort();
  const resources = ([] as string[]).concat(json.Resource ?? []);
  return json.Effect === 'Allow' && !json.Condition && !json.NotAction && !json.Principal
    && actions.length === 2 && actions[0] === 'xray:PutTelemetryRecords' && actions[1] === 'xray:PutTraceSegments'
    && resources.length === 1 && resources[0] === '*';
}

const LOG_GROUP_ID = 'WorkflowFunctionLogs';

/**
 * The log group every `WorkflowFunction` of a stack writes to (one per customer key), through
 * Lambda's advanced logging config (`LoggingConfig.LogGroup`):
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html ("You can
 * configure multiple Lambda functions to send logs to the same CloudWatch log group ... the log
 * streams Lambda creates include the function name and function version", stream names
 * `YYYY/MM/DD/<function_name>[<function_version>][<execution_environment_GUID>]`), so every line
 * still says which function wrote it. One resource per stack instead of one per function.
 * @internal
 */
export function sharedFunctionLogGroup(scope: IConstruct, key?: kms.IKey): logs.LogGroup {
  const stack = Stack.of(scope);
  const suffix = key ? createHash('sha256').update(key.node.path).digest('hex').slice(0, 8).toUpperCase() : '';
  const id = `${LOG_GROUP_ID}${suffix}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) {
    return existing as logs.LogGroup;
  }
  // With a customer key, a fixed name lets the key policy name the exact log group ARN (no
  // log-group:* wildcard); without one, CloudFormation generates the name, so that deleting and
  // re-creating the stack never collides with the retained group. Custom Lambda log group names
  // must not begin with "aws/" (same Lambda page).
  const logGroupName = key ? `/cdk-stateful-workflows/${stack.stackName}/functions-${suffix.toLowerCase()}` : undefined;
  const group = new logs.LogGroup(stack, id, {
    logGroupName,
    retention: DEFAULTS.functionLogRetention,
    removalPolicy: RemovalPolicy.RETAIN,
    encryptionKey: key,
  });
  if (key) {
    allowLogsToUseKey(group, key, stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName!, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  }
  return group;
}

/**
 * CloudWatch Logs encrypts a log group with a customer key only if the key policy lets the regional
 * Logs principal use it; the statement is scoped to this one log group through the encryption
 * context: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 * @internal
 */
export function allowLogsToUseKey(scope: IConstruct, key: kms.IKey, logGroupArn: string): void {
  if (!(key instanceof kms.Key)) {
    // an imported key's policy cannot be changed from here
    return;
  }
  const stack = Stack.of(scope);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
  }));
}

/**
 * Computes the logical id of `fn.currentVersion` once per synthesis instead of at every
 * resolution. aws-cdk-lib names that version `<id><hash of the function's resolved properties>`
 * (so that a changed configuration publishes a new version) and recomputes the hash each time the
 * id is resolved: about nine times per function and synthesis (references, validation, tree
 * metadata, template), each resolving the whole function resource.
 *
 * The id is still computed by aws-cdk-lib; it is only remembered from the moment the construct
 * tree is validated, which aws-cdk-lib does after aspects and reference resolution, when no
 * construct changes any more, and until the next validation (the next `synth()`), which computes
 * it afresh. Before that (construction, aspects), every resolution computes it as before.
 * @internal
 */
export function memoizeCurrentVersionId(fn: lambda.Function): void {
  const cfn = fn.currentVersion.node.defaultChild as CfnElement;
  // the token aws-cdk-lib's currentVersion gave the version as its logical id
  const original = (cfn as unknown as { _logicalIdOverride?: string })._logicalIdOverride;
  if (original === undefined) {
    return;
  }
  let frozen = false;
  let remembered: string | undefined;
  cfn.overrideLogicalId(Lazy.uncachedString({
    produce: (context: IResolveContext) => {
      if (remembered !== undefined) {
        return remembered;
      }
      const id = context.resolve(original) as string;
      if (frozen) {
        remembered = id;
      }
      return id;
    },
  }, { displayHint: `${cfn.node.path}.LogicalID` }));
  fn.node.addValidation({
    validate: () => {
      frozen = true;
      remembered = undefined;
      return [];
    },
  });
}
