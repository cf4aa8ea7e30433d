/**
 * One sample of the scale benchmark, in its own process: load the libraries, build one app, synthesize
 * it (aws-cdk-lib's default template validation on, as in a user's `cdk synth`), and print one JSON
 * line with what the template holds and what the whole process spent (CPU includes module loading).
 *
 *   node --import tsx bench/scale/synth-one.ts <pattern> <ours|hand-written> <n>
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const started = process.hrtime.bigint();
const [pattern, impl, nText] = process.argv.slice(2);

function definitionBytes(template: any): { machines: number; bytes: number; largest: number } {
  let bytes = 0;
  let largest = 0;
  let machines = 0;
  for (const r of Object.values<any>(template.Resources ?? {})) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    machines += 1;
    // The deployed definition: the joined string, with each token counted as a 20-character ARN part.
    const def = r.Properties.DefinitionString;
    const size = typeof def === 'string' ? def.length : JSON.stringify(def).length;
    bytes += size;
    largest = Math.max(largest, size);
  }
  return { machines, bytes, largest };
}

async function main(): Promise<void> {
  const { buildApp } = await import('./apps');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-'));
  let result: Record<string, unknown>;
  try {
    const { app } = buildApp(pattern as any, impl as any, Number(nText), { context: { 'aws:cdk:bundling-stacks': [] } });
    (app as any).outdir; // eslint-disable-line @typescript-eslint/no-unused-expressions
    const assembly = app.synth();
    let resources = 0;
    let templateBytes = 0;
    let largestTemplateBytes = 0;
    let largestStackResources = 0;
    let defs = { machines: 0, bytes: 0, largest: 0 };
    for (const file of fs.readdirSync(assembly.directory).filter((f) => f.endsWith('.template.json'))) {
      const text = fs.readFileSync(path.join(assembly.directory, file), 'utf8');
      const template = JSON.parse(text);
      const count = Object.keys(template.Resources ?? {}).length;
      resources += count;
      templateBytes += text.length;
      largestTemplateBytes = Math.max(largestTemplateBytes, text.length);
      largestStackResources = Math.max(largestStackResources, count);
      const d = definitionBytes(template);
      defs = { machines: defs.machines + d.machines, bytes: defs.bytes + d.bytes, largest: Math.max(defs.largest, d.largest) };
    }
    result = {
      ok: true, resources, largestStackResources, templateBytes, largestTemplateBytes,
      stateMachines: defs.machines, definitionBytes: defs.bytes, largestDefinitionBytes: defs.largest,
    };
  } catch (e) {
    result = { ok: false, error: String((e as Error).message ?? e).split('\n')[0].slice(0, 300) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  console.log(JSON.stringify({
    ...result,
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: usage.maxRSS / 1024,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
