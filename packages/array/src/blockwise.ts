/**
 * `blockwise` with Dask's index notation:
 *
 *   da.blockwise(fn, 'ij', x, 'ik', y, 'kj', { dtype, concatenate: true })
 *
 * Every letter names an axis. Output block (i, j) calls `fn` once with, for
 * each array argument, the blocks its letters select: the block at (i, j)'s
 * coordinates for letters in the output, and *every* block along a letter the
 * output lacks (a contracted axis: here k). Contracted blocks come as nested
 * lists (one level per contracted letter, in the argument's axis order), or,
 * with `concatenate: true`, as one block joined along those axes. Arrays that
 * share a letter are rechunked to the first one's blocks along it. `newAxes:
 * {l: n}` adds an output axis of length n (one block); `adjustChunks: {i: n |
 * [sizes] | (size) => size}` changes the output's block sizes along a letter
 * (the function runs here, at graph-building time). Non-array arguments go
 * as `(value, null)` pairs and reach `fn` as they are.
 *
 * `fn(...args, {off, ext, shapes})` returns the output block in C order
 * (ext's size); `shapes[i]` is argument i's block shape (nested like its
 * blocks). Like every kernel it ships as source, so it must be self-contained.
 */
import { ShoalError } from '@shoal/protocol';
import { checkDtype, ctorName, type DType } from './dtype.ts';
import { newId, type ArrayNode, type BlockwiseNode } from './graph.ts';
import { assembleBlock } from './kernels.ts';
import { fmt, gridIndices, offsets, type Chunks } from './shape.ts';

export interface BlockwiseOptions {
  dtype?: DType;
  concatenate?: boolean;
  newAxes?: Record<string, number>;
  adjustChunks?: Record<string, number | number[] | ((size: number) => number)>;
}

const bad = (message: string) => new ShoalError('ERR_BAD_OPTION', `blockwise: ${message}`);

/** The node for `blockwise(fn, outInd, ...pairs, options?)`; `isArray` tells arrays from other values. */
export function blockwiseNode(fn: unknown, outInd: string, rest: unknown[], nodeOf: (x: unknown) => ArrayNode | null): BlockwiseNode {
  if (typeof fn !== 'function') throw bad('the first argument must be a function');
  const options = (rest.length % 2 === 1 ? rest.pop() : {}) as BlockwiseOptions;
  if (options === null || typeof options !== 'object') throw bad('arguments come as (array, index) pairs, then an optional options object');
  for (const key of Object.keys(options)) if (!['dtype', 'concatenate', 'newAxes', 'adjustChunks'].includes(key)) throw bad(`unknown option '${key}'; valid ones are dtype, concatenate, newAxes, adjustChunks`);
  const letters = (ind: string, where: string) => {
    const list = [...ind];
    if (new Set(list).size !== list.length) throw bad(`index '${ind}' of ${where} repeats a letter (diagonals are not supported)`);
    return list;
  };
  const out = letters(outInd, 'the output');
  const args: BlockwiseNode['args'][number][] = [];
  const sizes = new Map<string, { n: number; shape: readonly number[] }>();
  const letterChunks: Record<string, number[]> = {};
  for (let p = 0; p < rest.length; p += 2) {
    const value = rest[p], ind = rest[p + 1];
    const node = nodeOf(value);
    if (ind === null || ind === undefined) {
      if (node) throw bad(`argument ${p / 2} is an array without an index`);
      args.push({ value });
      continue;
    }
    if (typeof ind !== 'string') throw bad(`argument ${p / 2}'s index must be a string of letters, or null for a plain value`);
    if (!node) throw bad(`argument ${p / 2} has index '${ind}' but is not an array`);
    const list = letters(ind, `argument ${p / 2}`);
    if (list.length !== node.shape.length) throw bad(`index '${ind}' has ${list.length} letters for an array of shape ${fmt(node.shape)}`);
    list.forEach((l, d) => {
      const seen = sizes.get(l);
      if (seen && seen.n !== node.shape[d]) throw new ShoalError('ERR_SHAPE_MISMATCH', `blockwise: index '${l}' has length ${seen.n} in an array of shape ${fmt(seen.shape)} but ${node.shape[d]} in one of shape ${fmt(node.shape)}`);
      if (!seen) {
        sizes.set(l, { n: node.shape[d]!, shape: node.shape });
        letterChunks[l] = [...node.chunks[d]!];
      }
    });
    args.push({ node, ind });
  }
  if (!args.some((a) => 'node' in a)) throw bad('takes at least one array');
  const newAxes = options.newAxes ?? {};
  for (const [l, n] of Object.entries(newAxes)) {
    if (!out.includes(l) || sizes.has(l)) throw bad(`newAxes letter '${l}' must be in the output index and in no argument's`);
    if (!Number.isSafeInteger(n) || n < 1) throw bad(`newAxes '${l}' must be a whole number ≥ 1, got ${JSON.stringify(n)}`);
    letterChunks[l] = [n];
  }
  for (const l of out) if (!(l in letterChunks)) throw bad(`output letter '${l}' is in no argument's index (add it with newAxes)`);
  const chunks = out.map((l) => {
    const base = letterChunks[l]!;
    const adjust = options.adjustChunks?.[l];
    if (adjust === undefined) return base;
    const next = typeof adjust === 'function' ? base.map((c) => adjust(c)) : typeof adjust === 'number' ? base.map(() => adjust) : [...adjust];
    if (next.length !== base.length || !next.every((c) => Number.isSafeInteger(c) && c >= 0)) throw bad(`adjustChunks '${l}' must give ${base.length} whole block sizes ≥ 0, got ${JSON.stringify(next)}`);
    return next;
  });
  for (const key of Object.keys(options.adjustChunks ?? {})) if (!out.includes(key)) throw bad(`adjustChunks letter '${key}' is not in the output index`);
  const first = args.find((a): a is { node: ArrayNode; ind: string } => 'node' in a)!;
  const dtype = options.dtype === undefined ? first.node.dtype : checkDtype(options.dtype, 'blockwise');
  const user = Function.prototype.toString.call(fn);
  return {
    kind: 'blockwise', id: newId(), shape: chunks.map((c) => c.reduce((s, x) => s + x, 0)), chunks, dtype,
    source: blockwiseSource(user), outInd, args, concatenate: options.concatenate === true, letterChunks,
  };
}

/** The task function: rebuilds each argument (a block, nested lists of blocks, or one joined block), calls the user's function, checks its size. */
function blockwiseSource(user: string): string {
  return `function blockwise(p, ins, meta) {
  const f = (${user});
  const assemble = (${assembleBlock.toString()});
  const args = [], shapes = [];
  for (let i = 0; i < ins.length; i++) {
    const m = meta[i];
    if (m.kind !== 'blocks') { args.push(ins[i]); shapes.push(m.shape); continue; }
    if (m.join) { args.push(assemble(m.join.ext, m.join.ctor, m.join.pieces.map((piece, b) => ({ ...piece, data: ins[i][b] })))); shapes.push(m.join.ext); continue; }
    let blocks = ins[i], sizes = m.shapes;
    for (let d = m.grid.length - 1; d > 0; d--) {
      const nextBlocks = [], nextSizes = [];
      for (let s = 0; s < blocks.length; s += m.grid[d]) { nextBlocks.push(blocks.slice(s, s + m.grid[d])); nextSizes.push(sizes.slice(s, s + m.grid[d])); }
      blocks = nextBlocks; sizes = nextSizes;
    }
    args.push(blocks); shapes.push(sizes);
  }
  const out = f(...args, { off: p.off, ext: p.ext, shapes });
  const want = p.ext.reduce((a, b) => a * b, 1);
  if (!out || out.length !== want) throw new RangeError('blockwise: the function returned ' + (out && out.length) + ' elements for a block of shape (' + p.ext.join(', ') + '), which holds ' + want);
  return out;
}`;
}

/**
 * The task arguments for output block `idx`: `[{off, ext}, ins, meta]`.
 * `block(node, idx)` plans an input block; `alignTo(node, chunks)` gives the
 * node rechunked to `chunks` (or the node itself where they agree).
 */
export function blockwiseArgs(node: BlockwiseNode, idx: number[], block: (node: ArrayNode, idx: number[]) => unknown, alignTo: (node: ArrayNode, chunks: Chunks) => ArrayNode): unknown[] {
  const out = [...node.outInd];
  const at = (l: string) => out.indexOf(l);
  const ins: unknown[] = [];
  const meta: unknown[] = [];
  for (const arg of node.args) {
    if (!('node' in arg)) {
      ins.push(arg.value);
      meta.push({ kind: 'value', shape: null });
      continue;
    }
    const letters = [...arg.ind];
    const source = alignTo(arg.node, letters.map((l) => node.letterChunks[l]!));
    const contracted = letters.map((l, d) => (at(l) < 0 ? d : -1)).filter((d) => d >= 0);
    const blockIdx = (r: number[]) => letters.map((l, d) => (at(l) >= 0 ? idx[at(l)]! : r[contracted.indexOf(d)]!));
    const shapeOf = (bIdx: number[]) => bIdx.map((b, d) => source.chunks[d]![b]!);
    if (contracted.length === 0) {
      const bIdx = blockIdx([]);
      ins.push(block(source, bIdx));
      meta.push({ kind: 'block', shape: shapeOf(bIdx) });
      continue;
    }
    const grid = contracted.map((d) => source.chunks[d]!.length);
    const all = gridIndices(grid).map(blockIdx);
    ins.push(all.map((bIdx) => block(source, bIdx)));
    const shapes = all.map(shapeOf);
    let join: unknown = null;
    if (node.concatenate) {
      const ext = letters.map((l, d) => (contracted.includes(d) ? source.shape[d]! : shapes[0]![d]!));
      const pieces = all.map((bIdx, b) => ({
        shape: shapes[b], src: bIdx.map(() => 0), step: bIdx.map(() => 1), count: shapes[b],
        dst: bIdx.map((blk, d) => (contracted.includes(d) ? offsets(source.chunks[d]!)[blk]! : 0)),
      }));
      join = { ext, ctor: ctorName(source.dtype), pieces };
    }
    meta.push({ kind: 'blocks', grid, shapes, join });
  }
  const off = idx.map((b, d) => offsets(node.chunks[d]!)[b]!);
  const ext = idx.map((b, d) => node.chunks[d]![b]!);
  return [{ off, ext }, ins, meta];
}
