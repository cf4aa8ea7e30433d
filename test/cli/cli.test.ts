import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthExamples, synthNestedHybrid, synthNotifyingSaga, tempDir } from './fixtures';
import { assemblyWorkflows, findWorkflow } from '../../src/cli/assembly';
import { writeDiagrams } from '../../src/cli/diagram-command';
import { main } from '../../src/cli/main';
import { missingRunPeers, runWorkflow } from '../../src/cli/run-command';
import type { WorkflowSummary } from '../../src/cli/summary';
import { happyPath } from '../../src/cli/summary';
import { STANDARD_USD_PER_STATE_TRANSITION } from '../../src/testing/cost-report';
import { aslEdges } from '../diagram/parse-back';

/** Runs the CLI in-process, capturing what it writes. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { err += t.endsWith('\n') ? t : `${t}\n`; } });
  return { code, out, err };
}

let examples: string;
let notifying: string;

beforeAll(() => {
  examples = synthExamples();
  notifying = synthNotifyingSaga();
});

describe('summary', () => {
  test('per workflow: type, states, provisioned concurrency, alarms and their actions, happy path, cost', async () => {
    // GIVEN what the synthesized saga template holds (counted here, not by the CLI)
    const saga = findWorkflow(assemblyWorkflows(examples), 'OrderSaga');
    const states = aslEdges(saga.definition).states.length;
    const alarms = Object.values(saga.template.Resources ?? {}).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
    // WHEN
    const { code, out, err } = await cli('summary', examples);
    // THEN
    expect(code).toBe(0);
    expect(err).toContain(`reading ${examples}`); // progress goes to stderr
    expect(out).toContain(`OrderSagaExample/OrderSaga  [STANDARD]  ${states} states`);
    expect(out).toContain('    ReserveFunds:live  provisioned concurrency 1');
    expect(out).toContain('    ReleaseFunds:live  provisioned concurrency none');
    expect(out).toContain(`  alarms: ${alarms}, none notifies anyone (no AlarmActions)`);
    expect(out).toContain('    SagaCompensationFailed -> nobody');
    expect(out).toContain('  happy path: 5 transitions: Saga: check input > Reserve funds > Ship item > Update inventory > Send confirmation');
    expect(out).toContain('  estimated cost: $125.00 per million executions (5 Standard transitions)');
    expect(out).toContain('HybridExample/OrderPipelineExpressGroup1  [EXPRESS]');
    expect(out).toContain('    starts child OrderPipelineExpressGroup1 (OrderPipelineExpressGroup1StateMachine283EFA6A)');
    expect(out).toMatch(/ {2}happy path: \d+ transitions \+ 1 per Map item: Fan out: any items\? > Fan out > Sync partner > .*Write summary report\n/);
  });

  test('JSON: the cost is the happy-path transitions at the Standard price, plus the Express child', async () => {
    const { code, out } = await cli('summary', examples, '--json', '--items', '10');
    expect(code).toBe(0);
    const summaries = JSON.parse(out) as WorkflowSummary[];
    const saga = summaries.find((s) => s.name === 'OrderSagaExample/OrderSaga')!;
    expect(saga.cost!.usdPerMillion).toBeCloseTo(5 * STANDARD_USD_PER_STATE_TRANSITION * 1e6, 6);
    const nightly = summaries.find((s) => s.name === 'NightlySyncExample/NightlySync')!;
    // the states outside the Map once, the Map body (one Task) once per item: 10 items
    expect(nightly.happyPath!.transitionsPerItem).toBe(1);
    expect(nightly.cost!.standardTransitions).toBe(nightly.happyPath!.transitions + 10);
    const parent = summaries.find((s) => s.name === 'HybridExample/OrderPipeline')!;
    expect(parent.cost!.machines.map((m) => [m.type, m.executions])).toEqual([['STANDARD', 1], ['EXPRESS', 1]]);
    expect(parent.cost!.expressRequests).toBe(1);
  });

  test('alarms with an SNS action are reported as notifying it; construct paths name the workflow', async () => {
    const { code, out } = await cli('summary', notifying);
    expect(code).toBe(0);
    expect(out).toContain('NotifyStack/Payment  [STANDARD]');
    // the function alarms (one Metrics Insights alarm per metric for all functions) change state and
    // name the function but page no one by default: the execution alarms page for what no retry absorbed
    expect(out).toContain('  alarms: 5, 3 notify someone');
    expect(out).toContain('    ExecutionsTimedOut+ExecutionsAborted+ExecutionThrottled -> OnCall');
    expect(out).toContain('    Errors per function (AWS/Lambda) -> nobody');
    expect(out).toContain('    SagaCompensationFailed -> OnCall');
  });

  test('a directory without a manifest is a clear error', async () => {
    const { code, err } = await cli('summary', tempDir('empty'));
    expect(code).toBe(1);
    expect(err).toMatch(/is not a cloud assembly: it has no manifest\.json\. Run 'cdk synth' first/);
  });
});

describe('happy path', () => {
  test('a Choice takes the first branch that can succeed; a Fail is not success', () => {
    const path1 = happyPath({
      StartAt: 'Check',
      States: {
        Check: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Boom' }], Default: 'Work' },
        Boom: { Type: 'Fail' },
        Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    expect(path1).toEqual({ states: ['Check', 'Work', 'Done'], transitions: 3, transitionsPerItem: 0, children: [], tasks: 1 });
    expect(happyPath({ StartAt: 'A', States: { A: { Type: 'Fail' } } })).toBeUndefined();
  });
});

describe('diagram', () => {
  test('writes one Mermaid diagram per workflow and an index that GitHub renders', async () => {
    const out = tempDir('diagrams');
    const { code, out: stdout, err } = await cli('diagram', examples, '--out', out);
    expect(code).toBe(0);
    expect(err).toContain('[7/7] HybridExample/OrderPipeline');
    const files = fs.readdirSync(out).sort();
    expect(files).toEqual([
      'CheckpointExample-ImagePipeline.mmd', 'FoundationExample-JobIntake.mmd', 'HybridExample-OrderPipeline.mmd',
      'HybridExample-OrderPipelineExpressGroup1.mmd', 'NightlySyncExample-NightlySync.mmd', 'NightlySyncExample-WeeklyResync.mmd', 'OrderSagaExample-OrderSaga.mmd', 'README.md',
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(8);
    expect(fs.readFileSync(path.join(out, 'OrderSagaExample-OrderSaga.mmd'), 'utf8')).toMatch(/^---\ntitle: "OrderSagaExample\/OrderSaga \(STANDARD\)"\n---\nflowchart TD\n/);
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8').match(/```mermaid/g)).toHaveLength(7);
  });

  test('defaults to <cdk.out>/diagrams', async () => {
    const { code } = await cli('diagram', notifying);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(notifying, 'diagrams', 'NotifyStack-Payment.mmd'))).toBe(true);
  });

  test('without Graphviz, --format svg says so and writes the DOT sources', () => {
    const logs: string[] = [];
    const out = tempDir('nodot');
    const written = writeDiagrams(assemblyWorkflows(notifying), { outDir: out, format: 'svg', dotPath: '/nonexistent/dot', log: (l) => logs.push(l) });
    expect(written.format).toBe('dot');
    expect(written.fallbackReason).toMatch(/Graphviz 'dot' is not installed, so no SVG was rendered/);
    expect(logs[0]).toBe(written.fallbackReason);
    expect(fs.readFileSync(path.join(out, 'NotifyStack-Payment.dot'), 'utf8')).toMatch(/^digraph workflow \{/);
  });

  test('an unknown format is refused by the command line', async () => {
    const { code, err } = await cli('diagram', examples, '--format', 'png');
    expect(code).toBe(1);
    expect(err).toContain("argument 'png' is invalid. Allowed choices are mermaid, svg, dot.");
  });
});

describe('run', () => {
  let handlers: string;
  let input: string;
  beforeAll(() => {
    const dir = tempDir('run');
    handlers = path.join(dir, 'handlers.js');
    fs.writeFileSync(handlers, [
      'exports.handlers = {',
      "  'Reserve funds': async (e) => ({ reservationId: 'r-' + e.input.orderId }),",
      "  'Ship item': async (e) => { if (e.input.breakTruck) { const x = new Error('truck broke'); x.name = 'ShippingFailed'; throw x; } return { trackingId: 't-1' }; },",
      "  'Update inventory': async () => ({ updated: true }),",
      "  'Send confirmation': async () => ({ sent: true }),",
      "  'Release funds': async () => ({ released: true }),",
      '};',
    ].join('\n'));
    input = path.join(dir, 'input.json');
    fs.writeFileSync(input, JSON.stringify({ orderId: 'o-1', breakTruck: true }));
  });

  test('runs a workflow locally with the given handlers and prints the trace; a failed run exits 1', async () => {
    const { code, out, err } = await cli('run', 'OrderSaga', '--input', input, '--handlers', handlers, '--cdk-out', examples);
    expect(err).toContain('loading OrderSagaExample/OrderSaga (OrderSagaStateMachine15260A25)');
    expect(code).toBe(1);
    expect(out).toContain('OrderSagaExample/OrderSaga: FAILED');
    expect(out).toContain('#0 OrderSagaStateMachine15260A25 [STANDARD] FAILED, 6 transitions\n    > Saga: check input\n    > Reserve funds\n    > Ship item\n    > Release funds\n    > Rollback complete\n    > Saga rolled back');
    expect(out).toContain('error: ShippingFailed');
  });

  test('a succeeding run exits 0 and prints the output', async () => {
    fs.writeFileSync(input, JSON.stringify({ orderId: 'o-2' }));
    const { code, out } = await cli('run', 'OrderSagaStateMachine15260A25', '--input', input, '--handlers', handlers, '--cdk-out', examples, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.results.Reserve_funds).toEqual({ reservationId: 'r-o-2' });
  });

  test('an unknown workflow lists the workflows', async () => {
    const { code, err } = await cli('run', 'Nope', '--handlers', handlers, '--cdk-out', examples);
    expect(code).toBe(1);
    expect(err).toContain("error: no workflow matches 'Nope'. Workflows in the assembly:\n  FoundationExample/JobIntake (JobIntakeStateMachine76B58832)");
  });

  test('an ambiguous name asks for a logical id', () => {
    expect(() => findWorkflow(assemblyWorkflows(examples), 'OrderPipeline')).not.toThrow(); // exact last segment wins
    expect(() => findWorkflow(assemblyWorkflows(examples), 'Order')).toThrow(/'Order' matches 3 workflows; use a logical id or the full name/);
  });

  test('a handlers module without functions is refused', async () => {
    const empty = path.join(tempDir('empty-handlers'), 'h.js');
    fs.writeFileSync(empty, 'exports.x = 1;');
    const { code, err } = await cli('run', 'OrderSaga', '--handlers', empty, '--cdk-out', examples);
    expect(code).toBe(1);
    expect(err).toContain('exports no function');
  });

  test('missing optional peers give an install command, before anything runs', async () => {
    expect(missingRunPeers((id) => { throw new Error(`no ${id}`); })).toEqual(['aws-local-stepfunctions', 'dynalite']);
    expect(missingRunPeers()).toEqual([]);
    const workflow = findWorkflow(assemblyWorkflows(examples), 'OrderSaga');
    await expect(runWorkflow(workflow, { handlers: {}, input: {}, resolvePeer: (id) => { if (id === 'dynalite') throw new Error('missing'); return id; } }))
      .rejects.toThrow("'run' executes the workflow with the optional peer dependencies aws-local-stepfunctions and dynalite; missing: dynalite. Install them as dev dependencies: npm install --save-dev aws-local-stepfunctions@^3 dynalite@^4");
  });
});

describe('version', () => {
  test('--version prints the package version', async () => {
    const { code, out } = await cli('--version');
    expect(code).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(out.trim()).toBe(require('../../package.json').version);
  });
});

describe('start-up', () => {
  test('summary and diagram load neither aws-cdk-lib nor the local runner', async () => {
    let out = '';
    await jest.isolateModulesAsync(async () => {
      for (const heavy of ['aws-cdk-lib', 'aws-local-stepfunctions', 'dynalite', '@aws-sdk/client-dynamodb']) {
        jest.doMock(heavy, () => {
          throw new Error(`${heavy} was loaded`);
        });
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../src/cli/main') as typeof import('../../src/cli/main');
      const io = { out: (t: string) => { out += t; }, err: () => undefined };
      expect(await isolated.main(['summary', notifying], io)).toBe(0);
      expect(await isolated.main(['diagram', notifying, '--out', tempDir('lazy')], io)).toBe(0);
    });
    // the mocks outlive the isolated registry: drop them for the tests after this one
    for (const heavy of ['aws-cdk-lib', 'aws-local-stepfunctions', 'dynalite', '@aws-sdk/client-dynamodb']) jest.dontMock(heavy);
    expect(out).toContain('NotifyStack/Payment');
  });
});

describe('the executable', () => {
  test('the bin entry starts with a shebang and runs `summary` as a process', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'utf8');
    expect(source.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const root = path.join(__dirname, '..', '..');
    const compiled = path.join(root, 'lib', 'cli', 'main.js');
    const [cmd, args] = fs.existsSync(compiled)
      ? [process.execPath, [compiled]]
      : [path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'src', 'cli', 'main.ts')]];
    const r = spawnSync(cmd, [...args, 'summary', notifying], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toContain('reading');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('NotifyStack/Payment  [STANDARD]  11 states');
  });
});

describe('parts in nested stacks (Placement)', () => {
  test.each([['with asset metadata (cdk synth)', true], ['without (found through the assets manifest)', false]])('%s: the child in the nested stack is listed, followed and run', async (_what, metadata) => {
    const dir = synthNestedHybrid(metadata);
    const workflows = assemblyWorkflows(dir);
    expect(workflows.map((w) => [w.name, w.type])).toEqual([
      ['NestedStack/Orders', 'STANDARD'],
      ['NestedStack/Orders/ExpressChildren/ExpressGroup1', 'EXPRESS'],
    ]);
    const { code, out } = await cli('summary', dir);
    expect(code).toBe(0);
    expect(out).toMatch(/ {4}starts child \S*ExpressGroup1 \(OrdersExpressChildrenNestedStack\w+ExpressGroup1StateMachine\w+\)/);
    const parent = findWorkflow(workflows, 'NestedStack/Orders');
    const result = await runWorkflow(parent, {
      handlers: { 'Validate order': async () => ({ valid: true }), 'Charge': async () => ({ charged: true }) },
      input: { orderId: 'o-1' },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.executions.map((e) => [e.type, e.status])).toEqual([['STANDARD', 'SUCCEEDED'], ['EXPRESS', 'SUCCEEDED']]);
  });
});
