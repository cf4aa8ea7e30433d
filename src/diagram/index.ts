/**
 * Diagrams of synthesized workflows, read back from their ASL: Mermaid (renders on GitHub) and
 * Graphviz DOT / SVG (when `dot` is installed).
 */
export { buildGraph, describeRule, describeState } from './graph';
export type { DiagramEdge, DiagramNode, DiagramScope, EdgeKind, GraphOptions, NodeKind, WorkflowGraph } from './graph';
export { renderMermaid, mermaidText, unescapeMermaidText } from './mermaid';
export type { MermaidOptions } from './mermaid';
export { renderDot, dotAvailable, dotString, runDot } from './dot';
export type { DotOptions } from './dot';
import { buildGraph, WorkflowGraph } from './graph';
import type { AssemblyWorkflow } from '../cli/assembly';
import { resourceName } from '../cli/assembly';

/** The graph of a workflow found in a cloud assembly, with resources named readably. */
export function workflowGraph(workflow: AssemblyWorkflow): WorkflowGraph {
  return buildGraph(workflow.definition, {
    title: `${workflow.name} (${workflow.type})`,
    nameOf: (id) => resourceName(workflow.template, id),
  });
}
