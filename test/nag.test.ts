import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildExamplesApp, exampleModules } from '../examples/app-builder';
import { SequentialWorkflow, Step, WorkflowFunction } from '../src';

interface Violation { ruleName: string; violatingConstructs: Array<{ constructPath: string }> }

/**
 * Runs cdk-nag 3 (a CDK policy-validation plugin) over an app and returns the unacknowledged
 * findings as "rule at path". Synth fails and writes a report when there are findings.
 */
function nagFindings(makeApp: (outdir: string) => App): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  try {
    const app = makeApp(outdir);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    let failure: unknown;
    try {
      app.synth();
    } catch (e) {
      failure = e;
    }
    const reportFile = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : { pluginReports: [] };
    const findings: string[] = (report.pluginReports as Array<{ violations: Violation[] }>)
      .flatMap((r) => r.violations)
      .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`));
    if (failure && findings.length === 0) {
      throw failure;
    }
    return findings.sort();
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk-nag AwsSolutions + Serverless', () => {
  test('every example stack has zero unacknowledged findings', () => {
    let count = 0;
    const findings = nagFindings((outdir) => {
      const { app, stacks } = buildExamplesApp({ outdir });
      count = stacks.length;
      return app;
    });
    expect(count).toBe(exampleModules().length);
    expect(count).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  });

  test('control: without the acknowledgments the same defaults are reported (the harness can fail)', () => {
    const findings = nagFindings((outdir) => {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Control', { env: { account: '123456789012', region: 'us-east-1' } });
      const fn = new WorkflowFunction(stack, 'Fn', { code: lambda.Code.fromInline('exports.handler = async () => 1;') });
      new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)] });
      return app;
    });
    expect(findings).toEqual([
      'AwsSolutions-IAM5[Resource::*] at Control/Fn/ServiceRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] at Control/Wf/StateMachine/Role/DefaultPolicy/Resource',
      'Serverless-LambdaDLQ at Control/Fn/Function/Resource',
    ]);
  });
});
