#!/usr/bin/env node
/**
 * The `cdk-stateful-workflows` command line: `summary`, `diagram` and `run` over a synthesized
 * cloud assembly (`cdk.out`).
 *
 * Start-up stays fast: only commander is loaded up front; each command loads its own modules
 * (the local runner, with aws-cdk-lib and the interpreter, only for `run`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { Command as CommandType } from 'commander';

/** Where the CLI writes: results on `out`, progress and errors on `err`. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const PROCESS_IO: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

function workflowsIn(cdkOut: string, io: CliIo): import('./assembly').AssemblyWorkflow[] {
  const { assemblyWorkflows } = require('./assembly') as typeof import('./assembly');
  io.err(`reading ${cdkOut}`);
  const workflows = assemblyWorkflows(cdkOut);
  if (workflows.length === 0) {
    io.err(`no state machine (AWS::StepFunctions::StateMachine) found in ${cdkOut}`);
  }
  return workflows;
}

/** The library's version (lib/cli/main.js and src/cli/main.ts both sit two levels below package.json). */
function packageVersion(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Builds the command tree (exported for tests). */
export function buildProgram(io: CliIo = PROCESS_IO, state: { exitCode: number } = { exitCode: 0 }): CommandType {
  const { Command, Option } = require('commander') as typeof import('commander');
  const program = new Command();
  program
    .name('cdk-stateful-workflows')
    .description('Inspect, draw and locally run the Step Functions workflows of a synthesized CDK app (cdk.out).')
    .version(packageVersion(), '-V, --version', 'print the version of cdk-stateful-workflows')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();

  program
    .command('summary')
    .description('per workflow: type, states, functions and provisioned concurrency, alarms and who they notify, happy-path transitions, cost per million executions')
    .argument('[cdk-out]', 'cloud assembly directory', 'cdk.out')
    .option('--items <n>', 'Map items per execution assumed by the cost estimate', '1')
    .option('--json', 'print JSON instead of text')
    .action((cdkOut: string, opts: { items: string; json?: boolean }) => {
      const { summarize, formatSummary } = require('./summary') as typeof import('./summary');
      const items = Number(opts.items);
      if (!Number.isFinite(items) || items < 0) throw new CliErrorLazy(`--items must be a number >= 0, got '${opts.items}'`);
      const summaries = summarize(workflowsIn(cdkOut, io), { items });
      io.out(opts.json ? JSON.stringify(summaries, null, 2) : formatSummary(summaries));
    });

  program
    .command('diagram')
    .description('write one diagram per workflow (Mermaid, or SVG when Graphviz dot is installed), read back from the synthesized ASL')
    .argument('[cdk-out]', 'cloud assembly directory', 'cdk.out')
    .addOption(new Option('--format <format>', 'diagram format').choices(['mermaid', 'svg', 'dot']).default('mermaid'))
    .option('--out <dir>', 'output directory (default: <cdk-out>/diagrams)')
    .action((cdkOut: string, opts: { format: 'mermaid' | 'svg' | 'dot'; out?: string }) => {
      const { writeDiagrams } = require('./diagram-command') as typeof import('./diagram-command');
      const path = require('path') as typeof import('path');
      const outDir = opts.out ?? path.join(cdkOut, 'diagrams');
      const written = writeDiagrams(workflowsIn(cdkOut, io), { outDir, format: opts.format, log: (l) => io.err(l) });
      for (const file of written.files) io.out(file);
    });

  program
    .command('run')
    .description('run one workflow locally (LocalWorkflowRunner: aws-local-stepfunctions + dynalite) with your handlers, and print the trace')
    .argument('<workflow>', 'workflow name, construct path or state machine logical id (see `summary`)')
    .option('--input <file>', 'execution input (JSON file)')
    .requiredOption('--handlers <module>', "module exporting `handlers = { 'Step name': async (event) => result }`")
    .option('--cdk-out <dir>', 'cloud assembly directory', 'cdk.out')
    .option('--json', 'print the run result as JSON')
    .action(async (name: string, opts: { input?: string; handlers: string; cdkOut: string; json?: boolean }) => {
      const { findWorkflow } = require('./assembly') as typeof import('./assembly');
      const { formatTrace, loadHandlers, readInput, runWorkflow } = require('./run-command') as typeof import('./run-command');
      const workflow = findWorkflow(workflowsIn(opts.cdkOut, io), name);
      const handlers = loadHandlers(opts.handlers);
      const input = readInput(opts.input);
      const result = await runWorkflow(workflow, { handlers, input, log: (l) => io.err(l) });
      io.out(opts.json ? JSON.stringify(result, null, 2) : formatTrace(workflow, result));
      if (result.status !== 'SUCCEEDED') state.exitCode = 1;
    });
  return program;
}

/** A user error (printed without a stack), created without loading the command modules. */
class CliErrorLazy extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code.
 * Errors are printed on `io.err`; nothing calls `process.exit`.
 */
export async function main(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // commander already printed the message (or the help / version)
      return err.exitCode ?? 1;
    }
    io.err(`error: ${err.message}`);
    if (process.env.CDK_STATEFUL_WORKFLOWS_DEBUG) io.err(String(err.stack));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e) => {
    process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
    process.exitCode = 1;
  });
}
