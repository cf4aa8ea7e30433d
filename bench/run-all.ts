/* Runs every bench/*.bench.ts in its own process, one after another, and lists the JSON they wrote. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const dir = __dirname;
const only = process.argv.slice(2);
const benches = fs.readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const started = Date.now();
  // --expose-gc lets benchmarks measure retained heap; tsx is loaded as a Node loader so the flag applies.
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(dir, file)], { stdio: 'inherit' });
  console.log(`=== ${file}: exit ${run.status} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
  if (run.status !== 0) failed += 1;
}
const results = path.join(dir, 'results');
if (fs.existsSync(results)) {
  console.log(`\nresults: ${fs.readdirSync(results).map((f) => path.join('bench/results', f)).join(', ')}`);
}
process.exit(failed === 0 ? 0 : 1);
