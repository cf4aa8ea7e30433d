import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { WorkflowFunction } from '../../src';
import { bundlingStats } from '../../src/defaults/bundling';

const project = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bundling-test-'));
fs.writeFileSync(path.join(project, 'package-lock.json'), '{}');
fs.writeFileSync(path.join(project, 'shared.ts'), 'export const double = (n: number): number => n * 2;\n');
fs.writeFileSync(path.join(project, 'handler.ts'), "import { double } from './shared';\nexport const handler = async (e: { n: number }) => ({ doubled: double(e.n), env: process.env.MODE });\nexport const other = async () => 'other';\n");
fs.writeFileSync(path.join(project, 'sdk.ts'), "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => typeof DynamoDBClient;\n");
fs.writeFileSync(path.join(project, 'broken.ts'), 'export const handler = async () => { return (;\n');
const entry = path.join(project, 'handler.ts');

function newApp(context: Record<string, unknown> = {}): { app: App; stack: Stack } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'swf-out-')), context });
  return { app, stack: new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } }) };
}

function assetDir(app: App, stack: Stack, logicalIdHint: string): string {
  const template = app.synth().getStackByName(stack.stackName).template;
  const [fn] = Object.entries<any>(template.Resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(logicalIdHint));
  const hash = JSON.stringify(fn[1].Properties.Code.S3Key).match(/[0-9a-f]{64}/)![0];
  return path.join(app.outdir, `asset.${hash}`);
}

describe('entry is bundled in-process with esbuild (issue 12)', () => {
  test('the bundle runs: handler index.<export>, AWS SDK external, no Docker, no child process per function', async () => {
    const { app, stack } = newApp();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spawn = jest.spyOn(require('child_process'), 'spawnSync');
    new WorkflowFunction(stack, 'Fn', { entry, environment: { MODE: 'x' } });
    expect(spawn).not.toHaveBeenCalled();
    spawn.mockRestore();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x' });
    const dir = assetDir(app, stack, 'Fn');
    expect(fs.readdirSync(dir)).toEqual(['index.js']);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, 'index.js'));
    process.env.MODE = 'strict';
    await expect(mod.handler({ n: 21 })).resolves.toEqual({ doubled: 42, env: 'strict' });
  });

  test('the AWS SDK v3 stays external (the Lambda runtime provides it)', () => {
    const { app, stack } = newApp();
    new WorkflowFunction(stack, 'Sdk', { entry: path.join(project, 'sdk.ts'), depsLockFilePath: path.join(__dirname, '..', '..', 'package-lock.json') });
    const code = fs.readFileSync(path.join(assetDir(app, stack, 'Sdk'), 'index.js'), 'utf8');
    expect(code).toContain('require("@aws-sdk/client-dynamodb")');
    expect(code.length).toBeLessThan(5000);
  });

  test('deterministic: the same entry gives the same asset hash in two apps; functions of one app sharing an entry share one bundle', () => {
    const hashes = [0, 1].map(() => {
      const { stack } = newApp();
      const before = { ...bundlingStats };
      new WorkflowFunction(stack, 'A', { entry });
      new WorkflowFunction(stack, 'B', { entry, handler: 'other' });
      expect(bundlingStats.builds).toBe(before.builds); // nothing built before synthesis
      const fns = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
      expect(bundlingStats.builds - before.builds).toBe(1);
      expect(bundlingStats.entries - before.entries).toBe(1);
      expect(fns.map((f) => f.Properties.Handler).sort()).toEqual(['index.handler', 'index.other']);
      return fns.map((f) => f.Properties.Code.S3Key);
    });
    expect(hashes[0]).toEqual(hashes[1]);
    expect(hashes[0][0]).toEqual(hashes[0][1]);
  });

  test('every entry of an app (across stacks) is bundled in ONE esbuild build at synthesis', () => {
    const { app, stack } = newApp();
    const other = new Stack(app, 'Other', { env: { account: '123456789012', region: 'us-east-1' } });
    const before = { ...bundlingStats };
    new WorkflowFunction(stack, 'Handler', { entry });
    new WorkflowFunction(stack, 'Sdk', { entry: path.join(project, 'sdk.ts') });
    new WorkflowFunction(other, 'Shared', { entry: path.join(project, 'shared.ts') });
    app.synth();
    expect(bundlingStats.builds - before.builds).toBe(1);
    expect(bundlingStats.entries - before.entries).toBe(3);
    expect(fs.readdirSync(assetDir(app, other, 'Shared'))).toEqual(['index.js']);
  });

  test('supported options change the bundle (minify), ESM writes index.mjs', () => {
    const { app, stack } = newApp();
    new WorkflowFunction(stack, 'Plain', { entry });
    new WorkflowFunction(stack, 'Min', { entry, bundling: { minify: true } });
    new WorkflowFunction(stack, 'Esm', { entry, bundling: { format: nodejs.OutputFormat.ESM } });
    const keys = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((f) => f.Properties.Code.S3Key);
    expect(new Set(keys).size).toBe(3);
    // the published version follows the code: its logical id carries the code hash
    const versions = Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Version'));
    expect(new Set(versions.map((id) => id.slice(-32))).size).toBe(3);
    expect(fs.readdirSync(assetDir(app, stack, 'Esm'))).toEqual(['index.mjs']);
  });

  test('options that need Docker or a shell are refused, naming them', () => {
    const { stack } = newApp();
    expect(() => new WorkflowFunction(stack, 'Fn', { entry, bundling: { nodeModules: ['sharp'], commandHooks: {} as any } }))
      .toThrow(/\[S\/Fn\] bundling.nodeModules, bundling.commandHooks is not supported: WorkflowFunction bundles in-process.*Supported: minify/);
    expect(() => new WorkflowFunction(stack, 'Fn2', { entry, bundling: { forceDockerBundling: true } }))
      .toThrow(/\[S\/Fn2\] bundling.forceDockerBundling is true/);
  });

  test('a missing entry and a syntax error are reported with the path', () => {
    const { stack } = newApp();
    expect(() => new WorkflowFunction(stack, 'Missing', { entry: path.join(project, 'nope.ts') }))
      .toThrow(/\[S\/Missing\] entry '.*nope.ts' does not exist/);
    new WorkflowFunction(stack, 'Broken', { entry: path.join(project, 'broken.ts') });
    expect(() => Template.fromStack(stack)).toThrow(/\[S\/Broken\] esbuild failed to bundle 'broken.ts'/);
  });

  test('stacks excluded from bundling (aws:cdk:bundling-stacks) get a stub and run no esbuild', () => {
    const { app, stack } = newApp({ 'aws:cdk:bundling-stacks': [] });
    const before = bundlingStats.builds;
    new WorkflowFunction(stack, 'Fn', { entry });
    expect(bundlingStats.builds).toBe(before);
    expect(fs.readFileSync(path.join(assetDir(app, stack, 'Fn'), 'index.js'), 'utf8')).toMatch(/bundling skipped.*handler\.ts/);
  });

  test('code: still works and never loads esbuild', () => {
    const { stack } = newApp();
    new WorkflowFunction(stack, 'Fn', { code: lambda.Code.fromInline('exports.handler = async () => 1;') });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Code: { ZipFile: 'exports.handler = async () => 1;' } });
  });

  test('without esbuild installed: a clear error naming the fix', () => {
    jest.isolateModules(() => {
      jest.doMock('esbuild', () => { throw new Error("Cannot find module 'esbuild'"); });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { WorkflowFunction: Isolated } = require('../../src/defaults/workflow-function');
      const { stack } = newApp();
      expect(() => new Isolated(stack, 'Fn', { entry }))
        .toThrow(/\[S\/Fn\] `entry` is bundled in-process with esbuild, which is not installed.*npm install -D esbuild.*`code`/);
      jest.dontMock('esbuild');
    });
  });
});
