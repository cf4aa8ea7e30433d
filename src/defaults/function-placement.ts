import { Annotations, Aspects, CfnResource, IAspect, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { abbreviatedList } from '../core/errors';

/**
 * Where the library creates a part of a workflow (a WorkflowFunction's resources, a workflow's
 * function alarms, a HybridWorkflow's Express children): in the stack, or in nested stacks of it so
 * that the part does not count against the stack's 500 resources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 * A nested stack is one resource of its parent, deploys and rolls back with it, and needs what any
 * asset needs (`cdk bootstrap`).
 */
export enum Placement {
  /**
   * The library decides, and says so in an info annotation when it picks a nested stack:
   * a WorkflowFunction goes to a nested stack when its stack, counting the function's 4 resources,
   * would hold more than 460 resources (40 stay for the workflows); function alarms when a metric
   * needs more than one Metrics Insights query; Express children when the stack would hold more
   * than 460 resources with them.
   */
  AUTO = 'AUTO',
  /** Always in the stack. */
  SAME_STACK = 'SAME_STACK',
  /** Always in a nested stack. */
  NESTED_STACK = 'NESTED_STACK',
}

/**
 * Resources a stack may hold, WorkflowFunctions included, before AUTO places more functions in
 * nested stacks: 40 of the 500 resources a stack may have
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html) stay
 * for the workflows (state machine, role and policies, log groups, alarms, the nested stacks).
 */
export const STACK_RESOURCES_BEFORE_NESTING = 460;
/**
 * The construct id of the `index`-th (from 0) nested stack of a series: `base`, `base2`, `base3`...
 * (the library's nested stacks of functions, function alarms and Express children).
 */
export function shardId(base: string, index: number): string {
  return index === 0 ? base : `${base}${index + 1}`;
}

/** Resources of a WorkflowFunction with the defaults: function, role, version, alias. */
const RESOURCES_PER_FUNCTION = 4;
/**
 * WorkflowFunctions per nested stack. Every value another stack reads from a function (its alias
 * ARN for a state machine, its name for an alarm) becomes an output of the nested stack, and a
 * template has at most 200 outputs (same page): 60 functions leave room for 3 each.
 */
export const FUNCTIONS_PER_NESTED_STACK = 60;

interface StackPlacement {
  shards: Array<{ scope: NestedStack; count: number; ids: Set<string> }>;
  /** Parts AUTO kept in the stack (it had room for them when they were created). */
  keptByAuto: KeptPart[];
}

/** A part of a workflow that Placement.AUTO kept in its stack. */
interface KeptPart {
  readonly construct: IConstruct;
  /** Resources it adds to the stack. */
  readonly resources: number;
  /** What it is and the setting that moves it, for the error message. */
  readonly kind: 'function' | 'expressChildren';
}
const PLACEMENT = Symbol.for('cdk-stateful-workflows.functionPlacement');

/**
 * The scope in which the WorkflowFunction `fn` creates its resources: `fn` itself, or a construct
 * named after it in a shared nested stack of its stack.
 */
export function functionHome(fn: Construct, placement: Placement): Construct {
  const stack = Stack.of(fn);
  const state = placementOf(stack);
  if (placement === Placement.SAME_STACK) return fn;
  let held = 0;
  if (placement === Placement.AUTO) {
    held = resourcesOf(stack);
    if (held + RESOURCES_PER_FUNCTION <= STACK_RESOURCES_BEFORE_NESTING) {
      state.keptByAuto.push({ construct: fn, resources: RESOURCES_PER_FUNCTION, kind: 'function' });
      return fn;
    }
  }
  let shard = state.shards[state.shards.length - 1];
  if (!shard || shard.count >= FUNCTIONS_PER_NESTED_STACK) {
    const n = state.shards.length + 1;
    shard = {
      scope: new NestedStack(stack, shardId('WorkflowFunctions', n - 1), {
        description: `WorkflowFunctions of ${stack.node.path} (cdk-stateful-workflows), ${FUNCTIONS_PER_NESTED_STACK} at most`,
      }),
      count: 0,
      ids: new Set(),
    };
    state.shards.push(shard);
  }
  shard.count++;
  // the construct's id in the shard: its own id, made unique among the shard's functions
  let id = fn.node.id;
  for (let i = 2; shard.ids.has(id); i++) id = `${fn.node.id}${i}`;
  shard.ids.add(id);
  const home = new Construct(shard.scope, id);
  // Aspects the user adds to the function or a construct around it (Tags.of(fn).add(...), say) reach
  // the resources in the nested stack too: those of the stack and above reach them anyway.
  const between = fn.node.scopes.slice(fn.node.scopes.indexOf(stack) + 1);
  Aspects.of(home).add(new ForwardAspects(home, between));
  Annotations.of(fn).addInfoV2('cdk-stateful-workflows:functionPlacement',
    `The resources of this WorkflowFunction are in the nested stack ${shard.scope.node.path} (at ${home.node.path}): ` +
    (placement === Placement.AUTO
      ? `${stack.node.path} already holds ${held} resources, and a stack holds at most 500: the library keeps ${STACK_RESOURCES_BEFORE_NESTING} for functions and ${500 - STACK_RESOURCES_BEFORE_NESTING} for the workflows. `
      : 'placement is NESTED_STACK. ') +
    'Grants, alarms and workflows reach it across the stacks. Set placement: Placement.SAME_STACK to keep it in the stack.');
  return home;
}

/** aws-cdk-lib's context key for a stack's resource limit (500 by default, 0 for none). */
const STACK_RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';
const DEFAULT_STACK_RESOURCE_LIMIT = 500;

/** The placement state of `stack`, created with the stack's resource check on first use. */
function placementOf(stack: Stack): StackPlacement {
  let state: StackPlacement | undefined = (stack as any)[PLACEMENT];
  if (!state) {
    const created: StackPlacement = { shards: [], keptByAuto: [] };
    (stack as any)[PLACEMENT] = state = created;
    stack.node.addValidation({ validate: () => checkStackResources(stack, created) });
  }
  return state;
}

/**
 * Records that Placement.AUTO kept a HybridWorkflow's Express children (`resources` in all) in
 * their stack, so that the stack's resource check can name them.
 */
export function keptExpressChildrenByAuto(workflow: IConstruct, resources: number): void {
  placementOf(Stack.of(workflow)).keptByAuto.push({ construct: workflow, resources, kind: 'expressChildren' });
}

/**
 * AUTO decides when a part is created. When resources added to the stack afterwards push it over
 * its limit, aws-cdk-lib refuses the stack with a count per resource type; this says first which
 * parts AUTO kept in it and what to change.
 */
function checkStackResources(stack: Stack, state: StackPlacement): string[] {
  if (state.keptByAuto.length === 0) return [];
  const context = stack.node.tryGetContext(STACK_RESOURCE_LIMIT_CONTEXT);
  const limit = context !== undefined ? parseInt(String(context), 10) : DEFAULT_STACK_RESOURCE_LIMIT;
  if (!(limit > 0)) return [];
  const held = resourcesOf(stack);
  if (held <= limit) return [];
  const fns = state.keptByAuto.filter((p) => p.kind === 'function').map((p) => p.construct.node.path);
  const children = state.keptByAuto.filter((p) => p.kind === 'expressChildren');
  const kept: string[] = [];
  if (fns.length > 0) {
    kept.push(`${fns.length} WorkflowFunction(s), ${RESOURCES_PER_FUNCTION} resources each (${abbreviatedList(fns, 5)})`);
  }
  for (const c of children) kept.push(`the Express children of ${c.construct.node.path} (about ${c.resources} resources)`);
  const moves: string[] = [];
  if (fns.length > 0) moves.push(`placement: Placement.NESTED_STACK on WorkflowFunctions (at least ${Math.ceil((held - limit) / RESOURCES_PER_FUNCTION)} of them)`);
  if (children.length > 0) moves.push('expressChildren: { placement: Placement.NESTED_STACK } on the HybridWorkflow');
  return [
    `${stack.node.path} holds ${held} resources, more than its limit of ${limit} (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). ` +
    `Placement.AUTO kept ${kept.join(' and ')} in it because the stack had room when they were created; resources added after them took that room. ` +
    `Set ${moves.join(', or ')}; or create them after the stack's other resources so that AUTO counts those.`,
  ];
}

/** The CloudFormation resources `stack` holds itself so far (not those of its nested stacks). */
export function resourcesOf(stack: Stack): number {
  let n = 0;
  const visit = (c: IConstruct) => {
    for (const child of c.node.children) {
      // a nested stack's resources are its own; its AWS::CloudFormation::Stack resource is a sibling of it
      if (child instanceof Stack) continue;
      if (CfnResource.isCfnResource(child)) n++;
      visit(child);
    }
  };
  visit(stack);
  return n;
}

/**
 * Applies to the nodes it visits the aspects of `scopes` (the function's own construct and those
 * between it and its stack), so that moving a function's resources to a nested stack does not hide
 * them from aspects such as `Tags.of(fn)`.
 *
 * It also forwards the acknowledgments of those scopes (`Validations.of(fn).acknowledge(...)`,
 * cdk-nag 3's way to suppress a finding) to `home`: aws-cdk-lib matches an acknowledgment to a
 * finding by the construct path of the resource or one of its ancestors, and the moved resources
 * are not under the function's path. Aspects run after the app's code, so acknowledgments added
 * after the function was created are forwarded too.
 */
class ForwardAspects implements IAspect {
  private forwarded = false;

  public constructor(private readonly home: IConstruct, private readonly scopes: IConstruct[]) {}

  public visit(node: IConstruct): void {
    if (node === this.home && !this.forwarded) {
      this.forwarded = true;
      for (const scope of this.scopes) {
        for (const entry of scope.node.metadata) {
          if (entry.type === ACKNOWLEDGED_RULES && entry.data && typeof entry.data === 'object') {
            const acks = Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id, reason }));
            if (acks.length > 0) Validations.of(this.home).acknowledge(...acks);
          }
        }
      }
    }
    for (const scope of this.scopes) {
      for (const aspect of Aspects.of(scope).all) {
        aspect.visit(node);
      }
    }
  }
}

/** The metadata type of `Validations.of(scope).acknowledge()` (aws-cdk-lib core, read by its validation). */
const ACKNOWLEDGED_RULES = 'aws:cdk:acknowledged-rules';
