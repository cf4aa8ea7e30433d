/**
 * Escaped characters in intrinsic-function string literals, as Step Functions reads them: `\'` is
 * `'`, `\{` is `{`, `\}` is `}`, `\\` is one backslash ("Reserved characters in intrinsic functions",
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html), and a value read from
 * a path keeps its backslashes. aws-local-stepfunctions 3.0.0 drops them (interpreter-deviations.test.ts);
 * the runner loads it with those three passages corrected (src/testing/interpreter.ts).
 */
import { templateWith } from './asl';
import { LocalWorkflowRunner } from '../../src/testing';
import { intrinsicEscapesCorrected, jsonMergeReturnsCopy } from '../../src/testing/interpreter';

// Intrinsic text (as in the definition, after JSON decoding) -> what Step Functions evaluates it to, with $.x = 'n'
const CASES: Array<[string, string, unknown]> = [
  ['escaped backslash', "States.Format('{}:a\\\\b', $.x)", 'n:a\\b'],
  ['escaped backslash before the closing quote', "States.Format('{}:ab\\\\', $.x)", 'n:ab\\'],
  ['escaped backslashes around a placeholder', "States.Format('\\\\{}\\\\', $.x)", '\\n\\'],
  ['escaped braces are not a placeholder', "States.Format('x\\{\\}{}', $.x)", 'x{}n'],
  ['escaped quote', "States.Format('it\\'s {}', $.x)", "it's n"],
  ['escaped brace in another function', "States.StringSplit('a\\{b', '\\{')", ['a', 'b']],
  ['a backslash read from a path is kept', "States.Format('{}', $.y)", 'a\\b'],
  ['a literal without escapes is unchanged', "States.Format('{}-{}', $.x, 'z')", 'n-z'],
];

/** Runs a one-Pass-state machine with `parameters` on `input` through the runner. */
async function runPass(parameters: Record<string, unknown>, input: unknown) {
  const runner = await LocalWorkflowRunner.create({
    template: templateWith({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: parameters, End: true } } }),
  });
  try {
    return await runner.run(input);
  } finally {
    await runner.close();
  }
}

describe('intrinsic string escapes are evaluated as Step Functions does', () => {
  test('the runner loads the interpreter with the correction (fails when aws-local-stepfunctions changes those passages)', () => {
    expect(intrinsicEscapesCorrected()).toBe(true);
  });

  test.each(CASES)('%s: %s', async (_what, intrinsic, expected) => {
    const r = await runPass({ 'k.$': intrinsic }, { x: 'n', y: 'a\\b' });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ k: expected });
  });
});

describe('States.JsonMerge returns a new object, as Step Functions does', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate
  // aws-local-stepfunctions 3.0.0 merges into its first argument; the runner loads it corrected.
  test('the runner loads the interpreter with the correction (fails when aws-local-stepfunctions changes that passage)', () => {
    expect(jsonMergeReturnsCopy()).toBe(true);
  });

  test('the first argument, read again after the merge, is unchanged', async () => {
    const r = await runPass({ 'merged.$': 'States.JsonMerge($.a, $.b, false)', 'a.$': '$.a' }, { a: { x: 1 }, b: { y: 2 } });
    expect(r.output).toEqual({ merged: { x: 1, y: 2 }, a: { x: 1 } });
  });
});
