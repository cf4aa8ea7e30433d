/**
 * The runtime handler types: they compile as users write them (tsc, strict), misuse is a type
 * error, and the events the generated machines really send (run with the local runner) have
 * exactly the fields the types declare.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { ORDER_HANDLERS } from '../../examples/cost-report';
import { assemblyWorkflows, AssemblyWorkflow } from '../../src/cli/assembly';
import { LocalWorkflowRunner, TaskHandler } from '../../src/testing';
import { synthExamples } from '../cli/fixtures';
import * as typed from './fixtures/typed-handlers';

const TYPES = path.join(__dirname, '..', '..', 'src', 'runtime', 'handler-types.ts');
const FIXTURE = path.join(__dirname, 'fixtures', 'typed-handlers.ts');

function compile(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
    noUnusedLocals: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('handler types compile (tsc, strict)', () => {
  test('the typed handlers of every pattern compile without error', () => {
    expect(compile([FIXTURE])).toEqual([]);
  });

  test('misuse is a type error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csw-types-'));
    const bad = path.join(dir, 'bad.ts');
    const from = JSON.stringify(TYPES.replace(/\.ts$/, ''));
    fs.writeFileSync(bad, [
      `import type { SagaActionEvent, SagaCompensationEvent, FanOutItemEvent, CheckpointStepEvent, FanOutEntry } from ${from};`,
      'export const a = (e: SagaActionEvent) => e.payload;',
      'export const b = (e: SagaCompensationEvent) => e.error.message;',
      'export const c = (e: FanOutItemEvent<string>) => e.item.toFixed();',
      'export const d = (e: CheckpointStepEvent) => e.checkpoint.done.x === "yes";',
      'export const f = (e: FanOutEntry<number>) => e.output;',
    ].join('\n'));
    const errors = compile([bad]);
    expect(errors).toEqual([
      expect.stringMatching(/^TS2339: Property 'payload' does not exist on type 'SagaActionEvent/),
      expect.stringMatching(/^TS2339: Property 'message' does not exist on type 'StepFunctionsError'/),
      expect.stringMatching(/^TS2551: Property 'toFixed' does not exist on type 'string'/),
      expect.stringMatching(/^TS2367: This comparison appears to be unintentional because the types '(true|boolean)' and 'string' have no overlap/),
      expect.stringMatching(/^TS2339: Property 'output' does not exist on type 'FanOutEntry<number>'/),
    ]);
  });
});

describe('the events the generated machines send match the types', () => {
  let workflows: AssemblyWorkflow[];
  beforeAll(() => {
    workflows = assemblyWorkflows(synthExamples());
  });

  async function run(name: string, handlers: Record<string, TaskHandler>, input: unknown): Promise<unknown> {
    const w = workflows.find((x) => x.name === name)!;
    const runner = await LocalWorkflowRunner.create({ template: w.template, stateMachineLogicalId: w.logicalId }, { handlers });
    try {
      return (await runner.run(input)).status;
    } finally {
      await runner.close();
    }
  }

  test('saga: an action gets { input (with results), idempotencyKey }; a compensation gets { input, step, stepFailed, error, result, idempotencyKey }', async () => {
    const status = await run('OrderSagaExample/OrderSaga', {
      'Reserve funds': typed.reserveFunds, 'Ship item': typed.shipItem, 'Release funds': typed.releaseFunds,
    }, { orderId: 'o-1' });
    expect(status).toBe('FAILED');
    const [action] = typed.received['Reserve funds'] as any[];
    expect(Object.keys(action).sort()).toEqual(['idempotencyKey', 'input']);
    expect(action.idempotencyKey).toBe('exec-1:Reserve funds');
    const [ship] = typed.received['Ship item'] as any[];
    expect(Object.keys(ship.input.results)).toEqual(['Reserve_funds']);
    const [compensation] = typed.received['Release funds'] as any[];
    expect(Object.keys(compensation).sort()).toEqual(['error', 'idempotencyKey', 'input', 'result', 'step', 'stepFailed']);
    expect(compensation).toMatchObject({ step: 'Reserve funds', stepFailed: false, result: { reservationId: 'r-o-1' }, error: { Error: 'ShippingFailed' } });
    expect(typeof compensation.error.Cause).toBe('string');
    expect(compensation.input.saga.error.Error).toBe('ShippingFailed');
  });

  test('checkpoint: a step gets the input plus results and checkpoint { key, partitionKey, generation, expiresAt, leaseUntil, resuming, done }', async () => {
    const status = await run('CheckpointExample/ImagePipeline', { 'Generate thumbnail': typed.thumbnail, 'Run OCR': typed.ocr }, { imageKey: 'cat.png' });
    expect(status).toBe('SUCCEEDED');
    const [event] = typed.received['Generate thumbnail'] as any[];
    expect(Object.keys(event).sort()).toEqual(['checkpoint', 'imageKey', 'results']);
    expect(Object.keys(event.checkpoint).sort()).toEqual(['done', 'expiresAt', 'generation', 'key', 'leaseUntil', 'partitionKey', 'resuming']);
    expect(event.checkpoint).toMatchObject({ key: 'cat.png', done: {} });
    expect(typeof event.checkpoint.expiresAt).toBe('string');
    expect(typeof event.checkpoint.generation).toBe('string');
  });

  test('fan-out: a worker gets { index, item }; the aggregate gets fanOut { results (entries), total, failedCount, tolerance }', async () => {
    const partners = Array.from({ length: 10 }, (_, i) => ({ partnerId: i === 3 ? 'bad' : `p${i}`, feedUrl: 'https://example.com' }));
    const status = await run('NightlySyncExample/NightlySync', { 'Sync partner': typed.syncPartner, 'Write summary report': typed.summaryReport }, { runDate: '2026-12-01', partners });
    expect(status).toBe('SUCCEEDED');
    const items = typed.received['Sync partner'] as any[];
    expect(items.map((e) => Object.keys(e).sort().join(','))).toEqual(Array(items.length).fill('index,item'));
    const [aggregate] = typed.received['Write summary report'] as any[];
    expect(Object.keys(aggregate.fanOut).sort()).toEqual(['failedCount', 'results', 'tolerance', 'total']);
    expect(Object.keys(aggregate.fanOut.tolerance)).toContain('summary');
    expect(Object.keys(aggregate.fanOut.results[0]).sort()).toEqual(['failed', 'output']);
    expect(Object.keys(aggregate.fanOut.results[3]).sort()).toEqual(['error', 'failed', 'index', 'item']);
    expect(Object.keys(aggregate.fanOut.results[3].error).sort()).toEqual(['Cause', 'Error']);
  });

  test('hybrid: a child step gets the parent state with AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID; a parent step gets results', async () => {
    const wrap = (recorder: (e: any) => Promise<unknown>, original: TaskHandler): TaskHandler => async (e, c) => {
      await recorder(e);
      return original(e, c);
    };
    const status = await run('HybridExample/OrderPipeline', {
      ...ORDER_HANDLERS,
      'Validate order': wrap(typed.validateOrder, ORDER_HANDLERS['Validate order']),
      'Charge payment': wrap(typed.chargePayment, ORDER_HANDLERS['Charge payment']),
    }, { orderId: 'o-9', customerId: 'c-1', items: [{ sku: 'sku-pen', quantity: 2 }] });
    expect(status).toBe('SUCCEEDED');
    const [child] = typed.received['Validate order'] as any[];
    expect(child.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:/);
    expect(child.orderId).toBe('o-9');
    const [parent] = typed.received['Charge payment'] as any[];
    expect(Object.keys(parent.results).sort()).toEqual(['Apply_discounts', 'Enrich_order', 'Price_line_items', 'Validate_order']);
  });
});
