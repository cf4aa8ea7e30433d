import { Template } from 'aws-cdk-lib/assertions';
import { CheckpointedWorkflow, FanOutFanIn, FanOutMode, SequentialWorkflow, Step, WorkflowType } from '../../src';
import { LocalWorkflowRunner } from '../../src/testing';
import { aslOf, inlineFunction, newStack } from '../util';

/**
 * Bounded state (issue 10, defect 3): a step keeps only what later steps need. The state carries
 * every step's result to the end, and a state over 256 KiB fails the execution with the
 * uncatchable States.DataLimitExceeded.
 */
const BIG = 'x'.repeat(100 * 1024); // 100 KiB: three such results would overflow the state

function build() {
  const stack = newStack();
  const fn = inlineFunction(stack, 'Fn');
  const workflow = new SequentialWorkflow(stack, 'Wf', {
    steps: [
      Step.lambda('Render', fn, { resultSelector: { 'pages.$': '$.pages', 'checksum.$': '$.checksum' } }),
      Step.lambda('Upload', fn, { discardResult: true }),
      Step.lambda('Publish', fn),
    ],
  });
  return { stack, workflow };
}

describe('per-step result selection and discard', () => {
  test('rendered as ResultSelector on the task (discard: an empty object)', () => {
    const { stack } = build();
    const asl = aslOf(Template.fromStack(stack));
    expect(asl.States.Render).toMatchObject({ ResultSelector: { 'pages.$': '$.pages', 'checksum.$': '$.checksum' }, ResultPath: '$.results.Render' });
    expect(asl.States.Upload).toMatchObject({ ResultSelector: {}, ResultPath: '$.results.Upload' });
    expect(asl.States.Publish.ResultSelector).toBeUndefined();
  });

  test('executed: large raw results never reach the state; the kept fields do', async () => {
    const { workflow } = build();
    const runner = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        Render: async () => ({ pages: 3, checksum: 'abc', pdf: BIG }),
        Upload: async () => ({ echo: BIG, etag: 'e1' }),
        Publish: async (event: any) => ({ url: `https://x/${event.results.Render.checksum}`, sawUpload: event.results.Upload }),
      },
    });
    try {
      const result = await runner.run({ doc: 'd-1' });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({
        doc: 'd-1',
        results: {
          Render: { pages: 3, checksum: 'abc' },
          Upload: {},
          Publish: { url: 'https://x/abc', sawUpload: {} },
        },
      });
      expect(JSON.stringify(result.output).length).toBeLessThan(1024);
    } finally {
      await runner.close();
    }
  });

  test('a checkpointed step with discardResult still checkpoints (an empty result)', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new CheckpointedWorkflow(stack, 'Job', { type: WorkflowType.EXPRESS, keyPath: '$.id', steps: [{ step: Step.lambda('Send', fn, { discardResult: true }) }] });
    const asl = aslOf(Template.fromStack(stack), Object.keys(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0]);
    const send = Object.values<any>(asl.States).find((s) => s.ResultPath === '$.results.Send');
    expect(send.ResultSelector).toEqual({});
  });

  test('both options at once, or a step option where the pattern reshapes the result, are refused', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    expect(() => new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Work', fn, { discardResult: true, resultSelector: { 'a.$': '$.a' } })] }))
      .toThrow(/^\[TestStack\/Wf\] step 'Work' sets both resultSelector and discardResult/);
    const child = new SequentialWorkflow(stack, 'Child', { type: WorkflowType.EXPRESS, steps: [Step.pass('Inner')] });
    expect(() => new SequentialWorkflow(stack, 'Wf2', { steps: [Step.lambda('Work', fn, { resultSelector: 'nope' as any })] }))
      .toThrow(/step 'Work': resultSelector is "nope"; it must be an object/);
    // a child workflow step discarding its output
    new SequentialWorkflow(stack, 'Parent', { steps: [Step.childWorkflow('Run child', child, { discardResult: true })] });
  });
});

describe('bookkeeping states through the step model', () => {
  test('an AWS SDK step with IAM conditions (the saga\'s PutMetricData, scoped to its namespace), result discarded', () => {
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', {
      steps: [Step.awsSdk('Record compensation failure', {
        service: 'cloudwatch',
        action: 'putMetricData',
        parameters: { Namespace: 'CdkStatefulWorkflows', MetricData: [{ MetricName: 'SagaCompensationFailed', Unit: 'Count', Value: 1 }] },
        iamResources: ['*'],
        iamConditions: { StringEquals: { 'cloudwatch:namespace': 'CdkStatefulWorkflows' } },
        discardResult: true,
      })],
    });
    const template = Template.fromStack(stack);
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => s.Action === 'cloudwatch:putMetricData' || s.Action === 'cloudwatch:PutMetricData')).toEqual([{
      Action: 'cloudwatch:putMetricData',
      Effect: 'Allow',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkStatefulWorkflows' } },
    }]);
    expect(aslOf(template).States['Record compensation failure'].Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:cloudwatch:putMetricData');
  });
});

describe('a tolerant inline fan-out keeps only the worker fields selected (executed)', () => {
  test('each item result is { failed, output: <selection>, tally }; the big field never reaches the state', async () => {
    const stack = newStack();
    const workflow = new FanOutFanIn(stack, 'Nightly', {
      worker: Step.lambda('Process item', inlineFunction(stack, 'Worker'), { resultSelector: { 'id.$': '$.id' } }),
      mode: FanOutMode.INLINE,
      toleratedFailurePercentage: 50,
    });
    const runner = await LocalWorkflowRunner.create(workflow, {
      handlers: { 'Process item': async (event: any) => ({ id: event.item.id, blob: BIG }) },
    });
    try {
      const r = await runner.run({ items: [{ id: 'a' }, { id: 'b' }] });
      expect(r.status).toBe('SUCCEEDED');
      const fanOut = (r.output as any).fanOut;
      expect(fanOut.results.map((x: any) => x.output)).toEqual([{ id: 'a' }, { id: 'b' }]);
      expect(JSON.stringify(r.output)).not.toContain('xxxx');
    } finally {
      await runner.close();
    }
  });
});
