/* eslint-disable no-console */
import { countByPack, exampleFindings, groupFindings, PACKS } from './harness';

const t0 = Date.now();
const findings = exampleFindings();
const groups = groupFindings(findings);
for (const pack of PACKS) {
  const rows = groups.filter((g) => g.pack === pack);
  console.log(`\n## ${pack}: ${rows.reduce((n, g) => n + g.count, 0)} findings`);
  for (const g of rows) {
    console.log(`${String(g.count).padStart(4)}  ${g.rule}  ${g.resourceType}`);
  }
}
console.log('\n' + JSON.stringify(countByPack(findings)));
console.error(`(${Date.now() - t0} ms)`);
