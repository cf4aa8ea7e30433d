/**
 * Per-function bundling time of `WorkflowFunction` `entry` (in-process esbuild `buildSync`).
 *
 *   npx tsx bench/bundling.bench.ts [functions=40]
 *
 * Creates N distinct entry files (each importing a shared module, like real handlers), builds one
 * WorkflowFunction per entry in a fresh App, and prints the esbuild time per function (first build
 * includes esbuild's service start-up), the construct time per function, and whether two
 * synthesized Apps give identical asset hashes. Writes JSON to stdout's last line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { bundlingStats } from '../src/defaults/bundling';
import { WorkflowFunction } from '../src/defaults/workflow-function';

const n = Number(process.argv[2] ?? 40);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bench-'));
fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}');
fs.writeFileSync(path.join(dir, 'shared.ts'), 'export const tag = (s: string): string => `[${s}]`;\nexport interface Ev { id: string }\n');
for (let i = 0; i < n; i++) {
  fs.writeFileSync(path.join(dir, `fn${i}.ts`), `import { tag, Ev } from './shared';\nexport const handler = async (e: Ev) => ({ step: ${i}, id: tag(e.id) });\n`);
}

function build(): { hashes: string[]; constructMs: number } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bench-out-')) });
  const stack = new Stack(app, 'Bench');
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    new WorkflowFunction(stack, `Fn${i}`, { entry: path.join(dir, `fn${i}.ts`) });
  }
  const constructMs = performance.now() - started;
  const template = app.synth().getStackByName('Bench').template;
  const hashes = Object.values<any>(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => JSON.stringify(r.Properties.Code.S3Key));
  return { hashes, constructMs };
}

/** For comparison: one esbuild build of every entry at once (what an app-wide lazy build would cost). */
function combined(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bench-combined-'));
  const started = performance.now();
  esbuild.buildSync({
    entryPoints: Array.from({ length: n }, (_, i) => path.join(dir, `fn${i}.ts`)),
    outdir, absWorkingDir: dir, bundle: true, platform: 'node', format: 'cjs', target: 'node22', external: ['@aws-sdk/*'], logLevel: 'error',
  });
  return performance.now() - started;
}

const first = build();
const statsAfterFirst = { ...bundlingStats };
const second = build();
const perFunctionMs = statsAfterFirst.totalMs / statsAfterFirst.builds;
const secondRunMs = (bundlingStats.totalMs - statsAfterFirst.totalMs) / (bundlingStats.builds - statsAfterFirst.builds);
const combinedMs = combined();
const result = {
  combinedBuildMsPerFunction: Number((combinedMs / n).toFixed(2)),
  functions: n,
  esbuildMsPerFunctionFirstApp: Number(perFunctionMs.toFixed(2)),
  esbuildMsPerFunctionSecondApp: Number(secondRunMs.toFixed(2)),
  constructMsPerFunction: Number((first.constructMs / n).toFixed(2)),
  deterministicAssetHashes: JSON.stringify(first.hashes) === JSON.stringify(second.hashes),
};
console.log(`bundling: ${n} functions, esbuild ${result.esbuildMsPerFunctionFirstApp} ms/function (fresh process), ${result.esbuildMsPerFunctionSecondApp} ms/function (warm), WorkflowFunction construct ${result.constructMsPerFunction} ms/function, identical asset hashes across apps: ${result.deterministicAssetHashes}; one combined build of all ${n}: ${result.combinedBuildMsPerFunction} ms/function`);
console.log(JSON.stringify(result));
