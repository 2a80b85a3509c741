/**
 * Import cycles of a module graph, found as its strongly connected components (Tarjan): every
 * group of modules in which each reaches every other through imports, a module that imports
 * itself included. A graph without a cycle has none.
 */

/** A module graph: each module and the modules it imports. */
export type ModuleGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The cycles of `graph`, each as the sorted list of its modules, sorted by their first module.
 *
 * @param graph - each module and what it imports (an import of a module not in the graph is a
 *   leaf)
 */
export function importCycles(graph: ModuleGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];

  // Recursive: the graphs here are a few hundred modules deep at most.
  const visit = (module: string): void => {
    index.set(module, index.size);
    lowLink.set(module, index.size - 1);
    stack.push(module);
    onStack.add(module);
    for (const imported of graph.get(module) ?? []) {
      if (!index.has(imported)) {
        visit(imported);
        lowLink.set(module, Math.min(low(module), low(imported)));
      } else if (onStack.has(imported)) {
        lowLink.set(module, Math.min(low(module), index.get(imported) ?? 0));
      }
    }
    if (low(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    const selfImport = (graph.get(module) ?? []).includes(module);
    if (component.length > 1 || selfImport) cycles.push(component.sort());
  };
  const low = (module: string): number => lowLink.get(module) ?? 0;

  for (const module of graph.keys()) {
    if (!index.has(module)) visit(module);
  }
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}
