/**
 * Wall time of the project's full jest suite, as the build runs it (jest --ci; coverage off here, on in
 * the build). Goal (issue 12): <= 90 s on the 2-core machine.
 *
 *   npx projen bench suite
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const started = Date.now();
const run = spawnSync(process.execPath, [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--coverage=false', '--silent'], {
  cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
});
const seconds = (Date.now() - started) / 1000;
const summary = (run.stderr + run.stdout).split('\n').filter((l) => /^(Tests|Test Suites):/.test(l));
console.log(`full jest suite: ${seconds.toFixed(1)} s wall (exit ${run.status}); ${summary.join('; ')}`);
const out = path.join(__dirname, 'results', 'suite.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ benchmark: 'suite', date: new Date().toISOString(), seconds, exit: run.status, summary }, null, 2) + '\n');
process.exit(run.status === 0 ? 0 : 1);
