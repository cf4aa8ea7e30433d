import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Saga, SequentialWorkflow, Step, WorkflowFunction, HybridWorkflow, CheckpointedWorkflow } from '../src';
const n = Number(process.argv[2] ?? 200);
const kind = process.argv[3] ?? 'saga';
const app = new App();
const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
const fns = Array.from({ length: 10 }, (_, i) => new WorkflowFunction(stack, `F${i}`, { code: lambda.Code.fromInline('exports.handler=async e=>e') }));
const t0 = Date.now();
if (kind === 'saga') {
  new Saga(stack, 'W', { steps: Array.from({ length: n }, (_, i) => ({ action: Step.lambda(`Do ${i}`, fns[i % 10]), compensation: Step.lambda(`Undo ${i}`, fns[(i + 5) % 10]) })) });
} else if (kind === 'hybrid') {
  new HybridWorkflow(stack, 'W', { steps: Array.from({ length: n }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 10], { idempotent: true }), express: Math.floor(i / 5) % 2 === 1 })) });
} else if (kind === 'checkpoint') {
  new CheckpointedWorkflow(stack, 'W', { keyPath: '$.orderId', steps: Array.from({ length: n }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 10]) })) });
} else {
  new SequentialWorkflow(stack, 'W', { steps: Array.from({ length: n }, (_, i) => Step.lambda(`Do ${i}`, fns[i % 10])) });
}
try {
  const a = app.synth();
  const t = a.getStackByName('S');
  console.log('ok', Object.keys(t.template.Resources).length, JSON.stringify(t.template).length, t.messages.filter(m => m.level === 'info').map(m => m.entry.data).join('\n'));
} catch (e) { console.log(String(e).slice(0, 1500)); }
console.log('ms', Date.now() - t0);
