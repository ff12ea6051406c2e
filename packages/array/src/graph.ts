/**
 * The lazy array graph: plain data, no I/O. Every node knows its shape, its
 * chunks (block sizes per axis) and its dtype; the planner (plan.ts) turns a
 * graph into tasks. Nodes are immutable and shared (a DAG); `id` names a node
 * for memoization and explain().
 *
 * Kinds:
 * - creation (fusible, a pure function of the global index): random, fill,
 *   arange, eye, fromFunction;
 * - elementwise (fusible): map (an op over nodes and scalars, with NumPy
 *   broadcasting) and transpose (a permutation of coordinates);
 * - boundaries (their blocks are materialized): source (blocks already in the
 *   cluster: fromArray, persist), reduce, matmul, assemble (rechunk, slicing,
 *   concatenate), mapBlocks, blockwise, expand (a view adding or removing
 *   size-1 axes).
 */
import type { DType } from './dtype.ts';
import type { Chunks, Shape } from './shape.ts';

interface Base {
  readonly id: number;
  readonly shape: Shape;
  readonly chunks: Chunks;
  readonly dtype: DType;
}

export type RandomNode = Base & { kind: 'random'; dist: 'uniform' | 'normal'; seed: number; a: number; b: number };
export type FillNode = Base & { kind: 'fill'; value: number };
/** value = start + step * i (arange and linspace). */
export type ArangeNode = Base & { kind: 'arange'; start: number; step: number };
export type EyeNode = Base & { kind: 'eye'; k: number };
export type FromFunctionNode = Base & { kind: 'fromFunction'; source: string };
export type MapNode = Base & { kind: 'map'; op: string; args: readonly (ArrayNode | number)[] };
export type TransposeNode = Base & { kind: 'transpose'; axes: readonly number[]; input: ArrayNode };
/** Blocks that already exist, as opaque handles (ObjectRefs), in C order over the block grid. */
export type SourceNode = Base & { kind: 'source'; blocks: readonly unknown[]; label: string };
export type ReduceOp = 'sum' | 'prod' | 'mean' | 'min' | 'max' | 'var' | 'std' | 'argmin' | 'argmax' | 'any' | 'all';
export type ReduceNode = Base & { kind: 'reduce'; op: ReduceOp; axes: readonly number[]; keepdims: boolean; ddof: number; splitEvery: number; input: ArrayNode };
export type MatmulNode = Base & { kind: 'matmul'; a: ArrayNode; b: ArrayNode };
/**
 * Output coordinate c along axis d reads input coordinate start[d] + step[d] * c
 * (rechunk: start 0 step 1; slicing: any start and nonzero step), from the
 * input named by `inputs[which]` where concatenating along `axis`.
 */
export type AssembleNode = Base & { kind: 'assemble'; what: 'rechunk' | 'slice' | 'concatenate'; inputs: readonly ArrayNode[]; axis: number; start: readonly number[]; step: readonly number[] };
/** Adds (or removes) size-1 axes: the blocks' data is unchanged. `from[d]` is the input axis of output axis d, or -1 for a new axis. */
export type ExpandNode = Base & { kind: 'expand'; input: ArrayNode; from: readonly number[] };
/** The same elements in C order under another shape. */
export type ReshapeNode = Base & { kind: 'reshape'; input: ArrayNode };
export type MapBlocksNode = Base & { kind: 'mapBlocks'; source: string; inputs: readonly ArrayNode[] };
/** Dask's blockwise with index notation (blockwise.ts): `letterChunks` are the blocks along each letter, which every argument with that letter is rechunked to. */
export type BlockwiseNode = Base & {
  kind: 'blockwise';
  source: string;
  outInd: string;
  args: readonly ({ node: ArrayNode; ind: string } | { value: unknown })[];
  concatenate: boolean;
  letterChunks: Readonly<Record<string, readonly number[]>>;
};

export type ArrayNode =
  | RandomNode
  | FillNode
  | ArangeNode
  | EyeNode
  | FromFunctionNode
  | MapNode
  | TransposeNode
  | SourceNode
  | ReduceNode
  | MatmulNode
  | AssembleNode
  | ExpandNode
  | MapBlocksNode
  | BlockwiseNode
  | ReshapeNode;

export const FUSIBLE = new Set<ArrayNode['kind']>(['random', 'fill', 'arange', 'eye', 'fromFunction', 'map', 'transpose']);

let nextId = 1;
/** A fresh node id (ids only need to be distinct within a process). */
export function newId(): number {
  return nextId++;
}

/** The nodes an op reads. */
export function children(node: ArrayNode): ArrayNode[] {
  switch (node.kind) {
    case 'map': return node.args.filter((a): a is ArrayNode => typeof a !== 'number');
    case 'transpose': case 'reduce': case 'expand': case 'reshape': return [node.input];
    case 'matmul': return [node.a, node.b];
    case 'assemble': case 'mapBlocks': return [...node.inputs];
    case 'blockwise': return node.args.flatMap((a) => ('node' in a ? [a.node] : []));
    default: return [];
  }
}
