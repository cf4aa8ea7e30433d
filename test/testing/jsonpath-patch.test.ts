/**
 * The runner's jsonpath-plus patch (src/testing/interpreter.ts) evaluates the interpreter's paths
 * without jsonpath-plus' throw-and-catch of scalar results: the result must be the original's, for
 * every kind of path and value (indefinite paths excepted: those return arrays, as Step Functions does).
 */
import { interpreterModule, isIndefinitePath } from '../../src/testing/interpreter';

interpreterModule();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jp = require(require.resolve('jsonpath-plus', { paths: [require.resolve('aws-local-stepfunctions')] }));
const patched = jp.JSONPath as ((opts: object) => unknown) & { localRunnerOriginal?: (opts: object) => unknown; localRunnerPatched?: boolean };
const original = patched.localRunnerOriginal!;

const json = {
  s: 'x', n: 0, f: false, z: null, e: '', o: { a: 1, b: [1, 2] }, arr: [{ k: 1 }, { k: 2 }], empty: [], nested: { deep: { v: 'v' } },
};
const paths = ['$', '$.s', '$.n', '$.f', '$.z', '$.e', '$.o', '$.o.b', '$.o.b[1]', '$.arr[0].k', '$.missing', '$.nested.deep.v', "$['s']", '$.empty'];
const indefinite = ['$.arr[*].k', '$..k', '$.arr[?(@.k > 1)]', '$.arr[?(@.k > 5)]', '$.o.b[0,1]', '$.o.b[0:1]'];

describe('jsonpath-plus patch: same results as the unpatched JSONPath', () => {
  test('the patch is installed (and keeps the original for comparison)', () => {
    expect(patched.localRunnerPatched).toBe(true);
    expect(typeof original).toBe('function');
  });

  test.each(paths)('definite path %s, wrap false / true / absent, and a null document', (path) => {
    for (const options of [{ path, json, wrap: false }, { path, json, wrap: true }, { path, json }, { path, json: null, wrap: false }]) {
      expect(patched({ ...options })).toEqual(original({ ...options }));
    }
  });

  test.each(indefinite)('indefinite path %s: wrap false returns every match as an array, as with wrap true', (path) => {
    expect(isIndefinitePath(path)).toBe(true);
    expect(patched({ path, json, wrap: false })).toEqual(original({ path, json, wrap: true }));
    expect(patched({ path, json, wrap: true })).toEqual(original({ path, json, wrap: true }));
  });

  test('other options (resultType) still go through the original call', () => {
    expect(patched({ path: '$.o.a', json, wrap: false, resultType: 'path' })).toEqual(original({ path: '$.o.a', json, wrap: false, resultType: 'path' }));
  });
});
