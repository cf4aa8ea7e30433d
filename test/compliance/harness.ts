import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, AppProps, CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { buildExamplesApp } from '../../examples/app-builder';

/**
 * The rule packs a security review runs, in report order. The names are the plugin names the
 * validation report uses: cdk-nag 3 packs are CDK policy-validation plugins, and so is cfn-guard's
 * Control Tower rule set (@cdklabs/cdk-validator-cfnguard runs a bundled cfn-guard binary over the
 * synthesized templates, offline).
 */
export const PACKS = ['AwsSolutions', 'Serverless', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard'] as const;
export type PackName = typeof PACKS[number];

/** One finding: a rule reported on one resource. */
export interface Finding {
  readonly pack: PackName;
  /** The rule id as reported, e.g. `AwsSolutions-IAM5[Resource::*]` or `CT.LAMBDA.PR.3`. */
  readonly rule: string;
  /** Construct path of the violating resource. */
  readonly path: string;
  /** CloudFormation type of the violating resource, e.g. `AWS::Lambda::Function`. */
  readonly resourceType: string;
}

type Plugin = Parameters<ReturnType<typeof Validations.of>['addPlugins']>[0];

function plugins(app: App, packs: readonly PackName[]): Plugin[] {
  const make: Record<PackName, () => Plugin> = {
    'AwsSolutions': () => new AwsSolutionsChecks(app),
    'Serverless': () => new ServerlessChecks(app),
    'HIPAA.Security': () => new HIPAASecurityChecks(app),
    'NIST.800.53.R5': () => new NIST80053R5Checks(app),
    'PCI.DSS.321': () => new PCIDSS321Checks(app),
    'cdk-validator-cfnguard': () => new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: controlTowerRulesFor(app) }),
  };
  return packs.map((p) => make[p]());
}

const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

/**
 * The Control Tower rule files that can report on a resource type of `app`: cfn-guard evaluates
 * all 300+ bundled rules against every template otherwise (about 20 s of CPU for the examples),
 * and a rule only reports on the types its header lists under "Reports on:". A rule file whose
 * header names no type is kept. The types are read from the construct tree before synthesis.
 */
export function controlTowerRulesFor(app: App): string[] {
  const types = new Set(app.node.findAll().filter(CfnResource.isCfnResource).map((c) => (c as CfnResource).cfnResourceType));
  const files = fs.readdirSync(CONTROL_TOWER_RULES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .map((f) => path.join(CONTROL_TOWER_RULES, f))
    .sort();
  return files.filter((file) => {
    const header = /#\s*Reports on:([\s\S]*?)#\s*Evaluates:/.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? '';
    const reported = header.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [];
    return reported.length === 0 || reported.some((t) => types.has(t));
  });
}

interface ReportViolation {
  readonly ruleName: string;
  readonly description?: string;
  readonly violatingConstructs: Array<{ constructPath: string }>;
}

/**
 * Synthesizes `makeApp(outdir)` with the given packs registered as validation plugins and returns
 * every unacknowledged finding, sorted. A synth failure that is not a validation failure is
 * rethrown. Synthesis output goes to a temporary directory that is removed afterwards.
 */
export function complianceFindings(makeApp: (outdir: string) => App, packs: readonly PackName[] = PACKS): Finding[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'compliance-'));
  try {
    const app = makeApp(outdir);
    Validations.of(app).addPlugins(...plugins(app, packs));
    let failure: unknown;
    // aws-cdk-lib prints the whole validation report (with stack traces) to stderr; the findings
    // are read from the report file instead.
    const consoleError = console.error;
    const exitCode = process.exitCode;
    console.error = () => undefined;
    try {
      app.synth();
    } catch (e) {
      failure = e;
    } finally {
      console.error = consoleError;
      process.exitCode = exitCode;
    }
    const reportFile = path.join(outdir, 'validation-report.json');
    if (!fs.existsSync(reportFile)) {
      if (failure) {
        throw failure;
      }
      return [];
    }
    const types = new Map<string, string>();
    for (const c of app.node.findAll()) {
      if (CfnResource.isCfnResource(c)) {
        types.set(c.node.path, c.cfnResourceType);
      }
    }
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: ReportViolation[] }>;
    };
    const findings: Finding[] = [];
    for (const r of report.pluginReports) {
      const pack = r.pluginName as PackName;
      for (const v of r.violations) {
        // cfn-guard names rules by file (lambda_inside_vpc_check); the Control Tower control id
        // ([CT.LAMBDA.PR.3]) opens its description and is what a reviewer looks up.
        const control = /^\[([A-Z0-9.]+)\]/.exec(v.description ?? '')?.[1];
        const rule = pack === 'cdk-validator-cfnguard' && control ? control : v.ruleName;
        for (const c of v.violatingConstructs) {
          findings.push({ pack, rule, path: c.constructPath, resourceType: types.get(c.constructPath) ?? 'unknown' });
        }
      }
    }
    if (failure && findings.length === 0) {
      throw failure;
    }
    return findings.sort((a, b) => key(a).localeCompare(key(b)));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function key(f: Finding): string {
  return `${PACKS.indexOf(f.pack)} ${f.rule} ${f.path}`;
}

/**
 * Every finding of every pack over every example stack (examples/app-builder.ts), with bundling
 * skipped (the rules look at resources, not at the code in an asset).
 */
export function exampleFindings(packs: readonly PackName[] = PACKS, props: AppProps = {}): Finding[] {
  return complianceFindings((outdir) => buildExamplesApp({
    ...props,
    outdir,
    context: { 'aws:cdk:bundling-stacks': [], ...props.context },
  }).app, packs);
}

/** Findings grouped by pack, rule and resource type, with their count. */
export interface FindingGroup {
  readonly pack: PackName;
  readonly rule: string;
  readonly resourceType: string;
  readonly count: number;
}

/** Groups findings by pack, rule and resource type (sorted). */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups = new Map<string, { pack: PackName; rule: string; resourceType: string; count: number }>();
  for (const f of findings) {
    const k = `${PACKS.indexOf(f.pack)}\u0000${f.rule}\u0000${f.resourceType}`;
    const g = groups.get(k) ?? { pack: f.pack, rule: f.rule, resourceType: f.resourceType, count: 0 };
    g.count++;
    groups.set(k, g);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}

/** Number of findings per pack (every pack present, 0 when clean). */
export function countByPack(findings: readonly Finding[]): Record<PackName, number> {
  const counts = Object.fromEntries(PACKS.map((p) => [p, 0])) as Record<PackName, number>;
  for (const f of findings) {
    counts[f.pack]++;
  }
  return counts;
}
