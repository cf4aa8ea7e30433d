/**
 * The aws-local-stepfunctions version the runner's rewrites and emulations were verified against
 * (test/testing/interpreter-deviations.test.ts fails when another version is installed). Pin the
 * dev dependency to exactly this version.
 */
export const VERIFIED_INTERPRETER_VERSION = '3.0.0';

/** Dependencies of the interpreter's bundle needed only by features the runner never uses on its hot path. */
const DEFERRED_DEPENDENCIES: Readonly<Record<string, 'function' | 'object'>> = {
  // the definition validator (ajv, jsonata and the JSON schemas: most of the package's load time),
  // called only when a StateMachine is built with validation (`validateDefinitions: true`)
  'asl-validator': 'function',
  // the real Lambda client, used only for a Task without a local handler (the runner refuses those)
  '@aws-sdk/client-lambda': 'object',
  '@aws-sdk/credential-providers': 'object',
};

/**
 * Loads aws-local-stepfunctions' CommonJS bundle (`build/main.node.cjs`, one file) like `require`
 * would, except that {@link DEFERRED_DEPENDENCIES} are loaded on first use instead of when the
 * bundle loads: most of the package's load time is its definition validator, which the runner calls
 * only with `validateDefinitions: true`. Every other dependency (jsonpath-plus, p-limit, ...) is
 * the very module `require` returns, so patches on it apply. `patch` may rewrite the bundle's
 * source before it is evaluated. Falls back to `require` (unpatched) when the package resolves to
 * something else than that bundle.
 */
export function loadInterpreterPackage(patch?: (source: string) => string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const main = require.resolve('aws-local-stepfunctions');
  if (!/[\\/]build[\\/]main\.node\.cjs$/.test(main)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    return require('aws-local-stepfunctions');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('path') as typeof import('path');
  const dir = path.dirname(main);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (id: string): unknown => require(require.resolve(id, { paths: [dir] }));
  const bundleRequire = (id: string): unknown => {
    const deferred = DEFERRED_DEPENDENCIES[id];
    if (deferred === undefined) return load(id);
    let real: unknown;
    const get = (): Record<PropertyKey, unknown> => (real ??= load(id)) as Record<PropertyKey, unknown>;
    if (deferred === 'function') {
      return function deferredFunction(this: unknown, ...args: unknown[]): unknown {
        return (get() as unknown as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
    return new Proxy({}, {
      get: (_target, key) => get()[key],
      has: (_target, key) => key in get(),
    });
  };
  const mod: { exports: unknown } = { exports: {} };
  const original = fs.readFileSync(main, 'utf8');
  const source = `${patch ? patch(original) : original}\n//# sourceURL=${main}`;
  // Evaluated in the caller's realm (in jest: the test context), as `require` would.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, no-new-func
  new Function('exports', 'require', 'module', '__filename', '__dirname', source)(mod.exports, bundleRequire, mod, main, dir);
  return mod.exports;
}
