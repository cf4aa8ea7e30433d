import * as fs from 'fs';
import * as path from 'path';
import { CfnElement, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CfnTemplate } from './template-resolver';

/**
 * Nested stacks, for the local runner: the library places parts of a workflow in nested stacks
 * (WorkflowFunctions, function alarms, a HybridWorkflow's Express children). CloudFormation deploys
 * a nested stack as a resource of its parent, passing values in as Parameters and reading values
 * out through `Fn::GetAtt [<nested stack>, Outputs.<name>]`
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html).
 * The runner interprets one template, so the nested templates are merged into their root's: each
 * nested resource under its logical id prefixed with the nested stack resource's logical id (in
 * its parent), its parameters replaced by what the parent passes, and the parent's reads of its
 * outputs replaced by the output values.
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

/** The direct nested stacks of `stack`. */
function nestedStacksOf(stack: Stack): NestedStack[] {
  const out: NestedStack[] = [];
  const visit = (c: IConstruct) => {
    for (const child of c.node.children) {
      if (child instanceof NestedStack && child.nestedStackParent === stack) out.push(child);
      else if (!(child instanceof Stack)) visit(child);
    }
  };
  visit(stack);
  return out;
}

/**
 * `template` (of `stack`, a root stack) with the templates of its nested stacks, recursively,
 * merged in. A stack without nested stacks is returned unchanged. The nested templates are read
 * from the synthesized cloud assembly (a stack with nested stacks is always synthesized).
 */
export function mergeNestedStacks(stack: Stack, template: CfnTemplate): CfnTemplate {
  const nested = nestedStacksOf(stack);
  if (nested.length === 0) return template;
  const assembly = Stage.of(stack)!.synth();
  let merged: CfnTemplate = JSON.parse(JSON.stringify(template));
  for (const child of nested) {
    const file = path.join(assembly.directory, child.templateFile);
    const own: CfnTemplate = mergeNestedStacks(child, JSON.parse(fs.readFileSync(file, 'utf8')));
    const resourceId = stack.resolve(child.nestedStackResource!.logicalId) as string;
    merged = mergeOne(merged, resourceId, own);
  }
  return merged;
}

/** Merges the template `nested`, deployed as the resource `resourceId` of `parent`, into `parent`. */
function mergeOne(parent: CfnTemplate, resourceId: string, nested: CfnTemplate): CfnTemplate {
  const resources = (parent as any).Resources as Record<string, any>;
  const passed: Record<string, unknown> = resources[resourceId]?.Properties?.Parameters ?? {};
  const ids = new Set(Object.keys((nested as any).Resources ?? {}));
  const prefix = (id: string) => `${resourceId}${id}`;
  const rewrite = (value: any): any => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string') {
      if (value.Ref in passed) return passed[value.Ref];
      if (ids.has(value.Ref)) return { Ref: prefix(value.Ref) };
      return value;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt' && Array.isArray(value['Fn::GetAtt']) && ids.has(value['Fn::GetAtt'][0])) {
      return { 'Fn::GetAtt': [prefix(value['Fn::GetAtt'][0]), ...value['Fn::GetAtt'].slice(1)] };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'DependsOn'
        ? [v].flat().map((d: any) => (ids.has(d) ? prefix(d) : d))
        : rewrite(v);
    }
    return out;
  };
  const nestedResources: Record<string, any> = rewrite((nested as any).Resources ?? {});
  const outputs: Record<string, any> = rewrite((nested as any).Outputs ?? {});
  // the parent's reads of the nested stack's outputs become the output values
  const readOutputs = (value: any): any => {
    if (Array.isArray(value)) return value.map(readOutputs);
    if (value === null || typeof value !== 'object') return value;
    const getAtt = value['Fn::GetAtt'];
    if (Object.keys(value).length === 1 && Array.isArray(getAtt) && getAtt[0] === resourceId && typeof getAtt[1] === 'string' && getAtt[1].startsWith('Outputs.')) {
      const output = outputs[getAtt[1].slice('Outputs.'.length)];
      if (output) return output.Value;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readOutputs(v)]));
  };
  const merged: any = readOutputs(parent);
  for (const [id, resource] of Object.entries(nestedResources)) {
    merged.Resources[prefix(id)] = resource;
  }
  return merged;
}
