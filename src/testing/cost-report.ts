/**
 * Cost estimate of a workflow run, from the transitions the local runner counted.
 *
 * Step Functions bills Standard workflows per state transition and Express workflows per request
 * and per duration x memory. A `RunResult` lists every execution of one run (the top one and its
 * children) with its type and transitions, which is what the Standard bill depends on; the Express
 * bill depends on real duration, which a local run cannot measure, so it is an explicit assumption.
 *
 * Prices are the published on-demand prices for us-east-1 (US East, N. Virginia). Other regions
 * differ; the free tier is excluded; Lambda, DynamoDB, CloudWatch Logs and X-Ray charges are not
 * included (they are the same whichever workflow type runs the step).
 */
import type { ExecutionRecord, RunResult } from './types';

/** Where the prices below were read. */
export const STEP_FUNCTIONS_PRICING_URL = 'https://aws.amazon.com/step-functions/pricing/';
/** When the prices below were checked against {@link STEP_FUNCTIONS_PRICING_URL}. */
export const STEP_FUNCTIONS_PRICES_CHECKED = '2026-11-21';
/** The region the prices below apply to. */
export const STEP_FUNCTIONS_PRICES_REGION = 'us-east-1';

/** Standard workflows: $0.025 per 1,000 state transitions (retries count as transitions). */
export const STANDARD_USD_PER_STATE_TRANSITION = 0.000025;
/** Standard workflows: state transitions free each month (excluded from the estimates). */
export const STANDARD_FREE_TIER_TRANSITIONS_PER_MONTH = 4000;
/** Express workflows: $1.00 per 1 million requests (one request per execution started). */
export const EXPRESS_USD_PER_REQUEST = 0.000001;
/**
 * Express workflows: $0.00001667 per GB-second, the first price tier (the first 1,000 GB-hours a
 * month; later tiers are cheaper, so beyond that volume the estimate is an upper bound).
 */
export const EXPRESS_USD_PER_GB_SECOND = 0.00001667;
/** Express duration is rounded up to the next 100 ms. */
export const EXPRESS_DURATION_INCREMENT_MS = 100;
/** Express memory is billed in 64-MB chunks (so at least 64 MB). */
export const EXPRESS_MEMORY_INCREMENT_MB = 64;

/** Options of {@link costReport}. */
export interface CostReportOptions {
  /** A name for the workflow in the printed table. Default: the top state machine's logical id. */
  readonly label?: string;
  /**
   * Assumed duration (ms) of each Express execution, or per state machine logical id. Default: the
   * local duration the runner measured, which excludes real task latency and so understates the
   * Express charge: pass a realistic figure (e.g. the sum of the steps' Lambda durations).
   */
  readonly expressDurationMs?: number | Readonly<Record<string, number>>;
  /** Assumed memory of each Express execution (MB), billed in 64-MB chunks. Default: 64. */
  readonly expressMemoryMb?: number;
  /**
   * The all-Standard equivalent: a run of the same steps inline in one Standard machine (e.g. a
   * `SequentialWorkflow` of the same steps run with the same handlers), to compare with.
   */
  readonly allStandard?: RunResult;
  /** A name for the all-Standard equivalent. Default: 'all-Standard'. */
  readonly allStandardLabel?: string;
}

/** Cost of the executions of one state machine within one run. */
export interface MachineCost {
  /** Logical id of the state machine. */
  readonly stateMachine: string;
  /** STANDARD or EXPRESS. */
  readonly type: 'STANDARD' | 'EXPRESS';
  /** Executions of this machine in the run (a retried child counts once per attempt). */
  readonly executions: number;
  /** State transitions of those executions, as the runner counted them (states entered plus retries). */
  readonly transitions: number;
  /** Express: billed duration of those executions, after rounding each up to 100 ms. */
  readonly billedDurationMs: number;
  /** Express: billed memory per execution (MB). */
  readonly billedMemoryMb: number;
  /** Express: GB-seconds billed. */
  readonly gbSeconds: number;
  /** USD for this machine's share of one run. */
  readonly usd: number;
}

/** The cost of one run, per execution of the top workflow and per million executions. */
export interface CostReport {
  /** The workflow's name in the table. */
  readonly label: string;
  /** Per state machine, top one first. */
  readonly machines: readonly MachineCost[];
  /** Standard state transitions per execution (billed). */
  readonly standardTransitions: number;
  /** Express state transitions per execution (not billed per transition). */
  readonly expressTransitions: number;
  /** Express requests (executions started) per execution. */
  readonly expressRequests: number;
  /** Express GB-seconds per execution. */
  readonly expressGbSeconds: number;
  /** Standard USD per execution. */
  readonly standardUsd: number;
  /** Express USD per execution (requests + duration). */
  readonly expressUsd: number;
  /** USD per execution. */
  readonly usdPerExecution: number;
  /** USD per million executions. */
  readonly usdPerMillion: number;
  /** The all-Standard equivalent, when given. */
  readonly allStandard?: {
    readonly label: string;
    readonly standardTransitions: number;
    readonly usdPerExecution: number;
    readonly usdPerMillion: number;
  };
  /** Saving of this workflow against the all-Standard equivalent, in percent (negative: it costs more). */
  readonly savingPercent?: number;
  /** The prices used. */
  readonly prices: {
    readonly region: string;
    readonly source: string;
    readonly checked: string;
    readonly standardUsdPerTransition: number;
    readonly expressUsdPerRequest: number;
    readonly expressUsdPerGbSecond: number;
  };
  /** The assumptions and exclusions behind the figures. */
  readonly notes: readonly string[];
}

function roundUp(value: number, increment: number): number {
  return Math.max(increment, Math.ceil(value / increment) * increment);
}

function expressDurationOf(execution: ExecutionRecord, option: CostReportOptions['expressDurationMs']): number {
  if (typeof option === 'number') return option;
  if (option && option[execution.stateMachine] !== undefined) return option[execution.stateMachine];
  return execution.durationMs;
}

function machineCosts(result: RunResult, options: CostReportOptions): MachineCost[] {
  const memoryMb = roundUp(options.expressMemoryMb ?? EXPRESS_MEMORY_INCREMENT_MB, EXPRESS_MEMORY_INCREMENT_MB);
  const byMachine = new Map<string, { type: 'STANDARD' | 'EXPRESS'; executions: number; transitions: number; billedMs: number }>();
  for (const execution of result.executions) {
    const entry = byMachine.get(execution.stateMachine) ?? { type: execution.type, executions: 0, transitions: 0, billedMs: 0 };
    entry.executions++;
    entry.transitions += execution.transitions;
    if (execution.type === 'EXPRESS') {
      entry.billedMs += roundUp(expressDurationOf(execution, options.expressDurationMs), EXPRESS_DURATION_INCREMENT_MS);
    }
    byMachine.set(execution.stateMachine, entry);
  }
  return [...byMachine.entries()].map(([stateMachine, e]) => {
    if (e.type === 'STANDARD') {
      return {
        stateMachine,
        type: e.type,
        executions: e.executions,
        transitions: e.transitions,
        billedDurationMs: 0,
        billedMemoryMb: 0,
        gbSeconds: 0,
        usd: e.transitions * STANDARD_USD_PER_STATE_TRANSITION,
      };
    }
    const gbSeconds = (memoryMb / 1024) * (e.billedMs / 1000);
    return {
      stateMachine,
      type: e.type,
      executions: e.executions,
      transitions: e.transitions,
      billedDurationMs: e.billedMs,
      billedMemoryMb: memoryMb,
      gbSeconds,
      usd: e.executions * EXPRESS_USD_PER_REQUEST + gbSeconds * EXPRESS_USD_PER_GB_SECOND,
    };
  });
}

/**
 * Estimates what one run costs, per execution and per million executions, from the transitions the
 * runner counted (Standard) and the assumed duration and memory (Express); with `allStandard`,
 * compares it with the same steps run inline in one Standard machine.
 */
export function costReport(result: RunResult, options: CostReportOptions = {}): CostReport {
  if (!result || !Array.isArray(result.executions) || result.executions.length === 0) {
    throw new Error('costReport: the run result lists no executions; pass the result of LocalWorkflowRunner.run()');
  }
  const machines = machineCosts(result, options);
  const standard = machines.filter((m) => m.type === 'STANDARD');
  const express = machines.filter((m) => m.type === 'EXPRESS');
  const sum = (list: MachineCost[], f: (m: MachineCost) => number) => list.reduce((acc, m) => acc + f(m), 0);
  const standardUsd = sum(standard, (m) => m.usd);
  const expressUsd = sum(express, (m) => m.usd);
  const usdPerExecution = standardUsd + expressUsd;

  let allStandard: CostReport['allStandard'];
  let savingPercent: number | undefined;
  if (options.allStandard) {
    const baseline = options.allStandard;
    const nonStandard = baseline.executions.filter((e) => e.type !== 'STANDARD');
    if (nonStandard.length > 0) {
      throw new Error(`costReport: the all-Standard equivalent ran ${nonStandard.length} Express execution(s) (${nonStandard.map((e) => e.stateMachine).join(', ')}); run the same steps inline in one Standard machine`);
    }
    const transitions = baseline.executions.reduce((acc, e) => acc + e.transitions, 0);
    const usd = transitions * STANDARD_USD_PER_STATE_TRANSITION;
    allStandard = { label: options.allStandardLabel ?? 'all-Standard', standardTransitions: transitions, usdPerExecution: usd, usdPerMillion: usd * 1e6 };
    savingPercent = usd > 0 ? ((usd - usdPerExecution) / usd) * 100 : undefined;
  }

  const memoryMb = roundUp(options.expressMemoryMb ?? EXPRESS_MEMORY_INCREMENT_MB, EXPRESS_MEMORY_INCREMENT_MB);
  const durationNote = options.expressDurationMs === undefined
    ? 'Express duration: the local run\'s wall-clock time (no real task latency), so the Express charge is a lower bound; pass expressDurationMs.'
    : `Express duration: assumed ${typeof options.expressDurationMs === 'number'
      ? `${options.expressDurationMs} ms per execution`
      : Object.entries(options.expressDurationMs).map(([machine, ms]) => `${ms} ms per execution of ${machine}`).join(', ')}, rounded up to ${EXPRESS_DURATION_INCREMENT_MS} ms.`;
  return {
    label: options.label ?? result.executions[0].stateMachine,
    machines,
    standardTransitions: sum(standard, (m) => m.transitions),
    expressTransitions: sum(express, (m) => m.transitions),
    expressRequests: sum(express, (m) => m.executions),
    expressGbSeconds: sum(express, (m) => m.gbSeconds),
    standardUsd,
    expressUsd,
    usdPerExecution,
    usdPerMillion: usdPerExecution * 1e6,
    allStandard,
    savingPercent,
    prices: {
      region: STEP_FUNCTIONS_PRICES_REGION,
      source: STEP_FUNCTIONS_PRICING_URL,
      checked: STEP_FUNCTIONS_PRICES_CHECKED,
      standardUsdPerTransition: STANDARD_USD_PER_STATE_TRANSITION,
      expressUsdPerRequest: EXPRESS_USD_PER_REQUEST,
      expressUsdPerGbSecond: EXPRESS_USD_PER_GB_SECOND,
    },
    notes: [
      `Prices: ${STEP_FUNCTIONS_PRICES_REGION} on-demand, ${STEP_FUNCTIONS_PRICING_URL} (checked ${STEP_FUNCTIONS_PRICES_CHECKED}): Standard $${STANDARD_USD_PER_STATE_TRANSITION * 1000} per 1,000 transitions; Express $${(EXPRESS_USD_PER_REQUEST * 1e6).toFixed(2)} per million requests + $${EXPRESS_USD_PER_GB_SECOND} per GB-second (first tier).`,
      'Transitions: counted by the local runner (states entered plus retries), for the input and faults of this one run.',
      durationNote,
      `Express memory: assumed ${memoryMb} MB (billed in ${EXPRESS_MEMORY_INCREMENT_MB}-MB chunks; it grows with the definition and payload size).`,
      `Free tier excluded (${STANDARD_FREE_TIER_TRANSITIONS_PER_MONTH.toLocaleString('en-US')} Standard transitions a month); Lambda, DynamoDB, CloudWatch Logs and X-Ray charges excluded (the same whichever workflow type runs a step).`,
    ],
  };
}

function dollars(value: number, digits = 7): string {
  return `$${value.toFixed(digits)}`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Renders a {@link CostReport} as a plain-text table. */
export function formatCostReport(report: CostReport): string {
  const lines: string[] = [];
  lines.push(`Cost estimate: ${report.label}`);
  const header = [pad('state machine', 44), pad('type', 9), pad('execs', 6, true), pad('transitions', 12, true), pad('billed ms', 10, true), pad('GB-s', 9, true), pad('USD/run', 12, true)].join(' ');
  lines.push(header);
  lines.push('-'.repeat(header.length));
  for (const m of report.machines) {
    lines.push([
      pad(m.stateMachine.length > 44 ? `${m.stateMachine.slice(0, 41)}...` : m.stateMachine, 44),
      pad(m.type, 9),
      pad(String(m.executions), 6, true),
      pad(m.type === 'STANDARD' ? String(m.transitions) : `(${m.transitions})`, 12, true),
      pad(m.type === 'EXPRESS' ? String(m.billedDurationMs) : '-', 10, true),
      pad(m.type === 'EXPRESS' ? m.gbSeconds.toFixed(4) : '-', 9, true),
      pad(dollars(m.usd), 12, true),
    ].join(' '));
  }
  lines.push('-'.repeat(header.length));
  lines.push(`per execution: ${report.standardTransitions} billed Standard transitions (${dollars(report.standardUsd)}) + ${report.expressRequests} Express request(s), ${report.expressGbSeconds.toFixed(4)} GB-s (${dollars(report.expressUsd)}) = ${dollars(report.usdPerExecution)}`);
  lines.push(`per million executions: ${dollars(report.usdPerMillion, 2)}`);
  if (report.allStandard) {
    const b = report.allStandard;
    lines.push(`${b.label}: ${b.standardTransitions} Standard transitions = ${dollars(b.usdPerExecution)} per execution, ${dollars(b.usdPerMillion, 2)} per million`);
    if (report.savingPercent !== undefined) {
      const ratio = report.usdPerExecution > 0 ? b.usdPerExecution / report.usdPerExecution : Infinity;
      lines.push(report.savingPercent >= 0
        ? `saving: ${report.savingPercent.toFixed(1)} % (${b.label} costs ${ratio.toFixed(2)}x as much)`
        : `extra cost: ${(-report.savingPercent).toFixed(1)} % (${b.label} is cheaper for this run)`);
    }
  }
  lines.push('(Express transitions in parentheses are not billed per transition.)');
  for (const note of report.notes) {
    lines.push(`note: ${note}`);
  }
  return lines.join('\n');
}
