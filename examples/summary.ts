/*
 * Prints what `cdk synth` generated for the examples app: stacks, state machines, functions, alarms,
 * tables; then the per-workflow summary of the package's CLI (`cdk-stateful-workflows summary`), and
 * writes one diagram per workflow into <cdk.out>/diagrams (`cdk-stateful-workflows diagram`: Mermaid,
 * plus SVG when Graphviz `dot` is installed).
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemblyWorkflows } from '../src/cli/assembly';
import { writeDiagrams } from '../src/cli/diagram-command';
import { formatSummary, summarize } from '../src/cli/summary';
import { dotAvailable } from '../src/diagram';

const outdir = process.argv[2] ?? 'cdk.out';
const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
const stacks = Object.entries<any>(manifest.artifacts)
  .filter(([, a]) => a.type === 'aws:cloudformation:stack')
  .map(([name, a]) => ({ name, file: path.join(outdir, a.properties.templateFile) }));

function countStates(states: Record<string, any>): number {
  let n = 0;
  for (const state of Object.values(states)) {
    n += 1;
    for (const branch of state.Branches ?? []) n += countStates(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) n += countStates(inner.States);
  }
  return n;
}

function definitionOf(resource: any): any {
  const body = resource.Properties.DefinitionString;
  const flatten = (v: any): string => typeof v === 'string' ? v
    : v['Fn::Join'] ? v['Fn::Join'][1].map(flatten).join(v['Fn::Join'][0])
      : JSON.stringify(v).replace(/"/g, "'");
  return JSON.parse(flatten(body));
}

const totals = { stacks: 0, stateMachines: 0, functions: 0, alarms: 0, tables: 0 };
console.log('\ncdk-stateful-workflows examples: what cdk synth generated\n');
for (const stack of stacks) {
  const template = JSON.parse(fs.readFileSync(stack.file, 'utf8'));
  const resources = Object.entries<any>(template.Resources ?? {});
  const byType = (t: string) => resources.filter(([, r]) => r.Type === t);
  const machines = byType('AWS::StepFunctions::StateMachine');
  const functions = byType('AWS::Lambda::Function');
  const aliases = byType('AWS::Lambda::Alias');
  const alarms = byType('AWS::CloudWatch::Alarm');
  const tables = byType('AWS::DynamoDB::Table');
  totals.stacks += 1;
  totals.stateMachines += machines.length;
  totals.functions += functions.length;
  totals.alarms += alarms.length;
  totals.tables += tables.length;
  console.log(`${stack.name}  (${resources.length} resources, ${path.relative(process.cwd(), stack.file)})`);
  for (const [id, m] of machines) {
    const asl = definitionOf(m);
    const tracing = m.Properties.TracingConfiguration?.Enabled ? 'X-Ray on' : 'X-Ray off';
    const level = m.Properties.LoggingConfiguration?.Level ?? 'no logging';
    console.log(`  state machine ${id}: ${m.Properties.StateMachineType ?? 'STANDARD'}, ${countStates(asl.States)} states, timeout ${asl.TimeoutSeconds ?? '-'} s, ${tracing}, logs ${level}`);
  }
  for (const [id, a] of aliases) {
    const pc = a.Properties.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions ?? 0;
    console.log(`  function alias ${id}: '${a.Properties.Name}', provisioned concurrency ${pc}`);
  }
  for (const [id, t] of tables) {
    console.log(`  table ${id}: ${t.Properties.BillingMode}, PITR ${t.Properties.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ? 'on' : 'off'}, TTL ${t.Properties.TimeToLiveSpecification?.AttributeName ?? '-'}`);
  }
  // a math-expression alarm is named after the metrics it combines (e.g. read + write throttles)
  const metrics = alarms.map(([, a]) => a.Properties.MetricName
    ?? (a.Properties.Metrics ?? []).map((m: any) => m.MetricStat?.Metric?.MetricName).filter(Boolean).join('+'));
  const counts = metrics.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m]: (acc[m] ?? 0) + 1 }), {});
  console.log(`  alarms: ${alarms.length} (${Object.entries(counts).map(([m, c]) => `${m} x${c}`).join(', ')})`);
  console.log('');
}
console.log(`Total: ${totals.stacks} stacks, ${totals.stateMachines} state machines, ${totals.functions} functions, ${totals.alarms} alarms, ${totals.tables} checkpoint tables`);

// The same per-workflow view the package's CLI prints, and the diagrams it draws.
const workflows = assemblyWorkflows(outdir);
console.log('\nPer workflow (cdk-stateful-workflows summary):\n');
console.log(formatSummary(summarize(workflows)));
const diagramDir = path.join(outdir, 'diagrams');
const mermaid = writeDiagrams(workflows, { outDir: diagramDir, format: 'mermaid' });
const svg = dotAvailable() ? writeDiagrams(workflows, { outDir: diagramDir, format: 'svg' }).files.filter((f) => f.endsWith('.svg')) : [];
console.log(`\nDiagrams: ${mermaid.files.length - 1} Mermaid${svg.length > 0 ? ` and ${svg.length} SVG` : ' (no SVG: Graphviz dot is not installed)'} in ${path.relative(process.cwd(), diagramDir) || diagramDir}`);
