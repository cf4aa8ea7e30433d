/**
 * `run`: runs one workflow of a cloud assembly locally with {@link LocalWorkflowRunner} and the
 * user's handlers, and prints the trace.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AssemblyWorkflow } from './assembly';
import type { RunResult, TaskHandler } from '../testing/types';

/** An error the CLI prints without a stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The optional peer dependencies `run` needs. */
export const RUN_PEERS = ['aws-local-stepfunctions', 'dynalite'] as const;

/** The peers among {@link RUN_PEERS} that cannot be resolved from the library or the working directory. */
export function missingRunPeers(resolve: (id: string) => string = defaultResolve): string[] {
  return RUN_PEERS.filter((id) => {
    try {
      resolve(id);
      return false;
    } catch {
      return true;
    }
  });
}

function defaultResolve(id: string): string {
  return require.resolve(id, { paths: [__dirname, process.cwd()] });
}

/** Loads a handlers module: its `handlers` export, its default export, or the module itself, keeping functions only. */
export function loadHandlers(file: string): Record<string, TaskHandler> {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) {
    throw new CliError(`the handlers module '${file}' does not exist`);
  }
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(full) as Record<string, unknown>;
  } catch (e) {
    const hint = /\.[cm]?ts$/.test(full) ? ' (a TypeScript module needs a loader: run the CLI with `node --import tsx` or `npx tsx`, or compile it to .js)' : '';
    throw new CliError(`could not load the handlers module '${file}': ${(e as Error).message}${hint}`);
  }
  const source = (mod.handlers ?? (mod.default && typeof mod.default === 'object' ? mod.default : mod)) as Record<string, unknown>;
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === 'function') handlers[name] = value as TaskHandler;
  }
  if (Object.keys(handlers).length === 0) {
    throw new CliError(`the handlers module '${file}' exports no function; export \`handlers = { 'Step name': async (event) => result }\``);
  }
  return handlers;
}

/** Reads the execution input: a JSON file, or '-' for an empty object. */
export function readInput(file: string | undefined): unknown {
  if (file === undefined || file === '-') return {};
  try {
    return JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
  } catch (e) {
    throw new CliError(`could not read the input '${file}' as JSON: ${(e as Error).message}`);
  }
}

function json(value: unknown, max = 2000): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}\n... (${text.length - max} more characters)` : text;
}

/** Renders a run's trace: every execution with its states, retries, output or error. */
export function formatTrace(workflow: AssemblyWorkflow, result: RunResult): string {
  const lines: string[] = [];
  lines.push(`${workflow.name}: ${result.status}${result.crashedAfter ? ` (crashed after '${result.crashedAfter}')` : ''}`);
  result.executions.forEach((e, i) => {
    const parent = e.parent === undefined ? '' : `, started by #${e.parent}`;
    lines.push(`#${i} ${e.stateMachine} [${e.type}] ${e.status}, ${e.transitions} transitions${parent}`);
    for (const state of e.statesEntered) lines.push(`    > ${state}`);
    for (const r of result.retries.filter((x) => x.execution === i)) {
      lines.push(`    retry ${r.attempt} of '${r.state}' after ${r.error} (backoff ${r.intervalSeconds} s${r.jitter === 'FULL' ? ', full jitter' : ''})`);
    }
    if (e.error) lines.push(`    error: ${e.error}${e.cause ? `: ${e.cause}` : ''}`);
  });
  lines.push(`calls: ${Object.entries(result.calls).map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}`);
  if (result.status === 'SUCCEEDED') {
    lines.push(`output: ${json(result.output)}`);
  } else {
    lines.push(`error: ${result.error ?? '-'}`);
    if (result.cause) lines.push(`cause: ${result.cause}`);
  }
  return lines.join('\n');
}

/** Options of {@link runWorkflow}. */
export interface RunWorkflowOptions {
  readonly handlers: Record<string, TaskHandler>;
  readonly input: unknown;
  readonly log?: (line: string) => void;
  /** Resolves a package id (throws when missing). Default: `require.resolve` from the library and the working directory. */
  readonly resolvePeer?: (id: string) => string;
}

/** Runs one workflow locally; the runner is closed afterwards. */
export async function runWorkflow(workflow: AssemblyWorkflow, options: RunWorkflowOptions): Promise<RunResult> {
  const log = options.log ?? (() => undefined);
  const missing = missingRunPeers(options.resolvePeer);
  if (missing.length > 0) {
    throw new CliError(
      `'run' executes the workflow with the optional peer dependencies aws-local-stepfunctions and dynalite; missing: ${missing.join(', ')}. ` +
        'Install them as dev dependencies: npm install --save-dev aws-local-stepfunctions@^3 dynalite@^4',
    );
  }
  log(`loading ${workflow.name} (${workflow.logicalId}) from ${workflow.templateFile}`);
  // loaded here, not at the top: `summary` and `diagram` must not pay for the runner
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalWorkflowRunner } = require('../testing/runner') as typeof import('../testing/runner');
  const runner = await LocalWorkflowRunner.create(
    { template: workflow.template, stateMachineLogicalId: workflow.logicalId },
    { handlers: options.handlers },
  );
  try {
    log('running');
    return await runner.run(options.input);
  } finally {
    await runner.close();
  }
}
