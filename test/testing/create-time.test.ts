/**
 * What `LocalWorkflowRunner.create` does (and does not do) for a 10-step workflow, in a process
 * like a user's jest worker: CDK_VALIDATION unset. The time it takes is measured by
 * bench/create.bench.ts (fresh jest processes), not asserted here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runInFreshNode } from '../util';


describe('LocalWorkflowRunner.create for a 10-step workflow', () => {
  test('GIVEN CDK_VALIDATION unset WHEN create() runs THEN it neither synthesizes the app nor loads the CloudFormation validation engine, and the workflow runs', () => {
    // GIVEN a plain node process (no jest setup file), CDK_VALIDATION unset
    const script = `
      const { App, Stack } = require('aws-cdk-lib');
      const lambda = require('aws-cdk-lib/aws-lambda');
      const fs = require('fs');
      const path = require('path');
      const { SequentialWorkflow, Step, WorkflowFunction } = require('./src');
      const { LocalWorkflowRunner } = require('./src/testing');
      (async () => {
        const app = new App();
        const stack = new Stack(app, 'CreateTime');
        const code = lambda.Code.fromInline('exports.handler = async (e) => e;');
        const steps = Array.from({ length: 10 }, (_, i) => Step.lambda('Step ' + (i + 1), new WorkflowFunction(stack, 'Fn' + (i + 1), { code })));
        const workflow = new SequentialWorkflow(stack, 'Workflow', { steps });
        const handlers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => ['Step ' + (i + 1), async (e) => ({ ...e, n: (e.n ?? 0) + i + 1 })]));
        // WHEN
        const runner = await LocalWorkflowRunner.create(workflow, { handlers });
        const engineLoaded = Object.keys(require.cache).some((k) => k.includes('@aws/cloudformation-validate'));
        const result = await runner.run({ n: 0 });
        await runner.close();
        process.stdout.write(JSON.stringify({
          engineLoaded,
          synthesized: app.assembly !== undefined || fs.existsSync(path.join(app.outdir, 'manifest.json')),
          status: result.status,
          entered: result.statesEntered.filter((s) => s.startsWith('Step ')),
        }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const env = { ...process.env };
    delete env.CDK_VALIDATION;
    const out = JSON.parse(runInFreshNode(script, { env }));

    // THEN
    expect(out).toEqual({
      engineLoaded: false,
      synthesized: false,
      status: 'SUCCEEDED',
      entered: Array.from({ length: 10 }, (_, i) => `Step ${i + 1}`),
    });
    // (control: the probe looks for the module aws-cdk-lib's CloudFormation validation plugin loads)
    const plugin = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'core', 'lib', 'validation', 'cloudformation-validate-plugin.js');
    expect(fs.readFileSync(plugin, 'utf8')).toContain('require("@aws/cloudformation-validate")');
  });
});
