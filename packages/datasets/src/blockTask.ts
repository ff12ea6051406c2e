/**
 * The one task function every dataset operator runs (and the wrapper class
 * of pool actors). Both ship as source: the text of `blockLib` is embedded
 * in them (`datasetTaskFunction()` builds the function once per realm), so
 * they are self-contained; all a task knows comes from its spec (plain data)
 * and its input blocks, fetched peer to peer by the runtime.
 *
 * A task returns `[block, meta]` (numReturns 2): the block stays in the
 * worker's store when big or binary, and the meta (`{rows, bytes}`) travels
 * inline, so the executor counts rows without moving data.
 */
import { blockLib, type BatchFormat, type Block } from './blockLib.ts';
import { bufferPool } from './bufferPool.ts';

/** One transform applied to a block, in order (functions as source text). */
export type TransformStep =
  | { readonly kind: 'map' | 'flatMap' | 'filter'; readonly fn: string; readonly op: string }
  | { readonly kind: 'batches'; readonly fn: string; readonly op: string; readonly batchSize: number | null; readonly batchFormat: BatchFormat; readonly fnArgs: readonly unknown[] };

export type ReadSpec =
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'file'; readonly format: 'parquet' | 'csv' | 'json' | 'binary'; readonly url: string; readonly path: string; readonly includePaths?: boolean };

export type TaskSpec =
  /** `steps`: transforms fused into the read (fuseTransforms), run on the block before it leaves. */
  | { readonly kind: 'read'; readonly read: ReadSpec; readonly block: string; readonly steps?: readonly TransformStep[] }
  | { readonly kind: 'transform'; readonly steps: readonly TransformStep[]; readonly block: string }
  /** Rows `[start, end)` of each input block, concatenated. */
  | { readonly kind: 'slice'; readonly slices: readonly { readonly start: number; readonly end: number }[]; readonly block: string }
  /** Splits the input into `parts` blocks by a seeded random draw per row (returns the parts only). */
  | { readonly kind: 'shuffleMap'; readonly parts: number; readonly seed: number; readonly block: string }
  /** Concatenates the inputs and permutes the rows (seeded). */
  | { readonly kind: 'shuffleReduce'; readonly seed: number; readonly block: string }
  /** Writes the input as a Parquet file to `url` (a data-folder URL with a write grant); returns meta only. */
  | { readonly kind: 'write'; readonly format: 'parquet' | 'json'; readonly url: string; readonly block: string }
  /** Reads a stored block's meta. */
  | { readonly kind: 'meta'; readonly block: string };

export interface BlockMeta {
  rows: number;
  bytes: number;
  /** Milliseconds inside the task (absent for blocks the job put). */
  ms?: number;
}

/** The task function's body; `lib` is `blockLib()` (self-contained apart from it). */
export async function datasetTaskBody(lib: ReturnType<typeof blockLib>, spec: TaskSpec, inputs: unknown[], ctx: { arrow: any; engine: () => Promise<any> }, pool: ReturnType<typeof bufferPool>): Promise<unknown> {
  pool.begin();
  try {
    return await runSpec();
  } finally {
    pool.end();
  }
  async function runSpec(): Promise<unknown> {
    const badBatch = (op: string, message: string): Error => {
      const error = new Error(`operator ${op}, block ${spec.block}: ${message}`);
      error.name = 'ERR_BAD_BATCH';
      return error;
    };
    const readFailed = (message: string): Error => {
      const error = new Error(message);
      error.name = 'ERR_READ_FAILED';
      return error;
    };
    // Compiled once per Web Worker and kept (a fresh eval per task would start every hot loop cold in V8).
    const compiled: Map<string, (...args: unknown[]) => unknown> = ((globalThis as Record<string, unknown>)['__shoalDatasetFns'] ??= new Map()) as Map<string, (...args: unknown[]) => unknown>;
    const compile = (source: string): ((...args: unknown[]) => unknown) => {
      let fn = compiled.get(source);
      if (!fn) {
        // Batch functions see the pool's typed array constructors (bufferPool.ts): `new Float64Array(n)` may reuse a buffer.
        fn = ((0, eval)(`(function (${pool.names.join(', ')}) { return (${source}); })`) as (...shadows: unknown[]) => (...args: unknown[]) => unknown)(...pool.shadows);
        if (compiled.size > 256) compiled.clear();
        compiled.set(source, fn);
      }
      return fn;
    };
    const began = performance.now();
    const meta = (b: Block): BlockMeta => ({ rows: b.n, bytes: lib.bytes(b), ms: performance.now() - began });
    const asBlock = (v: unknown): Block => v as Block;
    const fetchBytes = async (url: string, path: string): Promise<Uint8Array> => {
      let response: Response;
      try {
        response = await fetch(url);
      } catch (thrown) {
        throw readFailed(`could not read ${path}: ${(thrown as Error).message}`);
      }
      if (!response.ok) throw readFailed(`could not read ${path}: HTTP ${response.status} ${await response.text().catch(() => '')}`.trim());
      return new Uint8Array(await response.arrayBuffer());
    };

    const read = async (r: ReadSpec): Promise<Block> => {
      if (r.kind === 'range') {
        const id = pool.alloc(Float64Array, r.end - r.start);
        for (let i = 0; i < id.length; i++) id[i] = r.start + i;
        return { n: id.length, cols: { id } };
      }
      const bytes = await fetchBytes(r.url, r.path);
      let block: Block;
      if (r.format === 'binary') block = { n: 1, cols: { path: [r.path], bytes: [bytes] } };
      else if (r.format === 'json') {
        const text = new TextDecoder().decode(bytes).trim();
        let rows: unknown[];
        try {
          rows = text.startsWith('[') ? JSON.parse(text) : text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
        } catch (thrown) {
          throw readFailed(`${r.path} is not JSON lines: ${(thrown as Error).message}`);
        }
        block = lib.fromRows(rows);
      } else {
        const engine = await ctx.engine();
        let ipc: Uint8Array;
        if (r.format === 'parquet') {
          try {
            ipc = (await engine.parquet()).read(bytes);
          } catch (thrown) {
            throw readFailed(`${r.path} is not a Parquet file: ${(thrown as Error).message}`);
          }
        } else {
          engine.registerBuffer('dataset_csv', bytes);
          ipc = engine.query(`SELECT * FROM read_csv('dataset_csv', header = true)`);
        }
        block = lib.fromArrow(ctx.arrow.tableFromIPC(ipc));
      }
      if (r.includePaths && r.format !== 'binary') block.cols['path'] = new Array(block.n).fill(r.path);
      return block;
    };

    const runStep = async (step: TransformStep, block: Block): Promise<Block> => {
      const fn = compile(step.fn);
      if (step.kind === 'batches') {
        const size = step.batchSize ?? Math.max(1, block.n);
        const outs: Block[] = [];
        for (let at = 0; at < Math.max(1, block.n); at += size) {
          const batch = lib.toBatch(lib.slice(block, at, at + size), step.batchFormat, ctx.arrow);
          const result = await fn(batch, ...step.fnArgs, ctx);
          try {
            outs.push(lib.normalize(result));
          } catch (thrown) {
            throw badBatch(step.op, `the batch function ${(thrown as Error).message}`);
          }
        }
        return lib.concat(outs);
      }
      const rows = lib.toRows(block);
      const out: unknown[] = [];
      const kept: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        const value = await fn(rows[i], ctx);
        if (step.kind === 'filter') {
          if (value) kept.push(i);
        } else if (step.kind === 'map') {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badBatch(step.op, `map's function returned ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value} for row ${i}, not a plain object`);
          out.push(value);
        } else {
          if (!Array.isArray(value)) throw badBatch(step.op, `flatMap's function returned ${value === null ? 'null' : typeof value} for row ${i}, not an array of rows`);
          for (const v of value) out.push(v);
        }
      }
      if (step.kind === 'filter') return lib.take(block, kept);
      try {
        return lib.fromRows(out);
      } catch (thrown) {
        throw badBatch(step.op, (thrown as Error).message);
      }
    };

    switch (spec.kind) {
      case 'read': {
        let b = await read(spec.read);
        pool.handedOn(b);
        for (const step of spec.steps ?? []) pool.handedOn((b = await runStep(step, b)));
        return [b, meta(b)];
      }
      case 'transform': {
        let b = asBlock(inputs[0]);
        for (const step of spec.steps) pool.handedOn((b = await runStep(step, b)));
        return [b, meta(b)];
      }
      case 'slice': {
        const b = lib.concat(spec.slices.map((s, i) => lib.slice(asBlock(inputs[i]), s.start, s.end)));
        return [b, meta(b)];
      }
      case 'shuffleMap': {
        const b = asBlock(inputs[0]);
        const draw = lib.random(spec.seed);
        const buckets: number[][] = Array.from({ length: spec.parts }, () => []);
        for (let i = 0; i < b.n; i++) buckets[Math.floor(draw() * spec.parts)]!.push(i);
        const parts = buckets.map((idx) => lib.take(b, idx));
        if (parts.length < 2) parts.push(lib.empty());
        return parts;
      }
      case 'shuffleReduce': {
        const b = lib.concat(inputs.map(asBlock));
        const draw = lib.random(spec.seed);
        const order = Array.from({ length: b.n }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(draw() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const out = lib.take(b, order);
        return [out, meta(out)];
      }
      case 'write': {
        const b = asBlock(inputs[0]);
        let body: Uint8Array;
        if (spec.format === 'json') body = new TextEncoder().encode(lib.toRows(b).map((r) => JSON.stringify(r)).join('\n') + '\n');
        else {
          const codec = await (await ctx.engine()).parquet();
          body = codec.write(ctx.arrow.tableToIPC(lib.toArrow(b, ctx.arrow), 'stream'));
        }
        const response = await fetch(spec.url, { method: 'PUT', body: body as unknown as BodyInit });
        if (!response.ok) throw new Error(`could not write ${spec.block}: HTTP ${response.status} ${await response.text().catch(() => '')}`);
        return [null, meta(b)];
      }
      case 'meta':
        return [null, meta(asBlock(inputs[0]))];
    }
  }
}

let built: ((...args: unknown[]) => Promise<unknown>) | null = null;

/** The task function, self-contained: `(spec, ...inputs, ctx)`. Built once (the same function, so one definition per worker). */
export function datasetTaskFunction(): (...args: unknown[]) => Promise<unknown> {
  built ??= (0, eval)(`(async function datasetTask(spec, ...rest) {
  const ctx = rest.pop();
  const lib = (${blockLib.toString()})();
  const pool = (${bufferPool.toString()})();
  const body = (${datasetTaskBody.toString()});
  return body(lib, spec, rest, ctx, pool);
})`);
  return built!;
}

/**
 * The pool actor's class for a user's class (its source): it builds the
 * instance with the constructor arguments and runs `call(batch, ctx)` for
 * each block, in the operator's batch format. `call` on the wrapper answers
 * the block (stored on the actor's worker when big); `meta` reads it.
 */
export function poolActorClass(userSource: string, step: { op: string; batchSize: number | null; batchFormat: BatchFormat }): new (...args: unknown[]) => object {
  const source = `(class PoolActor {
  constructor(...args) {
    const User = (0, eval)(${JSON.stringify(`(${userSource})`)});
    this.lib = (${blockLib.toString()})();
    this.user = new User(...args);
    this.step = ${JSON.stringify(step)};
  }
  async call(block, blockId, ctx) {
    const lib = this.lib;
    const size = this.step.batchSize ?? Math.max(1, block.n);
    const outs = [];
    for (let at = 0; at < Math.max(1, block.n); at += size) {
      const batch = lib.toBatch(lib.slice(block, at, at + size), this.step.batchFormat, ctx.arrow);
      const result = await this.user.call(batch, ctx);
      try {
        outs.push(lib.normalize(result));
      } catch (thrown) {
        const error = new Error('operator ' + this.step.op + ', block ' + blockId + ': the batch function ' + thrown.message);
        error.name = 'ERR_BAD_BATCH';
        throw error;
      }
    }
    return lib.concat(outs);
  }
})`;
  return (0, eval)(source);
}
