/**
 * Per-function bundling time of `WorkflowFunction` `entry` (in-process esbuild, one build per app at synthesis).
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

const synthMs: number[] = [];
function build(): { hashes: string[]; constructMs: number } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bench-out-')) });
  const stack = new Stack(app, 'Bench');
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    new WorkflowFunction(stack, `Fn${i}`, { entry: path.join(dir, `fn${i}.ts`) });
  }
  const constructMs = performance.now() - started;
  const synthStarted = performance.now();
  const template = app.synth().getStackByName('Bench').template;
  synthMs.push(performance.now() - synthStarted);
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
const perFunctionMs = statsAfterFirst.totalMs / statsAfterFirst.entries;
const secondRunMs = (bundlingStats.totalMs - statsAfterFirst.totalMs) / (bundlingStats.entries - statsAfterFirst.entries);
const combinedMs = combined();
const result = {
  combinedBuildMsPerFunction: Number((combinedMs / n).toFixed(2)),
  functions: n,
  esbuildMsPerFunctionFirstApp: Number(perFunctionMs.toFixed(2)),
  esbuildMsPerFunctionSecondApp: Number(secondRunMs.toFixed(2)),
  esbuildBuildsPerApp: statsAfterFirst.builds,
  constructMsPerFunction: Number((first.constructMs / n).toFixed(2)),
  synthMsPerFunction: Number((synthMs[0] / n).toFixed(2)),
  synthMsPerFunctionSecondApp: Number((synthMs[1] / n).toFixed(2)),
  deterministicAssetHashes: JSON.stringify(first.hashes) === JSON.stringify(second.hashes),
};
console.log(`bundling: ${n} functions in ${result.esbuildBuildsPerApp} esbuild build(s) per app: ${result.esbuildMsPerFunctionFirstApp} ms/function (fresh process), ${result.esbuildMsPerFunctionSecondApp} ms/function (second app); ` +
  `WorkflowFunction construct ${result.constructMsPerFunction} ms/function, app.synth() ${result.synthMsPerFunction} ms/function (second app ${result.synthMsPerFunctionSecondApp}); identical asset hashes across apps: ${result.deterministicAssetHashes}; raw esbuild of all ${n} at once: ${result.combinedBuildMsPerFunction} ms/function`);
console.log(JSON.stringify(result));
