import * as fs from 'fs';
import { DOC_FILE, generatedSection, loadData, renderGenerated, ruleKey } from './data';
import { exampleFindings, Finding, groupFindings } from './harness';
import { exampleModules } from '../../examples/app-builder';

/*
 * Every rule pack a security review runs (cdk-nag AwsSolutions, Serverless, HIPAA Security,
 * NIST 800-53 rev 5, PCI DSS 3.2.1, and cfn-guard's Control Tower rules) over every example stack,
 * synthesized once for the whole file. The remaining findings must equal the documented list in
 * test/compliance/findings.json, which docs/compliance.md is generated from: a new finding, a
 * finding that went away, or a doc edited by hand fails here. Re-count with
 * `CDK_VALIDATION=false npx tsx test/compliance/count.ts [--write]`.
 */
jest.setTimeout(10 * 60_000);

describe('compliance rule packs over every example stack', () => {
  let findings: Finding[];
  const data = loadData();

  beforeAll(() => {
    findings = exampleFindings();
  });

  test('every example stack was checked', () => {
    // (cfn-guard reports a few findings without a construct path)
    const stacks = new Set(findings.map((f) => f.path.split('/')[0]).filter((s) => /Example$/.test(s)));
    // every example has at least one (documented) finding, so each one shows up here
    expect(stacks.size).toBe(exampleModules().length);
  });

  test('AwsSolutions and Serverless: zero findings, with no acknowledgment written in the examples', () => {
    expect(findings.filter((f) => f.pack === 'AwsSolutions' || f.pack === 'Serverless').map((f) => `${f.rule} at ${f.path}`)).toEqual([]);
    const exampleSources = fs.readdirSync(`${__dirname}/../../examples/stacks`).map((f) => fs.readFileSync(`${__dirname}/../../examples/stacks/${f}`, 'utf8')).join('\n');
    expect(exampleSources).not.toMatch(/acknowledge\(|NagSuppressions/);
  });

  test('the remaining findings are exactly the documented ones (test/compliance/findings.json)', () => {
    expect(groupFindings(findings)).toEqual(data.remaining);
  });

  test('every remaining finding has a reason and the prop that closes it', () => {
    const missing = data.remaining
      .map((g) => ruleKey(g.rule))
      .filter((k) => !data.rules[k] || /TODO/.test(data.rules[k].reason + data.rules[k].closedBy));
    expect(missing).toEqual([]);
  });

  test('docs/compliance.md shows exactly the data (regenerate with count.ts --write)', () => {
    expect(generatedSection(fs.readFileSync(DOC_FILE, 'utf8'))).toEqual(renderGenerated(data).trim());
  });
});
