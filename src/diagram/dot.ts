/**
 * Graphviz DOT of a {@link WorkflowGraph}, and SVG through the `dot` program when it is installed.
 *
 * DOT language: https://graphviz.org/doc/info/lang.html. Map/Parallel bodies are clusters; edges
 * leaving a Map/Parallel state are clipped at its cluster (`compound=true` + `ltail`,
 * https://graphviz.org/docs/attrs/ltail/), so they visibly leave the whole body.
 */
import { spawnSync } from 'child_process';
import { scopeIndex } from './graph';
import type { DiagramEdge, DiagramNode, NodeKind, WorkflowGraph } from './graph';

/** Quotes a DOT string (double-quoted ID). */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const NODE_STYLE: Record<NodeKind, string> = {
  lambda: 'shape=box, style="rounded,filled", fillcolor="#fff4e0", color="#d98b00"',
  task: 'shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5"',
  dynamodb: 'shape=cylinder, style=filled, fillcolor="#e8f0ff", color="#2f5fb3"',
  child: 'shape=box, style="filled,bold", peripheries=2, fillcolor="#efe6fb", color="#7a3fc7"',
  choice: 'shape=hexagon, style=filled, fillcolor="#fffbe6", color="#a68b00"',
  pass: 'shape=box, style="rounded,filled,dashed", fillcolor="#f7f7f7", color="#888888"',
  wait: 'shape=box, style="rounded,filled", fillcolor="#f4f4f4", color="#888888"',
  succeed: 'shape=box, style="rounded,filled,bold", fillcolor="#e6f6e6", color="#2e8b2e"',
  // a box, not an octagon: a graph of many Fail states (one per check) stays narrow
  fail: 'shape=box, style="filled,bold", fillcolor="#fde8e8", color="#c62828", fontcolor="#8e0000"',
  map: 'shape=box, style="filled,bold", fillcolor="#e6f7f7", color="#00838f"',
  parallel: 'shape=box, style="filled,bold", fillcolor="#e6f7f7", color="#00838f"',
  start: 'shape=circle, style=filled, fillcolor="#333333", fontcolor=white, width=0.5, fixedsize=true',
  end: 'shape=doublecircle, style=filled, fillcolor="#333333", fontcolor=white, width=0.45, fixedsize=true',
};

const EDGE_STYLE: Record<DiagramEdge['kind'], string> = {
  start: 'color="#00838f", style=dotted',
  next: 'color="#333333"',
  choice: 'color="#a68b00", fontcolor="#6b5900"',
  default: 'color="#a68b00", fontcolor="#6b5900", style=dashed',
  catch: 'color="#c62828", fontcolor="#c62828", style=dashed',
  end: 'color="#333333"',
};

/** Wraps text at spaces into lines of at most `width` characters (long names make very wide graphs). */
export function wrapText(text: string, width = 26): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out.join('\n');
}

function nodeLine(node: DiagramNode, indent: string): string {
  const label = node.kind === 'start' || node.kind === 'end' ? node.name : node.detail ? `${wrapText(node.name)}\n${wrapText(node.detail, 32)}` : wrapText(node.name);
  // the tooltip carries the full state name (hover in an SVG viewer; the label may be wrapped)
  return `${indent}${node.id} [label=${dotString(label)}, tooltip=${dotString(node.name)}, ${NODE_STYLE[node.kind]}];`;
}

/** Options of {@link renderDot}. */
export interface DotOptions {
  /** Add a legend cluster. Default: true. */
  readonly legend?: boolean;
}

/** Renders the graph as a DOT digraph (top to bottom). */
export function renderDot(graph: WorkflowGraph, options: DotOptions = {}): string {
  const lines: string[] = [];
  lines.push('digraph workflow {');
  lines.push(`  label=${dotString(graph.title)}; labelloc=t; fontsize=18; fontname="Helvetica";`);
  lines.push('  rankdir=TB; compound=true; newrank=true; nodesep=0.35; ranksep=0.45;');
  lines.push('  node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];');
  lines.push('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];');
  const { byScope, ownerScope } = scopeIndex(graph);
  const emitScope = (scope: string | undefined, indent: string): void => {
    for (const node of byScope.get(scope) ?? []) {
      const body = ownerScope.get(node.id);
      if (!body) {
        lines.push(nodeLine(node, indent));
        continue;
      }
      const s = graph.scopes.find((x) => x.id === body)!;
      lines.push(`${indent}subgraph cluster_${s.id} {`);
      lines.push(`${indent}  label=${dotString(s.kind === 'map' ? 'Map body (per item)' : 'Parallel branches')}; style="rounded,dashed"; color="#00838f"; fontcolor="#00838f"; fontsize=10;`);
      lines.push(nodeLine(node, `${indent}  `));
      emitScope(s.id, `${indent}  `);
      for (const branch of graph.scopes.filter((x) => x.parent === s.id && x.kind === 'branch')) {
        lines.push(`${indent}  subgraph cluster_${branch.id} {`);
        lines.push(`${indent}    label=${dotString(branch.label)}; style="rounded,dotted"; color="#5f9ea0"; fontsize=9;`);
        emitScope(branch.id, `${indent}    `);
        lines.push(`${indent}  }`);
      }
      lines.push(`${indent}}`);
    }
  };
  emitScope(undefined, '  ');
  // Edges leaving a Map/Parallel state rank their target below the whole body (invisible edges
  // from the body's last states), so they leave from the body's bottom border.
  const scopeOf = new Map(graph.nodes.map((n) => [n.id, n.scope]));
  const within = (id: string, scope: string): boolean => {
    for (let s = scopeOf.get(id); s; s = graph.scopes.find((x) => x.id === s)?.parent) {
      if (s === scope) return true;
    }
    return false;
  };
  const hasOutgoing = new Set(graph.edges.filter((e) => e.kind !== 'catch').map((e) => e.from));
  for (const edge of graph.edges) {
    const body = edge.fromScope ? ownerScope.get(edge.from) : undefined;
    if (!body || edge.kind === 'catch') continue;
    for (const n of graph.nodes) {
      if (within(n.id, body) && !hasOutgoing.has(n.id)) lines.push(`  ${n.id} -> ${edge.to} [style=invis];`);
    }
  }
  for (const edge of graph.edges) {
    const attrs = [EDGE_STYLE[edge.kind]];
    // long error names break after their service prefix (`DynamoDb.` / `ConditionalCheck...`)
    if (edge.label) attrs.push(`label=${dotString(edge.label.length > 24 ? edge.label.replace(/\.(?=[A-Z])/g, '.\n') : edge.label)}`);
    const body = edge.fromScope ? ownerScope.get(edge.from) : undefined;
    if (body) attrs.push(`ltail=cluster_${body}`);
    // the Next chain weighs more than the other edges, so the main path stays one straight column
    if (edge.kind === 'next' || edge.kind === 'end') attrs.push('weight=8');
    lines.push(`  ${edge.from} -> ${edge.to} [${attrs.join(', ')}];`);
  }
  if (options.legend ?? true) {
    lines.push('  subgraph cluster_legend {');
    lines.push('    label="Legend"; style="rounded"; color="#999999"; fontsize=10;');
    lines.push(`    legend_lambda [label="Lambda step", ${NODE_STYLE.lambda}];`);
    lines.push(`    legend_child [label="child workflow", ${NODE_STYLE.child}];`);
    lines.push(`    legend_choice [label="Choice", ${NODE_STYLE.choice}];`);
    lines.push(`    legend_ddb [label="DynamoDB call", ${NODE_STYLE.dynamodb}];`);
    lines.push(`    legend_pass [label="Pass", ${NODE_STYLE.pass}];`);
    lines.push(`    legend_fail [label="Fail", ${NODE_STYLE.fail}];`);
    lines.push(`    legend_lambda -> legend_fail [${EDGE_STYLE.catch}, label="error path (Catch):\\ncompensation / cleanup"];`);
    lines.push(`    legend_choice -> legend_ddb [${EDGE_STYLE.choice}, label="condition\\n(e.g. step not done)"];`);
    lines.push(`    legend_child -> legend_pass [${EDGE_STYLE.next}, label="next"];`);
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Whether Graphviz `dot` can be run (`dot -V`). */
export function dotAvailable(dotPath = 'dot'): boolean {
  const r = spawnSync(dotPath, ['-V'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Runs Graphviz `dot` on DOT source; throws a clear error when it is not installed. */
export function runDot(source: string, format: 'svg' | 'png' = 'svg', dotPath = 'dot'): Buffer {
  const r = spawnSync(dotPath, [`-T${format}`], { input: source, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) {
    throw new Error(`Graphviz 'dot' is not installed or not on PATH (${(r.error as Error).message}). Install Graphviz (e.g. apt-get install graphviz, brew install graphviz) or use --format mermaid.`);
  }
  if (r.status !== 0) {
    throw new Error(`Graphviz 'dot' failed (exit ${r.status}): ${r.stderr.toString().trim()}`);
  }
  return r.stdout;
}
