/**
 * `ShoalArray`: a lazy, blocked n-d array. Every method builds graph nodes
 * (graph.ts) and checks its input at once (ERR_SHAPE_MISMATCH,
 * ERR_BAD_OPTION), before anything runs; compute(), persist() and toArray()
 * plan the graph (plan.ts) and run it through the backend (the cluster).
 */
import { ShoalError } from '@shoal/protocol';
import { allocate, castValue, checkDtype, isFloat, promote, promoteScalar, type DType, type TypedArrayOf } from './dtype.ts';
import { newId, type ArrayNode, type ReduceOp } from './graph.ts';
import { OPS } from './ops.ts';
import { explainGraph } from './explain.ts';
import { planGraph, rechunkNode, type GpuMode, type TaskGraph } from './plan.ts';
import { broadcastShapes, fmt, gridIndices, gridShape, normalizeAxes, normalizeChunks, offsets, size, stridesOf, type ChunksOption, type Shape } from './shape.ts';
import { FIXED_SOURCES } from './execute.ts';

/** Where planned graphs run: the cluster (api.ts) or this process (tests). */
export interface Backend {
  /** Stores one block; answers its handle. */
  put(block: TypedArrayOf | number[]): unknown;
  /** Runs the graph and answers the output blocks' values. */
  run(graph: TaskGraph): Promise<ArrayLike<number>[]>;
  /** Runs the graph and answers the output blocks' handles once they exist. */
  persist(graph: TaskGraph): Promise<unknown[]>;
}

export type Operand = ShoalArray | number | boolean;

export interface ReduceOptions {
  /** An axis, several, or all (undefined / null). */
  axis?: number | number[] | null;
  keepdims?: boolean;
  /** Partials combined per task in the reduction tree (default 16). */
  splitEvery?: number;
  /** For var and std: the divisor is N - ddof (default 0, as NumPy). */
  ddof?: number;
}

/** The result of compute(): the data in C order, or a number for a 0-d array. */
export interface Computed {
  data: TypedArrayOf;
  shape: number[];
  dtype: DType;
}

export type NestedArray = number | NestedArray[];

export interface RunOptions {
  gpu?: GpuMode;
}

function gpuMode(options: RunOptions): GpuMode {
  checkKeys(options, ['gpu'], 'compute');
  const mode = options.gpu ?? 'auto';
  if (mode !== 'auto' && mode !== 'force' && mode !== 'off') throw new ShoalError('ERR_BAD_OPTION', `compute: gpu must be 'auto', 'force' or 'off', got ${JSON.stringify(mode)}`);
  return mode;
}

export class ShoalArray {
  constructor(readonly node: ArrayNode, readonly backend: Backend) {}

  get shape(): number[] { return [...this.node.shape]; }
  get ndim(): number { return this.node.shape.length; }
  get size(): number { return size(this.node.shape); }
  get dtype(): DType { return this.node.dtype; }
  get chunks(): number[][] { return this.node.chunks.map((c) => [...c]); }
  get numBlocks(): number { return size(gridShape(this.node.chunks)); }
  get T(): ShoalArray { return this.transpose(); }

  // ---- elementwise ----
  add(o: Operand) { return elementwise('add', [this, o]); }
  sub(o: Operand) { return elementwise('sub', [this, o]); }
  mul(o: Operand) { return elementwise('mul', [this, o]); }
  div(o: Operand) { return elementwise('div', [this, o]); }
  pow(o: Operand) { return elementwise('pow', [this, o]); }
  mod(o: Operand) { return elementwise('mod', [this, o]); }
  maximum(o: Operand) { return elementwise('maximum', [this, o]); }
  minimum(o: Operand) { return elementwise('minimum', [this, o]); }
  equal(o: Operand) { return elementwise('equal', [this, o]); }
  notEqual(o: Operand) { return elementwise('notEqual', [this, o]); }
  less(o: Operand) { return elementwise('less', [this, o]); }
  lessEqual(o: Operand) { return elementwise('lessEqual', [this, o]); }
  greater(o: Operand) { return elementwise('greater', [this, o]); }
  greaterEqual(o: Operand) { return elementwise('greaterEqual', [this, o]); }
  logicalAnd(o: Operand) { return elementwise('logicalAnd', [this, o]); }
  logicalOr(o: Operand) { return elementwise('logicalOr', [this, o]); }
  logicalXor(o: Operand) { return elementwise('logicalXor', [this, o]); }
  logicalNot() { return elementwise('logicalNot', [this]); }
  neg() { return elementwise('neg', [this]); }
  abs() { return elementwise('abs', [this]); }
  square() { return elementwise('square', [this]); }
  exp() { return elementwise('exp', [this]); }
  log() { return elementwise('log', [this]); }
  sqrt() { return elementwise('sqrt', [this]); }
  sin() { return elementwise('sin', [this]); }
  cos() { return elementwise('cos', [this]); }
  tanh() { return elementwise('tanh', [this]); }
  floor() { return elementwise('floor', [this]); }
  ceil() { return elementwise('ceil', [this]); }
  astype(dtype: DType): ShoalArray {
    const d = checkDtype(dtype, 'astype');
    return this.wrap({ kind: 'map', op: 'cast', id: newId(), shape: this.node.shape, chunks: this.node.chunks, dtype: d, args: [this.node] });
  }

  // ---- reductions ----
  sum(o: ReduceOptions = {}) { return this.reduce('sum', o); }
  prod(o: ReduceOptions = {}) { return this.reduce('prod', o); }
  mean(o: ReduceOptions = {}) { return this.reduce('mean', o); }
  min(o: ReduceOptions = {}) { return this.reduce('min', o); }
  max(o: ReduceOptions = {}) { return this.reduce('max', o); }
  var(o: ReduceOptions = {}) { return this.reduce('var', o); }
  std(o: ReduceOptions = {}) { return this.reduce('std', o); }
  any(o: ReduceOptions = {}) { return this.reduce('any', o); }
  all(o: ReduceOptions = {}) { return this.reduce('all', o); }
  argmin(o: Omit<ReduceOptions, 'axis'> & { axis?: number | null } = {}) { return this.reduce('argmin', o); }
  argmax(o: Omit<ReduceOptions, 'axis'> & { axis?: number | null } = {}) { return this.reduce('argmax', o); }

  reduce(op: ReduceOp, options: ReduceOptions = {}): ShoalArray {
    const where = op;
    checkKeys(options, ['axis', 'keepdims', 'splitEvery', 'ddof'], where);
    const axes = normalizeAxes(options.axis, this.ndim, where);
    if ((op === 'argmin' || op === 'argmax') && Array.isArray(options.axis)) throw new ShoalError('ERR_BAD_OPTION', `${op}: axis must be one number or null (all axes), as in NumPy`);
    const keepdims = options.keepdims ?? false;
    const splitEvery = options.splitEvery ?? 16;
    if (!Number.isInteger(splitEvery) || splitEvery < 2) throw new ShoalError('ERR_BAD_OPTION', `${where}: splitEvery must be a whole number ≥ 2, got ${JSON.stringify(splitEvery)}`);
    const ddof = options.ddof ?? 0;
    if (!Number.isInteger(ddof) || ddof < 0) throw new ShoalError('ERR_BAD_OPTION', `${where}: ddof must be a whole number ≥ 0`);
    const reduced = new Set(axes);
    const shape = this.node.shape.flatMap((n, d) => (reduced.has(d) ? (keepdims ? [1] : []) : [n]));
    const chunks = this.node.chunks.flatMap((c, d) => (reduced.has(d) ? (keepdims ? [[1]] : []) : [c]));
    const d = this.dtype;
    const dtype: DType =
      op === 'argmin' || op === 'argmax' ? 'int32'
        : op === 'any' || op === 'all' ? 'bool'
          : op === 'min' || op === 'max' ? d
            : isFloat(d) ? d : 'float64';
    return this.wrap({ kind: 'reduce', op, id: newId(), shape, chunks, dtype, axes, keepdims, ddof, splitEvery, input: this.node });
  }

  // ---- shape ----
  transpose(axes?: number[]): ShoalArray {
    const n = this.ndim;
    const perm = axes ?? Array.from({ length: n }, (_, i) => n - 1 - i);
    if (perm.length !== n || normalizeAxes(perm, n, 'transpose').length !== n) throw new ShoalError('ERR_BAD_OPTION', `transpose: axes ${JSON.stringify(axes)} is not a permutation of ${n} axes`);
    const p = perm.map((a) => (a < 0 ? a + n : a));
    return this.wrap({ kind: 'transpose', id: newId(), shape: p.map((a) => this.node.shape[a]!), chunks: p.map((a) => this.node.chunks[a]!), dtype: this.dtype, axes: p, input: this.node });
  }

  rechunk(chunks: ChunksOption): ShoalArray {
    return this.wrap(rechunkNode(this.node, normalizeChunks(chunks, this.node.shape, 'rechunk')));
  }

  /**
   * Basic slicing, one entry per leading axis: a number (picks one index and
   * drops the axis), null (the whole axis), or [start, stop, step] with
   * NumPy's meaning (negative values count from the end; any may be null).
   */
  slice(...index: (number | null | readonly (number | null | undefined)[])[]): ShoalArray {
    if (index.length > this.ndim) throw new ShoalError('ERR_BAD_OPTION', `slice: ${index.length} indices for an array of ${this.ndim} dimensions`);
    const start: number[] = [], step: number[] = [], shape: number[] = [], drop: number[] = [];
    this.node.shape.forEach((n, d) => {
      const spec = index[d] ?? null;
      if (typeof spec === 'number') {
        if (!Number.isInteger(spec) || spec < -n || spec >= n) throw new ShoalError('ERR_BAD_OPTION', `slice: index ${spec} is out of range for axis ${d} of size ${n}`);
        start.push(spec < 0 ? spec + n : spec); step.push(1); shape.push(1); drop.push(d);
        return;
      }
      const [a, b, s] = spec === null ? [null, null, null] : [spec[0] ?? null, spec[1] ?? null, spec[2] ?? null];
      const st = s ?? 1;
      if (!Number.isInteger(st) || st === 0) throw new ShoalError('ERR_BAD_OPTION', `slice: step must be a nonzero whole number, got ${JSON.stringify(s)}`);
      const clamp = (v: number | null, dflt: number, lo: number, hi: number) => (v === null ? dflt : Math.min(hi, Math.max(lo, v < 0 ? v + n : v)));
      const lo = st > 0 ? clamp(a, 0, 0, n) : clamp(a, n - 1, -1, n - 1);
      const hi = st > 0 ? clamp(b, n, 0, n) : clamp(b, -1, -1, n - 1);
      const len = st > 0 ? Math.max(0, Math.ceil((hi - lo) / st)) : Math.max(0, Math.ceil((lo - hi) / -st));
      start.push(lo); step.push(st); shape.push(len);
    });
    // Output blocks: about the input's block size along each axis.
    const chunks = shape.map((len, d) => normalizeChunks([Math.max(1, Math.max(...this.node.chunks[d]!))], [len], 'slice')[0]!);
    const picked: ArrayNode = { kind: 'assemble', what: 'slice', id: newId(), shape, chunks, dtype: this.dtype, inputs: [this.node], axis: 0, start, step };
    if (drop.length === 0) return this.wrap(picked);
    const keep = shape.map((_, d) => d).filter((d) => !drop.includes(d));
    return this.wrap({ kind: 'expand', id: newId(), input: picked, from: keep, shape: keep.map((d) => shape[d]!), chunks: keep.map((d) => chunks[d]!), dtype: this.dtype });
  }

  /**
   * The same elements (C order) under another shape; one entry may be -1.
   * Each output block gathers from the input blocks its elements come from;
   * `chunks` sets the output blocks (default: about the input's block size).
   */
  reshape(shapeIn: number[], options: { chunks?: ChunksOption } = {}): ShoalArray {
    checkKeys(options, ['chunks'], 'reshape');
    const known = shapeIn.filter((n) => n !== -1);
    const shape = shapeIn.length - known.length > 1 ? shapeIn : shapeIn.map((n) => (n === -1 ? (size(known) === 0 ? 0 : this.size / size(known)) : n));
    if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0) || size(shape) !== this.size) throw new ShoalError('ERR_SHAPE_MISMATCH', `reshape: cannot reshape an array of shape ${fmt(this.node.shape)} into shape ${fmt(shapeIn)}`);
    const target = Math.max(1, size(this.node.chunks.map((c) => Math.max(0, ...c))));
    const chunks = options.chunks !== undefined ? normalizeChunks(options.chunks, shape, 'reshape') : reshapeChunks(shape, target);
    return this.wrap({ kind: 'reshape', id: newId(), shape, chunks, dtype: this.dtype, input: this.node });
  }

  /** A new axis of size 1 at `axis` (NumPy's expand_dims). */
  expandDims(axis: number): ShoalArray {
    const n = this.ndim + 1;
    const [a] = normalizeAxes(axis, n, 'expandDims');
    const from = Array.from({ length: n }, (_, d) => (d < a! ? d : d === a ? -1 : d - 1));
    return this.wrap({ kind: 'expand', id: newId(), input: this.node, from, shape: from.map((k) => (k < 0 ? 1 : this.node.shape[k]!)), chunks: from.map((k) => (k < 0 ? [1] : this.node.chunks[k]!)), dtype: this.dtype });
  }

  // ---- linear algebra ----
  matmul(other: ShoalArray): ShoalArray {
    const a = this.node, b = other.node;
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShoalError('ERR_BAD_OPTION', `matmul: takes 2-d arrays, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
    if (a.shape[1] !== b.shape[0]) throw new ShoalError('ERR_SHAPE_MISMATCH', `matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} are not aligned: ${a.shape[1]} (dim 1) != ${b.shape[0]} (dim 0)`);
    const dtype: DType = promote(a.dtype, b.dtype) === 'float32' ? 'float32' : 'float64';
    const cast = (x: ShoalArray) => (x.dtype === dtype ? x.node : x.astype(dtype).node);
    return this.wrap({ kind: 'matmul', id: newId(), shape: [a.shape[0]!, b.shape[1]!], chunks: [a.chunks[0]!, b.chunks[1]!], dtype, a: cast(this), b: cast(other) });
  }
  dot(other: ShoalArray): ShoalArray { return this.matmul(other); }

  /** `fn(blocks..., {off, ext})` per block, returning a typed array of the block's size; self-contained (it ships as source). */
  mapBlocks(fn: (...args: never[]) => unknown, others: ShoalArray[] = [], options: { dtype?: DType } = {}): ShoalArray {
    for (const o of others) if (o.node.shape.join() !== this.node.shape.join()) throw new ShoalError('ERR_SHAPE_MISMATCH', `mapBlocks: arrays of shapes ${fmt(this.node.shape)} and ${fmt(o.node.shape)} differ`);
    const dtype = options.dtype === undefined ? this.dtype : checkDtype(options.dtype, 'mapBlocks');
    const user = Function.prototype.toString.call(fn);
    const source = `function mapBlocks(p, ins) {\n  const f = (${user});\n  return f(...ins, p);\n}`;
    return this.wrap({ kind: 'mapBlocks', id: newId(), shape: this.node.shape, chunks: this.node.chunks, dtype, source, inputs: [this.node, ...others.map((o) => o.node)] });
  }

  // ---- results ----
  /** Plans the graph (pure) without running it. */
  plan(options: RunOptions = {}): TaskGraph { return planGraph(this.node, FIXED_SOURCES, gpuMode(options)); }

  /** The graph before optimization (the logical tree) and after (fused tasks per block). */
  explain(options: RunOptions = {}): string { return explainGraph(this.node, this.plan(options)); }

  /**
   * Runs the graph. `gpu`: 'auto' (default) runs fused float32 chains as WGSL
   * kernels on workers with a real GPU, 'force' also on software adapters
   * (SwiftShader: for tests), 'off' keeps everything on the CPU.
   */
  async compute(options: RunOptions = {}): Promise<Computed | number> {
    const blocks = await this.backend.run(this.plan(options));
    const data = assemble(this.node, blocks);
    if (this.ndim === 0) return data[0]!;
    return { data, shape: this.shape, dtype: this.dtype };
  }

  /** Runs the graph and keeps the blocks on the workers: the new array reads them from there. */
  async persist(options: RunOptions = {}): Promise<ShoalArray> {
    const handles = await this.backend.persist(this.plan(options));
    return this.wrap({ kind: 'source', id: newId(), shape: this.node.shape, chunks: this.node.chunks, dtype: this.dtype, blocks: handles, label: 'persisted' });
  }

  /** Nested JS arrays (for small results). */
  async toArray(options: RunOptions = {}): Promise<NestedArray> {
    const computed = await this.compute(options);
    if (typeof computed === 'number') return computed;
    const nest = (at: number, d: number): NestedArray => (d === computed.shape.length ? computed.data[at]! : Array.from({ length: computed.shape[d]! }, (_, i) => nest(at + i * stridesOf(computed.shape)[d]!, d + 1)));
    return nest(0, 0);
  }

  wrap(node: ArrayNode): ShoalArray { return new ShoalArray(node, this.backend); }
}

/** Output blocks into one C-order typed array. */
function assemble(node: ArrayNode, blocks: ArrayLike<number>[]): TypedArrayOf {
  const out = allocate(node.dtype, size(node.shape));
  const n = node.shape.length;
  if (n === 0) { out[0] = blocks[0]![0]!; return out; }
  const strides = stridesOf(node.shape);
  const offs = node.chunks.map((c) => offsets(c));
  gridIndices(gridShape(node.chunks)).forEach((idx, b) => {
    const data = blocks[b]!;
    const ext = idx.map((i, d) => node.chunks[d]![i]!);
    const rows = size(ext.slice(0, -1));
    const len = ext[n - 1]!;
    for (let r = 0; r < rows; r++) {
      let at = 0, rem = r;
      for (let d = n - 2; d >= 0; d--) { const c = rem % ext[d]!; rem = Math.floor(rem / ext[d]!); at += (offs[d]![idx[d]!]! + c) * strides[d]!; }
      at += offs[n - 1]![idx[n - 1]!]!;
      for (let k = 0; k < len; k++) out[at + k] = data[r * len + k]!;
    }
  });
  return out;
}

/** Blocks of about `target` elements: whole trailing axes first, then a slice of the next. */
function reshapeChunks(shape: number[], target: number): number[][] {
  const block = shape.map(() => 1);
  let room = target;
  for (let d = shape.length - 1; d >= 0; d--) {
    block[d] = Math.max(1, Math.min(shape[d]!, Math.floor(room)));
    room /= Math.max(1, shape[d]!);
    if (room < 1) break;
  }
  return normalizeChunks(block.map((b) => Math.max(1, b)), shape, 'reshape');
}

export function checkKeys(options: object, valid: string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) throw new ShoalError('ERR_BAD_OPTION', `${where}: unknown option '${key}'; valid ones are ${valid.join(', ')}`);
  }
}

/** An elementwise op over arrays and scalars, with NumPy broadcasting and promotion. */
export function elementwise(op: string, operands: Operand[]): ShoalArray {
  const def = OPS[op];
  if (!def) throw new ShoalError('ERR_BAD_OPTION', `unknown elementwise op '${op}'`);
  if (operands.length !== def.arity) throw new ShoalError('ERR_BAD_OPTION', `${op} takes ${def.arity} operand${def.arity === 1 ? '' : 's'}, got ${operands.length}`);
  const arrays = operands.filter((o): o is ShoalArray => o instanceof ShoalArray);
  if (arrays.length === 0) throw new ShoalError('ERR_BAD_OPTION', `${op}: at least one operand must be an array`);
  for (const o of operands) {
    if (!(o instanceof ShoalArray) && typeof o !== 'number' && typeof o !== 'boolean') throw new ShoalError('ERR_BAD_OPTION', `${op}: operands must be arrays or numbers, got ${o === null ? 'null' : typeof o}`);
  }
  const shape = arrays.map((a) => a.node.shape).reduce<number[]>((s, t) => broadcastShapes(s, t), []);
  // Array dtypes promote together; scalars are weak (NEP 50).
  const arrayType = arrays.map((a) => a.dtype).reduce(promote);
  const scalarOperands = operands.filter((o): o is number | boolean => !(o instanceof ShoalArray));
  const promoted = scalarOperands.reduce<DType>((d, s) => promoteScalar(d, s), arrayType);
  const operandTypes = operands.map((o) => (o instanceof ShoalArray ? o.dtype : promoted));
  const dtype = def.dtype(operandTypes);
  // Chunks per output axis: the first array that spans the axis at full size.
  const chunks = shape.map((len, d) => {
    for (const a of arrays) {
      const k = d - (shape.length - a.ndim);
      if (k >= 0 && a.node.shape[k] === len) return a.node.chunks[k]!;
    }
    return [len];
  });
  // A float32 operation sees its scalars rounded to float32, as NumPy does; other scalars stay exact.
  const args = operands.map((o) => (o instanceof ShoalArray ? o.node : promoted === 'float32' ? castValue('float32', Number(o)) : Number(o)));
  return arrays[0]!.wrap({ kind: 'map', op, id: newId(), shape, chunks, dtype, args });
}

export type { Shape };
