/**
 * Ring collectives over a GroupTransport (pure: no I/O of its own, so tests run
 * it over memoryTransport.ts). The algorithms of Gloo/NCCL and Horovod's paper:
 *
 * - allreduce = reduce-scatter then allgather. The array is cut into `n`
 *   segments; at reduce-scatter step s rank r sends segment r-s-1 to its right
 *   neighbour and adds segment r-s-2 from its left one into its own copy, so
 *   after n-1 steps it holds segment r fully reduced; allgather then passes
 *   the reduced segments round the ring (step s: send r-s, receive r-s-1).
 *   Each rank sends 2(n-1)/n of the array in all, which is why the bus
 *   bandwidth (size × 2(n-1)/n ÷ time) approaches the link rate.
 * - Pipelining: each segment is cut into chunks of `chunkBytes` (960 KiB); chunk column
 *   j (chunk j of every segment) runs its 2(n-1) steps on its own, so while
 *   column j waits for its step-s chunk, column j+1 is on the wire. At most
 *   `window` columns are in flight.
 * - broadcast: chunks flow root → root+1 → … round the ring, pipelined the
 *   same way; allgather is the allgather phase over one segment per rank;
 *   reduceScatter is the first phase alone (rank r keeps segment r);
 *   barrier is an allgather of one number (every rank hears from every rank).
 *
 * Every rank must call the same collectives in the same order with the same
 * `tag`s and array lengths. Segment r is elements [⌊rL/n⌋, ⌊(r+1)L/n⌋).
 */
import type { FloatArray, GroupTransport, ReduceOp, RingOptions } from './types.ts';

/**
 * 960 KiB: the largest size Chromium's allocator (PartitionAlloc) serves from
 * buckets it reuses; a bigger ArrayBuffer is mapped fresh for each chunk and
 * every page of it faults on first touch (about 5 ms a MiB on this VM). Moving
 * 64 MiB between two tabs by transfer cost 13-15 ms of CPU a MiB in 960 KiB
 * chunks against 16-18 in 1 MiB ones (bench/README.md, Allreduce).
 */
export const DEFAULT_CHUNK_BYTES = 960 * 1024;
const DEFAULT_WINDOW = 8;

type Range = readonly [start: number, end: number];

/** The `n` segments of an array of `length` elements. */
export function segments(length: number, n: number): Range[] {
  return Array.from({ length: n }, (_, k) => [Math.floor((k * length) / n), Math.floor(((k + 1) * length) / n)] as const);
}

function chunkOf(segment: Range, column: number, elements: number): Range {
  const start = Math.min(segment[1], segment[0] + column * elements);
  return [start, Math.min(segment[1], start + elements)];
}

function chunkElements(array: FloatArray, options: RingOptions): number {
  return Math.max(1, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / array.BYTES_PER_ELEMENT));
}

/** Runs `work(0..count-1)` with at most `window` at once; rejects with the first failure. */
async function columns(count: number, window: number, work: (column: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, count)) }, lane));
}

function view(array: FloatArray, bytes: ArrayBuffer): FloatArray {
  return array instanceof Float64Array ? new Float64Array(bytes) : new Float32Array(bytes);
}

/** Adds (or maxes) `incoming` into `target` from `offset`. */
export function reduceInto(target: FloatArray, offset: number, incoming: FloatArray, op: ReduceOp): void {
  const n = incoming.length;
  if (op === 'max') {
    for (let i = 0; i < n; i++) if (incoming[i]! > target[offset + i]!) target[offset + i] = incoming[i]!;
  } else {
    for (let i = 0; i < n; i++) target[offset + i] += incoming[i]!;
  }
}

const mod = (k: number, n: number) => ((k % n) + n) % n;

/** Sends are started without waiting, so a rank never blocks its neighbour; their failures surface at the end of the column. */
class Sends {
  private readonly pending: Promise<void>[] = [];
  add(promise: Promise<void>): void {
    promise.catch(() => undefined); // awaited in `all`; never unhandled meanwhile
    this.pending.push(promise);
  }
  all(): Promise<void> {
    return Promise.all(this.pending).then(() => undefined);
  }
}

/** One column's steps, then every send they started (so a column's failures surface at its end). */
async function withSends(steps: (sends: Sends) => Promise<void>): Promise<void> {
  const sends = new Sends();
  await steps(sends);
  await sends.all();
}

/** One column's reduce-scatter: at the end, chunk `column` of segment `rank` is reduced over every rank. */
async function reduceScatterColumn(t: GroupTransport, data: FloatArray, segs: Range[], column: number, elements: number, op: ReduceOp, tag: string, sends: Sends): Promise<void> {
  const { rank: r, size: n } = t;
  const right = mod(r + 1, n);
  const left = mod(r - 1, n);
  for (let s = 0; s < n - 1; s++) {
    const [a, b] = chunkOf(segs[mod(r - s - 1, n)]!, column, elements);
    if (b > a) sends.add(t.send(right, `${tag}.rs${s}.${column}`, data.slice(a, b).buffer as ArrayBuffer));
    const [c, d] = chunkOf(segs[mod(r - s - 2, n)]!, column, elements);
    if (d > c) reduceInto(data, c, view(data, await t.recv(left, `${tag}.rs${s}.${column}`)), op === 'mean' ? 'sum' : op);
  }
}

/** One column's allgather: segment r-s goes right, segment r-s-1 comes from the left, for n-1 steps. */
async function allgatherColumn(t: GroupTransport, data: FloatArray, segs: Range[], column: number, elements: number, tag: string, sends: Sends): Promise<void> {
  const { rank: r, size: n } = t;
  const right = mod(r + 1, n);
  const left = mod(r - 1, n);
  for (let s = 0; s < n - 1; s++) {
    const [a, b] = chunkOf(segs[mod(r - s, n)]!, column, elements);
    if (b > a) sends.add(t.send(right, `${tag}.ag${s}.${column}`, data.slice(a, b).buffer as ArrayBuffer));
    const [c, d] = chunkOf(segs[mod(r - s - 1, n)]!, column, elements);
    if (d > c) data.set(view(data, await t.recv(left, `${tag}.ag${s}.${column}`)), c);
  }
}

function columnCount(segs: Range[], elements: number): number {
  return Math.max(1, Math.ceil(Math.max(...segs.map(([a, b]) => b - a)) / elements));
}

/** Reduces `data` in place across the group (every rank ends with the same values) and returns it. */
export async function ringAllreduce<T extends FloatArray>(t: GroupTransport, data: T, op: ReduceOp, tag: string, options: RingOptions = {}): Promise<T> {
  const n = t.size;
  if (n > 1) {
    const segs = segments(data.length, n);
    const elements = chunkElements(data, options);
    await columns(columnCount(segs, elements), options.window ?? DEFAULT_WINDOW, (column) =>
      withSends(async (sends) => {
        await reduceScatterColumn(t, data, segs, column, elements, op, tag, sends);
        await allgatherColumn(t, data, segs, column, elements, tag, sends);
      }),
    );
  }
  if (op === 'mean') for (let i = 0; i < data.length; i++) data[i]! /= n;
  return data;
}

/** Reduces across the group and returns this rank's segment of the result (a copy; `data` is used as scratch). */
export async function ringReduceScatter<T extends FloatArray>(t: GroupTransport, data: T, op: ReduceOp, tag: string, options: RingOptions = {}): Promise<T> {
  const n = t.size;
  const segs = segments(data.length, n);
  if (n > 1) {
    const elements = chunkElements(data, options);
    await columns(columnCount(segs, elements), options.window ?? DEFAULT_WINDOW, (column) => withSends((sends) => reduceScatterColumn(t, data, segs, column, elements, op, tag, sends)));
  }
  const [a, b] = segs[t.rank]!;
  const mine = data.slice(a, b) as T;
  if (op === 'mean') for (let i = 0; i < mine.length; i++) mine[i]! /= n;
  return mine;
}

/** Every rank's `data` (all the same length), in rank order. */
export async function ringAllgather<T extends FloatArray>(t: GroupTransport, data: T, tag: string, options: RingOptions = {}): Promise<T[]> {
  const n = t.size;
  const length = data.length;
  const all = (data instanceof Float64Array ? new Float64Array(length * n) : new Float32Array(length * n)) as T;
  all.set(data, t.rank * length);
  const segs = Array.from({ length: n }, (_, k) => [k * length, (k + 1) * length] as const);
  if (n > 1) {
    const elements = chunkElements(data, options);
    await columns(columnCount(segs, elements), options.window ?? DEFAULT_WINDOW, (column) => withSends((sends) => allgatherColumn(t, all, segs, column, elements, tag, sends)));
  }
  return segs.map(([a, b]) => all.subarray(a, b) as T);
}

/** `body` for each non-empty chunk [a, b) of the whole array (column `column`), pipelined `options.window` at a time. */
async function eachChunk(data: FloatArray, options: RingOptions, body: (a: number, b: number, column: number) => Promise<void>): Promise<void> {
  const elements = chunkElements(data, options);
  const whole: Range = [0, data.length];
  await columns(columnCount([whole], elements), options.window ?? DEFAULT_WINDOW, async (column) => {
    const [a, b] = chunkOf(whole, column, elements);
    if (b > a) await body(a, b, column);
  });
}

/** Root's `data` on every rank (others pass an array of the same length to fill, and get it back filled). */
export async function ringBroadcast<T extends FloatArray>(t: GroupTransport, data: T, root: number, tag: string, options: RingOptions = {}): Promise<T> {
  const { rank: r, size: n } = t;
  if (n === 1) return data;
  const right = mod(r + 1, n);
  const left = mod(r - 1, n);
  await eachChunk(data, options, async (a, b, column) => {
    if (r !== root) data.set(view(data, await t.recv(left, `${tag}.bc.${column}`)), a);
    if (right !== root) await t.send(right, `${tag}.bc.${column}`, data.slice(a, b).buffer as ArrayBuffer);
  });
  return data;
}

/**
 * The left neighbour's `data` (rank r gets rank r−1's; all the same length), written over `data`:
 * every link of the ring carries the array at once, chunked and pipelined
 * like the others, with no reduction. A ring permutation (JAX's `ppermute`,
 * NCCL send/recv round a ring); the allreduce bench times it as the rate the
 * ring's links reach when all of them are busy.
 */
export async function ringShift<T extends FloatArray>(t: GroupTransport, data: T, tag: string, options: RingOptions = {}): Promise<T> {
  const { rank: r, size: n } = t;
  if (n === 1) return data;
  const right = mod(r + 1, n);
  const left = mod(r - 1, n);
  // In place, as allreduce works: each chunk is copied out to be sent before the left neighbour's lands on it.
  await eachChunk(data, options, async (a, b, column) => {
    const sent = t.send(right, `${tag}.sh.${column}`, data.slice(a, b).buffer as ArrayBuffer);
    sent.catch(() => undefined);
    data.set(view(data, await t.recv(left, `${tag}.sh.${column}`)), a);
    await sent;
  });
  return data;
}

/** Resolves once every rank has entered the barrier. */
export async function ringBarrier(t: GroupTransport, tag: string): Promise<void> {
  await ringAllgather(t, new Float64Array([t.rank]), tag);
}
