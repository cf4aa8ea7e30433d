import * as fs from 'fs';
import * as path from 'path';
import { NestedStack, Stack, Stage } from 'aws-cdk-lib';

const TEMPLATE = Symbol('template');

/**
 * The template of `stack` or of a nested stack, read from the app's cloud assembly once and kept on
 * the stack (`Template.fromStack` reuses the app's synthesis too, but reads and parses the file and
 * runs its cyclic-dependency check again on every call).
 */
export function templateOf(stack: Stack): any {
  return ((stack as any)[TEMPLATE] ??= readTemplate(stack));
}

function readTemplate(stack: Stack): any {
  const assembly = Stage.of(stack)!.synth();
  const file = stack.nested ? path.join(assembly.directory, stack.templateFile) : assembly.getStackArtifact(stack.artifactId).templateFullPath;
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Every CloudWatch alarm of `stack` and of its nested stacks, by logical id (nested ones as
 * `<nested stack id>/<alarm id>`), with each reference to a nested stack's parameter replaced by
 * the value the parent stack passes to it: a query reads `{"Ref":"<function logical id>"}` wherever
 * the alarm is.
 */
export function alarmsAcrossNestedStacks(stack: Stack): Record<string, any> {
  const parent = templateOf(stack);
  const alarmsIn = (template: any) => Object.fromEntries(Object.entries<any>(template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm'));
  const out: Record<string, any> = { ...alarmsIn(parent) };
  for (const nested of nestedStacksOf(stack)) {
    const resource = parent.Resources[stack.getLogicalId(nested.nestedStackResource!)];
    const passed: Record<string, unknown> = resource.Properties.Parameters ?? {};
    let text = JSON.stringify(alarmsIn(templateOf(nested)));
    for (const [name, value] of Object.entries(passed)) {
      text = text.split(JSON.stringify({ Ref: name })).join(JSON.stringify(value));
    }
    for (const [id, alarm] of Object.entries(JSON.parse(text))) {
      out[`${nested.node.id}/${id}`] = alarm;
    }
  }
  return out;
}

/** The NestedStacks of `stack`. */
export function nestedStacksOf(stack: Stack): NestedStack[] {
  return stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack && c.nestedStackParent === stack);
}
