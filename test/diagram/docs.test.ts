import * as fs from 'fs';
import * as path from 'path';
import { diagramMarkdown, exampleWorkflows, README_DIAGRAMS } from '../../scripts/diagrams';

test('docs/diagrams (shown in the README) match the examples as synthesized now', () => {
  const workflows = exampleWorkflows();
  for (const entry of README_DIAGRAMS) {
    const file = path.join(__dirname, '..', '..', 'docs', 'diagrams', `${entry.file}.md`);
    const expected = diagramMarkdown(entry, workflows.find((w) => w.name === entry.workflow)!);
    // on a difference: the generated machine changed; regenerate with `npx tsx scripts/diagrams.ts` and look at the diff
    expect({ file: path.basename(file), text: fs.readFileSync(file, 'utf8') }).toEqual({ file: path.basename(file), text: expected });
  }
});
