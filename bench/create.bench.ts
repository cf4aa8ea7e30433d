/**
 * Benchmark of `LocalWorkflowRunner.create` in a fresh jest process (issue 12 goal: <= 1 s for a
 * 10-step workflow, and the README's jest example passing under jest's default 5 s timeouts).
 *
 *   npx tsx bench/create.bench.ts            # 5 samples per case
 *   CREATE_SAMPLES=9 npx tsx bench/create.bench.ts
 *
 * Every sample is its own jest process running bench/create.sample.ts with the project's jest
 * transform but WITHOUT test/setup-env.ts (which sets CDK_VALIDATION=false for this repository's
 * own suite; a user's jest setup does not). Two environments: CDK_VALIDATION=false, and unset (the
 * user's default). Then the README's jest example (test/behaviour/readme-example.test.ts) runs
 * under jest's default `testTimeout` (5 s), unset CDK_VALIDATION, no setup file.
 *
 * Prints the figures and writes them to bench/results/create.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from './util';

const ROOT = path.join(__dirname, '..');
const SAMPLES = Number(process.env.CREATE_SAMPLES ?? 5);
const JEST = require.resolve('jest/bin/jest', { paths: [ROOT] });

/** The project's jest configuration, minus the repository-only setup file, for one test file. */
function jestConfig(testFile: string, testTimeout?: number): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { jest: Record<string, unknown> };
  const { setupFiles: _setup, reporters: _reporters, testTimeout: _timeout, testMatch: _match, ...rest } = pkg.jest;
  return JSON.stringify({
    ...rest,
    rootDir: ROOT,
    testMatch: [path.join(ROOT, testFile)],
    ...(testTimeout !== undefined ? { testTimeout } : {}),
  });
}

function envWith(cdkValidation: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CDK_VALIDATION;
  if (cdkValidation !== undefined) env.CDK_VALIDATION = cdkValidation;
  return env;
}

interface Sample {
  readonly constructMs: number;
  readonly createMs: number;
  readonly firstRunMs: number;
  readonly status: string;
  readonly statesEntered: number;
}

function sample(kind: string, cdkValidation: string | undefined): Sample {
  const out = path.join(os.tmpdir(), `create-bench-${process.pid}-${Date.now()}.json`);
  const run = spawnSync(process.execPath, [JEST, '--config', jestConfig('bench/create.sample.ts'), '--coverage=false', '--ci'], {
    cwd: ROOT,
    env: { ...envWith(cdkValidation), CREATE_BENCH_KIND: kind, CREATE_BENCH_OUT: out },
    encoding: 'utf8',
  });
  if (run.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`sample ${kind} (CDK_VALIDATION=${cdkValidation ?? 'unset'}) failed:\n${run.stdout}\n${run.stderr}`);
  }
  const figures = JSON.parse(fs.readFileSync(out, 'utf8')) as Sample;
  fs.unlinkSync(out);
  return figures;
}

function readmeExample(): { passed: boolean; wallMs: number; summary: string } {
  const started = Date.now();
  const run = spawnSync(process.execPath, [JEST, '--config', jestConfig('test/behaviour/readme-example.test.ts', 5000), '--coverage=false', '--ci'], {
    cwd: ROOT,
    env: envWith(undefined),
    encoding: 'utf8',
  });
  const summary = (run.stderr.match(/^Tests:.*$/m) ?? ['(no summary)'])[0];
  return { passed: run.status === 0, wallMs: Date.now() - started, summary };
}

function main(): void {
  const cases: Array<Record<string, unknown>> = [];
  for (const kind of ['saga', 'sequential']) {
    for (const cdkValidation of ['false', undefined]) {
      const samples: Sample[] = [];
      for (let i = 0; i < SAMPLES; i++) samples.push(sample(kind, cdkValidation));
      const bad = samples.find((s) => s.status !== 'SUCCEEDED');
      if (bad) throw new Error(`a ${kind} sample did not succeed: ${JSON.stringify(bad)}`);
      const row = {
        kind,
        cdkValidation: cdkValidation ?? 'unset',
        createMsMedian: median(samples.map((s) => s.createMs)),
        constructMsMedian: median(samples.map((s) => s.constructMs)),
        firstRunMsMedian: median(samples.map((s) => s.firstRunMs)),
        createMs: samples.map((s) => s.createMs),
      };
      console.log(`  10-step ${kind}, CDK_VALIDATION=${row.cdkValidation}: create() median ${row.createMsMedian} ms `
        + `(samples ${row.createMs.join(', ')}); construct ${row.constructMsMedian} ms; first run ${row.firstRunMsMedian} ms`);
      cases.push(row);
    }
  }
  const readme = readmeExample();
  console.log(`  README jest example, jest defaults (5 s timeout, no setup file, CDK_VALIDATION unset): ${readme.passed ? 'passed' : 'FAILED'} `
    + `in ${readme.wallMs} ms wall (${readme.summary})`);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'create.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, samplesPerCase: SAMPLES, cases, readme,
  }, null, 2) + '\n');
  if (!readme.passed) process.exitCode = 1;
}

main();
