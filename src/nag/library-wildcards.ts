import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { workflowError } from '../core/errors';

/*
 * The library's own unavoidable IAM wildcards, and nothing else, live in one customer-managed
 * policy per role, `<role>/LibraryPolicy`, and the cdk-nag acknowledgments are attached to that
 * policy only, naming the exact finding (`AwsSolutions-IAM5[Resource::*]`). A wildcard the user
 * adds to the same role goes to the role's DefaultPolicy (or wherever the user puts it) and is
 * still reported.
 *
 * cdk-nag 3 reads acknowledgments from aws-cdk-lib's own `Validations.of(scope).acknowledge()`
 * metadata (`aws:cdk:acknowledged-rules`) on the resource or any ancestor, so the library writes
 * them without depending on cdk-nag at run time. A customer-managed policy (not an inline
 * AWS::IAM::Policy) also keeps HIPAA/NIST/PCI's IAMNoInlinePolicy from reporting it.
 */

/** A family of actions that support no resource-level permissions, with the documented reason. */
interface WildcardFamily {
  readonly actions: readonly string[];
  /** A condition key every statement with these actions must carry (narrowing the wildcard). */
  readonly requiredConditionKey?: string;
  readonly reason: string;
}

/**
 * The allowlist. An action is here only if AWS documents that it supports no resource-level
 * permissions, so that IAM requires `"Resource": "*"`.
 */
const FAMILIES: readonly WildcardFamily[] = [
  {
    // Service Authorization Reference, "Actions, resources, and condition keys for AWS X-Ray":
    // these four actions list no resource types.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    reason: 'X-Ray tracing: xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets support no resource-level permissions (Service Authorization Reference, AWS X-Ray), so IAM requires Resource "*".',
  },
  {
    // Step Functions Developer Guide, "Logging in CloudWatch Logs" > "IAM Policies for logging to
    // CloudWatch Logs": vended log delivery needs these actions on "*".
    // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
    actions: [
      'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
    ],
    reason: 'State machine logging uses CloudWatch Logs vended log delivery: logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups support no resource-level permissions; the Step Functions Developer Guide (Logging in CloudWatch Logs) requires Resource "*".',
  },
  {
    // CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces":
    // PutMetricData has no resource type; cloudwatch:namespace narrows it.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    actions: ['cloudwatch:PutMetricData'],
    requiredConditionKey: 'cloudwatch:namespace',
    reason: 'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the library\'s metric namespace by a cloudwatch:namespace condition (CloudWatch User Guide, Using condition keys to limit access to CloudWatch namespaces).',
  },
];

const FAMILY_OF_ACTION = new Map<string, WildcardFamily>(FAMILIES.flatMap((f) => f.actions.map((a) => [a, f] as const)));

/** The reason recorded with `AwsSolutions-IAM5[Resource::*]` on every LibraryPolicy. */
export const LIBRARY_WILDCARD_REASON = 'This customer-managed policy holds only cdk-stateful-workflows\' own statements for actions that support no resource-level permissions, admitted by a fixed allowlist (src/nag/library-wildcards.ts): '
  + FAMILIES.map((f) => f.reason).join(' ')
  + ' Any other wildcard on the same role is not covered by this acknowledgment and is still reported.';

/** The construct id of the library's wildcard policy under a role. */
export const LIBRARY_WILDCARD_POLICY_ID = 'LibraryPolicy';

/** The exact cdk-nag finding a `Resource: "*"` statement raises. */
export const RESOURCE_STAR_FINDING = 'AwsSolutions-IAM5[Resource::*]';

const explained = new WeakMap<iam.PolicyStatement, string>();

/**
 * True when `statement` is one of the library's unavoidable wildcards: Allow, no principals or
 * Not* elements, Resource exactly `*`, every action on the allowlist, and the narrowing condition
 * present where the allowlist requires one.
 */
export function isLibraryWildcardStatement(statement: iam.PolicyStatement): boolean {
  if (statement.effect !== iam.Effect.ALLOW || statement.notActions.length > 0 || statement.notResources.length > 0
    || statement.hasPrincipal || statement.actions.length === 0) {
    return false;
  }
  if (statement.resources.length !== 1 || statement.resources[0] !== '*') {
    return false;
  }
  const conditions = (statement.conditions ?? {}) as Record<string, Record<string, unknown>>;
  const conditionKeys = new Set(Object.values(conditions).flatMap((c) => Object.keys(c ?? {})));
  return statement.actions.every((action) => {
    const family = FAMILY_OF_ACTION.get(action);
    return family !== undefined && (family.requiredConditionKey === undefined || conditionKeys.has(family.requiredConditionKey));
  });
}

/**
 * Marks a statement whose resources must contain a wildcard for a reason the allowlist cannot
 * know (e.g. `arn:...:execution:<child machine>:*`, the executions a `.sync` task starts, named at
 * run time). A `LibraryRole` routes it into its LibraryPolicy and acknowledges exactly
 * the findings of its wildcard resources, with `reason`. Returns the statement.
 */
export function explainWildcardStatement(statement: iam.PolicyStatement, reason: string): iam.PolicyStatement {
  explained.set(statement, reason);
  return statement;
}

/** The library's wildcard policy of `role`, if it has one. */
export function libraryWildcardPolicy(role: IConstruct): iam.ManagedPolicy | undefined {
  const child = role.node.tryFindChild(LIBRARY_WILDCARD_POLICY_ID);
  return child instanceof iam.ManagedPolicy ? child : undefined;
}

/**
 * Adds the library's own wildcard statements to a customer-managed policy of the library's own,
 * attached to `role` and created on first use as `<role>/LibraryPolicy`, and acknowledges on that
 * policy only the exact findings they raise:
 * - a statement passing `isLibraryWildcardStatement`: `AwsSolutions-IAM5[Resource::*]`;
 * - a statement marked with `explainWildcardStatement`: `AwsSolutions-IAM5[Resource::<arn>]` for
 *   each of its resources with a `*`, with the reason given there.
 * Any other statement is rejected (a programming error in the library).
 *
 * With a role that is not an `iam.Role` of this app (imported), the statements go to the role the
 * usual way (`addToPrincipalPolicy`, which respects an immutable import) and nothing is
 * acknowledged: the user reviews their own role.
 */
export function addLibraryWildcardPolicy(role: iam.IRole, statements: iam.PolicyStatement[]): iam.AddToPrincipalPolicyResult {
  for (const statement of statements) {
    if (!explained.has(statement) && !isLibraryWildcardStatement(statement)) {
      throw workflowError(role, `addLibraryWildcardPolicy() accepts only the allowlisted actions on Resource "*" (see src/nag/library-wildcards.ts) or statements marked with explainWildcardStatement(); got ${JSON.stringify(statement.toStatementJson())}.`);
    }
  }
  if (!(role instanceof iam.Role)) {
    return addToImportedRole(role, statements);
  }
  const policy = libraryPolicyOf(role);
  for (const statement of statements) {
    policy.addStatements(statement);
    const reason = explained.get(statement);
    if (reason === undefined) {
      acknowledgeOnce(policy, RESOURCE_STAR_FINDING, LIBRARY_WILDCARD_REASON);
    } else {
      for (const id of wildcardFindings(policy, statement)) {
        acknowledgeOnce(policy, id, reason);
      }
    }
  }
  return { statementAdded: true, policyDependable: policy };
}

/**
 * Adds statements the library writes for a role it manages itself (e.g. a WorkflowFunction's
 * write access to its own log group) to the same customer-managed policy, so that the role needs
 * no inline DefaultPolicy (one resource fewer, and no IAMNoInlinePolicy finding in the HIPAA,
 * NIST and PCI packs). Only statements without any `*` in their actions or resources are
 * accepted, so they cannot raise the acknowledged `Resource::*` finding and the acknowledgment
 * can never hide them; or statements marked with `explainWildcardStatement`, acknowledged exactly
 * as `addLibraryWildcardPolicy` does. With an imported role, the usual `addToPrincipalPolicy`.
 */
export function addLibraryStatements(role: iam.IRole, statements: iam.PolicyStatement[]): iam.AddToPrincipalPolicyResult {
  const stack = Stack.of(role);
  const explainedOnes = statements.filter((st) => explained.has(st));
  statements = statements.filter((st) => !explained.has(st));
  for (const statement of statements) {
    const flat = [...statement.actions, ...statement.resources].map((x) => flatten(Token.isUnresolved(x) ? stack.resolve(x) : x));
    if (statement.effect !== iam.Effect.ALLOW || statement.notActions.length > 0 || statement.notResources.length > 0
      || statement.hasPrincipal || flat.some((x) => x.includes('*'))) {
      throw workflowError(role, `addLibraryStatements() accepts only Allow statements without wildcards, NotAction, NotResource or principals; got ${JSON.stringify(statement.toStatementJson())}. Use addLibraryWildcardPolicy() for an allowlisted wildcard.`);
    }
  }
  if (explainedOnes.length > 0) {
    addLibraryWildcardPolicy(role, explainedOnes);
  }
  if (!(role instanceof iam.Role)) {
    return addToImportedRole(role, statements);
  }
  const policy = libraryPolicyOf(role);
  if (statements.length > 0) {
    policy.addStatements(...statements);
  }
  return { statementAdded: true, policyDependable: policy };
}

function addToImportedRole(role: iam.IRole, statements: iam.PolicyStatement[]): iam.AddToPrincipalPolicyResult {
  const results = statements.map((s) => role.addToPrincipalPolicy(s));
  return { statementAdded: results.every((r) => r.statementAdded), policyDependable: results.find((r) => r.policyDependable)?.policyDependable };
}

function libraryPolicyOf(role: iam.Role): iam.ManagedPolicy {
  return libraryWildcardPolicy(role) ?? new iam.ManagedPolicy(role, LIBRARY_WILDCARD_POLICY_ID, {
    description: 'cdk-stateful-workflows: the library\'s own statements for this role (its log group; actions without resource-level permissions: X-Ray, log delivery, namespaced metrics; run-time-named execution ARNs).',
    roles: [role],
  });
}

/**
 * Writes a function's log streams into `logGroup` from `role`'s own policy, and acknowledges on the
 * role exactly the findings of a wildcard in that log group's ARN (an imported log group's ARN ends
 * in `:*`, its log streams, which Lambda names at run time); a created log group's ARN raises none.
 * Any other wildcard on the role is still reported.
 */
export function grantLogStreamWrites(role: iam.Role, logGroup: { logGroupArn: string }): void {
  const statement = new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] });
  role.addToPrincipalPolicy(statement);
  for (const id of wildcardFindings(role, statement)) {
    Validations.of(role).acknowledge({
      id,
      reason: 'Lambda creates and writes log streams, named at run time, in the function\'s own log group only: the ARN is that one log group\'s (arn:...:log-group:<name>:*).',
    });
  }
}

/**
 * Acknowledges on `policy` (the resource a statement landed in) exactly the
 * `AwsSolutions-IAM5[Resource::...]` findings of those of its statements, resolved now, whose
 * resources contain a `*` and pass `owned` (e.g. the executions of one state machine). Other
 * wildcards in the same policy stay reported.
 */
export function acknowledgeOwnedWildcards(
  policy: IConstruct, document: iam.PolicyDocument, owned: (resource: string) => boolean, reason: string,
): void {
  const json = Stack.of(policy).resolve(document.toJSON()) as { Statement?: Array<{ Resource?: unknown }> } | undefined;
  const ids = new Set<string>();
  for (const statement of json?.Statement ?? []) {
    for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
      const flat = flatten(resource);
      if (flat.includes('*') && flat !== '*' && owned(flat)) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  for (const id of ids) {
    Validations.of(policy).acknowledge({ id, reason });
  }
}

/**
 * An `iam.Role` for the roles the library creates (state machine, WorkflowFunction): statements
 * that are the library's own unavoidable wildcards, including those aws-cdk-lib adds internally
 * (X-Ray for active tracing, log delivery for state machine logging), go to its LibraryPolicy
 * with their acknowledgment; everything else goes to the DefaultPolicy as usual, where a
 * wildcard stays reported.
 */
export class LibraryRole extends iam.Role {
  public constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (explained.has(statement) || isLibraryWildcardStatement(statement)) {
      return addLibraryWildcardPolicy(this, [statement]);
    }
    return super.addToPrincipalPolicy(statement);
  }
}

function acknowledgeOnce(policy: iam.ManagedPolicy, id: string, reason: string): void {
  const done = acknowledged.get(policy) ?? new Set<string>();
  if (!done.has(id)) {
    done.add(id);
    acknowledged.set(policy, done);
    Validations.of(policy).acknowledge({ id, reason });
  }
}
const acknowledged = new WeakMap<iam.ManagedPolicy, Set<string>>();

/**
 * The `AwsSolutions-IAM5[Resource::...]` finding ids of the statement's resources that contain a
 * `*`, spelled as cdk-nag spells them: the resolved resource flattened, `{"Ref": X}` as `<X>`,
 * `{"Fn::GetAtt": [X, A]}` as `<X.A>`, `Fn::Join` joined.
 */
export function wildcardFindings(scope: IConstruct, statement: iam.PolicyStatement): string[] {
  const stack = Stack.of(scope);
  return statement.resources
    .map((r) => flatten(Token.isUnresolved(r) ? stack.resolve(r) : r))
    .filter((r) => r.includes('*'))
    .map((r) => `AwsSolutions-IAM5[Resource::${r}]`);
}

/** A resolved IAM resource as cdk-nag spells it in a finding id (`<Id.Attr>`, joins flattened). */
export function flatten(node: unknown): string {
  if (node === undefined) {
    return '';
  }
  if (typeof node === 'string') {
    return node.replace(/\${/g, '<').replace(/}/g, '>');
  }
  const o = node as Record<string, any>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub']) {
    return flatten(o['Fn::Sub']);
  }
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Fn::ImportValue']) {
    return flatten(o['Fn::ImportValue']);
  }
  if (o.Ref) {
    return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
