/* eslint-disable no-console */
/**
 * Counts the findings of every rule pack over every example stack and prints a table per pack.
 *
 *   CDK_VALIDATION=false npx tsx test/compliance/count.ts          # print, and the difference from findings.json
 *   CDK_VALIDATION=false npx tsx test/compliance/count.ts --write  # also rewrite findings.json `remaining` and docs/compliance.md
 *   npx tsx test/compliance/count.ts --render                       # only re-render docs/compliance.md from findings.json (no synth)
 *
 * After `--write`, give every new rule in findings.json `rules` a reason and the prop that closes
 * it (the compliance test fails on TODO), and read the diff of docs/compliance.md.
 */
import * as fs from 'fs';
import { DOC_FILE, loadData, ruleKey, saveData, totals, withGenerated } from './data';
import { exampleFindings, groupFindings, PACKS } from './harness';

if (process.argv.includes('--render')) {
  fs.writeFileSync(DOC_FILE, withGenerated(fs.readFileSync(DOC_FILE, 'utf8'), loadData()));
  console.log(`rendered ${DOC_FILE}`);
  process.exit(0);
}
const t0 = Date.now();
const groups = groupFindings(exampleFindings());
const data = loadData();
for (const pack of PACKS) {
  const rows = groups.filter((g) => g.pack === pack);
  console.log(`\n## ${pack}: ${rows.reduce((n, g) => n + g.count, 0)} findings (before: ${data.before.counts[pack]})`);
  for (const g of rows) {
    console.log(`${String(g.count).padStart(4)}  ${g.rule}  ${g.resourceType}`);
  }
}
console.log('\nnow:    ' + JSON.stringify(totals(groups)));
console.log('before: ' + JSON.stringify(data.before.counts));
const was = new Map(data.remaining.map((g) => [`${g.pack} ${g.rule} ${g.resourceType}`, g.count]));
const is = new Map(groups.map((g) => [`${g.pack} ${g.rule} ${g.resourceType}`, g.count]));
for (const k of new Set([...was.keys(), ...is.keys()])) {
  if (was.get(k) !== is.get(k)) {
    console.log(`changed vs findings.json: ${k}: ${was.get(k) ?? 0} -> ${is.get(k) ?? 0}`);
  }
}
if (process.argv.includes('--write')) {
  const rules = { ...data.rules };
  for (const g of groups) {
    rules[ruleKey(g.rule)] ??= { reason: 'TODO', closedBy: 'TODO' };
  }
  const next = { ...data, rules, remaining: groups };
  saveData(next);
  fs.writeFileSync(DOC_FILE, withGenerated(fs.readFileSync(DOC_FILE, 'utf8'), next));
  console.log(`wrote test/compliance/findings.json and ${DOC_FILE}`);
}
console.error(`(${Date.now() - t0} ms)`);
