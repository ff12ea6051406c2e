/**
 * The `cluster.array` namespace: creation functions and the module-level
 * forms of the ops (NumPy / dask.array names in camelCase), over a backend.
 */
import { ShoalError } from '@shoal/protocol';
import { checkDtype, dtypeOfArray, isFloat, promote, type DType, type TypedArrayOf } from './dtype.ts';
import { newId, type ArrayNode } from './graph.ts';
import { checkKeys, elementwise, ShoalArray, type Backend, type Operand } from './array.ts';
import { blockwiseNode } from './blockwise.ts';
import { checkShape, fmt, gridIndices, gridShape, normalizeAxes, normalizeChunks, offsets, size, stridesOf, type ChunksOption } from './shape.ts';

export interface CreateOptions {
  chunks?: ChunksOption;
  dtype?: DType;
}
export interface RandomOptions extends CreateOptions {
  /** A whole number 0 ≤ seed < 2^53; the same seed gives the same numbers under any chunking. Default: a random seed. */
  seed?: number;
}

function base(shapeIn: unknown, options: CreateOptions, where: string, valid: string[], dflt: DType = 'float64') {
  checkKeys(options, valid, where);
  const shape = checkShape(shapeIn, where);
  const chunks = normalizeChunks(options.chunks, shape, where);
  const dtype = options.dtype === undefined ? dflt : checkDtype(options.dtype, where);
  return { id: newId(), shape, chunks, dtype };
}

function seedOf(seed: unknown): number {
  if (seed === undefined) return Math.floor(Math.random() * 2 ** 32);
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) throw new ShoalError('ERR_BAD_OPTION', `random: seed must be a whole number ≥ 0 below 2^53, got ${JSON.stringify(seed)}`);
  return seed as number;
}

export type ArrayApi = ReturnType<typeof arrayNamespace>;

export function arrayNamespace(backend: Backend) {
  const wrap = (node: ArrayNode) => new ShoalArray(node, backend);
  const randomNode = (dist: 'uniform' | 'normal', shape: unknown, options: RandomOptions, a: number, b: number, where: string) => {
    const common = base(shape, options, where, ['chunks', 'dtype', 'seed']);
    if (!isFloat(common.dtype)) throw new ShoalError('ERR_BAD_OPTION', `${where}: dtype must be float64 or float32, got ${common.dtype}`);
    return wrap({ kind: 'random', ...common, dist, seed: seedOf(options.seed), a, b });
  };
  const full = (shape: unknown, value: number | boolean, options: CreateOptions = {}) => {
    const common = base(shape, options, 'full', ['chunks', 'dtype'], typeof value === 'boolean' ? 'bool' : 'float64');
    return wrap({ kind: 'fill', ...common, value: Number(value) });
  };
  const ns = {
    random: {
      /** Uniform in [0, 1), like da.random.random. */
      random: (shape: unknown, options: RandomOptions = {}) => randomNode('uniform', shape, options, 0, 1, 'random.random'),
      /** Uniform in [low, high). */
      uniform: (low: number, high: number, shape: unknown, options: RandomOptions = {}) => randomNode('uniform', shape, options, low, high, 'random.uniform'),
      /** Normal with mean `loc` and standard deviation `scale`: normal(shape, {loc, scale, ...}). */
      normal: (shape: unknown, options: RandomOptions & { loc?: number; scale?: number } = {}) => {
        const { loc = 0, scale = 1, ...rest } = options;
        return randomNode('normal', shape, rest, loc, scale, 'random.normal');
      },
    },
    zeros: (shape: unknown, options: CreateOptions = {}) => full(shape, 0, options),
    ones: (shape: unknown, options: CreateOptions = {}) => full(shape, 1, options),
    full,
    /** arange(stop) or arange(start, stop, step?, options?). */
    arange: (...args: (number | CreateOptions)[]) => {
      const options = (typeof args[args.length - 1] === 'object' ? args.pop() : {}) as CreateOptions;
      const nums = args as number[];
      const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
      if (![start, stop, step].every(Number.isFinite) || step === 0) throw new ShoalError('ERR_BAD_OPTION', `arange: start, stop and step must be finite numbers and step nonzero, got ${JSON.stringify(nums)}`);
      const n = Math.max(0, Math.ceil((stop - start) / step));
      const dflt: DType = [start, stop, step].every(Number.isInteger) ? 'int32' : 'float64';
      return wrap({ kind: 'arange', ...base([n], options, 'arange', ['chunks', 'dtype'], dflt), start, step });
    },
    linspace: (start: number, stop: number, num = 50, options: CreateOptions & { endpoint?: boolean } = {}) => {
      const { endpoint = true, ...rest } = options;
      if (!Number.isSafeInteger(num) || num < 0) throw new ShoalError('ERR_BAD_OPTION', `linspace: num must be a whole number ≥ 0, got ${num}`);
      const div = endpoint ? num - 1 : num;
      const step = div > 0 ? (stop - start) / div : 0;
      return wrap({ kind: 'arange', ...base([num], rest, 'linspace', ['chunks', 'dtype']), start, step });
    },
    /** eye(N, {M, k, chunks, dtype}): ones on diagonal k. */
    eye: (N: number, options: CreateOptions & { M?: number; k?: number } = {}) => {
      const { M = N, k = 0, ...rest } = options;
      if (!Number.isInteger(k)) throw new ShoalError('ERR_BAD_OPTION', `eye: k must be a whole number, got ${k}`);
      return wrap({ kind: 'eye', ...base([N, M], rest, 'eye', ['chunks', 'dtype']), k });
    },
    /** An array whose element at (i, j, ...) is fn(i, j, ...); fn ships as source, so it must be self-contained. */
    fromFunction: (fn: (...index: number[]) => number, shape: unknown, options: CreateOptions = {}) => {
      if (typeof fn !== 'function') throw new ShoalError('ERR_BAD_OPTION', 'fromFunction takes a function first');
      return wrap({ kind: 'fromFunction', ...base(shape, options, 'fromFunction', ['chunks', 'dtype']), source: Function.prototype.toString.call(fn) });
    },
    /** Blocks of a typed array (C order), stored in the cluster now. */
    fromArray: (data: TypedArrayOf, shapeIn?: unknown, options: { chunks?: ChunksOption } = {}) => {
      checkKeys(options, ['chunks'], 'fromArray');
      const dtype = dtypeOfArray(data);
      const shape = shapeIn === undefined ? [data.length] : checkShape(shapeIn, 'fromArray');
      if (size(shape) !== data.length) throw new ShoalError('ERR_SHAPE_MISMATCH', `fromArray: ${data.length} elements do not fill shape ${fmt(shape)}`);
      const chunks = normalizeChunks(options.chunks, shape, 'fromArray');
      const strides = stridesOf(shape);
      const offs = chunks.map(offsets);
      const blocks = gridIndices(gridShape(chunks)).map((idx) => {
        const ext = idx.map((b, d) => chunks[d]![b]!);
        const out = new (data.constructor as new (n: number) => TypedArrayOf)(size(ext));
        let w = 0;
        for (const local of gridIndices(ext.slice(0, -1))) {
          const at = local.reduce((s, c, d) => s + (offs[d]![idx[d]!]! + c) * strides[d]!, 0) + (shape.length ? offs[shape.length - 1]![idx[shape.length - 1]!]! : 0);
          const len = shape.length ? ext[shape.length - 1]! : 1;
          out.set(data.subarray(at, at + len), w);
          w += len;
        }
        // Small finite blocks go as plain numbers, which travel inline with the task (no fetch).
        return backend.put(out.length <= 4096 && out.every(Number.isFinite) ? Array.from(out) : out);
      });
      return wrap({ kind: 'source', id: newId(), shape, chunks, dtype: dtype, blocks, label: 'fromArray' });
    },
    concatenate: (arrays: ShoalArray[], axis = 0) => {
      if (!Array.isArray(arrays) || arrays.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'concatenate takes a non-empty list of arrays');
      const first = arrays[0]!;
      const [a] = normalizeAxes(axis, first.ndim, 'concatenate');
      for (const x of arrays) {
        if (x.ndim !== first.ndim || x.shape.some((n, d) => d !== a && n !== first.shape[d])) throw new ShoalError('ERR_SHAPE_MISMATCH', `concatenate: shapes ${fmt(first.shape)} and ${fmt(x.shape)} differ off axis ${a}`);
      }
      const dtype = arrays.map((x) => x.dtype).reduce(promote);
      const nodes = arrays.map((x) => (x.dtype === dtype ? x.node : x.astype(dtype).node));
      const shape = first.shape.map((n, d) => (d === a ? arrays.reduce((s, x) => s + x.shape[d]!, 0) : n));
      const chunks = first.chunks.map((c, d) => (d === a ? arrays.flatMap((x) => x.chunks[d]!) : c));
      return wrap({ kind: 'assemble', what: 'concatenate', id: newId(), shape, chunks, dtype, inputs: nodes, axis: a!, start: shape.map(() => 0), step: shape.map(() => 1) });
    },
    stack: (arrays: ShoalArray[], axis = 0) => {
      if (!Array.isArray(arrays) || arrays.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'stack takes a non-empty list of arrays');
      for (const x of arrays) if (x.shape.join() !== arrays[0]!.shape.join()) throw new ShoalError('ERR_SHAPE_MISMATCH', `stack: shapes ${fmt(arrays[0]!.shape)} and ${fmt(x.shape)} differ`);
      return ns.concatenate(arrays.map((x) => x.expandDims(axis)), axis);
    },
    where: (condition: Operand, x: Operand, y: Operand) => elementwise('where', [condition, x, y]),
    matmul: (a: ShoalArray, b: ShoalArray) => a.matmul(b),
    dot: (a: ShoalArray, b: ShoalArray) => a.matmul(b),
    transpose: (a: ShoalArray, axes?: number[]) => a.transpose(axes),
    mapBlocks: (fn: (...args: never[]) => unknown, ...arrays: ShoalArray[]) => arrays[0]!.mapBlocks(fn, arrays.slice(1)),
    /**
     * Dask's index notation, `blockwise(fn, 'ij', x, 'ik', y, 'kj', {dtype, concatenate, newAxes, adjustChunks})`
     * (see blockwise.ts), or `blockwise(fn, [x, y, …], {dtype})`: fn gets the
     * matching block of every array (same shape; the others are rechunked to
     * the first's blocks), as mapBlocks.
     */
    blockwise: (fn: (...args: never[]) => unknown, arrays: ShoalArray[] | string, ...rest: unknown[]) => {
      if (typeof arrays === 'string') return wrap(blockwiseNode(fn, arrays, rest, (x) => (x instanceof ShoalArray ? x.node : null)));
      if (!Array.isArray(arrays) || arrays.length === 0) throw new ShoalError('ERR_BAD_OPTION', 'blockwise takes a function and an output index then (array, index) pairs, or a function and a non-empty list of arrays');
      return arrays[0]!.mapBlocks(fn, arrays.slice(1), (rest[0] ?? {}) as { dtype?: DType });
    },
  };
  for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'mod', 'maximum', 'minimum', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr', 'logicalXor'] as const) {
    (ns as Record<string, unknown>)[op] = (a: Operand, b: Operand) => elementwise(op, [a, b]);
  }
  for (const op of ['neg', 'abs', 'square', 'exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'floor', 'ceil', 'logicalNot'] as const) {
    (ns as Record<string, unknown>)[op] = (a: Operand) => elementwise(op, [a]);
  }
  return ns as typeof ns & Record<string, (...args: Operand[]) => ShoalArray>;
}
