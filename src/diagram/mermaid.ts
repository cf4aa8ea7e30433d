/**
 * Mermaid flowchart of a {@link WorkflowGraph} (GitHub renders ```mermaid blocks:
 * https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/creating-diagrams).
 *
 * Syntax: https://mermaid.js.org/syntax/flowchart.html. Labels are quoted strings with Mermaid's
 * entity codes for the characters that would end them (`#quot;`, `#lt;`, `#gt;`, `#35;`).
 */
import { scopeIndex } from './graph';
import type { DiagramEdge, DiagramNode, NodeKind, WorkflowGraph } from './graph';

/** Escapes a label for a quoted Mermaid string. */
export function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;')
    .replace(/\n/g, ' ');
}

/** Reverses {@link mermaidText}. */
export function unescapeMermaidText(text: string): string {
  return text
    .replace(/#quot;/g, '"')
    .replace(/#lt;/g, '<')
    .replace(/#gt;/g, '>')
    .replace(/#124;/g, '|')
    .replace(/#35;/g, '#');
}

const SHAPES: Record<NodeKind, [string, string]> = {
  lambda: ['["', '"]'],
  task: ['["', '"]'],
  dynamodb: ['[("', '")]'],
  child: ['[["', '"]]'],
  choice: ['{{"', '"}}'],
  pass: ['("', '")'],
  wait: ['[/"', '"/]'],
  succeed: ['(["', '"])'],
  fail: ['(["', '"])'],
  map: ['[/"', '"\\]'],
  parallel: ['[/"', '"\\]'],
  start: ['(("', '"))'],
  end: ['(("', '"))'],
};

/** Class definitions: one colour per kind of step. */
const CLASSES: Record<string, string> = {
  lambda: 'fill:#fff4e0,stroke:#d98b00,color:#222',
  task: 'fill:#eef3fb,stroke:#4a6fa5,color:#222',
  dynamodb: 'fill:#e8f0ff,stroke:#2f5fb3,color:#222',
  child: 'fill:#efe6fb,stroke:#7a3fc7,stroke-width:2px,color:#222',
  choice: 'fill:#fffbe6,stroke:#a68b00,color:#222',
  pass: 'fill:#f4f4f4,stroke:#888,color:#222',
  wait: 'fill:#f4f4f4,stroke:#888,color:#222',
  succeed: 'fill:#e6f6e6,stroke:#2e8b2e,color:#222',
  fail: 'fill:#fde8e8,stroke:#c62828,color:#222',
  map: 'fill:#e6f7f7,stroke:#00838f,color:#222',
  parallel: 'fill:#e6f7f7,stroke:#00838f,color:#222',
  marker: 'fill:#333,stroke:#333,color:#fff',
};

/** Edge styles (by kind) applied with `linkStyle`. */
const EDGE_STYLES: Record<string, string> = {
  catch: 'stroke:#c62828,stroke-width:1.5px,color:#c62828',
  choice: 'stroke:#a68b00,color:#6b5900',
  default: 'stroke:#a68b00,color:#6b5900',
  start: 'stroke:#00838f',
};

function nodeLine(node: DiagramNode, indent: string): string {
  const [open, close] = SHAPES[node.kind];
  const label = node.kind === 'start' || node.kind === 'end'
    ? node.name
    // only <br/>: other tags show literally where a viewer renders labels as SVG text (htmlLabels off)
    : `${mermaidText(node.name)}${node.detail ? `<br/>${mermaidText(node.detail)}` : ''}`;
  const cls = node.kind === 'start' || node.kind === 'end' ? 'marker' : node.kind;
  return `${indent}${node.id}${open}${label}${close}:::${cls}`;
}

function arrow(edge: DiagramEdge): string {
  const label = edge.label ? `|"${mermaidText(edge.label)}"|` : '';
  switch (edge.kind) {
    case 'catch': return `-.->${label}`;
    case 'start': return `-->${label}`;
    default: return `-->${label}`;
  }
}

/** Options of {@link renderMermaid}. */
export interface MermaidOptions {
  /** Add a legend subgraph. Default: true. */
  readonly legend?: boolean;
}

/** Renders the graph as a Mermaid flowchart (top-down). */
export function renderMermaid(graph: WorkflowGraph, options: MermaidOptions = {}): string {
  const lines: string[] = [];
  lines.push('---');
  lines.push(`title: "${mermaidText(graph.title)}"`);
  lines.push('---');
  lines.push('flowchart TD');
  const { byScope, ownerScope } = scopeIndex(graph);
  const emitScope = (scope: string | undefined, indent: string): void => {
    for (const node of byScope.get(scope) ?? []) {
      const body = ownerScope.get(node.id);
      if (body) {
        const s = graph.scopes.find((x) => x.id === body)!;
        lines.push(`${indent}subgraph ${s.id}["${mermaidText(s.kind === 'map' ? 'Map body' : 'Parallel branches')}"]`);
        lines.push(`${indent}  direction TB`);
        lines.push(nodeLine(node, `${indent}  `));
        emitScope(s.id, `${indent}  `);
        for (const branch of graph.scopes.filter((x) => x.parent === s.id && x.kind === 'branch')) {
          lines.push(`${indent}  subgraph ${branch.id}["${mermaidText(branch.label)}"]`);
          lines.push(`${indent}    direction TB`);
          emitScope(branch.id, `${indent}    `);
          lines.push(`${indent}  end`);
        }
        lines.push(`${indent}end`);
      } else {
        lines.push(nodeLine(node, indent));
      }
    }
  };
  emitScope(undefined, '  ');
  const styled: Record<string, number[]> = {};
  graph.edges.forEach((edge, i) => {
    // edges leaving a Map/Parallel state start at its subgraph's border, below the body
    const from = edge.fromScope ? ownerScope.get(edge.from) ?? edge.from : edge.from;
    lines.push(`  ${from} ${arrow(edge)} ${edge.to}`);
    if (EDGE_STYLES[edge.kind]) (styled[edge.kind] ??= []).push(i);
  });
  let edgeCount = graph.edges.length;
  if (options.legend ?? true) {
    lines.push('  subgraph legend["Legend"]');
    lines.push('    direction LR');
    lines.push('    legend_task["Lambda step"]:::lambda');
    lines.push('    legend_child[["child workflow"]]:::child');
    lines.push('    legend_choice{{"Choice"}}:::choice');
    lines.push('    legend_ddb[("DynamoDB call")]:::dynamodb');
    lines.push('    legend_fail(["Fail"]):::fail');
    lines.push('    legend_task -.->|"error path (Catch): compensation / cleanup"| legend_fail');
    lines.push('    legend_choice -->|"condition (e.g. skip a done step)"| legend_ddb');
    lines.push('  end');
    (styled.catch ??= []).push(edgeCount++);
    (styled.choice ??= []).push(edgeCount++);
  }
  for (const [cls, style] of Object.entries(CLASSES)) {
    lines.push(`  classDef ${cls} ${style}`);
  }
  for (const [kind, indexes] of Object.entries(styled)) {
    if (indexes.length > 0) lines.push(`  linkStyle ${indexes.join(',')} ${EDGE_STYLES[kind]}`);
  }
  return `${lines.join('\n')}\n`;
}
