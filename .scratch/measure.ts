import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Saga, Step, WorkflowFunction } from '../src';
const n = Number(process.argv[2] ?? 60);
const app = new App();
const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
const steps = [];
for (let i = 0; i < n; i++) {
  const a = new WorkflowFunction(stack, `A${i}`, { code: lambda.Code.fromInline('exports.handler=async e=>e') });
  const c = new WorkflowFunction(stack, `C${i}`, { code: lambda.Code.fromInline('exports.handler=async e=>e') });
  steps.push({ action: Step.lambda(`Do ${i}`, a), compensation: Step.lambda(`Undo ${i}`, c) });
}
new Saga(stack, 'Saga', { steps });
const t = app.synth().getStackByName('S').template;
const counts: Record<string, number> = {};
for (const r of Object.values<any>(t.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
console.log(Object.keys(t.Resources).length, counts);
const sm = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
console.log('def bytes approx', JSON.stringify(sm.Properties.DefinitionString).length);
for (const [id, r] of Object.entries<any>(t.Resources)) if (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') if (!/^[AC]\d/.test(id)) console.log(id, r.Type, JSON.stringify(r.Properties.PolicyDocument).length, r.Properties.PolicyDocument.Statement.length);
