import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Step, WorkflowFunction, HybridWorkflow } from '../src';
const app = new App();
const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
const fns = Array.from({ length: 10 }, (_, i) => new WorkflowFunction(stack, `F${i}`, { code: lambda.Code.fromInline('exports.handler=async e=>e') }));
new HybridWorkflow(stack, 'W', { steps: Array.from({ length: 20 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 10], { idempotent: true }), express: Math.floor(i / 5) % 2 === 1 })) });
const t = app.synth().getStackByName('S').template;
for (const [id, r] of Object.entries<any>(t.Resources)) if ((r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && id.startsWith('WState')) console.log(id, JSON.stringify(r.Properties.PolicyDocument));
