/**
 * Nested stacks, merged into their root's template (no aws-cdk-lib here: the CLI loads it).
 * CloudFormation deploys a nested stack as a resource of its parent (`AWS::CloudFormation::Stack`),
 * passing values in as Parameters and reading values out through
 * `Fn::GetAtt [<nested stack>, Outputs.<name>]`
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html).
 * The local runner and the CLI interpret one template, so each nested template is merged into its
 * parent's: each nested resource under its logical id prefixed with the nested stack resource's
 * logical id, its parameters replaced by what the parent passes, and the parent's reads of its
 * outputs replaced by the output values.
 */
import type { CfnResource, CfnTemplate } from './template-resolver';

/**
 * `template` with the template of every nested stack resource that `readNested` finds merged in,
 * recursively (a nested template's own nested stacks are looked up with their own logical ids).
 * A template without nested stacks is returned unchanged.
 */
export function mergeNestedTemplates(
  template: CfnTemplate,
  readNested: (resourceId: string, resource: CfnResource) => CfnTemplate | undefined,
): CfnTemplate {
  let merged = template;
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::CloudFormation::Stack') continue;
    const nested = readNested(id, resource);
    if (!nested) continue;
    merged = mergeOne(merged, id, mergeNestedTemplates(nested, readNested));
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
