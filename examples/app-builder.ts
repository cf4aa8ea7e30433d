import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack } from 'aws-cdk-lib';

/**
 * Each file in examples/stacks/ exports `register(app)`, which adds one example stack to the app
 * and returns it. The examples app, the cdk-nag test and the snapshot tests all build the app
 * through this function, so a new example is picked up everywhere by adding one file.
 */
export interface ExampleModule {
  register(app: App): Stack;
}

export const EXAMPLE_ENV = { account: '123456789012', region: 'us-east-1' };

/** The example modules, sorted by file name. */
export function exampleModules(): Array<{ name: string; module: ExampleModule }> {
  const dir = path.join(__dirname, 'stacks');
  return fs.readdirSync(dir)
    .filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => ({ name: f.replace(/\.ts$/, ''), module: require(path.join(dir, f)) as ExampleModule }));
}

/** Builds the examples app with every example stack. */
export function buildExamplesApp(props: AppProps = {}): { app: App; stacks: Stack[] } {
  const app = new App(props);
  const stacks = exampleModules().map(({ module }) => module.register(app));
  return { app, stacks };
}
