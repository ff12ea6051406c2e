/**
 * Shapes, chunks and axes: validation (ERR_BAD_OPTION, at graph-building
 * time), NumPy broadcasting (ERR_SHAPE_MISMATCH naming both shapes) and the
 * block grid arithmetic the planner uses.
 *
 * `chunks` is normalized Dask's way: one list of block sizes per axis, summing
 * to the axis length (e.g. shape [10] with chunks 4 → [[4, 4, 2]]).
 */
import { ShoalError } from '@shoal/protocol';

export type Shape = readonly number[];
export type Chunks = readonly (readonly number[])[];

/** What a user may pass as `chunks`: one size for every axis, one size per axis (-1: the whole axis), or explicit sizes per axis. */
export type ChunksOption = number | readonly (number | readonly number[])[];

/** Blocks of about this many elements when no chunks are given (32 MiB of float64, as Dask's 'auto' aims at a size). */
export const AUTO_BLOCK_ELEMENTS = 1 << 22;

export function checkShape(shape: unknown, where: string): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(list) || !list.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new ShoalError('ERR_BAD_OPTION', `${where}: shape must be a list of whole numbers ≥ 0, got ${JSON.stringify(shape)}`);
  }
  return [...list] as number[];
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** C-order strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d]!;
  }
  return out;
}

function even(length: number, block: number): number[] {
  if (length === 0) return [0];
  const out: number[] = [];
  for (let at = 0; at < length; at += block) out.push(Math.min(block, length - at));
  return out;
}

/** Chunks for `shape` from the user's option; undefined gives blocks of about AUTO_BLOCK_ELEMENTS. */
export function normalizeChunks(option: ChunksOption | undefined, shape: Shape, where: string): number[][] {
  const bad = (why: string): never => {
    throw new ShoalError('ERR_BAD_OPTION', `${where}: bad chunks ${JSON.stringify(option)} for shape ${fmt(shape)}: ${why}`);
  };
  if (option === undefined) return autoChunks(shape);
  if (typeof option === 'number') {
    if (!Number.isSafeInteger(option) || option < 1) bad('a block size must be a whole number ≥ 1');
    return shape.map((n) => even(n, option));
  }
  if (!Array.isArray(option)) return bad('expected a number or a list per axis');
  if (option.length !== shape.length) bad(`expected ${shape.length} entries, one per axis`);
  return shape.map((n, d) => {
    const entry = option[d];
    if (typeof entry === 'number') {
      if (entry === -1) return [n];
      if (!Number.isSafeInteger(entry) || entry < 1) return bad(`axis ${d}: a block size must be a whole number ≥ 1 (or -1 for the whole axis)`);
      return even(n, entry);
    }
    if (!Array.isArray(entry) || !entry.every((c) => Number.isSafeInteger(c) && c >= 0)) return bad(`axis ${d}: expected a size or a list of sizes`);
    const total = entry.reduce((a: number, b: number) => a + b, 0);
    if (total !== n) return bad(`axis ${d}: the sizes add up to ${total}, not ${n}`);
    if (entry.length === 0 || (n > 0 && entry.some((c: number) => c === 0))) return bad(`axis ${d}: blocks must not be empty`);
    return [...entry] as number[];
  });
}

function autoChunks(shape: Shape): number[][] {
  // Equal-ish blocks of at most AUTO_BLOCK_ELEMENTS, shrinking the leading axes first.
  const block = shape.map((n) => Math.max(1, n));
  let d = 0;
  while (size(block) > AUTO_BLOCK_ELEMENTS && d < block.length) {
    const rest = size(block) / block[d]!;
    block[d] = Math.max(1, Math.floor(AUTO_BLOCK_ELEMENTS / rest));
    if (size(block) > AUTO_BLOCK_ELEMENTS) d++;
  }
  return shape.map((n, i) => even(n, block[i]!));
}

export function fmt(shape: Shape): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShoalError('ERR_SHAPE_MISMATCH', `operands could not be broadcast together with shapes ${fmt(a)} and ${fmt(b)}`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Axes as sorted distinct non-negative numbers; undefined or null means all axes. */
export function normalizeAxes(axis: unknown, ndim: number, where: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) throw new ShoalError('ERR_BAD_OPTION', `${where}: axis must be a number or a list of numbers, got ${JSON.stringify(axis)}`);
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) {
      throw new ShoalError('ERR_BAD_OPTION', `${where}: axis ${JSON.stringify(a)} is out of range for an array of ${ndim} dimension${ndim === 1 ? '' : 's'} (valid: ${-ndim} to ${ndim - 1})`);
    }
    return a < 0 ? a + ndim : a;
  });
  if (new Set(out).size !== out.length) throw new ShoalError('ERR_BAD_OPTION', `${where}: repeated axis in ${JSON.stringify(axis)}`);
  return out.sort((a, b) => a - b);
}

/** Block start offsets along one axis. */
export function offsets(chunks: readonly number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const c of chunks) {
    out.push(at);
    at += c;
  }
  return out;
}

export function gridShape(chunks: Chunks): number[] {
  return chunks.map((c) => c.length);
}

/** Every block index of a grid, in C order. */
export function gridIndices(grid: Shape): number[][] {
  const out: number[][] = [];
  const total = size(grid);
  const strides = stridesOf(grid);
  for (let f = 0; f < total; f++) out.push(grid.map((_, d) => Math.floor(f / strides[d]!) % grid[d]!));
  return out;
}

export function sameChunks(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
