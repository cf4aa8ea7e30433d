import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { newStack } from './fixtures';
import { normalizeTemplate, normalizedTemplate } from '../../src/testing';

function assetStack(code: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'norm-'));
  fs.writeFileSync(path.join(dir, 'index.js'), code);
  const stack = newStack('AssetStack');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dir),
  });
  new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  return stack;
}

describe('normalizeTemplate', () => {
  test('GIVEN two stacks differing only by code WHEN normalized THEN the templates are equal', () => {
    // GIVEN
    const a = normalizedTemplate(assetStack('exports.handler = async () => 1;'));
    const b = normalizedTemplate(assetStack('exports.handler = async () => 2;'));

    // THEN
    expect(a).toEqual(b);
    const text = JSON.stringify(a);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/aws:asset:/);
    expect(text).toContain('[ASSET_HASH].zip');
    expect(text).toContain('CurrentVersion');
    expect(text).toContain('[VERSION_HASH]');
  });

  test('masks hashes, renames Version ids in Ref/GetAtt/Sub/DependsOn, drops asset metadata, leaves the rest', () => {
    // GIVEN
    const versionId = 'FnCurrentVersion17A89ABBb7c033323ba8d52ec4f612f033cee9b4';
    const hash = 'a'.repeat(64);
    const input = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Code: { S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' }, S3Key: `${hash}.zip` } },
          Metadata: { 'aws:asset:path': `asset.${hash}`, 'aws:asset:property': 'Code', 'aws:cdk:path': 'S/Fn/Resource' },
        },
        [versionId]: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } }, Metadata: { 'aws:asset:is-bundled': false } },
        Alias: {
          Type: 'AWS::Lambda::Alias',
          Properties: { FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] }, Description: { 'Fn::Sub': `v \${${versionId}.Version}` } },
          DependsOn: [versionId],
        },
        Other: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } },
      },
      Outputs: { V: { Value: { Ref: versionId } } },
    };
    const snapshot = JSON.stringify(input);

    // WHEN
    const out = normalizeTemplate(input) as any;

    // THEN
    const masked = 'FnCurrentVersion17A89ABB[VERSION_HASH]';
    expect(Object.keys(out.Resources)).toEqual(['Fn', masked, 'Alias', 'Other']);
    expect(out.Resources.Fn.Properties.Code).toEqual({ S3Bucket: { 'Fn::Sub': '[ASSET_BUCKET]' }, S3Key: '[ASSET_HASH].zip' });
    expect(out.Resources.Fn.Metadata).toEqual({ 'aws:cdk:path': 'S/Fn/Resource' });
    expect(out.Resources[masked]).toEqual({ Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } });
    expect(out.Resources.Alias).toEqual({
      Type: 'AWS::Lambda::Alias',
      Properties: { FunctionVersion: { 'Fn::GetAtt': [masked, 'Version'] }, Description: { 'Fn::Sub': `v \${${masked}.Version}` } },
      DependsOn: [masked],
    });
    expect(out.Outputs.V.Value).toEqual({ Ref: masked });
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  test('is idempotent', () => {
    const once = normalizedTemplate(assetStack('exports.handler = async () => 3;'));
    expect(normalizeTemplate(once)).toEqual(once);
  });
});
