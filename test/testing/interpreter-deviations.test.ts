/**
 * The raw interpreter (aws-local-stepfunctions, WITHOUT the runner) still deviates from Step
 * Functions where the runner rewrites or emulates. Each test here fails when the interpreter
 * changes, so that the runner's rewrite can be revisited (and docs/local-runner.md updated).
 *
 * This file must not load the runner (src/testing/runner.ts or interpreter.ts patch jsonpath-plus).
 */
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const P = Promise as unknown as { withResolvers?: unknown };
if (typeof P.withResolvers !== 'function') {
  // Node 20: the interpreter needs Promise.withResolvers (the runner installs the same polyfill)
  P.withResolvers = function withResolvers() {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
const { StateMachine } = require('aws-local-stepfunctions');

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Work';
const noValidate = { validationOptions: { noValidate: true } };

async function outcome(definition: object, input: unknown = {}, options: Record<string, unknown> = {}, machineOptions: object = noValidate) {
  const execution = new StateMachine(definition, machineOptions).run(input, options);
  try {
    return { output: await execution.result };
  } catch (e) {
    const inner = (e as { cause?: Error }).cause ?? (e as Error);
    return { error: inner.name, cause: inner.message };
  }
}

const handlers = (h: Record<string, (input: unknown) => unknown>) => ({ overrides: { taskResourceLocalHandlers: h } });

describe('aws-local-stepfunctions still deviates where the runner corrects it', () => {
  test('the installed version is the one the runner was verified against (pin it exactly)', () => {
    const pkgPath = path.join(path.dirname(require.resolve('aws-local-stepfunctions')), '..', 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { VERIFIED_INTERPRETER_VERSION } = jest.requireActual('../../src/testing/version');
    expect(pkg.version).toBe(VERIFIED_INTERPRETER_VERSION);
  });

  test('Wait states sleep in real time (the runner runs them on its virtual clock)', async () => {
    const start = Date.now();
    const until = new Date(Date.now() + 300).toISOString();
    await outcome({ StartAt: 'W', States: { W: { Type: 'Wait', Timestamp: until, End: true } } });
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  test('retry pauses are real time (the runner retries Task states itself, on the virtual clock)', async () => {
    let calls = 0;
    const start = Date.now();
    const r = await outcome(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: FN, Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 0.3, MaxAttempts: 1 }], End: true } } },
      {},
      handlers({ T: () => { if (calls++ === 0) throw new Error('once'); return 1; } }),
    );
    expect(r.output).toBe(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  test('the top-level TimeoutSeconds is a real timer (the runner removes it and times out on the virtual clock)', async () => {
    const start = Date.now();
    const execution = new StateMachine({ StartAt: 'T', TimeoutSeconds: 0.2, States: { T: { Type: 'Task', Resource: FN, End: true } } }, noValidate)
      .run({}, handlers({ T: () => new Promise((resolve) => setTimeout(() => resolve(1), 1000)) }));
    await expect(execution.result).rejects.toThrow();
    expect(Date.now() - start).toBeLessThan(900);
  });

  test('a Task without TimeoutSeconds times out after 60 s (Step Functions: 99999999 s); the runner sets its own', () => {
    const source = fs.readFileSync(require.resolve('aws-local-stepfunctions'), 'utf8');
    expect(source).toMatch(/DEFAULT_TIMEOUT_SECONDS = 60;/);
  });

  test('HeartbeatSeconds is ignored (the runner enforces it on the virtual clock)', async () => {
    const r = await outcome(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: FN, HeartbeatSeconds: 0.1, TimeoutSeconds: 5, End: true } } },
      {},
      handlers({ T: () => new Promise((resolve) => setTimeout(() => resolve('done'), 300)) }),
    );
    expect(r.output).toBe('done');
  });

  test('there is no $$.State and no $$.Task (the runner rewrites them to its own context entries)', async () => {
    expect((await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'n.$': '$$.State.Name' }, End: true } } })).error).toBe('States.Runtime');
    expect((await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 't.$': '$$.Task.Token' }, End: true } } })).error).toBe('States.Runtime');
  });

  test('$$.Execution.StartTime is the real clock even when the context passes one (the runner redirects $$.Execution)', async () => {
    const r = await outcome(
      { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 's.$': '$$.Execution.StartTime' }, End: true } } },
      {},
      { context: { Execution: { StartTime: '2000-01-01T00:00:00.000Z' } } },
    );
    expect((r.output as { s: string }).s).not.toBe('2000-01-01T00:00:00.000Z');
  });

  test('Catch ResultPath "$" writes a literal "$" key (the runner drops the field)', async () => {
    const r = await outcome(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: FN, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'C' }], End: true }, C: { Type: 'Pass', End: true } } },
      { original: 1 },
      handlers({ T: () => { throw Object.assign(new Error('no'), { name: 'Boom' }); } }),
    );
    expect(r.output).toEqual({ original: 1, $: { Error: 'Boom', Cause: 'no' } });
  });

  test('a filter matching nothing fails with States.Runtime (the runner makes indefinite paths return arrays, [] here)', async () => {
    const def = { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'f.$': '$.a[?(@.x == 1)]' }, End: true } } };
    expect((await outcome(def, { a: [{ x: 2 }] })).error).toBe('States.Runtime');
    // one match is already an array
    expect((await outcome(def, { a: [{ x: 1 }] })).output).toEqual({ f: [{ x: 1 }] });
  });

  test('a 300 KB task result passes (the runner fails it with States.DataLimitExceeded)', async () => {
    const r = await outcome({ StartAt: 'T', States: { T: { Type: 'Task', Resource: FN, End: true } } }, {}, handlers({ T: () => 'x'.repeat(300_000) }));
    expect((r.output as string).length).toBe(300_000);
  });

  test('Choice type tests with false never match (the runner rewrites them to Not of the true test)', async () => {
    const r = await outcome({
      StartAt: 'C',
      States: { C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: false, Next: 'Yes' }], Default: 'No' }, Yes: { Type: 'Pass', Result: 'yes', End: true }, No: { Type: 'Pass', Result: 'no', End: true } },
    });
    expect(r.output).toBe('no');
  });

  test('an escaped backslash in an intrinsic string literal is dropped, and so is a backslash read from a path (the runner loads the interpreter with its intrinsic escapes corrected: intrinsic-escapes.test.ts)', async () => {
    const r = await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'k.$': "States.Format('a\\\\b{}', $.x)" }, End: true } } }, { x: 1 });
    expect(r.output).toEqual({ k: 'ab1' });
    const fromPath = await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'k.$': "States.Format('{}', $.x)" }, End: true } } }, { x: 'a\\b' });
    expect(fromPath.output).toEqual({ k: 'ab' });
  });

  test('States.JsonMerge merges into its first argument, so a later read of that path sees the merge (the runner loads it merging into a new object: intrinsic-escapes.test.ts)', async () => {
    const r = await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'merged.$': 'States.JsonMerge($.a, $.b, false)', 'a.$': '$.a' }, End: true } } }, { a: { x: 1 }, b: { y: 2 } });
    expect(r.output).toEqual({ merged: { x: 1, y: 2 }, a: { x: 1, y: 2 } });
  });

  test('a Pass state with a falsy Result (0, false, "") outputs its input (NOT corrected by the runner; documented)', async () => {
    const r = await outcome({ StartAt: 'P', States: { P: { Type: 'Pass', Result: 0, ResultPath: '$.n', End: true } } }, {});
    expect(r.output).toEqual({ n: {} });
  });

  test('the Step Functions history and Express limits do not exist (the runner counts events and times Express out at 5 min)', async () => {
    // 30,000 state transitions run to the end
    const r = await outcome({
      StartAt: 'Count',
      States: {
        'Count': { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)' }, Next: 'More?' },
        'More?': { Type: 'Choice', Choices: [{ Variable: '$.i', NumericLessThan: 15000, Next: 'Count' }], Default: 'Done' },
        'Done': { Type: 'Succeed' },
      },
    }, { i: 0 });
    expect(r.output).toEqual({ i: 15000 });
  }, 60_000);
});
