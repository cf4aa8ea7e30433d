/**
 * Dependency graphs of checkpointed steps: validation (unknown, self and duplicate dependencies,
 * cycles) and decomposition into series-parallel form, which is what Step Functions can express
 * (a chain of states, and `Parallel` states whose branches are chains).
 *
 * Module-private to the checkpoint pattern (not part of the jsii API).
 */

/** A node of the series-parallel form: one step, or a block of branches that run in parallel. */
export type Element = LeafElement | ParallelElement;

/** One step. */
export interface LeafElement {
  readonly kind: 'leaf';
  /** The step name. */
  readonly name: string;
}

/** Branches that run in parallel; each branch is a series (a chain) of elements. */
export interface ParallelElement {
  readonly kind: 'parallel';
  readonly branches: Element[][];
}

/** A dependency the decomposition added because the graph is not series-parallel. */
export interface AddedDependency {
  /** The step that now also waits. */
  readonly step: string;
  /** The step it now also waits for. */
  readonly waitsFor: string;
}

/** The decomposition of a dependency graph. */
export interface Decomposition {
  /** The top-level series. */
  readonly series: Element[];
  /** Dependencies the decomposition added (empty for a series-parallel graph). */
  readonly added: AddedDependency[];
}

/**
 * Checks a dependency graph. Returns an error message (naming the bad value and the fix), or
 * undefined when the graph is a valid DAG.
 */
export function validateDependencies(names: readonly string[], dependsOn: ReadonlyMap<string, readonly string[]>): string | undefined {
  const known = new Set(names);
  for (const name of names) {
    const deps = dependsOn.get(name) ?? [];
    const seen = new Set<string>();
    for (const dep of deps) {
      if (dep === name) {
        return `step '${name}' depends on itself. Remove '${name}' from its dependsOn.`;
      }
      if (!known.has(dep)) {
        return `step '${name}' depends on '${dep}', which is not a step of this workflow (steps: ${names.map((n) => `'${n}'`).join(', ')}). Fix the name or add the step.`;
      }
      if (seen.has(dep)) {
        return `step '${name}' lists '${dep}' twice in dependsOn. List each dependency once.`;
      }
      seen.add(dep);
    }
  }
  const cycle = findCycle(names, dependsOn);
  if (cycle) {
    return `the dependencies form a cycle: ${cycle.map((n) => `'${n}'`).join(' depends on ')}. A step cannot (indirectly) depend on itself; remove one of these dependencies.`;
  }
  return undefined;
}

/** A cycle as a list of names, each depending on the next, whose last element repeats the first; or undefined. */
function findCycle(names: readonly string[], dependsOn: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of dependsOn.get(name) ?? []) {
      const s = state.get(dep);
      if (s === 'visiting') {
        // each element of the stack depends on the next one, and `name` depends on `dep`
        return [...stack.slice(stack.indexOf(dep)), dep];
      }
      if (s === undefined) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of names) {
    if (!state.has(name)) {
      const found = visit(name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Decomposes a DAG into series-parallel form. Exact (no added waiting) when the graph is
 * vertex series-parallel; otherwise a split that adds the fewest dependencies is chosen where
 * the graph is not, and the added dependencies are reported.
 *
 * Element order is deterministic: it follows the order of `names`.
 */
export function decompose(names: readonly string[], dependsOn: ReadonlyMap<string, readonly string[]>): Decomposition {
  // a chain in the order given (a sequence): its plan is the chain itself
  if (names.every((n, i) => {
    const deps = dependsOn.get(n) ?? [];
    return i === 0 ? deps.length === 0 : deps.length === 1 && deps[0] === names[i - 1];
  })) {
    return { series: names.map((name) => ({ kind: 'leaf', name })), added: [] };
  }
  const order = new Map(names.map((n, i) => [n, i]));
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (name: string): Set<string> => {
    let set = ancestors.get(name);
    if (!set) {
      set = new Set<string>();
      for (const dep of dependsOn.get(name) ?? []) {
        set.add(dep);
        for (const a of ancestorsOf(dep)) set.add(a);
      }
      ancestors.set(name, set);
    }
    return set;
  };
  const added: AddedDependency[] = [];
  const sorted = (set: Iterable<string>): string[] => [...set].sort((a, b) => order.get(a)! - order.get(b)!);

  const series = (nodes: string[]): Element[] => {
    if (nodes.length === 1) {
      return [{ kind: 'leaf', name: nodes[0] }];
    }
    const components = weakComponents(nodes, dependsOn);
    if (components.length > 1) {
      return [{ kind: 'parallel', branches: components.map((c) => series(sorted(c))) }];
    }
    const inSet = new Set(nodes);
    // ancestors within `nodes`, computed once per node of this call (the split search below asks
    // for them O(n^2) times: recomputing made a 1,000-step chain take minutes)
    const local = new Map<string, Set<string>>();
    const anc = (n: string): Set<string> => {
      let set = local.get(n);
      if (!set) {
        set = new Set([...ancestorsOf(n)].filter((a) => inSet.has(a)));
        local.set(n, set);
      }
      return set;
    };
    // An exact series split P ; Q exists iff P is the ancestor set of some node and every node
    // outside P has all of P among its ancestors. Take the smallest such P.
    let best: Set<string> | undefined;
    for (const y of nodes) {
      const p = anc(y);
      if (p.size === 0 || p.size === nodes.length || (best && p.size >= best.size)) continue;
      if (nodes.every((z) => p.has(z) || [...p].every((x) => anc(z).has(x)))) {
        best = p;
      }
    }
    if (!best) {
      best = approximateSplit(nodes, anc);
      for (const z of nodes) {
        if (best.has(z)) continue;
        for (const x of sorted(best)) {
          if (!anc(z).has(x)) added.push({ step: z, waitsFor: x });
        }
      }
    }
    const first = sorted(best);
    const rest = nodes.filter((n) => !best!.has(n));
    return [...series(first), ...series(rest)];
  };

  return { series: series([...names]), added };
}

/**
 * For a connected graph that has no exact series split: the "depth <= d" prefix (by longest path
 * from a source) that adds the fewest dependencies.
 */
function approximateSplit(nodes: string[], anc: (n: string) => Set<string>): Set<string> {
  const depth = new Map<string, number>();
  const depthOf = (n: string): number => {
    let d = depth.get(n);
    if (d === undefined) {
      d = 0;
      for (const a of anc(n)) d = Math.max(d, depthOf(a) + 1);
      depth.set(n, d);
    }
    return d;
  };
  const maxDepth = Math.max(...nodes.map(depthOf));
  let best: Set<string> | undefined;
  let bestCost = Infinity;
  for (let d = 0; d < maxDepth; d++) {
    const p = new Set(nodes.filter((n) => depthOf(n) <= d));
    let cost = 0;
    for (const z of nodes) {
      if (p.has(z)) continue;
      for (const x of p) if (!anc(z).has(x)) cost++;
    }
    if (cost < bestCost) {
      best = p;
      bestCost = cost;
    }
  }
  return best!;
}

/** Weakly connected components of the subgraph induced by `nodes`, in order of first node. */
function weakComponents(nodes: string[], dependsOn: ReadonlyMap<string, readonly string[]>): string[][] {
  const inSet = new Set(nodes);
  const adjacent = new Map<string, Set<string>>(nodes.map((n) => [n, new Set<string>()]));
  for (const n of nodes) {
    for (const d of dependsOn.get(n) ?? []) {
      if (inSet.has(d)) {
        adjacent.get(n)!.add(d);
        adjacent.get(d)!.add(n);
      }
    }
  }
  const seen = new Set<string>();
  const components: string[][] = [];
  for (const n of nodes) {
    if (seen.has(n)) continue;
    const component: string[] = [];
    const todo = [n];
    seen.add(n);
    while (todo.length > 0) {
      const x = todo.pop()!;
      component.push(x);
      for (const y of adjacent.get(x)!) {
        if (!seen.has(y)) {
          seen.add(y);
          todo.push(y);
        }
      }
    }
    components.push(component);
  }
  return components;
}

/** The step names of an element, in order. */
export function leavesOf(element: Element): string[] {
  return element.kind === 'leaf' ? [element.name] : element.branches.flatMap((b) => b.flatMap(leavesOf));
}

/** Renders the decomposition for messages and tests: `A ; (B | C ; D) ; E`. */
export function describeSeries(series: readonly Element[]): string {
  return series.map((e) => (e.kind === 'leaf' ? e.name : `(${e.branches.map((b) => describeSeries(b)).join(' | ')})`)).join(' ; ');
}
