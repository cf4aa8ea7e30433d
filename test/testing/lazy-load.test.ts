import { runInFreshNode } from '../util';

describe('lazy loading of the heavy optional dependencies', () => {
  test('GIVEN the testing entry point WHEN it is imported THEN neither aws-local-stepfunctions nor dynalite is loaded', () => {
    // WHEN
    const script = [
      "require('./src/testing');",
      'const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](aws-local-stepfunctions|dynalite|asl-validator)[\\\\/]/.test(k));',
      "require('aws-local-stepfunctions');",
      'const after = Object.keys(require.cache).some((k) => /aws-local-stepfunctions/.test(k));',
      'process.stdout.write(JSON.stringify({ loaded, after }));',
    ].join('\n');
    const out = runInFreshNode(script);

    // THEN (the control shows the probe can see the module once it is required)
    expect(JSON.parse(out)).toEqual({ loaded: [], after: true });
  });
});

describe('loading aws-local-stepfunctions without its definition validator', () => {
  const probe = (body: string): Record<string, unknown> => JSON.parse(runInFreshNode([
    // aws-local-stepfunctions 3 needs Promise.withResolvers (Node >= 22; the runner polyfills it)
    'Promise.withResolvers ??= () => { let resolve, reject; const promise = new Promise((a, b) => { resolve = a; reject = b; }); return { promise, resolve, reject }; };',
    'const validatorLoaded = () => Object.keys(require.cache).some((k) => /node_modules[\\\\/]asl-validator[\\\\/]/.test(k));',
    '(async () => {',
    body,
    '})().catch((e) => { console.error(e); process.exit(1); });',
  ].join('\n'), { stderr: 'inherit' }));

  test('GIVEN loadInterpreterPackage WHEN machines are built and run THEN asl-validator loads only when a definition is validated', () => {
    // WHEN
    const out = probe(`
      const { StateMachine } = require('./src/testing/version').loadInterpreterPackage();
      const afterLoad = validatorLoaded();
      const machine = new StateMachine({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:a', End: true } } }, { validationOptions: { noValidate: true } });
      const output = await machine.run({ x: 1 }, { overrides: { taskResourceLocalHandlers: { A: async (e) => ({ ...e, y: 2 }) } } }).result;
      const afterRun = validatorLoaded();
      let rejected;
      try { new StateMachine({ StartAt: 'Missing', States: {} }); } catch (e) { rejected = e.message; }
      process.stdout.write(JSON.stringify({ afterLoad, output, afterRun, rejected: typeof rejected === 'string', afterValidation: validatorLoaded() }));
    `);

    // THEN
    expect(out).toEqual({ afterLoad: false, output: { x: 1, y: 2 }, afterRun: false, rejected: true, afterValidation: true });
  });

  test('control: a plain require of the package loads asl-validator', () => {
    expect(probe("require('aws-local-stepfunctions'); process.stdout.write(JSON.stringify({ loaded: validatorLoaded() }));")).toEqual({ loaded: true });
  });
});
