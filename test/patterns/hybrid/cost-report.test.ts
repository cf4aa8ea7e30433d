import { hybridExampleCosts, HybridExampleCost, ASSUMED_LAMBDA_MS } from '../../../examples/cost-report';
import { ExecutionRecord, RunResult } from '../../../src/testing';
import {
  costReport,
  EXPRESS_USD_PER_GB_SECOND,
  EXPRESS_USD_PER_REQUEST,
  formatCostReport,
  STANDARD_USD_PER_STATE_TRANSITION,
} from '../../../src/testing/cost-report';

function execution(stateMachine: string, type: 'STANDARD' | 'EXPRESS', transitions: number, durationMs: number, parent?: number): ExecutionRecord {
  return { stateMachine, type, name: 'x', executionArn: 'arn', status: 'SUCCEEDED', transitions, durationMs, statesEntered: [], input: {}, parent };
}

function run(...executions: ExecutionRecord[]): RunResult {
  return {
    status: 'SUCCEEDED',
    executionName: 'x',
    executionArn: 'arn',
    startDate: new Date(0),
    stopDate: new Date(0),
    statesEntered: [],
    transitions: executions[0].transitions,
    calls: {},
    retries: [],
    executions,
    metrics: [],
  };
}

describe('costReport: the arithmetic of the published prices', () => {
  test('Standard per transition; Express per request plus duration rounded up to 100 ms times memory in 64-MB chunks', () => {
    // GIVEN a Standard parent (10 transitions) that ran one Express child twice (a retry)
    const result = run(execution('Parent', 'STANDARD', 10, 5), execution('Child', 'EXPRESS', 6, 150, 0), execution('Child', 'EXPRESS', 6, 40, 0));

    // WHEN memory 100 MB (billed 128 MB) and the measured durations (150 -> 200 ms, 40 -> 100 ms)
    const report = costReport(result, { expressMemoryMb: 100, allStandard: run(execution('Inline', 'STANDARD', 20, 5)) });

    // THEN
    expect(report.machines.map((m) => [m.stateMachine, m.executions, m.transitions, m.billedDurationMs, m.billedMemoryMb])).toEqual([
      ['Parent', 1, 10, 0, 0], ['Child', 2, 12, 300, 128],
    ]);
    const gbSeconds = (128 / 1024) * 0.3;
    expect(report.expressGbSeconds).toBeCloseTo(gbSeconds, 12);
    expect(report.standardUsd).toBeCloseTo(10 * 0.000025, 12);
    expect(report.expressUsd).toBeCloseTo(2 * 0.000001 + gbSeconds * 0.00001667, 12);
    expect(report.usdPerMillion).toBeCloseTo(report.usdPerExecution * 1e6, 6);
    expect(report.allStandard).toEqual({ label: 'all-Standard', standardTransitions: 20, usdPerExecution: 20 * 0.000025, usdPerMillion: expect.closeTo(500, 6) });
    expect(report.savingPercent).toBeCloseTo((1 - report.usdPerExecution / (20 * 0.000025)) * 100, 9);
    expect([STANDARD_USD_PER_STATE_TRANSITION, EXPRESS_USD_PER_REQUEST, EXPRESS_USD_PER_GB_SECOND]).toEqual([0.000025, 0.000001, 0.00001667]);
    expect(report.notes.join('\n')).toMatch(/Free tier excluded \(4,000 Standard transitions a month\)/);
    expect(report.notes.join('\n')).toMatch(/the local run's wall-clock time .* lower bound/);
  });

  test('refuses an all-Standard equivalent that ran Express executions, and an empty result', () => {
    const hybrid = run(execution('Parent', 'STANDARD', 4, 1), execution('Child', 'EXPRESS', 6, 1, 0));
    expect(() => costReport(hybrid, { allStandard: hybrid })).toThrow(/the all-Standard equivalent ran 1 Express execution\(s\) \(Child\)/);
    expect(() => costReport({ ...hybrid, executions: [] })).toThrow(/lists no executions/);
  });
});

describe('cost report of the hybrid example (examples/stacks/07-hybrid.ts) from runner-counted transitions', () => {
  let costs: HybridExampleCost[];
  beforeAll(async () => {
    costs = await hybridExampleCosts([3, 20]);
  }, 60_000);

  test('3 line items: 4 Standard transitions in the hybrid parent against 9 in the all-Standard machine', () => {
    const { hybrid, allStandard, report } = costs[0];
    // parent: the group's Parallel + its start task, Charge payment, Ship order
    expect(hybrid.executions[0].statesEntered).toEqual([
      'Validate order to Apply discounts (express)', 'Validate order to Apply discounts (express) - run', 'Charge payment', 'Ship order',
    ]);
    expect(report.standardTransitions).toBe(4);
    // child: Validate, Enrich, the Map, 3 x Price line item, Apply discounts
    expect(report.expressTransitions).toBe(7);
    expect(report.expressRequests).toBe(1);
    // the same steps inline: the 7 states of the child + Charge payment + Ship order
    expect(allStandard.transitions).toBe(9);
    expect(report.allStandard!.standardTransitions).toBe(9);
    // 6 Lambda invocations in the child at the assumed latency, 64 MB
    expect(report.machines[1].billedDurationMs).toBe(6 * ASSUMED_LAMBDA_MS);
    const expected = 4 * 0.000025 + 0.000001 + (64 / 1024) * 0.6 * 0.00001667;
    expect(report.usdPerExecution).toBeCloseTo(expected, 12);
    expect(report.usdPerMillion).toBeCloseTo(expected * 1e6, 6);
    expect(report.allStandard!.usdPerMillion).toBeCloseTo(225, 9);
    // the outputs agree: the split changes where steps run, not what they compute
    expect((hybrid.output as any).results).toEqual((allStandard.output as any).results);
  });

  test('20 line items: the Standard bill of the hybrid stays flat while the all-Standard one grows with the items', () => {
    const { report } = costs[1];
    expect(report.standardTransitions).toBe(4);
    expect(report.allStandard!.standardTransitions).toBe(26);
    expect(report.savingPercent!).toBeGreaterThan(costs[0].report.savingPercent!);
    const text = formatCostReport(report);
    expect(text).toContain('per execution: 4 billed Standard transitions ($0.0001000)');
    expect(text).toContain('all-Standard equivalent: 26 Standard transitions = $0.0006500 per execution, $650.00 per million');
  });
});
