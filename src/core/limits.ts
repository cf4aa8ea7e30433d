import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { estimateResolvedSize, LibraryRole, MAX_INLINE_SIZE, MAX_MANAGED_POLICIES_PER_ROLE, MAX_MANAGED_SIZE } from '../nag/library-wildcards';

/*
 * The service limits a generated workflow can reach by its size alone, checked at synth time for
 * every pattern (the Workflow base calls `checkWorkflowLimits`):
 * - Step Functions: a state machine definition is at most 1 MB (CreateStateMachine/UpdateStateMachine
 *   `definition`, 1,048,576 characters), https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 *   ("Maximum request size" / definition size) and the API reference of CreateStateMachine.
 * - IAM: all inline policies of a role together at most 10,240 characters, a customer-managed
 *   policy at most 6,144, 10 managed policies per role by default (20 with a quota increase),
 *   white space not counted: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html.
 * - CloudFormation: 500 resources per stack (aws-cdk-lib refuses more itself) and a template body
 *   of at most 1 MB from S3: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html.
 * Values that stay CloudFormation intrinsics in the template (ARNs, names) are counted at their
 * upper bound (`estimateResolvedSize`), so a workflow that passes here cannot exceed the limit
 * once CloudFormation has resolved them.
 */

/** Step Functions' definition size limit, in bytes of the UTF-8 JSON. */
export const MAX_DEFINITION_BYTES = 1048576;
/** CloudFormation's template body limit (template in S3), in bytes. */
export const MAX_TEMPLATE_BYTES = 1048576;

/** What the checks measured for one workflow. */
export interface WorkflowMeasurements {
  /** Bytes of the definition with every intrinsic at its upper bound. */
  readonly definitionBytes: number;
  /** States in the definition, nested ones (Parallel branches, Map item processors) included. */
  readonly states: number;
  /** Estimated characters of the role's inline policies (undefined: not a library role). */
  readonly inlinePolicyChars?: number;
  /** Estimated characters per customer-managed policy the library attached. */
  readonly managedPolicyChars?: { [path: string]: number };
}

/** The definition of `stateMachine` as Step Functions will receive it, intrinsics at their upper bound. */
export function renderedDefinition(stateMachine: sfn.StateMachine): string {
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const stack = Stack.of(stateMachine);
  const resolved = stack.resolve(cfn.definitionString ?? cfn.definition);
  return flattenJoin(stack, resolved);
}

function flattenJoin(stack: Stack, value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, any>;
  if (o && o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map((i) => flattenJoin(stack, i)).join(delimiter);
  }
  // any other intrinsic: its upper bound, written as that many characters
  return 'x'.repeat(Math.max(0, estimateResolvedSize(stack, o) - 2));
}

/** Counts the states of a definition (JSON), nested ones included. */
export function countStates(definition: any): number {
  let n = 0;
  const visit = (graph: any) => {
    for (const state of Object.values<any>(graph?.States ?? {})) {
      n++;
      for (const branch of state.Branches ?? []) visit(branch);
      if (state.ItemProcessor) visit(state.ItemProcessor);
      if (state.Iterator) visit(state.Iterator);
    }
  };
  visit(definition);
  return n;
}

/**
 * Measures the workflow's state machine and role and returns the errors (one line each, naming
 * the construct, the measured value, the limit and what to change). Annotates the measurements as
 * info on the state machine when one of them is above half its limit (or the role has more than
 * two library policies).
 */
export function checkWorkflowLimits(_workflow: IConstruct, stateMachine: sfn.StateMachine, role: iam.IRole | undefined): string[] {
  const errors: string[] = [];
  const definition = renderedDefinition(stateMachine);
  const definitionBytes = Buffer.byteLength(definition, 'utf8');
  let states = 0;
  try {
    states = countStates(JSON.parse(definition));
  } catch {
    states = 0;
  }
  if (definitionBytes > MAX_DEFINITION_BYTES) {
    errors.push(`the state machine definition is ${definitionBytes} bytes (${states} states, ARNs and names counted at their longest), above the Step Functions limit of ${MAX_DEFINITION_BYTES} bytes (1 MB, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). `
      + 'Split the workflow: move groups of steps into their own workflows and call them with Step.childWorkflow (each child has its own 1 MB), or shorten step names, comments and Pass results.');
  }
  let inline: number | undefined;
  let managed: { [path: string]: number } | undefined;
  if (role instanceof LibraryRole) {
    const sizes = role.estimatePolicySizes();
    inline = sizes.inline;
    managed = sizes.managed;
    if (inline > MAX_INLINE_SIZE) {
      errors.push(`[${role.node.path}] the role's inline policy is estimated at ${inline} characters once resolved, above the IAM limit of ${MAX_INLINE_SIZE} characters per role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). `
        + 'Split the workflow into child workflows (Step.childWorkflow), each with its own role, or pass fewer distinct resources to its steps.');
    }
    for (const [path, size] of Object.entries(managed)) {
      if (size > MAX_MANAGED_SIZE) {
        errors.push(`[${path}] the managed policy is estimated at ${size} characters once resolved, above the IAM limit of ${MAX_MANAGED_SIZE} characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). `
          + 'Split the workflow into child workflows (Step.childWorkflow), each with its own role.');
      }
    }
    const attached = countManagedPolicies(role);
    if (attached > MAX_MANAGED_POLICIES_PER_ROLE) {
      errors.push(`[${role.node.path}] the role needs ${attached} managed policies, above the IAM default of ${MAX_MANAGED_POLICIES_PER_ROLE} per role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; adjustable to 20). `
        + 'Split the workflow into child workflows (Step.childWorkflow), each with its own role.');
    }
  }
  const measured: WorkflowMeasurements = { definitionBytes, states, inlinePolicyChars: inline, managedPolicyChars: managed };
  const near = definitionBytes > MAX_DEFINITION_BYTES / 2 || (inline ?? 0) > MAX_INLINE_SIZE / 2
    || Object.values(managed ?? {}).length > 2;
  if (!near) {
    return errors;
  }
  // only when a limit is within reach, so that small workflows stay quiet
  Annotations.of(stateMachine).addInfoV2('cdk-stateful-workflows:workflowSize', `definition ${measured.definitionBytes} of ${MAX_DEFINITION_BYTES} bytes, ${measured.states} states`
    + (inline !== undefined ? `; role policies (estimated, resolved) inline ${inline} of ${MAX_INLINE_SIZE} characters, managed ${Object.values(managed ?? {}).join('/') || '-'} of ${MAX_MANAGED_SIZE} each` : ''));
  return errors;
}

/** Managed policies attached to `role` (by the role itself or by a ManagedPolicy of this app). */
function countManagedPolicies(role: iam.Role): number {
  const cfn = role.node.defaultChild as iam.CfnRole;
  const stack = Stack.of(role);
  const arns = stack.resolve(cfn.managedPolicyArns) as unknown[] | undefined;
  const attachedByPolicies = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::IAM::ManagedPolicy')
    .filter((c) => {
      const roles = stack.resolve((c as iam.CfnManagedPolicy).roles) as unknown[] | undefined;
      const ref = stack.resolve(cfn.ref);
      return (roles ?? []).some((r) => JSON.stringify(r) === JSON.stringify(ref));
    }).length;
  return (arns?.length ?? 0) + attachedByPolicies;
}
