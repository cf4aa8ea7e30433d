import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { memoizeCurrentVersionId } from '../../src/defaults/function-support';

/** A plain aws-cdk-lib function with an alias on its currentVersion (what WorkflowFunction builds). */
function build(memoize: boolean): { app: App; stack: Stack; fn: lambda.Function } {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  const fn = new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  if (memoize) memoizeCurrentVersionId(fn);
  return { app, stack, fn };
}

const versionIds = (template: Template): string[] => Object.keys(template.findResources('AWS::Lambda::Version'));

describe('memoizeCurrentVersionId: the version id is computed once per synthesis, the template unchanged', () => {
  test('same template as aws-cdk-lib renders without it', () => {
    const plain = Template.fromStack(build(false).stack).toJSON();
    const memoizedTemplate = Template.fromStack(build(true).stack);
    const memoized = memoizedTemplate.toJSON();
    expect(memoized).toEqual(plain);
    expect(versionIds(memoizedTemplate)[0]).toMatch(/^FnCurrentVersion[0-9A-F]{8}[0-9a-f]{32}$/);
  });

  test('a change made before synthesis still gives the version a new id (a new version is published)', () => {
    const before = versionIds(Template.fromStack(build(true).stack))[0];
    const { stack, fn } = build(true);
    fn.addEnvironment('STAGE', 'prod');
    const after = versionIds(Template.fromStack(stack))[0];
    expect(after).not.toEqual(before);
    // ... and equals what aws-cdk-lib computes for the same change
    const { stack: plainStack, fn: plainFn } = build(false);
    plainFn.addEnvironment('STAGE', 'prod');
    expect(after).toEqual(versionIds(Template.fromStack(plainStack))[0]);
  });

  test('a change between two synths is seen by the second one (the id is recomputed at each validation)', () => {
    const idsOverSynths = (memoize: boolean): string[] => {
      const { app, stack, fn } = build(memoize);
      const synth = () => app.synth({ force: true }).getStackByName(stack.stackName).template.Resources as Record<string, any>;
      const first = synth();
      fn.addEnvironment('STAGE', 'prod');
      const second = synth();
      const version = (r: Record<string, any>) => Object.keys(r).find((id) => r[id].Type === 'AWS::Lambda::Version')!;
      const alias = Object.values(second).find((r) => r.Type === 'AWS::Lambda::Alias');
      expect(alias.Properties.FunctionVersion).toEqual({ 'Fn::GetAtt': [version(second), 'Version'] });
      return [version(first), version(second)];
    };
    const memoized = idsOverSynths(true);
    expect(memoized[1]).not.toEqual(memoized[0]);
    expect(memoized).toEqual(idsOverSynths(false));
  });

  test('the function is rendered fewer times per synthesis (each hash renders and resolves it)', () => {
    const renders = (memoize: boolean): number => {
      const { stack, fn } = build(memoize);
      const cfn = fn.node.defaultChild as lambda.CfnFunction & { _toCloudFormation(): object };
      const spy = jest.spyOn(cfn, '_toCloudFormation');
      Template.fromStack(stack);
      const count = spy.mock.calls.length;
      spy.mockRestore();
      return count;
    };
    const plain = renders(false);
    const memoized = renders(true);
    expect(memoized).toBeLessThan(plain);
    expect(plain - memoized).toBeGreaterThanOrEqual(3);
  });
});
