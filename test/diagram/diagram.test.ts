import { aslEdges, edgeKey, NamedEdge, parseDot, parseMermaid, parseSvg } from './parse-back';
import { assemblyWorkflows, AssemblyWorkflow } from '../../src/cli/assembly';
import { buildGraph, describeRule, dotAvailable, renderDot, renderMermaid, runDot, workflowGraph } from '../../src/diagram';
import { synthExamples } from '../cli/fixtures';

function keys(edges: readonly NamedEdge[]): string[] {
  return edges.map(edgeKey).sort();
}

let workflows: AssemblyWorkflow[];

beforeAll(() => {
  workflows = assemblyWorkflows(synthExamples());
});

describe('diagrams of every example workflow, parsed back', () => {
  test('the examples app has the seven workflows of the four patterns', () => {
    expect(workflows.map((w) => w.name).sort()).toEqual([
      'CheckpointExample/ImagePipeline',
      'FoundationExample/JobIntake',
      'HybridExample/OrderPipeline',
      'HybridExample/OrderPipelineExpressGroup1',
      'NightlySyncExample/NightlySync',
      'NightlySyncExample/WeeklyResync',
      'OrderSagaExample/OrderSaga',
    ]);
  });

  test('Mermaid: every state and every edge of the ASL, Catch edges dashed, nothing else', () => {
    for (const w of workflows) {
      // GIVEN the ASL's own states and edges
      const expected = aslEdges(w.definition);
      // WHEN the Mermaid diagram is read back
      const parsed = parseMermaid(renderMermaid(workflowGraph(w)));
      // THEN it has exactly those states and edges (with their kind)
      expect({ workflow: w.name, states: [...parsed.states].sort() }).toEqual({ workflow: w.name, states: [...expected.states].sort() });
      expect({ workflow: w.name, edges: keys(parsed.edges) }).toEqual({ workflow: w.name, edges: keys(expected.edges) });
    }
  });

  test('DOT: every state and every edge of the ASL, Catch edges dashed red', () => {
    for (const w of workflows) {
      const expected = aslEdges(w.definition);
      const parsed = parseDot(renderDot(workflowGraph(w)));
      expect({ workflow: w.name, states: [...parsed.states].sort() }).toEqual({ workflow: w.name, states: [...expected.states].sort() });
      expect({ workflow: w.name, edges: keys(parsed.edges) }).toEqual({ workflow: w.name, edges: keys(expected.edges) });
    }
  });

  const svgTest = dotAvailable() ? test : test.skip;
  svgTest('SVG (Graphviz installed): every state is a node showing its name, every edge is drawn', () => {
    for (const w of workflows) {
      const expected = aslEdges(w.definition);
      const svg = parseSvg(runDot(renderDot(workflowGraph(w))).toString('utf8'));
      const byId = new Map([...svg.nodes.entries()].filter(([id]) => /^n\d+$/.test(id)));
      const names = [...byId.values()].map((n) => n.name!);
      expect(names.sort()).toEqual([...expected.states].sort());
      for (const node of byId.values()) {
        // the visible label starts with the (wrapped) state name
        expect(node.text.join(' ').startsWith(node.name!)).toBe(true);
      }
      const nameOf = (id: string): string => (id === 'wf_start' ? '(start)' : byId.get(id)?.name ?? id);
      const drawn = svg.edges.filter((e) => !e.from.startsWith('legend_') && e.to !== 'wf_end').map((e) => `${nameOf(e.from)} -> ${nameOf(e.to)}`);
      // invisible ranking edges are in the SVG too; every ASL edge must be among the drawn ones
      for (const e of expected.edges) {
        expect(drawn).toContain(`${e.from} -> ${e.to}`);
      }
    }
  });
});

describe('what the diagrams show', () => {
  const byName = (name: string): AssemblyWorkflow => workflows.find((w) => w.name === name)!;

  test('saga: compensations are reached by dashed "on any error" edges; the happy path is solid', () => {
    const parsed = parseMermaid(renderMermaid(workflowGraph(byName('OrderSagaExample/OrderSaga'))));
    expect(parsed.labels.get('Ship item -> Release funds (catch)')).toEqual(['on any error']);
    expect(parsed.labels.get('Update inventory -> Restock (catch)')).toEqual(['on any error']);
    expect(keys(parsed.edges)).toEqual(expect.arrayContaining([
      'Reserve funds -> Ship item', 'Ship item -> Update inventory', 'Update inventory -> Send confirmation',
      'Restock -> Cancel shipment', 'Cancel shipment -> Release funds', 'Release funds -> Rollback complete',
    ]));
  });

  test('checkpoint: the skip paths are Choice edges labelled with what is done', () => {
    const parsed = parseMermaid(renderMermaid(workflowGraph(byName('CheckpointExample/ImagePipeline'))));
    const fromResume = parsed.edges.filter((e) => e.from === 'Checkpoint: resume?');
    const labels = fromResume.map((e) => parsed.labels.get(edgeKey(e))?.[0]);
    // every branch of the skip choice says what it tests: which steps are (not) done, or otherwise
    expect(labels.every((l) => l !== undefined)).toBe(true);
    expect(labels.filter((l) => l === 'otherwise')).toHaveLength(1);
    expect(labels).toContain('Send_notification not done');
    expect(labels.filter((l) => /Generate_thumbnail (not )?done/.test(l!)).length).toBeGreaterThan(0);
  });

  test('Map and Parallel bodies are subgraphs; a child workflow is a subroutine node naming the child', () => {
    const nightly = renderMermaid(workflowGraph(byName('NightlySyncExample/NightlySync')));
    expect(nightly).toMatch(/subgraph n\d+_body\["Map body"\]/);
    expect(nightly).toContain('Map, inline, max 10');
    const hybrid = renderMermaid(workflowGraph(byName('HybridExample/OrderPipeline')));
    expect(hybrid).toMatch(/subgraph n\d+_body\["Parallel branches"\]/);
    expect(hybrid).toMatch(/n\d+\[\["Validate order to Apply discounts \(express\) - run<br\/>child workflow OrderPipelineExpressGroup1, waits for it"\]\]:::child/);
    // the legend explains the shapes and edge styles
    expect(hybrid).toContain('subgraph legend["Legend"]');
  });
});

describe('graph details', () => {
  test('names with Mermaid and DOT metacharacters survive the round trip; distributed Map, Wait, Succeed', () => {
    const def = {
      StartAt: 'Say "hi" <now> | #1',
      States: {
        'Say "hi" <now> | #1': { Type: 'Pass', Next: 'Wait a bit' },
        'Wait a bit': { Type: 'Wait', Seconds: 5, Next: 'Each' },
        'Each': {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Work\\it',
            States: { 'Work\\it': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName': '${Ref:WorkAlias}', 'Payload.$': '$' }, End: true } },
          },
          Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'Too many' }],
          Next: 'Start child',
        },
        'Start child': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sfn:startSyncExecution', Parameters: { StateMachineArn: '${Ref:ChildMachine}' }, Next: 'Done' },
        'Too many': { Type: 'Fail', Error: 'FanOut.ToleranceExceeded' },
        'Done': { Type: 'Succeed' },
      },
    };
    const graph = buildGraph(def, { title: 'edge "cases"' });
    const expected = aslEdges(def);
    const mermaid = parseMermaid(renderMermaid(graph));
    expect(mermaid.states.sort()).toEqual([...expected.states].sort());
    expect(keys(mermaid.edges)).toEqual(keys(expected.edges));
    const dot = parseDot(renderDot(graph));
    expect(keys(dot.edges)).toEqual(keys(expected.edges));
    expect(graph.nodes.find((n) => n.name === 'Each')!.detail).toBe('Map, distributed, EXPRESS children');
    expect(graph.nodes.find((n) => n.name === 'Start child')!.detail).toBe('child workflow ChildMachine, sync Express call');
    expect(graph.nodes.find((n) => n.name === 'Work\\it')!.detail).toBe('Lambda WorkAlias');
    expect(graph.edges.filter((e) => e.kind === 'end').map((e) => e.from)).toEqual([graph.nodes.find((n) => n.name === 'Done')!.id]);
  });

  test('a Next to a state outside its scope is reported, not drawn', () => {
    expect(() => buildGraph({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }))
      .toThrow("the definition refers to state 'Nowhere', which is not in its scope");
  });

  test.each([
    [{ Variable: '$.fanOut.tolerance.failedScaled', NumericGreaterThanPath: '$.fanOut.tolerance.allowedScaled' }, 'failedScaled > allowedScaled'],
    [{ Variable: '$.results.Run_OCR.textFound', BooleanEquals: true }, 'textFound = true'],
    [{ Not: { Variable: '$.checkpoint.done.Notify', IsPresent: true } }, 'Notify not done'],
    [{ Variable: '$.partners[0]', IsPresent: true }, 'partners[0] present'],
    [{ Or: [{ Variable: '$.a', StringEquals: 'x' }, { Variable: '$.b', IsNull: false }] }, 'a = "x" or b not null'],
  ])('describeRule(%j) = %s', (rule, text) => {
    expect(describeRule(rule)).toBe(text);
  });
});
