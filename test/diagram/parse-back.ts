/**
 * Test helpers: the edges of an ASL definition computed directly from its fields, and parsers that
 * read a rendered Mermaid / DOT / SVG diagram back into named edges.
 */

/** An edge between two states, by name; `dashed` for error (Catch) paths. */
export interface NamedEdge {
  readonly from: string;
  readonly to: string;
  readonly dashed: boolean;
}

export function edgeKey(e: NamedEdge): string {
  return `${e.from} -> ${e.to}${e.dashed ? ' (catch)' : ''}`;
}

/** Every state name (nested included) and every edge of the ASL: StartAt, Next, Choices, Default, Catch, and each branch/item processor's StartAt from its Map/Parallel state. */
export function aslEdges(def: any): { states: string[]; edges: NamedEdge[] } {
  const states: string[] = [];
  const edges: NamedEdge[] = [];
  const walk = (d: any): void => {
    for (const [name, s] of Object.entries<any>(d.States)) {
      states.push(name);
      if (s.Next) edges.push({ from: name, to: s.Next, dashed: false });
      if (s.Default) edges.push({ from: name, to: s.Default, dashed: false });
      for (const c of s.Choices ?? []) edges.push({ from: name, to: c.Next, dashed: false });
      for (const c of s.Catch ?? []) edges.push({ from: name, to: c.Next, dashed: true });
      for (const b of s.Branches ?? []) {
        edges.push({ from: name, to: b.StartAt, dashed: false });
        walk(b);
      }
      const body = s.ItemProcessor ?? s.Iterator;
      if (body) {
        edges.push({ from: name, to: body.StartAt, dashed: false });
        walk(body);
      }
    }
  };
  walk(def);
  edges.push({ from: '(start)', to: def.StartAt, dashed: false });
  return { states, edges };
}

function unescapeMermaid(text: string): string {
  return text.replace(/#quot;/g, '"').replace(/#lt;/g, '<').replace(/#gt;/g, '>').replace(/#124;/g, '|').replace(/#35;/g, '#');
}

/**
 * Reads a Mermaid flowchart back: node ids to state names (first label line), edges between
 * states (an edge from a `<id>_body` subgraph is an edge from state `<id>`), legend ignored.
 */
export function parseMermaid(text: string): { states: string[]; edges: NamedEdge[]; labels: Map<string, string[]> } {
  const names = new Map<string, string>();
  const raw: Array<{ from: string; to: string; dashed: boolean; label?: string }> = [];
  for (const line of text.split('\n')) {
    const node = /^\s*(\w+)(?:\[\(|\[\[|\{\{|\(\[|\(\(|\[\/|\[|\()"(.*)"(?:\)\]|\]\]|\}\}|\]\)|\)\)|\/\]|\\\]|\]|\))(?::::\w+)?\s*$/.exec(line);
    if (node && !line.trim().startsWith('subgraph')) {
      names.set(node[1], unescapeMermaid(node[2].split('<br/>')[0]));
      continue;
    }
    const edge = /^\s*(\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)\s*$/.exec(line);
    if (edge) raw.push({ from: edge[1], to: edge[4], dashed: edge[2] === '-.->', label: edge[3] && unescapeMermaid(edge[3]) });
  }
  const nameOf = (id: string): string | undefined => {
    if (id === 'wf_start') return '(start)';
    if (id === 'wf_end') return '(end)';
    const owner = /^(\w+)_body$/.exec(id);
    return names.get(owner ? owner[1] : id);
  };
  const edges: NamedEdge[] = [];
  const labels = new Map<string, string[]>();
  for (const e of raw) {
    if (e.from.startsWith('legend_')) continue;
    const from = nameOf(e.from);
    const to = nameOf(e.to);
    if (!from || !to) throw new Error(`edge ${e.from} -> ${e.to} names an unknown node`);
    if (to === '(end)') continue;
    const edge = { from, to, dashed: e.dashed };
    edges.push(edge);
    if (e.label) labels.set(edgeKey(edge), [...(labels.get(edgeKey(edge)) ?? []), e.label]);
  }
  const states = [...names.entries()].filter(([id]) => !id.startsWith('legend_') && id !== 'wf_start' && id !== 'wf_end').map(([, n]) => n);
  return { states, edges, labels };
}

function unescapeDot(text: string): string {
  return text.replace(/\\n/g, ' ').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
}

/** Reads a DOT digraph back (a node's tooltip is its full state name). */
export function parseDot(text: string): { states: string[]; edges: NamedEdge[] } {
  const names = new Map<string, string>();
  const edges: NamedEdge[] = [];
  const rawEdges: Array<{ from: string; to: string; dashed: boolean; invisible: boolean }> = [];
  for (const line of text.split('\n')) {
    const node = /^\s*(\w+) \[label="(?:[^"\\]|\\.)*", tooltip="((?:[^"\\]|\\.)*)"/.exec(line);
    if (node) {
      names.set(node[1], unescapeDot(node[2]));
      continue;
    }
    const edge = /^\s*(\w+) -> (\w+) \[(.*)\];$/.exec(line);
    if (edge) rawEdges.push({ from: edge[1], to: edge[2], dashed: /style=dashed/.test(edge[3]) && /c62828/.test(edge[3]), invisible: /style=invis/.test(edge[3]) });
  }
  for (const e of rawEdges) {
    if (e.invisible || e.from.startsWith('legend_') || e.to === 'wf_end') continue;
    edges.push({ from: e.from === 'wf_start' ? '(start)' : names.get(e.from)!, to: names.get(e.to)!, dashed: e.dashed });
  }
  const states = [...names.entries()].filter(([id]) => !id.startsWith('legend_') && id !== 'wf_start' && id !== 'wf_end').map(([, n]) => n);
  return { states, edges };
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#45;/g, '-').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/**
 * Reads a Graphviz SVG back: node ids to their tooltip (the state name) and visible text lines;
 * edges from `<title>a&#45;&gt;b</title>`.
 */
export function parseSvg(svg: string): { nodes: Map<string, { name?: string; text: string[] }>; edges: Array<{ from: string; to: string }> } {
  const nodes = new Map<string, { name?: string; text: string[] }>();
  const edges: Array<{ from: string; to: string }> = [];
  const parts = svg.split(/(?=<g id="[^"]*" class="(?:node|edge|cluster)">)/);
  for (const part of parts) {
    const m = /^<g id="[^"]*" class="(node|edge|cluster)">\s*<title>([^<]*)<\/title>/.exec(part);
    if (!m || m[1] === 'cluster') continue;
    const title = unescapeXml(m[2]);
    if (m[1] === 'node') {
      const tooltip = /xlink:title="([^"]*)"/.exec(part);
      nodes.set(title, { name: tooltip ? unescapeXml(tooltip[1]) : undefined, text: [...part.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescapeXml(t[1])) });
    } else {
      const [from, to] = title.split('->');
      edges.push({ from, to });
    }
  }
  return { nodes, edges };
}
