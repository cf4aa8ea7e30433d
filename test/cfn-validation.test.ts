import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { buildExamplesApp } from '../examples/app-builder';

/**
 * Every example stack passes aws-cdk-lib's built-in CloudFormation validation (which test/setup-env.ts
 * switches off for the other test files, to keep each file from paying its start-up cost).
 */
/** Turns the validation's findings into errors (by default they are only printed as warnings). */
const STRICT = { '@aws-cdk/core:validateAgainstDefaultRules': true };

describe('aws-cdk-lib built-in template validation', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => { process.env.CDK_VALIDATION = 'true'; });
  afterAll(() => { process.env.CDK_VALIDATION = previous; });

  test('every example stack synthesizes with validation on and no error', () => {
    const { app, stacks } = buildExamplesApp({ context: { ...STRICT, 'aws:cdk:bundling-stacks': [] } });
    expect(stacks.length).toBeGreaterThan(0);
    // synth() throws ValidationFailed on an error-level finding.
    const assembly = app.synth();
    for (const stack of stacks) {
      expect(assembly.getStackByName(stack.stackName).template.Resources).toBeDefined();
    }
  });

  test('the validation really runs in this file (control: an invalid template fails)', () => {
    // A resource property of the wrong type is an error for the CloudFormation schema check. A
    // resource type the examples already have lets aws-cdk-lib reuse the engine the first test
    // started (it starts a new one, seconds of CPU, for a template with a type it has not seen).
    const app = new App({ context: STRICT });
    const stack = new Stack(app, 'Broken');
    new CfnResource(stack, 'Logs', { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 'not-a-number', NoSuchProperty: true } });
    expect(() => app.synth()).toThrow(/Additional properties are not allowed/);
  });
});
