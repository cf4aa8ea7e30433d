import { runInFreshNode } from '../../util';

describe('the main entry point loads no AWS SDK at synth time', () => {
  test('GIVEN src/index.ts WHEN it is required THEN no @aws-sdk/* module is loaded; a CheckpointClient loads it on first use', () => {
    // WHEN
    const script = [
      "const lib = require('./src');",
      'const sdk = () => Object.keys(require.cache).filter((k) => /node_modules[\\\\/]@aws-sdk[\\\\/]/.test(k));',
      'const atImport = sdk();',
      "const client = new lib.CheckpointClient({ tableName: 't', namespace: 'n', stepNames: ['A'], region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });",
      'const afterConstructor = sdk().length;',
      "client.unlock('k').catch(() => undefined).finally(() => { process.stdout.write(JSON.stringify({ atImport, afterConstructor, afterUse: sdk().length > 0 })); client.destroy(); });",
    ].join('\n');
    const out = runInFreshNode(script);

    // THEN (the control shows the probe sees the SDK once the client uses it)
    expect(JSON.parse(out)).toEqual({ atImport: [], afterConstructor: 0, afterUse: true });
  });
});
