import * as fs from 'fs';
import * as path from 'path';
import { CfnElement, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { mergeNestedTemplates } from './nested-templates';
import { CfnTemplate } from './template-resolver';

/**
 * Nested stacks of a stack built in this process, for the local runner: the library places parts
 * of a workflow in nested stacks (WorkflowFunctions, function alarms, a HybridWorkflow's Express
 * children); their templates are merged into the root's (./nested-templates.ts).
 */

/** The stack at the top of `stack`'s chain of nested stacks (`stack` itself if not nested). */
export function rootStackOf(stack: Stack): Stack {
  let s = stack;
  while (s.nestedStackParent) s = s.nestedStackParent;
  return s;
}

/**
 * The logical id, in the merged template of its root stack, of the CloudFormation element
 * `element`: its own logical id, prefixed by those of the nested stacks it is in.
 */
export function mergedLogicalId(element: CfnElement): string {
  const stack = Stack.of(element);
  return `${nestedPrefix(stack)}${stack.resolve(element.logicalId) as string}`;
}

function nestedPrefix(stack: Stack): string {
  const parent = stack.nestedStackParent;
  if (!parent) return '';
  const resource = (stack as NestedStack).nestedStackResource!;
  return `${nestedPrefix(parent)}${parent.resolve(resource.logicalId) as string}`;
}

/**
 * `template` (of `stack`, a root stack) with the templates of its nested stacks, recursively,
 * merged in. A stack without nested stacks is returned unchanged. The nested templates are read
 * from the synthesized cloud assembly (a stack with nested stacks is always synthesized).
 */
export function mergeNestedStacks(stack: Stack, template: CfnTemplate): CfnTemplate {
  const nested = stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack && rootStackOf(c) === stack);
  if (nested.length === 0) return template;
  const assembly = Stage.of(stack)!.synth();
  // each nested stack by the logical id of its resource in its parent
  const files = new Map<string, string>();
  for (const n of nested) {
    files.set(n.nestedStackParent!.resolve(n.nestedStackResource!.logicalId) as string, path.join(assembly.directory, n.templateFile));
  }
  return mergeNestedTemplates(template, (id) => {
    const file = files.get(id);
    return file ? JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate : undefined;
  });
}
