import { expectWithinLimits, functions, newApp } from './helpers';
import { CheckpointedWorkflow, Step } from '../../src';
import { renderedDefinition } from '../../src/core/limits';

/*
 * Issue 12, "Scale": 200-step workflows of every pattern within every limit, and a clear
 * synth-time error (naming the construct, the measured value, the limit and the fix) where a
 * workflow cannot fit. Realistic shapes: the USER creates the functions, and 200 steps x 2
 * functions cannot fit one stack in any design, so the steps here share 20 functions.
 *
 * A CheckpointedWorkflow renders every step ONCE (run, checkpoint write, and a Choice that skips
 * the step when it is checkpointed): about 2.35 KB per step with ARNs and names at their longest,
 * where the former rendering (a plain copy and a resume copy of every step) took about 5.6 KB and
 * refused 200 steps at synth (~1.1 MB).
 */

const name = (i: number) => `Do ${i}`;

/** 200 steps: blocks of 9 parallel steps between single join steps (20 blocks). */
function blocksOf9(i: number): string[] {
  if (i === 0) return [];
  return i % 10 === 0 ? Array.from({ length: 9 }, (_, k) => name(i - 1 - k)) : [name(i - ((i - 1) % 10) - 1)];
}

function build(n: number, dependsOn?: (i: number) => string[]) {
  const { app, stack } = newApp();
  const fns = functions(stack, 20);
  const workflow = new CheckpointedWorkflow(stack, 'Job', {
    keyPath: '$.orderId',
    steps: Array.from({ length: n }, (_, i) => ({ step: Step.lambda(name(i), fns[i % 20]), ...(dependsOn ? { dependsOn: dependsOn(i) } : {}) })),
  });
  return { app, stack, workflow, fns };
}

/** Every IAM statement attached to a role (its policies and inline policies), by role logical id. */
function statementsOf(template: any, roleId: string): any[] {
  const out: any[] = [];
  for (const r of Object.values<any>(template.Resources)) {
    if ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`)) {
      out.push(...r.Properties.PolicyDocument.Statement);
    }
  }
  for (const p of template.Resources[roleId].Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement);
  return out;
}

/** The 200-step sequence, built and synthesized once for the tests that read it. */
let sequence200: (ReturnType<typeof build> & { template: any }) | undefined;
function synthesizedSequence200() {
  if (!sequence200) {
    const built = build(200);
    sequence200 = { ...built, template: built.app.synth().getStackByName('Big').template };
  }
  return sequence200;
}

describe('CheckpointedWorkflow at scale (issue 12)', () => {
  test('a 200-step sequence synthesizes with every default, within every limit (definition <= 700,000 bytes counted at the upper bound)', () => {
    const { template, workflow } = synthesizedSequence200();
    const figures = expectWithinLimits(template);
    const definition = renderedDefinition(workflow.stateMachine);
    const bytes = Buffer.byteLength(definition, 'utf8');
    expect(bytes).toBeLessThanOrEqual(700_000);
    // every step rendered once: run, checkpoint write, skip Choice (not the first)
    const states = Object.keys(JSON.parse(definition).States);
    expect(states.filter((s) => /^Do \d+$/.test(s))).toHaveLength(200);
    expect(states.filter((s) => /^Do \d+: checkpoint$/.test(s))).toHaveLength(200);
    expect(states.filter((s) => /^Do \d+\?$/.test(s))).toHaveLength(199);
    expect(states.filter((s) => s.includes('resume') && s !== 'Checkpoint: resume?')).toEqual([]);
    if (process.env.SCALE_FIGURES) process.stdout.write(`CHECKPOINT 200 sequence: definition ${bytes} bytes, ${figures.resources} resources, template ${figures.templateBytes} bytes\n`);
  });

  test('least privilege at 200 steps: the state machine may only UpdateItem the workflow\'s own items, the coordinator only UpdateItem/GetItem/Query them; invoke grants name exactly the aliases it runs', () => {
    const { template, stack, workflow, fns } = synthesizedSequence200();
    const tableArn = stack.resolve(workflow.table.tableArn);
    const namespaceOnly = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['Big/Job#*'] } };
    const machineRole = stack.resolve((workflow.stateMachine.role.node.defaultChild as any).logicalId);
    const machine = statementsOf(template, machineRole);
    const dynamo = machine.filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    // the checkpoint writes and the releases share one statement: one action, one table, the namespace condition
    expect(dynamo).toEqual([{ Action: 'dynamodb:updateItem', Condition: namespaceOnly, Effect: 'Allow', Resource: tableArn }]);
    const invoked = machine.filter((st) => JSON.stringify(st.Action).includes('lambda:InvokeFunction')).flatMap((st) => [st.Resource].flat());
    const aliases = [...fns.map((f) => f.alias), workflow.coordinator.alias].map((a) => JSON.stringify(stack.resolve(a.functionArn)));
    expect(invoked.map((r) => JSON.stringify(r)).sort()).toEqual(aliases.sort());

    const coordinatorRole = stack.resolve((workflow.coordinator.role.node.defaultChild as any).logicalId);
    const coordinator = statementsOf(template, coordinatorRole).filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect(coordinator).toEqual([{ Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'], Condition: namespaceOnly, Effect: 'Allow', Resource: tableArn }]);
  });

  test('a 200-step DAG (20 blocks of 9 parallel steps between joins) synthesizes within every limit', () => {
    const { app, workflow } = build(200, blocksOf9);
    expect(workflow.executionPlan.split('(').length - 1).toBe(20);
    const template = app.synth().getStackByName('Big').template;
    expectWithinLimits(template);
    const bytes = Buffer.byteLength(renderedDefinition(workflow.stateMachine), 'utf8');
    // per block: a failure check, a merge of the branches' results (not growing with the results before the block)
    expect(bytes).toBeLessThanOrEqual(700_000);
    if (process.env.SCALE_FIGURES) process.stdout.write(`CHECKPOINT 200 DAG (20 blocks of 9): definition ${bytes} bytes\n`);
  });

  test('a 1,000-step CheckpointedWorkflow is refused at synth with the measured definition size, the limit and the fix', () => {
    const { app } = build(1000);
    expect(() => app.synth()).toThrow(/\[Big\/Job\] the state machine definition is \d{7} bytes \(\d+ states, .*above the Step Functions limit of 1048576 bytes .*Step\.childWorkflow/);
  });
});
