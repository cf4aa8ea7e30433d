import { buildExamplesApp } from '../examples/app-builder';
import { normalizedTemplate } from '../src/testing';

/**
 * Snapshot of every example stack's template, normalized (asset hashes, version hashes masked) so
 * that only real changes to what the constructs generate show up. CI runs jest with `--ci`, so a
 * changed or missing snapshot fails the build: update on purpose with `npx projen test:update`
 * (or `npx jest -u test/examples.snapshot.test.ts`) and read the diff.
 */
describe('example stacks (normalized templates)', () => {
  // Bundling is skipped: the asset hash is masked anyway, and the snapshot is about the constructs.
  const { stacks } = buildExamplesApp({ context: { 'aws:cdk:bundling-stacks': [] } });

  test.each(stacks.map((s) => [s.stackName, s] as const))('%s', (_name, stack) => {
    expect(normalizedTemplate(stack)).toMatchSnapshot();
  });
});
