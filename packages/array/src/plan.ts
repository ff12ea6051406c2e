/**
 * The planner: a lazy array graph in, a plain-data task graph out. Pure: it
 * submits nothing and touches no network (execute.ts does that).
 *
 * Demand-driven, so culling is built in: planning starts from the output's
 * blocks and asks each node only for the blocks those need (a slice of a huge
 * random array plans only the blocks it overlaps).
 *
 * Fusion: a node whose kind is fusible (creation, elementwise, transpose) is
 * planned as a whole *region* (codegen.ts) with one task per block; its
 * boundary leaves are planned first. A reduction plans its input's region
 * with the reduction folded in (one task per input block giving a partial),
 * then a tree of combine tasks, `splitEvery` partials at a time, per output
 * block.
 *
 * Task arguments are plain data with markers: `{$dep: key}` for another
 * task's result, `{$ext: i}` for `externals[i]` (blocks that exist already).
 */
import { ShoalError } from '@shoal/protocol';
import { blockwiseArgs } from './blockwise.ts';
import { ctorName } from './dtype.ts';
import { buildRegion, type PartialReduction, type Region } from './codegen.ts';
import { buildWgsl, gpuKernelSource } from './wgsl.ts';
import { FUSIBLE, newId, type ArrayNode, type AssembleNode, type ReduceNode } from './graph.ts';
import { gridIndices, gridShape, offsets, sameChunks, size, stridesOf, type Chunks } from './shape.ts';

export type Arg = { $dep: string } | { $ext: number };

export interface TaskSpec {
  key: string;
  /** A key of `kernels`: the task function's source. */
  kernel: string;
  /** Shown in the dashboard: the fused ops, e.g. 'random·add·mean'. */
  name: string;
  args: unknown[];
  /** Placed with `gpu: 'prefer'`: the kernel has a WGSL form it runs where a real GPU is. */
  gpu?: boolean;
}

/** Where fused float32 regions may run: 'auto' on a real GPU where one is (else the CPU), 'force' also on software adapters (tests), 'off' never. */
export type GpuMode = 'auto' | 'force' | 'off';

export interface TaskGraph {
  /** Kernel id → function source (a function expression). */
  kernels: Record<string, string>;
  /** In dependency order. */
  tasks: TaskSpec[];
  externals: unknown[];
  /** The output node's blocks in C order over its block grid. */
  outputs: Arg[];
  /** Planning notes for explain(): one line per fused region. */
  regions: { name: string; kernel: string; tasks: number; fused: number; gpu: boolean }[];
}

/** Kernel ids for the fixed kernels (their sources are added by the caller, see execute.ts). */
export const FIXED = { combine: 'combine', assemble: 'assemble', matmul: 'matmul', matmulGpu: 'matmulGpu', reshape: 'reshape' } as const;

export function hashSource(source: string): string {
  let h1 = 0x811c9dc5, h2 = 0x9e3779b9;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x85ebca6b) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

const idxKey = (idx: readonly number[]) => idx.join(',');

export function planGraph(root: ArrayNode, fixedSources: Record<string, string>, gpuMode: GpuMode = 'auto'): TaskGraph {
  const kernels: Record<string, string> = { ...fixedSources };
  const tasks: TaskSpec[] = [];
  const externals: unknown[] = [];
  const extIndex = new Map<unknown, number>();
  const memo = new Map<string, Arg>();
  const regions = new Map<string, { region: Region; kernel: string; gpu: boolean; note: TaskGraph['regions'][number] }>();
  const notes: TaskGraph['regions'] = [];
  const rechunked = new Map<string, ArrayNode>();

  const addTask = (key: string, kernel: string, name: string, args: unknown[], gpu = false): Arg => {
    tasks.push(gpu ? { key, kernel, name, args, gpu } : { key, kernel, name, args });
    return { $dep: key };
  };

  const regionFor = (node: ArrayNode, reduction?: PartialReduction) => {
    const key = `${node.id}|${reduction ? `${reduction.op}:${reduction.axes.join(',')}` : ''}`;
    let entry = regions.get(key);
    if (!entry) {
      const region = buildRegion(node, reduction);
      const wgsl = gpuMode === 'off' ? null : buildWgsl(node, reduction);
      const gpu = wgsl !== null && wgsl.leaves === region.leaves.length;
      const source = gpu ? gpuKernelSource(region.source, wgsl.wgsl, reduction?.op) : region.source;
      const kernel = `k${hashSource(source)}`;
      kernels[kernel] = source;
      const note = { name: region.name, kernel, tasks: 0, fused: region.nodes.length + (reduction ? 1 : 0), gpu };
      notes.push(note);
      entry = { region, kernel, gpu, note };
      regions.set(key, entry);
    }
    return entry;
  };

  /** A leaf's blocks must line up with the region root's blocks; if not, the leaf is rechunked first. */
  const aligned = (leaf: ArrayNode, map: number[], rootChunks: Chunks): ArrayNode => alignTo(leaf, map.map((m, k) => (m < 0 ? [leaf.shape[k]!] : rootChunks[m]!)));
  const alignTo = (leaf: ArrayNode, want: Chunks): ArrayNode => {
    if (want.every((c, k) => sameChunks(c, leaf.chunks[k]!))) return leaf;
    const key = `${leaf.id}|${JSON.stringify(want)}`;
    let node = rechunked.get(key);
    if (!node) {
      node = rechunkNode(leaf, want);
      rechunked.set(key, node);
    }
    return node;
  };

  /** The task for block `idx` of the region rooted at `node` (optionally folding a reduction). */
  const regionTask = (node: ArrayNode, idx: number[], reduction?: PartialReduction): Arg => {
    const { region, kernel, gpu, note } = regionFor(node, reduction);
    const off = idx.map((b, d) => offsets(node.chunks[d]!)[b]!);
    const ext = idx.map((b, d) => node.chunks[d]![b]!);
    const ins = region.leaves.map((leaf) => {
      const source = aligned(leaf.node, leaf.map, node.chunks);
      return block(source, leaf.map.map((m) => (m < 0 ? 0 : idx[m]!)));
    });
    note.tasks++;
    const key = `${kernel}:${node.id}:${idxKey(idx)}`;
    return addTask(key, kernel, region.name, [gpu && gpuMode === 'force' ? { off, ext, gpu: 'force' } : { off, ext }, ins], gpu);
  };

  const block = (node: ArrayNode, idx: number[]): Arg => {
    const key = `${node.id}@${idxKey(idx)}`;
    const known = memo.get(key);
    if (known) return known;
    const arg = makeBlock(node, idx);
    memo.set(key, arg);
    return arg;
  };

  const makeBlock = (node: ArrayNode, idx: number[]): Arg => {
    if (FUSIBLE.has(node.kind)) return regionTask(node, idx);
    switch (node.kind) {
      case 'source': {
        const strides = stridesOf(gridShape(node.chunks));
        const handle = node.blocks[idx.reduce((s, b, d) => s + b * strides[d]!, 0)];
        let i = extIndex.get(handle);
        if (i === undefined) {
          i = externals.length;
          externals.push(handle);
          extIndex.set(handle, i);
        }
        return { $ext: i };
      }
      case 'expand':
        return block(node.input, node.input.shape.map((_, k) => (node.from.indexOf(k) < 0 ? 0 : idx[node.from.indexOf(k)]!)));
      case 'reduce':
        return reduceBlock(node, idx);
      case 'assemble':
        return assembleTask(node, idx);
      case 'matmul': {
        const { a, b } = node;
        // An operand that is the transpose of materialized blocks is read as those blocks, transposed by the kernel's packing (no copy task).
        const flipped = (x: ArrayNode): ArrayNode | null => (x.kind === 'transpose' && x.axes[0] === 1 && !FUSIBLE.has(x.input.kind) ? x.input : null);
        const bAligned = sameChunks(a.chunks[1]!, b.chunks[0]!) ? b : aligned(b, [0, 1], [a.chunks[1]!, b.chunks[1]!]);
        const ta = flipped(a), tb = bAligned === b ? flipped(b) : null;
        const kBlocks = a.chunks[1]!.length;
        const as = Array.from({ length: kBlocks }, (_, k) => (ta ? block(ta, [k, idx[0]!]) : block(a, [idx[0]!, k])));
        const bs = Array.from({ length: kBlocks }, (_, k) => (tb ? block(tb, [idx[1]!, k]) : block(bAligned, [k, idx[1]!])));
        const M = node.chunks[0]![idx[0]!]!, N = node.chunks[1]![idx[1]!]!;
        const args = [as, bs, M, N, a.chunks[1]!, ctorName(node.dtype), ta || tb ? { a: ta !== null, b: tb !== null } : null];
        if (node.dtype === 'float32' && gpuMode !== 'off') return addTask(`matmul:${node.id}:${idxKey(idx)}`, FIXED.matmulGpu, 'matmul', [...args, gpuMode], true);
        return addTask(`matmul:${node.id}:${idxKey(idx)}`, FIXED.matmul, 'matmul', args);
      }
      case 'reshape': {
        // Input blocks whose C-order flat range meets this block's (a superset of those it reads).
        const input = node.input;
        const lo = idx.map((b, d) => offsets(node.chunks[d]!)[b]!);
        const ext = idx.map((b, d) => node.chunks[d]![b]!);
        const flat = (shape: readonly number[], c: number[]) => c.reduce((s, x, d) => s * shape[d]! + x, 0);
        const first = flat(node.shape, lo), last = flat(node.shape, lo.map((l, d) => l + ext[d]! - 1));
        const pieces = gridIndices(gridShape(input.chunks)).flatMap((bIdx) => {
          const blo = bIdx.map((b, d) => offsets(input.chunks[d]!)[b]!);
          const bext = bIdx.map((b, d) => input.chunks[d]![b]!);
          const bFirst = flat(input.shape, blo), bLast = flat(input.shape, blo.map((l, d) => l + bext[d]! - 1));
          return bLast < first || bFirst > last ? [] : [{ data: block(input, bIdx), lo: blo, ext: bext }];
        });
        return addTask(`reshape:${node.id}:${idxKey(idx)}`, FIXED.reshape, 'reshape', [node.shape, lo, ext, input.shape, ctorName(node.dtype), pieces]);
      }
      case 'mapBlocks': {
        const kernel = `k${hashSource(node.source)}`;
        kernels[kernel] = node.source;
        const ins = node.inputs.map((input) => block(aligned(input, input.shape.map((_, k) => k), node.chunks), idx));
        const off = idx.map((b, d) => offsets(node.chunks[d]!)[b]!);
        const ext = idx.map((b, d) => node.chunks[d]![b]!);
        return addTask(`${kernel}:${node.id}:${idxKey(idx)}`, kernel, 'mapBlocks', [{ off, ext }, ins]);
      }
      case 'blockwise': {
        const kernel = `k${hashSource(node.source)}`;
        kernels[kernel] = node.source;
        return addTask(`${kernel}:${node.id}:${idxKey(idx)}`, kernel, `blockwise ${node.outInd}`, blockwiseArgs(node, idx, block, alignTo));
      }
      default:
        throw new ShoalError('ERR_INTERNAL', `no planner for ${node.kind}`);
    }
  };

  const reduceBlock = (node: ReduceNode, outIdx: number[]): Arg => {
    const input = node.input;
    const axes = new Set(node.axes);
    // Block index with the reduced axes kept (at 0).
    const kept: number[] = [];
    let at = 0;
    for (let d = 0; d < input.shape.length; d++) kept.push(axes.has(d) ? 0 : node.keepdims ? outIdx[d]! : outIdx[at++]!);
    // Every input block with these coordinates on the kept axes, in C order.
    const reducedGrid = node.axes.map((a) => input.chunks[a]!.length);
    const parts: Arg[] = [];
    const counts: number[] = [];
    for (const r of gridIndices(reducedGrid)) {
      const idx = [...kept];
      node.axes.forEach((a, i) => (idx[a] = r[i]!));
      parts.push(regionTask(input, idx, { op: node.op, axes: node.axes }));
      counts.push(node.axes.reduce((s, a) => s * input.chunks[a]![idx[a]!]!, 1));
    }
    // The tree: combine splitEvery at a time until one is left, then finish.
    let level = 0;
    let layer = parts.map((arg, i) => ({ arg, count: counts[i]! }));
    const base = `combine:${node.id}:${idxKey(outIdx)}`;
    while (layer.length > node.splitEvery) {
      const next: typeof layer = [];
      for (let g = 0; g < layer.length; g += node.splitEvery) {
        const group = layer.slice(g, g + node.splitEvery);
        const count = group.reduce((s, p) => s + p.count, 0);
        const arg = group.length === 1 ? group[0]!.arg : addTask(`${base}:${level}:${g}`, FIXED.combine, `${node.op}-combine`, [node.op, group.map((p) => p.arg), group.map((p) => p.count), null]);
        next.push({ arg, count });
      }
      layer = next;
      level++;
    }
    const n = node.axes.reduce((s, a) => s * input.shape[a]!, 1);
    return addTask(`${base}:final`, FIXED.combine, node.op, [node.op, layer.map((p) => p.arg), layer.map((p) => p.count), { n, ddof: node.ddof, ctor: ctorName(node.dtype) }]);
  };

  const assembleTask = (node: AssembleNode, idx: number[]): Arg => {
    const n = node.shape.length;
    const lo = idx.map((b, d) => offsets(node.chunks[d]!)[b]!);
    const ext = idx.map((b, d) => node.chunks[d]![b]!);
    const pieces: unknown[] = [];
    let axisStart = 0;
    for (const input of node.inputs) {
      // Per axis: the output range this input covers, and the input coordinate of output coordinate c.
      const perAxis: { block: number; src: number; step: number; dst: number; count: number }[][] = [];
      for (let d = 0; d < n; d++) {
        let start = node.start[d]!, step = node.step[d]!;
        let cLo = lo[d]!, cHi = lo[d]! + ext[d]! - 1;
        if (node.what === 'concatenate' && d === node.axis) {
          start = -axisStart;
          cLo = Math.max(cLo, axisStart);
          cHi = Math.min(cHi, axisStart + input.shape[d]! - 1);
        }
        const list: (typeof perAxis)[number] = [];
        const bOff = offsets(input.chunks[d]!);
        input.chunks[d]!.forEach((len, b) => {
          const bLo = bOff[b]!, bHi = bLo + len - 1;
          let cmin: number, cmax: number;
          if (step > 0) { cmin = Math.ceil((bLo - start) / step); cmax = Math.floor((bHi - start) / step); } else { cmin = Math.ceil((bHi - start) / step); cmax = Math.floor((bLo - start) / step); }
          cmin = Math.max(cmin, cLo);
          cmax = Math.min(cmax, cHi);
          if (cmin <= cmax) list.push({ block: b, src: start + step * cmin - bLo, step, dst: cmin - lo[d]!, count: cmax - cmin + 1 });
        });
        perAxis.push(list);
      }
      if (node.what === 'concatenate') axisStart += input.shape[node.axis]!;
      for (const combo of gridIndices(perAxis.map((l) => l.length))) {
        const parts = combo.map((i, d) => perAxis[d]![i]!);
        const bIdx = parts.map((p) => p.block);
        pieces.push({ data: block(input, bIdx), shape: bIdx.map((b, d) => input.chunks[d]![b]!), src: parts.map((p) => p.src), step: parts.map((p) => p.step), dst: parts.map((p) => p.dst), count: parts.map((p) => p.count) });
      }
    }
    return addTask(`assemble:${node.id}:${idxKey(idx)}`, FIXED.assemble, node.what, [ext, ctorName(node.dtype), pieces]);
  };

  const outputs = gridIndices(gridShape(root.chunks)).map((idx) => block(root, idx));
  return { kernels, tasks, externals, outputs, regions: notes };
}

/** A rechunk of `input` to `chunks` (an assemble node; also used by the API's rechunk()). */
export function rechunkNode(input: ArrayNode, chunks: Chunks): AssembleNode {
  return { kind: 'assemble', what: 'rechunk', id: newId(), shape: input.shape, chunks, dtype: input.dtype, inputs: [input], axis: 0, start: input.shape.map(() => 0), step: input.shape.map(() => 1) };
}

/** How many elements a block of this node holds, at most (for explain). */
export function largestBlock(node: ArrayNode): number {
  return size(node.chunks.map((c) => Math.max(0, ...c)));
}
