import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Placement, Saga, SequentialWorkflow, Step, WorkflowAlarms } from '../../src';
import { inlineFunction, newStack } from '../util';
import { alarmsAcrossNestedStacks, nestedStacksOf } from './alarm-queries';

function alarmsOf(stack: Stack): Record<string, any> {
  return Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
}
function queryOf(alarm: any): string {
  const expr = alarm.Properties.Metrics[0].Expression;
  if (typeof expr === 'string') return expr;
  return expr['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : `<${p.Ref}>`)).join('');
}
function unnotifiedWarnings(stack: Stack): any[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('notify no one'));
}

describe('function alarms aggregated per workflow (issue 12)', () => {
  test('one Metrics Insights alarm per metric for all the workflow\'s functions, grouped by FunctionName', () => {
    const stack = newStack();
    const fns = ['A', 'B', 'C'].map((n) => inlineFunction(stack, n));
    new SequentialWorkflow(stack, 'Wf', { steps: fns.map((f, i) => Step.lambda(`S${i}`, f)) });
    const alarms = Object.entries(alarmsOf(stack));
    expect(alarms).toHaveLength(2 + 3); // not 4 + 3 x 3 (failed + timed out/aborted/throttled, then one per function metric)
    const errors = alarms.find(([id]) => id.startsWith('WfAlarmsFunctionErrors'))![1];
    expect(queryOf(errors)).toBe(
      "SELECT SUM(Errors) FROM SCHEMA(\"AWS/Lambda\", FunctionName) WHERE FunctionName = '<AFunction5E2A23F9>' OR FunctionName = '<BFunction810E79FA>' OR FunctionName = '<CFunction288FB08E>' GROUP BY FunctionName",
    );
  });

  test('every function is in exactly one query per metric, the query names it, and the description lists paths', () => {
    const stack = newStack();
    const fns = ['A', 'B', 'C'].map((n) => inlineFunction(stack, n));
    new SequentialWorkflow(stack, 'Wf', { steps: fns.map((f, i) => Step.lambda(`S${i}`, f)) });
    const template = Template.fromStack(stack);
    const functionIds = Object.keys(template.findResources('AWS::Lambda::Function'));
    for (const metric of ['Errors', 'Throttles', 'ProvisionedConcurrencySpilloverInvocations']) {
      const alarms = Object.values(alarmsOf(stack)).filter((a: any) => a.Properties.Metrics && queryOf(a).startsWith(`SELECT SUM(${metric})`));
      expect(alarms).toHaveLength(1);
      const q = queryOf(alarms[0]);
      for (const id of functionIds) expect(q).toContain(`FunctionName = '<${id}>'`);
      expect(q).toMatch(/ GROUP BY FunctionName$/);
      expect(alarms[0].Properties.AlarmDescription).toMatch(/one contributor per function.*Functions: TestStack\/A, TestStack\/B, TestStack\/C$/);
      expect(alarms[0].Properties.Metrics[0]).toMatchObject({ Period: 300, ReturnData: true });
    }
  });

  test('more functions than one query holds: several alarms, each query within 2,048 characters, in a nested stack (AUTO)', () => {
    const stack = newStack();
    const fns = Array.from({ length: 50 }, (_, i) => inlineFunction(stack, `Fn${i}`));
    new SequentialWorkflow(stack, 'Wf', { steps: fns.map((f, i) => Step.lambda(`S${i}`, f)) });
    // Annotations.fromStack always synthesizes the app again: read it first, so that the template
    // reads below reuse its synthesis
    const annotations = Annotations.fromStack(stack);
    const template = Template.fromStack(stack);
    // the workflow's stack keeps only the execution alarms and gains one nested stack
    const own = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(own.filter((a: any) => JSON.stringify(a).includes('SELECT SUM'))).toHaveLength(0);
    expect(own).toHaveLength(2);
    template.resourceCountIs('AWS::CloudFormation::Stack', 1);
    expect(nestedStacksOf(stack).map((n) => n.node.path)).toEqual(['TestStack/Wf/Alarms/FunctionAlarms']);
    annotations.hasInfo('/TestStack/Wf/Alarms', Match.stringLikeRegexp('9 function alarms of 50 functions are in 1 nested stack.*TestStack/Wf/Alarms/FunctionAlarms.*more than one Metrics Insights query'));
    const fnAlarms = Object.values(alarmsAcrossNestedStacks(stack)).filter((a: any) => a.Properties.Metrics && JSON.stringify(a).includes('SELECT SUM'));
    const errors = fnAlarms.filter((a: any) => queryOf(a).startsWith('SELECT SUM(Errors)'));
    expect(errors).toHaveLength(3);
    // the nested stack's parameters carry the parent's function names: every function once
    const covered = errors.flatMap((a: any) => queryOf(a).match(/<Fn\d+Function\w+>/g));
    expect(covered).toHaveLength(50);
    expect(new Set(covered).size).toBe(50);
    for (const a of fnAlarms) {
      // worst case: every CloudFormation-generated name at Lambda's 64-character maximum
      const worst = queryOf(a).replace(/<[^>]+>/g, 'x'.repeat(64));
      expect(worst.length).toBeLessThanOrEqual(2048);
    }
  });

  test('functionAlarmsPlacement SAME_STACK keeps every function alarm in the workflow\'s stack', () => {
    const stack = newStack();
    const fns = Array.from({ length: 50 }, (_, i) => inlineFunction(stack, `Fn${i}`));
    new SequentialWorkflow(stack, 'Wf', { steps: fns.map((f, i) => Step.lambda(`S${i}`, f)), alarms: { functionAlarmsPlacement: Placement.SAME_STACK } });
    expect(nestedStacksOf(stack)).toHaveLength(0);
    const annotations = Annotations.fromStack(stack); // synthesizes; alarmsOf reuses it
    expect(Object.values(alarmsOf(stack)).filter((a: any) => a.Properties.Metrics && JSON.stringify(a).includes('SELECT SUM'))).toHaveLength(9);
    expect(annotations.findInfo('*', Match.stringLikeRegexp('nested stack'))).toHaveLength(0);
  });

  test('one query per metric stays in the stack (AUTO); NESTED_STACK moves even those, with the topic action passed in', () => {
    const auto = newStack();
    const a = ['A', 'B'].map((n) => inlineFunction(auto, n));
    new SequentialWorkflow(auto, 'Wf', { steps: a.map((f, i) => Step.lambda(`S${i}`, f)) });
    expect(nestedStacksOf(auto)).toHaveLength(0);

    const forced = newStack();
    const topic = new sns.Topic(forced, 'Topic');
    const b = ['A', 'B'].map((n) => inlineFunction(forced, n));
    new SequentialWorkflow(forced, 'Wf', { steps: b.map((f, i) => Step.lambda(`S${i}`, f)), alarms: { topic, functionAlarmsPlacement: Placement.NESTED_STACK } });
    expect(nestedStacksOf(forced)).toHaveLength(1);
    const annotations = Annotations.fromStack(forced); // synthesizes; the template reads reuse it
    const nestedAlarms = Object.entries(alarmsAcrossNestedStacks(forced)).filter(([id]) => id.startsWith('FunctionAlarms/'));
    expect(nestedAlarms).toHaveLength(3);
    // spillover notifies (errors and throttles do not by default): its action is the parent's topic
    const spill = nestedAlarms.find(([id]) => id.includes('Spillover'))![1];
    const topicId = Object.keys(Template.fromStack(forced).findResources('AWS::SNS::Topic'))[0];
    expect(spill.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    annotations.hasInfo('/TestStack/Wf/Alarms', Match.stringLikeRegexp('functionAlarmsPlacement is NESTED_STACK'));
  });

  test('more than 150 functions: one nested stack per 150, each within 200 parameters, every function covered once per metric', () => {
    // 160 functions are 640 resources: lift aws-cdk-lib's limit to look at the alarms alone
    const app = new App({ context: { '@aws-cdk/core:stackResourceLimit': 1000 } });
    const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'us-east-1' } });
    // in the stack, so that the queries read Refs (the functions' own placement is tested in test/scale)
    const fns = Array.from({ length: 160 }, (_, i) => inlineFunction(stack, `Fn${i}`, { provisionedConcurrency: 0, placement: Placement.SAME_STACK }));
    new SequentialWorkflow(stack, 'Wf', { steps: fns.map((f, i) => Step.lambda(`S${i}`, f)) });
    const nested = nestedStacksOf(stack);
    expect(nested.map((n) => n.node.id)).toEqual(['FunctionAlarms', 'FunctionAlarms2']);
    for (const n of nested) {
      expect(Object.keys(Template.fromStack(n).toJSON().Parameters ?? {}).length).toBeLessThanOrEqual(200);
    }
    const all = Object.values(alarmsAcrossNestedStacks(stack));
    for (const metric of ['Errors', 'Throttles']) {
      const covered = all.filter((a: any) => a.Properties.Metrics && queryOf(a).startsWith(`SELECT SUM(${metric})`))
        .flatMap((a: any) => queryOf(a).match(/<Fn\d+Function\w+>/g));
      expect(covered).toHaveLength(160);
      expect(new Set(covered).size).toBe(160);
    }
  });

  test('no spillover alarm for functions without provisioned concurrency', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn', { provisionedConcurrency: 0 });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)] });
    expect(JSON.stringify(alarmsOf(stack))).not.toContain('Spillover');
  });
});

describe('which alarms notify', () => {
  test('errors and throttles a retry absorbs do not page; execution failures, spillover and table throttles do', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const fn = inlineFunction(stack, 'Fn');
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)], alarms: { topic } });
    const byId = alarmsOf(stack);
    const notifying = Object.keys(byId).filter((id) => byId[id].Properties.AlarmActions).map((id) => id.replace(/^WfAlarms|[0-9A-F]{8}$/g, '')).sort();
    expect(notifying).toEqual(['ExecutionsFailed', 'ExecutionsTimedOutAbortedOrThrottled', 'FunctionSpillover']);
  });

  test('functionErrors.notify: true makes the errors alarm page too', () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)], alarms: { actions: [new actions.SnsAction(new sns.Topic(stack, 'T'))], functionErrors: { notify: true } } });
    const errors = Object.entries(alarmsOf(stack)).find(([id]) => id.includes('FunctionErrors'))![1];
    expect(errors.Properties.AlarmActions).toHaveLength(1);
  });
});

describe('alarms that notify (issue 14)', () => {
  function app2(): { app: App; stacks: Stack[] } {
    const app = new App();
    const stacks = ['One', 'Two'].map((name) => {
      const stack = new Stack(app, name, { env: { account: '123456789012', region: 'us-east-1' } });
      const fn = inlineFunction(stack, 'Fn');
      new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('S', fn)] });
      new SequentialWorkflow(stack, 'Wf2', { steps: [Step.pass('P')] });
      return stack;
    });
    return { app, stacks };
  }

  test('without an action: one warning per stack naming every alarm that notifies no one', () => {
    const { stacks } = app2();
    for (const stack of stacks) {
      const warnings = unnotifiedWarnings(stack);
      expect(warnings).toHaveLength(1);
      const text = JSON.stringify(warnings[0].entry.data);
      expect(text).toContain(`${stack.stackName}/Wf/Alarms/ExecutionsFailed`);
      expect(text).toContain(`${stack.stackName}/Wf2/Alarms/ExecutionsFailed`);
      expect(text).toContain(`${stack.stackName}/Wf/Alarms/FunctionSpillover`);
      expect(text).not.toContain('FunctionErrors'); // not meant to notify
      expect(text).toContain('WorkflowAlarms.notifyAll');
    }
  });

  test('notifyAll(app, action): every notifying alarm of every workflow in every stack, and no warning', () => {
    const { app, stacks } = app2();
    const alertStack = new Stack(app, 'Alerts', { env: { account: '123456789012', region: 'us-east-1' } });
    const action = new actions.SnsAction(new sns.Topic(alertStack, 'Topic'));
    WorkflowAlarms.notifyAll(app, action);
    for (const stack of stacks) {
      const alarms = Object.entries(alarmsOf(stack));
      for (const [id, alarm] of alarms) {
        if (/FunctionErrors|FunctionThrottles/.test(id)) {
          expect(alarm.Properties.AlarmActions).toBeUndefined();
        } else {
          expect(alarm.Properties.AlarmActions).toHaveLength(1);
          expect(alarm.Properties.OKActions).toHaveLength(1);
        }
      }
      expect(unnotifiedWarnings(stack)).toHaveLength(0);
    }
  });

  test('the saga compensation-failed alarm (added through addAlarm) is notified by notifyAll, and named in the warning without it', () => {
    const build = () => {
      const stack = newStack();
      const a = inlineFunction(stack, 'A');
      const c = inlineFunction(stack, 'C', { provisionedConcurrency: 0 });
      new Saga(stack, 'Saga', { steps: [{ action: Step.lambda('Do', a), compensation: Step.lambda('Undo', c) }, { action: Step.pass('Then') }] } as any);
      return stack;
    };
    const silent = build();
    const warning = JSON.stringify(unnotifiedWarnings(silent)[0].entry.data);
    expect(warning).toContain('TestStack/Saga/Alarms/CompensationFailed');
    expect(warning).toContain('saga compensation-failed alarm');

    const wired = build();
    WorkflowAlarms.notifyAllByTopic(wired, new sns.Topic(wired, 'Topic'));
    const comp = Object.entries(alarmsOf(wired)).find(([id]) => id.includes('CompensationFailed'))![1];
    expect(comp.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
    expect(unnotifiedWarnings(wired)).toHaveLength(0);
  });

  test('an explicit opt-out silences the warning; it needs a reason', () => {
    const { stacks } = app2();
    WorkflowAlarms.acknowledgeNoNotifications(stacks[0], 'sandbox stack, nobody is on call');
    expect(unnotifiedWarnings(stacks[0])).toHaveLength(0);
    expect(unnotifiedWarnings(stacks[1])).toHaveLength(1);
    expect(() => WorkflowAlarms.acknowledgeNoNotifications(stacks[1], '')).toThrow(/needs a reason/);
  });

  test('a per-workflow topic also counts; an encrypted topic\'s key lets CloudWatch in, scoped to the account', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], alarms: { topic } });
    expect(unnotifiedWarnings(stack)).toHaveLength(0);
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        })]),
      },
    });
  });
});

describe('alarm validation (issue 10 defect 6)', () => {
  test('a negative threshold is refused with path, value and fix', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('P')], alarms: { executionsFailed: { threshold: -1 } } }))
      .toThrow(/\[TestStack\/Wf\/Alarms\] alarm ExecutionsFailed: threshold is -1;.*Use a threshold >= 0/);
  });

  test('evaluationPeriods 0 is refused; tokens skip the checks', () => {
    expect(() => new SequentialWorkflow(newStack(), 'Wf', { steps: [Step.pass('P')], alarms: { executionsAborted: { evaluationPeriods: 0 } } }))
      .toThrow(/alarm ExecutionsAborted: evaluationPeriods is 0; it must be a whole number >= 1/);
    const stack = newStack();
    new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], alarms: { executionsFailed: { threshold: Lazy.number({ produce: () => 3 }) } } });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Threshold: 3 });
  });

  test('addAlarm refuses a negative threshold too (the path patterns use)', () => {
    const stack = newStack();
    const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')] });
    expect(() => wf.alarms!.addAlarm('Custom', new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' }), 'custom', { threshold: -5 }))
      .toThrow(/alarm Custom: threshold is -5/);
  });
});
