/**
 * explain(): the graph before optimization (the logical tree, one line per
 * node, with the tasks it would take unfused: one per block per node, as a
 * Dask graph has) and after (the fused regions and the tasks really planned).
 */
import { children, FUSIBLE, type ArrayNode } from './graph.ts';
import type { TaskGraph } from './plan.ts';
import { fmt, gridShape, size } from './shape.ts';

function describe(node: ArrayNode): string {
  const base = `${fmt(node.shape)} ${node.dtype} blocks ${fmt(gridShape(node.chunks))}`;
  switch (node.kind) {
    case 'random': return `random.${node.dist === 'uniform' ? 'random' : 'normal'}(seed=${node.seed}) ${base}`;
    case 'fill': return `full(${node.value}) ${base}`;
    case 'arange': return `arange(start=${node.start}, step=${node.step}) ${base}`;
    case 'map': return `${node.op}${node.args.some((a) => typeof a === 'number') ? `(scalar ${node.args.filter((a) => typeof a === 'number').join(', ')})` : ''} ${base}`;
    case 'reduce': return `${node.op}(axis=${JSON.stringify(node.axes)}${node.keepdims ? ', keepdims' : ''}, splitEvery=${node.splitEvery}) ${base}`;
    case 'transpose': return `transpose(${node.axes.join(', ')}) ${base}`;
    case 'assemble': return `${node.what} ${base}`;
    case 'source': return `${node.label} ${base}`;
    case 'blockwise': return `blockwise(${node.outInd} ← ${node.args.map((a) => ('node' in a ? a.ind : 'value')).join(', ')}${node.concatenate ? ', concatenate' : ''}) ${base}`;
    default: return `${node.kind} ${base}`;
  }
}

export function explainGraph(root: ArrayNode, graph: TaskGraph): string {
  const lines = ['== graph (before optimization) =='];
  const seen = new Set<number>();
  let unfused = 0;
  const walk = (node: ArrayNode, depth: number) => {
    const again = seen.has(node.id);
    lines.push(`${'  '.repeat(depth)}${describe(node)}${again ? ' (shared, above)' : ''}`);
    if (again) return;
    seen.add(node.id);
    if (node.kind !== 'source') unfused += size(gridShape(node.kind === 'reduce' ? node.input.chunks : node.chunks));
    for (const child of children(node)) walk(child, depth + 1);
  };
  walk(root, 1);
  lines.push(`  unfused: about ${unfused} tasks (one per block per node)`);
  lines.push('== tasks (after fusion and culling) ==');
  for (const r of graph.regions) lines.push(`  ${r.name}: ${r.tasks} task${r.tasks === 1 ? '' : 's'}, ${r.fused} op${r.fused === 1 ? '' : 's'} fused into one kernel (${r.kernel}${r.gpu ? ', with a WGSL form for a GPU' : ''})`);
  const other = new Map<string, number>();
  const regionKernels = new Set(graph.regions.map((r) => r.kernel));
  for (const t of graph.tasks) if (!regionKernels.has(t.kernel)) other.set(t.name, (other.get(t.name) ?? 0) + 1);
  for (const [name, count] of other) lines.push(`  ${name}: ${count} task${count === 1 ? '' : 's'}`);
  lines.push(`  total: ${graph.tasks.length} tasks; ${graph.externals.length} stored input block${graph.externals.length === 1 ? '' : 's'}`);
  void FUSIBLE;
  return lines.join('\n');
}
