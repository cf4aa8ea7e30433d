import { NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * Every CloudWatch alarm of `stack` and of its nested stacks, by logical id (nested ones as
 * `<nested stack id>/<alarm id>`), with each reference to a nested stack's parameter replaced by
 * the value the parent stack passes to it: a query reads `{"Ref":"<function logical id>"}` wherever
 * the alarm is.
 */
export function alarmsAcrossNestedStacks(stack: Stack): Record<string, any> {
  const out: Record<string, any> = { ...Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm') };
  for (const nested of stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack && c.nestedStackParent === stack)) {
    const resource = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(nested.nestedStackResource!)];
    const passed: Record<string, unknown> = resource.Properties.Parameters ?? {};
    let text = JSON.stringify(Template.fromStack(nested).findResources('AWS::CloudWatch::Alarm'));
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
