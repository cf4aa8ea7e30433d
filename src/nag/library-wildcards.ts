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
  let policy: iam.ManagedPolicy | undefined;
  for (const statement of statements) {
    policy = libraryPolicyWithRoom(role, statementSize(role, statement));
    policy.addStatements(statement);
    const reason = explained.get(statement);
    if (reason === undefined) {
      acknowledgeOnce(policy, RESOURCE_STAR_FINDING, LIBRARY_WILDCARD_REASON);
    } else {
      acknowledgeWildcardFindings(policy, statement, reason);
    }
  }
  return { statementAdded: true, policyDependable: policy ?? libraryPolicyWithRoom(role, 0) };
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
  let policy: iam.ManagedPolicy | undefined;
  for (const statement of statements) {
    policy = libraryPolicyWithRoom(role, statementSize(role, statement));
    policy.addStatements(statement);
  }
  return { statementAdded: true, policyDependable: policy ?? libraryPolicyWithRoom(role, 0) };
}

function addToImportedRole(role: iam.IRole, statements: iam.PolicyStatement[]): iam.AddToPrincipalPolicyResult {
  const results = statements.map((s) => role.addToPrincipalPolicy(s));
  return { statementAdded: results.every((r) => r.statementAdded), policyDependable: results.find((r) => r.policyDependable)?.policyDependable };
}

/**
 * The first of the role's library policies (`LibraryPolicy`, `LibraryPolicy2`, ...) with room for
 * `size` more characters, created when none has; its estimated size grows by `size`. Each is kept
 * under the IAM limit of 6,144 characters per customer-managed policy (estimated on the resolved
 * policy, `estimateResolvedSize`), so a workflow with many child workflows or Lambda steps spreads
 * its grants over several policies instead of failing at deployment.
 */
function libraryPolicyWithRoom(role: iam.Role, size: number): iam.ManagedPolicy {
  for (let i = 1; ; i++) {
    const id = i === 1 ? LIBRARY_WILDCARD_POLICY_ID : `${LIBRARY_WILDCARD_POLICY_ID}${i}`;
    let policy = role.node.tryFindChild(id) as iam.ManagedPolicy | undefined;
    if (!policy) {
      policy = new iam.ManagedPolicy(role, id, {
        description: 'cdk-stateful-workflows: the library\'s own statements for this role (its log group; actions without resource-level permissions: X-Ray, log delivery, namespaced metrics; run-time-named execution ARNs; merged per-step grants).',
        roles: [role],
      });
      policySizes.set(policy, POLICY_DOCUMENT_OVERHEAD);
    }
    const used = policySizes.get(policy) ?? POLICY_DOCUMENT_OVERHEAD;
    if (used + size <= MANAGED_POLICY_BUDGET || used === POLICY_DOCUMENT_OVERHEAD) {
      policySizes.set(policy, used + size);
      return policy;
    }
  }
}
const policySizes = new WeakMap<iam.ManagedPolicy, number>();
/** `{"Version":"2012-10-17","Statement":[]}` */
const POLICY_DOCUMENT_OVERHEAD = 40;

/** Estimated resolved size of a statement (see `estimateResolvedSize`), plus its separating comma. */
function statementSize(scope: IConstruct, statement: iam.PolicyStatement): number {
  const stack = Stack.of(scope);
  return estimateResolvedSize(stack, stack.resolve(statement.toStatementJson())) + 1;
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
  /** The merged statements, one per policy they are placed in, with their estimated sizes. */
  private readonly mergedChunks: MergedChunk[] = [];

  public constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (explained.has(statement) || isLibraryWildcardStatement(statement)) {
      return addLibraryWildcardPolicy(this, [statement]);
    }
    if (isMergeableStatement(statement)) {
      return this.addMerged(statement);
    }
    return super.addToPrincipalPolicy(statement);
  }

  /**
   * The size, in characters, of the role's statements once CloudFormation has resolved them,
   * estimated with every unresolved ARN counted at its upper bound (see `estimateResolvedSize`):
   * per inline policy document and per customer-managed policy attached by the library.
   */
  public estimatePolicySizes(): { inline: number; managed: { [path: string]: number } } {
    const stack = Stack.of(this);
    const docSize = (doc: iam.PolicyDocument) => estimateResolvedSize(stack, stack.resolve(doc.toJSON() ?? {}));
    const defaultPolicy = this.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const managed: { [path: string]: number } = {};
    for (const child of this.node.children) {
      if (child instanceof iam.ManagedPolicy) {
        managed[child.node.path] = docSize(child.document);
      }
    }
    return { inline: defaultPolicy ? docSize(defaultPolicy.document) : 0, managed };
  }

  /**
   * Grants with the same actions and no conditions (one `lambda:InvokeFunction` per Lambda step)
   * are merged into one statement listing every resource, instead of one statement each: IAM
   * then stores each action once, and the role needs fewer policies. The first statement goes to
   * the role's inline DefaultPolicy while its estimated size stays under aws-cdk-lib's own split
   * threshold; further ones to the LibraryPolicy and then to `MergedPolicy<n>` customer-managed
   * policies, each kept under the IAM size limit of its kind (inline: 10,240 characters for all
   * of a role's inline policies; managed: 6,144 characters; whitespace not counted):
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html. Least privilege
   * is unchanged: the same actions on exactly the same resources.
   */
  private addMerged(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const key = JSON.stringify([...statement.actions].sort());
    const stack = Stack.of(this);
    let dependable: IConstruct | undefined;
    for (const resource of statement.resources) {
      const cost = estimateResolvedSize(stack, Token.isUnresolved(resource) ? stack.resolve(resource) : resource) + 3;
      const cdkCost = (Token.isUnresolved(resource) ? CDK_ARN_ESTIMATE : resource.length) + 3;
      let chunk = this.mergedChunks.find((c) => c.key === key && c.cdkSize + cdkCost <= c.cdkBudget
        && (c.managed ? (policySizes.get(c.managed) ?? 0) + cost <= MANAGED_POLICY_BUDGET : c.size + cost <= c.budget));
      if (!chunk) {
        chunk = this.newChunk(key, statement.actions);
      }
      if (chunk.statement.resources.includes(resource)) {
        dependable = chunk.policy;
        continue;
      }
      chunk.statement.addResources(resource);
      chunk.size += cost;
      chunk.cdkSize += cdkCost;
      if (chunk.managed) {
        policySizes.set(chunk.managed, (policySizes.get(chunk.managed) ?? 0) + cost);
      }
      dependable = chunk.policy;
    }
    return { statementAdded: true, policyDependable: dependable };
  }

  private newChunk(key: string, actions: string[]): MergedChunk {
    const statement = new iam.PolicyStatement({ actions: [...actions] });
    const overhead = estimateResolvedSize(Stack.of(this), statement.toStatementJson());
    const n = this.mergedChunks.length;
    let chunk: MergedChunk;
    if (n === 0) {
      // aws-cdk-lib splits the DefaultPolicy above 10,000 characters by its own estimate (150
      // per unresolved ARN); INLINE_RESERVE of that is left to the role's other statements.
      const result = super.addToPrincipalPolicy(statement);
      chunk = {
        key,
        statement,
        policy: result.policyDependable as IConstruct,
        size: overhead,
        budget: MAX_INLINE_SIZE - INLINE_RESERVE,
        cdkSize: overhead,
        cdkBudget: CDK_INLINE_SPLIT - INLINE_RESERVE,
      };
    } else {
      // a library policy with room for at least a tenth of a policy of resources
      const policy = libraryPolicyWithRoom(this, overhead + MANAGED_POLICY_BUDGET / 10);
      policySizes.set(policy, policySizes.get(policy)! - MANAGED_POLICY_BUDGET / 10);
      policy.addStatements(statement);
      chunk = { key, statement, policy, size: 0, budget: 0, cdkSize: 0, cdkBudget: Infinity, managed: policy };
    }
    this.mergedChunks.push(chunk);
    return chunk;
  }
}

interface MergedChunk {
  readonly key: string;
  readonly statement: iam.PolicyStatement;
  readonly policy: IConstruct;
  size: number;
  readonly budget: number;
  cdkSize: number;
  readonly cdkBudget: number;
  /** The library policy holding the chunk (its size is tracked per policy). */
  readonly managed?: iam.ManagedPolicy;
}

/**
 * IAM quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * all inline policies of a role together at most 10,240 characters, a customer-managed policy at
 * most 6,144, white space not counted; 10 managed policies attached to a role by default.
 */
export const MAX_INLINE_SIZE = 10240;
export const MAX_MANAGED_SIZE = 6144;
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;
/** aws-cdk-lib's estimate of an unresolved ARN and its split threshold of the DefaultPolicy (aws-iam role.ts). */
const CDK_ARN_ESTIMATE = 150;
const CDK_INLINE_SPLIT = 10000;
/** Room kept in the DefaultPolicy for the role's other statements (KMS, DynamoDB, child executions...). */
const INLINE_RESERVE = 2000;
/** What the library fills a managed policy up to: the IAM limit less a margin for estimate slack. */
const MANAGED_POLICY_BUDGET = MAX_MANAGED_SIZE - 144;

/** Statements merged by a LibraryRole: plain Allow grants without conditions or wildcards. */
function isMergeableStatement(statement: iam.PolicyStatement): boolean {
  if (statement.effect !== iam.Effect.ALLOW || statement.notActions.length > 0 || statement.notResources.length > 0
    || statement.hasPrincipal || statement.sid !== undefined
    || statement.resources.length === 0) {
    return false;
  }
  if (Object.keys(statement.conditions ?? {}).length > 0) {
    return false;
  }
  return statement.actions.length === 1 && MERGED_ACTIONS.has(statement.actions[0])
    && statement.resources.every((r) => Token.isUnresolved(r) || !r.includes('*'));
}
/** Actions granted once per step, which therefore grow with the workflow. */
const MERGED_ACTIONS = new Set(['lambda:InvokeFunction']);

/**
 * Upper bound of the length, once CloudFormation has resolved it, of a JSON value as IAM counts
 * it (no white space): literals as they are, `AWS::Partition` 10 (aws-us-gov), `AWS::Region` 14,
 * `AWS::AccountId` 12, any other `Ref`/`Fn::GetAtt`/`Fn::ImportValue` 150 (aws-cdk-lib's own ARN
 * estimate, above the longest Lambda alias ARN with a 64-character function name and the default
 * alias name).
 */
export function estimateResolvedSize(_stack: Stack, value: unknown): number {
  return JSON.stringify(placeholders(value)).length;
}

function placeholders(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(placeholders);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const o = value as Record<string, any>;
  if (o['Fn::Join'] && Object.keys(o).length === 1) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map((i) => {
      const p = placeholders(i);
      return typeof p === 'string' ? p : JSON.stringify(p);
    }).join(delimiter);
  }
  if (o.Ref !== undefined && Object.keys(o).length === 1) {
    return 'x'.repeat(PSEUDO_LENGTH[o.Ref] ?? CDK_ARN_ESTIMATE);
  }
  if ((o['Fn::GetAtt'] || o['Fn::ImportValue'] || o['Fn::Sub'] || o['Fn::Select']) && Object.keys(o).length === 1) {
    return 'x'.repeat(CDK_ARN_ESTIMATE);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = placeholders(v);
  }
  return out;
}
const PSEUDO_LENGTH: { [ref: string]: number } = {
  'AWS::Partition': 10,
  'AWS::Region': 14,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 14,
  'AWS::StackName': 128,
};

/**
 * Acknowledges the exact wildcard findings of `statement` on `policy`. A resource that is a token
 * is resolved again when the construct tree is validated, after aws-cdk-lib has turned references
 * to other stacks (e.g. a child state machine the library placed in a nested stack) into the
 * parameters and nested-stack outputs the template holds, so the acknowledgment names the finding
 * cdk-nag reports on that template.
 */
function acknowledgeWildcardFindings(policy: iam.ManagedPolicy, statement: iam.PolicyStatement, reason: string): void {
  for (const id of wildcardFindings(policy, statement)) {
    acknowledgeOnce(policy, id, reason);
  }
  if (statement.resources.some((r) => Token.isUnresolved(r))) {
    policy.node.addValidation({
      validate: () => {
        for (const id of wildcardFindings(policy, statement)) {
          acknowledgeOnce(policy, id, reason);
        }
        return [];
      },
    });
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
