/**
 * Obtains a stack's CloudFormation template for the runner (kept apart from template-resolver.ts,
 * which the CLI loads without aws-cdk-lib).
 */
import { Aspects, IAspect, RemoveTag, Stack, Stage, Tag } from 'aws-cdk-lib';
import { Role } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { CfnTemplate } from './template-resolver';

/** `Stack._toCloudFormation()`: aws-cdk-lib's (internal) rendering of one stack's template, without synthesis. */
interface RenderableStack {
  _toCloudFormation?: () => unknown;
}

/** How {@link stackTemplate} obtained a template (for tests and benchmarks). */
export type TemplateSource = 'rendered' | 'assembly' | 'synthesized';

/** The template of `stack` as the runner reads it, and how it was obtained. */
export interface StackTemplate {
  readonly template: CfnTemplate;
  readonly source: TemplateSource;
}

/**
 * The template of `stack`, as deployed, obtained the cheapest faithful way:
 *
 * - `assembly`: the app was already synthesized (e.g. by `Template.fromStack`): its template;
 * - `rendered`: the stack is the only stack of its app and its aspects are only those listed in
 *   {@link renderableAspects}: those aspects are applied as synthesis applies them, the construct
 *   tree is validated (`node.validate()`, as synthesis does; a failure throws synthesis' error)
 *   and the stack renders its own template. Synthesis would change nothing the runner reads then:
 *   it would add the bootstrap-version parameter and rule, asset and tree metadata and the cloud
 *   assembly files, resolve every token a second time to look for references between stacks,
 *   and run validation plugins. The stage stays unsynthesized, so the app's own synthesis later
 *   runs in full;
 * - `synthesized`: otherwise (any other aspect may change resources when synthesis invokes it,
 *   after which lazy values computed by an earlier rendering would be stale; references between
 *   stacks and nested stack templates are prepared by synthesis): the stage is synthesized, with
 *   aws-cdk-lib's CloudFormation template validation switched off for this synthesis
 *   (`CDK_VALIDATION=false`: its engine costs seconds per process, and its verdict is not the
 *   runner's business). The stage caches that assembly: a later `app.synth()` without `force`
 *   returns it.
 */
export function stackTemplate(stack: Stack): StackTemplate {
  const stage = Stage.of(stack);
  if (!stage) {
    throw new Error(`LocalWorkflowRunner: stack '${stack.stackName}' is not in an App/Stage, so it cannot be synthesized`);
  }
  if (alreadySynthesized(stage)) {
    return { template: stage.synth().getStackArtifact(stack.artifactId).template as CfnTemplate, source: 'assembly' };
  }
  const renderable = stack as unknown as RenderableStack;
  const toApply = typeof renderable._toCloudFormation === 'function' ? renderableAspects(stack) : undefined;
  if (toApply) {
    return withEnv({ CDK_DISABLE_STACK_TRACE: '1' }, () => {
      for (const [aspect, construct] of toApply) aspect.visit(construct);
      validateTree(stage);
      return { template: renderable._toCloudFormation!() as CfnTemplate, source: 'rendered' as const };
    });
  }
  // aws-cdk-lib's CloudFormation template validation is switched off for this synthesis only
  const template = withEnv({ CDK_VALIDATION: 'false', CDK_DISABLE_STACK_TRACE: '1' }, () => stage.synth());
  return { template: template.getStackArtifact(stack.artifactId).template as CfnTemplate, source: 'synthesized' };
}

/**
 * Runs `fn` with these environment variables set, restoring them afterwards. `CDK_DISABLE_STACK_TRACE`
 * makes annotations (warnings) added meanwhile skip capturing a creation stack trace: in jest each
 * trace is source-mapped, about 80 ms per process for the first one.
 */
function withEnv<T>(vars: Readonly<Record<string, string>>, fn: () => T): T {
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The stage holds a synthesized assembly (aws-cdk-lib keeps it in the private field `assembly`). */
function alreadySynthesized(stage: Stage): boolean {
  return (stage as unknown as { assembly?: unknown }).assembly !== undefined;
}

/**
 * When `stack` is the only stack of its tree and every aspect of the tree is one of these, the
 * aspects to apply before rendering (aspect, construct); otherwise undefined:
 * - the aspect every `iam.Role` registers on itself, which moves statements of an oversized
 *   default policy to overflow managed policies (`splitLargePolicy`, once per role): applied, as
 *   synthesis would before rendering anything (synthesis applies it again later: a no-op);
 * - `Tags.of(...).add/remove` (`Tag`, `RemoveTag`): not applied (a resource renders its tags
 *   afresh every time, so the app's synthesis later still applies them; the runner reads no tag).
 */
function renderableAspects(stack: Stack): Array<[IAspect, IConstruct]> | undefined {
  const apply: Array<[IAspect, IConstruct]> = [];
  for (const c of stack.node.root.node.findAll()) {
    if (c !== stack && Stack.isStack(c)) return undefined;
    for (const aspect of Aspects.of(c).all) {
      if (aspect instanceof Tag || aspect instanceof RemoveTag) continue;
      if (isRolePolicySplitter(aspect, c)) {
        apply.push([aspect, c]);
        continue;
      }
      return undefined;
    }
  }
  return apply;
}

/** aws-cdk-lib's `iam.Role` aspect: `{ visit: (c) => { if (c === this) this.splitLargePolicy(); } }`, on the role. */
function isRolePolicySplitter(aspect: IAspect, on: IConstruct): boolean {
  return on instanceof Role
    && Object.getPrototypeOf(aspect) === Object.prototype
    && Object.keys(aspect).length === 1
    && typeof aspect.visit === 'function'
    && /\bsplitLargePolicy\(\)/.test(String(aspect.visit));
}

/**
 * `node.validate()` of every construct of the stage (not of nested stages), pre-order, failing
 * with the error aws-cdk-lib's synthesis of the stage would throw.
 */
function validateTree(stage: Stage): void {
  const errors: string[] = [];
  const visit = (c: IConstruct): void => {
    for (const message of c.node.validate()) errors.push(`[${c.node.path}] ${message}`);
    for (const child of c.node.children) if (!Stage.isStage(child)) visit(child);
  };
  visit(stage);
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}
