import { execFileSync } from 'child_process';
import * as path from 'path';

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
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });

    // THEN (the control shows the probe can see the module once it is required)
    expect(JSON.parse(out)).toEqual({ loaded: [], after: true });
  });
});
