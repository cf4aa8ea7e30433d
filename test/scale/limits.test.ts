import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { expectWithinLimits, functions, newApp, policiesOf } from './helpers';
import { HybridWorkflow, Saga, SequentialWorkflow, Step } from '../../src';
import { MAX_DEFINITION_BYTES, renderedDefinition } from '../../src/core/limits';
import { addLibraryWildcardPolicy, explainWildcardStatement, MAX_MANAGED_SIZE } from '../../src/nag/library-wildcards';

/*
 * Issue 12, "Scale": 200-step workflows of every pattern within every limit, and a clear
 * synth-time error (naming the construct, the measured value, the limit and the fix) where a
 * workflow cannot fit. Realistic shapes: the USER creates the functions, and 200 steps x 2
 * functions cannot fit one stack in any design, so the steps here share 20 functions.
 */


/** The lambda:InvokeFunction resources granted to a role, as logical ids of aliases. */
function invokedBy(template: any, roleId: string): string[] {
  const out: string[] = [];
  for (const [, r] of Object.entries<any>(template.Resources)) {
    if ((r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') || !JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`)) continue;
    for (const st of r.Properties.PolicyDocument.Statement) {
      const actions = [st.Action].flat();
      if (actions.includes('lambda:InvokeFunction')) {
        out.push(...[st.Resource].flat().map((x: any) => x.Ref));
      }
    }
  }
  return out.sort();
}

describe('200-step workflows within every limit (issue 12)', () => {
  test('a 200-step Saga over 20 functions: one stack, definition, template and role policies within their limits, invoke grants exactly the aliases used', () => {
    const { app, stack } = newApp();
    const fns = functions(stack, 20);
    new Saga(stack, 'Saga', {
      steps: Array.from({ length: 200 }, (_, i) => ({ action: Step.lambda(`Do ${i}`, fns[i % 10]), compensation: Step.lambda(`Undo ${i}`, fns[10 + (i % 10)]) })),
    });
    const template = app.synth().getStackByName('Big').template;
    const { resources } = expectWithinLimits(template);
    expect(resources).toBeLessThan(120);
    const saga = stack.node.findChild('Saga') as Saga;
    expect(Buffer.byteLength(renderedDefinition(saga.stateMachine))).toBeLessThan(MAX_DEFINITION_BYTES);
    // least privilege: the state machine may invoke exactly the 20 aliases (the last step's compensation is never run)
    const roleId = Stack.of(saga).getLogicalId(saga.stateMachine.role.node.defaultChild as any);
    const aliases = Object.keys(Template.fromJSON(template).findResources('AWS::Lambda::Alias')).sort();
    expect(invokedBy(template, roleId)).toEqual(aliases);
  });

  test('a 200-step HybridWorkflow with 20 Express groups: the parent role spreads its child-execution grants over library policies under 6,144 characters', () => {
    const { app, stack } = newApp();
    const fns = functions(stack, 20);
    const hybrid = new HybridWorkflow(stack, 'Hybrid', {
      steps: Array.from({ length: 200 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 20], { idempotent: true }), express: Math.floor(i / 5) % 2 === 1 })),
    });
    const artifact = app.synth().getStackByName('Big');
    const template = artifact.template;
    expectWithinLimits(template);
    expect(hybrid.expressChildren).toHaveLength(20);
    // the spreading is said in an info annotation on the parent's state machine
    const infos = artifact.messages.filter((m) => m.level === 'info' && m.id === '/Big/Hybrid/StateMachine').map((m) => String(m.entry.data));
    expect(infos).toEqual([expect.stringMatching(/^definition \d+ of 1048576 bytes, \d+ states; role policies \(estimated, resolved\) inline \d+ of 10240 characters, managed \d+\/\d+\/\d+.* of 6144 each \[ack: cdk-stateful-workflows:workflowSize\]$/)]);
    const roleId = stack.getLogicalId(hybrid.stateMachine.role.node.defaultChild as any);
    const managed = policiesOf(template, roleId).filter(([, type]) => type === 'AWS::IAM::ManagedPolicy');
    // one LibraryPolicy could not hold them (the old behaviour put everything in it)
    expect(managed.length).toBeGreaterThan(1);
    expect(managed.map(([id]) => id).every((id) => /LibraryPolicy\d*/.test(id))).toBe(true);
  });
});

describe('1,000 steps (issue 12)', () => {
  test('a 1,000-step Saga is refused with a clear error naming the path, the measured size, the limit and what to change', () => {
    const { app, stack } = newApp();
    const fns = functions(stack, 4);
    new Saga(stack, 'Saga', {
      steps: Array.from({ length: 1000 }, (_, i) => ({ action: Step.lambda(`Do ${i}`, fns[i % 2]), compensation: Step.lambda(`Undo ${i}`, fns[2 + (i % 2)]) })),
    });
    expect(() => app.synth()).toThrow(
      /\[Big\/Saga\] the state machine definition is \d{7} bytes \(\d+ states, ARNs and names counted at their longest\), above the Step Functions limit of 1048576 bytes \(1 MB, https:\/\/docs\.aws\.amazon\.com\/step-functions\/latest\/dg\/service-quotas\.html\)\. Split the workflow: move groups of steps into their own workflows and call them with Step\.childWorkflow/,
    );
  });

  test('the check measures the real rendered definition, in UTF-8 bytes: exactly 1,048,576 bytes synthesizes, one more byte is refused', () => {
    const build = (text: string) => {
      const { app, stack } = newApp();
      const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('Big', { result: { text } })], alarms: { enabled: false } });
      return { app, wf };
    };
    const overhead = Buffer.byteLength(renderedDefinition(build('').wf.stateMachine), 'utf8');
    const exact = build('a'.repeat(MAX_DEFINITION_BYTES - overhead));
    expect(Buffer.byteLength(renderedDefinition(exact.wf.stateMachine), 'utf8')).toBe(MAX_DEFINITION_BYTES);
    expect(() => exact.app.synth()).not.toThrow();
    const over = build('a'.repeat(MAX_DEFINITION_BYTES - overhead + 1));
    expect(() => over.app.synth()).toThrow(/definition is 1048577 bytes \(\d+ states/);
    // bytes, not characters: 'é' is two bytes in UTF-8
    const wide = build('é'.repeat(Math.ceil((MAX_DEFINITION_BYTES - overhead + 1) / 2)));
    expect(() => wide.app.synth()).toThrow(/definition is 104857\d bytes/);
  });
});

describe('role policy limits (issue 12)', () => {
  test('grants beyond what 10 managed policies hold are refused with the role, the count, the limit and the fix', () => {
    const { app, stack } = newApp();
    const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], alarms: { enabled: false } });
    // 60 run-time-named child execution grants of ~1,100 characters each: about 11 policies of 6,000
    for (let i = 0; i < 60; i++) {
      const resources = Array.from({ length: 8 }, (_, j) => `arn:aws:states:us-east-1:123456789012:execution:child-${i}-${j}-${'x'.repeat(80)}:*`);
      addLibraryWildcardPolicy(wf.stateMachine.role, [explainWildcardStatement(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources }), 'executions named at run time')]);
    }
    expect(() => app.synth()).toThrow(/\[Big\/Wf\/StateMachineRole\] the role needs 1[1-9] managed policies, above the IAM default of 10 per role \(https:\/\/docs\.aws\.amazon\.com\/IAM\/latest\/UserGuide\/reference_iam-quotas\.html; adjustable to 20\)\. Split the workflow into child workflows/);
  });

  test('every library policy stays under 6,144 characters as it fills', () => {
    const { app, stack } = newApp();
    const wf = new SequentialWorkflow(stack, 'Wf', { steps: [Step.pass('P')], alarms: { enabled: false } });
    for (let i = 0; i < 20; i++) {
      const resources = Array.from({ length: 8 }, (_, j) => `arn:aws:states:us-east-1:123456789012:execution:child-${i}-${j}-${'x'.repeat(80)}:*`);
      addLibraryWildcardPolicy(wf.stateMachine.role, [explainWildcardStatement(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources }), 'executions named at run time')]);
    }
    const template = app.synth().getStackByName('Big').template;
    const sizes = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
      .map((r) => JSON.stringify(r.Properties.PolicyDocument).length);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_MANAGED_SIZE);
  });
});
