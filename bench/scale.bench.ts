/**
 * Scale benchmark: each pattern at N = 10, 50, 200 steps, built with the library ("ours") and as the
 * code a user writes without it ("hand-written", bench/scale/apps.ts: plain aws-cdk-lib, per Lambda a
 * Function + Role + Policy + LogGroup, no alias, alarms or checkpoints beyond the pattern itself).
 *
 *   npx projen bench scale              (BENCH_SAMPLES=5 for more samples, BENCH_SIZES=10,50 to choose N,
 *                                        BENCH_WITH_DEFAULTS=1 to add the hand-written app with the promised defaults)
 *
 * Every synth sample runs in a fresh process (module loading and aws-cdk-lib's template validation
 * included, as in `cdk synth`), ours and hand-written interleaved; medians and the ratio ours/hand-written
 * are printed. Happy-path state transitions come from executing both machines with the local runner.
 * Writes bench/results/scale.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { actionName, buildApp, Impl, Pattern, PATTERNS, undoName } from './scale/apps';
import { median, round } from './util';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '10,50,200').split(',').map(Number);
const ONLY = (process.env.BENCH_PATTERNS ?? '').split(',').filter(Boolean) as Pattern[];
/** Also measure `hand-written+defaults` (the hand-written app with the library's promised defaults; see apps.ts). */
const WITH_DEFAULTS = process.env.BENCH_WITH_DEFAULTS === '1';
const LIMITS = { resources: 500, templateBytes: 1_000_000, definitionBytes: 1_048_576 };

interface Sample {
  ok: boolean; error?: string; resources?: number; largestStackResources?: number; templateBytes?: number;
  largestTemplateBytes?: number; stateMachines?: number; definitionBytes?: number; largestDefinitionBytes?: number;
  wallMs: number; cpuMs: number; peakRssMb: number;
}

function sample(pattern: Pattern, impl: Impl, n: number): Sample {
  const env = { ...process.env };
  delete env.CDK_VALIDATION; // the default, as a user's synth runs
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'scale', 'synth-one.ts'), pattern, impl, String(n)], {
    encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, error: (run.stderr || line).split('\n').slice(0, 3).join(' '), wallMs: NaN, cpuMs: NaN, peakRssMb: NaN };
  }
}

/** Happy-path transitions of the pattern's (parent) machine, executed with the local runner. */
async function transitions(pattern: Pattern, impl: Impl, n: number): Promise<number | string> {
  const { LocalWorkflowRunner } = await import('../src/testing');
  let stack: any;
  try {
    ({ stack } = buildApp(pattern, impl, n, { context: { 'aws:cdk:bundling-stacks': [] } }));
  } catch (e) {
    return `not run: ${String((e as Error).message).split('\n')[0].slice(0, 120)}`;
  }
  const handlers: Record<string, (e: any) => Promise<any>> = {};
  if (pattern === 'fan-out') {
    handlers['Process item'] = async (e) => e;
    handlers.Aggregate = async () => ({ total: 3 });
  } else {
    for (let i = 0; i < n; i++) handlers[actionName(i)] = async () => ({ ok: i });
    // the last step's compensation can never run (nothing fails after it)
    if (pattern === 'saga') for (let i = 0; i < n - 1; i++) handlers[undoName(i)] = async () => ({ undone: i });
  }
  // The parent machine: the one no other machine's definition refers to.
  let template: any;
  try {
    template = (stack.node.scope as any).synth().getStackByName(stack.stackName).template;
  } catch (e) {
    return `not run: ${String((e as Error).message).split('\n')[0].slice(0, 120)}`;
  }
  const ids = Object.keys(template.Resources).filter((id) => template.Resources[id].Type === 'AWS::StepFunctions::StateMachine');
  const parent = ids.find((id) => !ids.some((other) => other !== id && JSON.stringify(template.Resources[other].Properties.DefinitionString).includes(`"${id}"`)))!;
  let runner: any;
  try {
    // The machine's construct, not the raw template: parts the library placed in nested stacks
    // (e.g. a checkpoint coordinator at N=200) are merged in from their own templates.
    const cfn = stack.node.findAll().find((c: any) => c instanceof CfnStateMachine && Stack.of(c) === stack && stack.resolve(c.logicalId) === parent);
    runner = await LocalWorkflowRunner.create(cfn.node.scope, { handlers });
  } catch (e) {
    return `not run: ${String((e as Error).message).split('\n')[0].slice(0, 160)}`;
  }
  try {
    const result = await runner.run({ jobId: 'job-1', orderId: 'o-1', items: [1, 2, 3] });
    return result.status === 'SUCCEEDED' ? result.transitions : `${result.status} ${result.error ?? ''}`;
  } catch (e) {
    return `not run: ${String((e as Error).message).split('\n')[0].slice(0, 120)}`;
  } finally {
    await runner.close();
  }
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

async function main(): Promise<void> {
  const { LIBRARY_SOURCE } = await import('./scale/ours');
  const patterns = ONLY.length ? ONLY : [...PATTERNS];
  console.log(`Scale: ours vs hand-written, ${SAMPLES} fresh-process samples each, interleaved; library loaded from ${LIBRARY_SOURCE}/; ` +
    `node ${process.version}; limits ${LIMITS.resources} resources / 1 MB template / 1 MB definition`);
  const rows: any[] = [];
  for (const pattern of patterns) {
    for (const n of SIZES) {
      const samples: Record<Impl, Sample[]> = { 'ours': [], 'hand-written': [], 'hand-written+defaults': [] };
      const impls: Impl[] = WITH_DEFAULTS ? ['ours', 'hand-written', 'hand-written+defaults'] : ['ours', 'hand-written'];
      for (let s = 0; s < SAMPLES; s++) {
        for (const impl of impls) samples[impl].push(sample(pattern, impl, n));
      }
      const summary = (impl: Impl) => {
        const list = samples[impl];
        const first = list.find((x) => x.ok) ?? list[0];
        return {
          ...first,
          wallMs: round(median(list.map((x) => x.wallMs))),
          cpuMs: round(median(list.map((x) => x.cpuMs))),
          peakRssMb: round(median(list.map((x) => x.peakRssMb))),
        };
      };
      const ours = summary('ours');
      const hand = summary('hand-written');
      const handDefaults = WITH_DEFAULTS ? summary('hand-written+defaults') : undefined;
      // CPU ratio of paired samples (same round), over the pairs where both synthesized
      const pairedRatio = (a: Impl, b: Impl): number | undefined => {
        const ratios = samples[a].flatMap((x, i) => (x.ok && samples[b][i]?.ok ? [x.cpuMs / samples[b][i].cpuMs] : []));
        return ratios.length ? round(median(ratios)) : undefined;
      };
      const row = {
        pattern, n, ours, handWritten: hand, handWrittenWithDefaults: handDefaults,
        transitions: { ours: await transitions(pattern, 'ours', n), handWritten: await transitions(pattern, 'hand-written', n) },
        ratios: {
          resources: ours.resources && hand.resources ? round(ours.resources / hand.resources) : undefined,
          cpu: pairedRatio('ours', 'hand-written'),
          wall: ours.ok && hand.ok ? round(ours.wallMs / hand.wallMs) : undefined,
          peakRss: ours.ok && hand.ok ? round(ours.peakRssMb / hand.peakRssMb) : undefined,
          // what the promised defaults cost when written by hand, and ours against that
          handDefaultsCpu: handDefaults ? pairedRatio('hand-written+defaults', 'hand-written') : undefined,
          oursVsHandDefaultsCpu: handDefaults ? pairedRatio('ours', 'hand-written+defaults') : undefined,
        },
        withinLimits: {
          ours: !!ours.ok && (ours.largestStackResources ?? 0) <= LIMITS.resources && (ours.largestTemplateBytes ?? 0) <= LIMITS.templateBytes
            && (ours.largestDefinitionBytes ?? 0) <= LIMITS.definitionBytes,
          handWritten: !!hand.ok && (hand.largestStackResources ?? 0) <= LIMITS.resources && (hand.largestTemplateBytes ?? 0) <= LIMITS.templateBytes,
        },
      };
      rows.push(row);
      const line = (label: string, x: Sample, t: number | string) => `    ${label.padEnd(12)} ${x.ok ? '' : `FAILED (${x.error}) `}` +
        `resources ${fmt(x.resources)} (largest stack ${fmt(x.largestStackResources)}), template ${fmt((x.templateBytes ?? NaN) / 1024, 1)} KiB, ` +
        `definition ${fmt((x.definitionBytes ?? NaN) / 1024, 1)} KiB in ${fmt(x.stateMachines)} machine(s), ` +
        `synth wall ${fmt(x.wallMs)} ms, CPU ${fmt(x.cpuMs)} ms, peak RSS ${fmt(x.peakRssMb)} MB, transitions ${t}`;
      console.log(`  ${pattern} N=${n}:`);
      console.log(line('ours', ours, row.transitions.ours));
      console.log(line('hand-written', hand, row.transitions.handWritten));
      if (handDefaults) console.log(line('hand+defaults', handDefaults, '-'));
      console.log(`    ratios ours/hand-written: resources ${fmt(row.ratios.resources, 2)}, CPU ${fmt(row.ratios.cpu, 2)} (median of paired samples), ` +
        `wall ${fmt(row.ratios.wall, 2)}, peak RSS ${fmt(row.ratios.peakRss, 2)}; within every limit: ours ${row.withinLimits.ours ? 'yes' : 'NO'}, ` +
        `hand-written ${row.withinLimits.handWritten ? 'yes' : 'NO'}`);
      if (handDefaults) {
        console.log(`    CPU ratios: hand-written+defaults/hand-written ${fmt(row.ratios.handDefaultsCpu, 2)}, ours/hand-written+defaults ${fmt(row.ratios.oursVsHandDefaultsCpu, 2)}`);
      }
    }
  }
  const out = path.join(__dirname, 'results', 'scale.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ benchmark: 'scale', date: new Date().toISOString(), node: process.version, samples: SAMPLES, librarySource: LIBRARY_SOURCE, rows }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
