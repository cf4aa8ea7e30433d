import * as fs from 'fs';
import * as path from 'path';

/**
 * The README's complete jest example is run as test/behaviour/readme-example.test.ts; this keeps
 * the two identical (but for the import paths and the first comment line), so the README cannot drift.
 */
test('the README jest example is the one the test suite runs', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const heading = readme.indexOf('### A complete jest test');
  expect(heading).toBeGreaterThan(0);
  const start = readme.indexOf('```ts\n', heading) + '```ts\n'.length;
  const example = readme.slice(start, readme.indexOf('```', start));
  const suite = fs.readFileSync(path.join(__dirname, 'behaviour', 'readme-example.test.ts'), 'utf8');
  const normalize = (text: string) => text
    .replace(/from '(\.\.\/\.\.\/src|cdk-stateful-workflows)\/testing'/g, "from 'TESTING'")
    .replace(/from '(\.\.\/\.\.\/src|cdk-stateful-workflows)'/g, "from 'LIB'")
    .split('\n').slice(1).join('\n');
  expect(normalize(suite)).toBe(normalize(example));
});
