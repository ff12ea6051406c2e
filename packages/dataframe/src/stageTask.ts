/**
 * The one task function every DataFrame stage runs, on a worker, as an
 * ordinary Shoal task. It ships as source text, so it is self-contained: all
 * it knows comes from its spec (made by tasks.ts) and its input blocks (Arrow
 * IPC streams, already fetched peer to peer by the runtime).
 *
 * It loads the inputs into the worker's engine (ctx.engine(), DuckDB-WASM),
 * runs the stage's SQL once, and writes the output as the spec says: one
 * block, `n` blocks split by a partition expression, a block plus a sample
 * of the sort key, or a file uploaded to the data folder. The last returned
 * value is the task's stats (rows and bytes per block), which come back
 * inline, so adaptive execution can plan the next stage without moving data.
 */
import type { ArrowKernels, ArrowStageOp } from './arrowKernels.ts';
import type { DistinctFinal, DistinctFinalOp } from './distinctFinal.ts';
import type { fetchStageFiles } from './stageFetch.ts';

/** What one task of a stage does (plain data; travels in the task's arguments). */
export interface TaskSpec {
  readonly kind: 'sql' | 'js';
  /** Input tables in argument order: `count` blocks each; `ddl` makes it when there are none. */
  readonly tables: readonly { readonly name: string; readonly ddl: string; readonly count: number; readonly select?: readonly string[]; readonly keys?: readonly string[] }[];
  /** Remote files the SQL reads, registered by name. */
  readonly files: readonly { readonly name: string; readonly url: string }[];
  readonly sql: string;
  readonly out: TaskOutput;
  /** mapPartitions' function source (kind 'js'). */
  readonly fn?: string;
  /** Files fetched whole and decoded in the task: Parquet (rows `range`) loaded as table `name`, NDJSON registered as CSV file `name`. */
  readonly fetches?: readonly {
    readonly name: string;
    readonly url: string;
    readonly format: 'parquet' | 'json' | 'csvRange';
    readonly range?: { offset: number; limit: number };
    readonly columns?: readonly { name: string }[];
    /** Parquet: read only these row groups (by HTTP Range requests, not the whole file). */
    readonly rowGroups?: readonly number[];
    /** Parquet: read only these columns. */
    readonly pick?: readonly string[];
  }[];
  /** For ERR_READ_FAILED messages: what this task reads. */
  readonly reading?: string;
  /**
   * The stage only gathers its input blocks (a repartition's reduce side): the output is their IPC
   * streams joined at the message level, with no engine load or export, unless their schemas differ.
   */
  readonly concat?: boolean;
  /**
   * A partial aggregate the task may do row by row instead: when `probe` (a sample's rows `n`, their
   * distinct keys `d`) finds `d > ratio × n`, grouping would hardly shrink the partition, so `sql` replaces the spec's.
   */
  readonly rowByRow?: { readonly sql: string; readonly probe: string; readonly ratio: number };
  /** Keep the output block in this Web Worker's engine under its object id (a cache's partition: the next action reads it in place). */
  readonly keep?: boolean;
  /** A sort's sample, range split or sort done on the blocks' bytes in JS (arrowKernels.ts); `sql` is the fallback. */
  readonly arrow?: ArrowStageOp;
  /** A final aggregate that only renames its input's columns when each group is one row: tried in JS first (distinctFinal.ts). */
  readonly distinct?: DistinctFinalOp;
}

export type TaskOutput =
  | { readonly kind: 'single' }
  /** `expr` gives each row's partition, 0 ≤ p < n. */
  /** `hash`: the keys' hash (SQL); its values, part by part, come back as `n` more blocks after the parts (distinctGather.ts). */
  | { readonly kind: 'split'; readonly expr: string; readonly n: number; readonly hash?: string }
  /** `expr`: the sort key's SQL over the stage's output. */
  /** `only`: no block, just the sample. */
  | { readonly kind: 'sample'; readonly expr: string; readonly size: number; readonly only?: boolean }
  | { readonly kind: 'write'; readonly format: 'parquet' | 'csv'; readonly url: string };

export interface TaskStats {
  rows: number[];
  bytes: number[];
  sample?: unknown[];
  ms: number;
  /** Input blocks read in place from the engine's kept tables (loaded by an earlier task here). */
  kept?: number;
  /** Where `ms` went: getting and loading inputs (and fetching files), running the SQL, exporting the output blocks. */
  phases?: Phases;
  /** The partial aggregate was done row by row (spec.rowByRow): grouping would have left this share of the rows (an estimate). */
  rowByRow?: number;
  /** The task ran on the blocks' bytes in JS (spec.arrow), not in the engine. */
  arrow?: boolean;
  /** The final aggregate found every group one row and passed the rows through in JS (spec.distinct). */
  distinct?: boolean;
  /** Blocks of key hashes returned after the output blocks (out.hash), one per part. */
  hashes?: number;
  /** The worker whose engine kept the block (spec.keep): a later stage over kept blocks reads each worker's in one task. */
  worker?: string;
}

export interface Phases {
  load: number;
  run: number;
  export: number;
}

/** The task function (self-contained: it is shipped as source, with the kernels: stageFunction.ts). Returns `[...blocks, stats]`. */
export async function dataframeStage(spec: TaskSpec, given: (Uint8Array | object)[], ctx: { engine: () => Promise<any>; arrow: any; workerId: string; taskId?: string; get?: (ref: any) => Promise<unknown>; acceptKeptInputs?: () => void; recycle?: (bytes: Uint8Array) => void }, kernels?: ArrowKernels, fetchFiles?: typeof fetchStageFiles, passDistinct?: DistinctFinal): Promise<unknown> {
  const started = performance.now();
  // Blocks this Web Worker's engine keeps (spec.tables[].keys) may come as refs, not bytes: see the loading loop.
  if (!spec.arrow) ctx.acceptKeptInputs?.();
  const inputs = given as Uint8Array[];
  const isBytes = (b: unknown): b is Uint8Array => b instanceof Uint8Array;
  // Rows in an IPC stream from its record batch headers alone (decoding the batches costs ~3 ms per MB).
  const rowsOf = (ipc: Uint8Array): number => {
    const reader = new ctx.arrow.MessageReader(ipc);
    let rows = 0;
    for (let m = reader.readMessage(); m; m = reader.readMessage()) {
      if (m.isRecordBatch()) rows += Number(m.header().length);
      if (m.bodyLength > 0) reader.readMessageBody(m.bodyLength);
    }
    return rows;
  };
  /**
   * Arrow IPC streams with one schema joined into one stream: the first one's schema message, every
   * stream's batches, one end-of-stream marker; null when there are none or their schemas differ.
   * Framing: 0xFFFFFFFF, int32 metadata length, the Message flatbuffer, then its body (bodyLength,
   * field 3 of the Message table).
   */
  const concatStreams = (streams: Uint8Array[]): Uint8Array | null => {
    if (streams.length === 0) return null;
    if (streams.length === 1) return streams[0]!;
    const parts: Uint8Array[] = [];
    let schema: Uint8Array | null = null;
    for (const stream of streams) {
      const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
      let pos = 0;
      while (pos + 8 <= stream.byteLength) {
        let prefix = 8;
        let metaLength = view.getInt32(pos, true);
        if (metaLength === -1) metaLength = view.getInt32(pos + 4, true);
        else prefix = 4; // the pre-1.0 framing, with no continuation marker
        if (metaLength === 0) break; // end of stream
        const meta = pos + prefix;
        const table = meta + view.getUint32(meta, true);
        const vtable = table - view.getInt32(table, true);
        const vtableLength = view.getUint16(vtable, true);
        const field = (i: number): number => (4 + 2 * i < vtableLength ? view.getUint16(vtable + 4 + 2 * i, true) : 0);
        const type = field(1) ? view.getUint8(table + field(1)) : 0;
        const body = field(3) ? Number(view.getBigInt64(table + field(3), true)) : 0;
        const end = meta + metaLength + body;
        if (end > stream.byteLength) return null;
        const message = stream.subarray(pos, end);
        // Dictionary batches: joined streams would replace one stream's dictionary by the next (not every reader takes that).
        if (type === 2) return null;
        if (type === 1) {
          // Schema: the first one is kept; every other must be the same bytes.
          if (!schema) {
            schema = message;
            parts.push(message);
          } else if (message.byteLength !== schema.byteLength || message.some((b, i) => b !== schema![i])) return null;
        } else parts.push(message);
        pos = end;
      }
    }
    if (!schema) return null;
    const eos = new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0]);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, eos.byteLength));
    let at = 0;
    for (const p of [...parts, eos]) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  };
  const fetchBytes = async (i: number): Promise<void> => {
    if (!ctx.get) throw new Error(`input ${i} came as a ref and this context cannot get it`);
    inputs[i] = (await ctx.get(inputs[i])) as Uint8Array;
  };
  if (spec.arrow && kernels) {
    // Inputs that came as bytes are this task's alone; those fetched by ref (ctx.get) may not be.
    const owned = inputs.map(isBytes);
    for (let i = 0; i < inputs.length; i++) if (!isBytes(inputs[i])) await fetchBytes(i);
    const done = kernels.stage(spec.arrow, inputs.filter((b) => b.byteLength > 0), concatStreams, started);
    // A sort or split wrote every row anew: its inputs' memory can take a later task's output (the runtime
    // keeps lent inputs out of it).
    if (done && (spec.arrow.op === 'sort' || spec.arrow.op === 'split')) inputs.forEach((b, i) => owned[i] && ctx.recycle?.(b));
    if (done) return done;
  }
  if (spec.distinct && passDistinct) {
    for (let i = 0; i < inputs.length; i++) if (!isBytes(inputs[i])) await fetchBytes(i);
    const done = passDistinct(spec.distinct, inputs.filter((b) => b.byteLength > 0));
    if (done) {
      const ms = performance.now() - started;
      return [done.block, { rows: [done.rows], bytes: [done.block.byteLength], ms, phases: { load: 0, run: ms, export: 0 }, distinct: true }];
    }
  }
  if (spec.kind === 'js') {
    for (let i = 0; i < inputs.length; i++) if (!isBytes(inputs[i])) await fetchBytes(i);
    const tables = inputs.map((b) => ctx.arrow.tableFromIPC(b));
    const batches = tables.flatMap((t: any) => t.batches);
    const input = tables.length ? new ctx.arrow.Table(tables[0].schema, batches) : new ctx.arrow.Table();
    const fn = new Function(`return (${spec.fn});`)();
    const out = await fn(input, ctx);
    if (!out || typeof out.numRows !== 'number') throw new TypeError(`mapPartitions: the function must return an Arrow Table (ctx.arrow), got ${out === null ? 'null' : typeof out}`);
    const ipc = ctx.arrow.tableToIPC(out, 'stream') as Uint8Array;
    return [ipc, { rows: [out.numRows], bytes: [ipc.byteLength], ms: performance.now() - started }];
  }
  if (spec.concat) {
    for (let i = 0; i < inputs.length; i++) if (!isBytes(inputs[i])) await fetchBytes(i);
    const joined = concatStreams(inputs.filter((b) => b.byteLength > 0));
    if (joined) {
      const ms = performance.now() - started;
      return [joined, { rows: [rowsOf(joined)], bytes: [joined.byteLength], ms, phases: { load: ms, run: 0, export: 0 } }];
    }
  }
  /**
   * Split outputs up to this many rows are exported once and cut in JS: each export costs DuckDB-WASM ~10-16 ms
   * however small, and a partial aggregate over a big input is cut into many parts (q5's 100k groups a task into 10).
   */
  const SMALL_SPLIT_ROWS = 131072;
  const engine = await ctx.engine();
  let mark = performance.now();
  const phases = { load: 0, run: 0, export: 0 };
  /** Charges the time since the last lap to `phase`. */
  const lap = (phase: keyof typeof phases): void => {
    const now = performance.now();
    phases[phase] += now - mark;
    mark = now;
  };
  // Inputs sent as refs are kept here, unless evicted since: get those (each await may let another task evict more, so check again).
  const keyed: { i: number; key: string }[] = [];
  let from = 0;
  for (const t of spec.tables) {
    t.keys?.forEach((key, j) => keyed.push({ i: from + j, key }));
    from += t.count;
  }
  for (;;) {
    const missing = keyed.filter(({ i, key }) => !isBytes(inputs[i]) && !engine.kept(key));
    if (missing.length === 0) break;
    for (const { i } of missing) await fetchBytes(i);
  }
  for (let i = 0; i < inputs.length; i++) if (!isBytes(inputs[i]) && !keyed.some((k) => k.i === i)) await fetchBytes(i);
  // Pin every kept input now (no await since the check), so that loading the others cannot evict them.
  for (const { i, key } of keyed) if (!isBytes(inputs[i])) engine.keep(key, () => new Uint8Array(0), 0);
  let at = 0;
  let keptHits = 0;
  const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  for (const t of spec.tables) {
    const given = inputs.slice(at, at + t.count);
    // Stored blocks named by `keys` stay in this Web Worker's engine as kept tables: loaded by the first task, read in place by later ones.
    if (t.keys && t.keys.length === given.length && given.every((b) => !isBytes(b) || b.byteLength > 0)) {
      const hits = t.keys.filter((key) => engine.kept(key)).length;
      const kept = t.keys.map((key, j) => engine.keep(key, () => given[j]!, isBytes(given[j]) ? given[j]!.byteLength : 0) as string | null);
      if (kept.every((name) => name !== null)) {
        const cols = t.select ? t.select.map(quote).join(', ') : '*';
        engine.exec(`CREATE OR REPLACE VIEW ${quote(t.name)} AS ${kept.map((name) => `SELECT ${cols} FROM ${name}`).join(' UNION ALL ')}`);
        keptHits += hits;
        at += t.count;
        continue;
      }
    }
    for (let j = 0; j < given.length; j++) {
      if (isBytes(given[j])) continue;
      await fetchBytes(at + j);
      given[j] = inputs[at + j]!;
    }
    let blocks = given.filter((b) => b && b.byteLength > 0);
    // Only the columns the stage reads go into the engine (a cached partition holds them all).
    if (t.select) blocks = blocks.map((b) => ctx.arrow.tableToIPC(ctx.arrow.tableFromIPC(b).select(t.select), 'stream') as Uint8Array);
    at += t.count;
    // One insert instead of one per block: each costs DuckDB-WASM ~10 ms even for a few rows (a final aggregate reads 8 blocks).
    const joined = blocks.length > 1 ? concatStreams(blocks) : null;
    if (joined) blocks = [joined];
    if (blocks.length) engine.load(t.name, blocks);
    else engine.exec(`CREATE OR REPLACE TABLE "${t.name}" (${t.ddl})`);
  }
  for (const f of spec.files) engine.registerUrl(f.name, f.url);
  const out = spec.out;
  try {
    if (spec.fetches?.length) {
      if (!fetchFiles) throw new Error('this stage reads files, and its task function was given no file reader');
      await fetchFiles(spec, engine);
    }
    lap('load');
    if (out.kind === 'single') {
      // The block is return value 0 of `[block, stats]`: stored as object `${taskId}.0` (workerRuntime.ts).
      const block = (spec.keep && ctx.taskId ? engine.queryAndKeep(`${ctx.taskId}.0`, spec.sql) : engine.query(spec.sql)) as Uint8Array;
      lap('export');
      const stats = { rows: [rowsOf(block)], bytes: [block.byteLength], ms: performance.now() - started, kept: keptHits, phases, ...(spec.keep && ctx.taskId ? { worker: ctx.workerId } : {}) };
      // A sort the kernels could not take still returns as many blocks as it would have in chunks: the rest empty.
      const pad = spec.arrow?.op === 'sort' ? (spec.arrow.chunks ?? 1) - 1 : 0;
      if (pad <= 0) return [block, stats];
      const empty = kernels?.ipc.schemaOnly(block);
      if (!empty) throw new Error(`sort task ${ctx.taskId ?? ''}: the engine's block has no schema message to pad its chunks with`);
      return [block, ...Array.from({ length: pad }, () => empty), { ...stats, rows: [...stats.rows, ...Array(pad).fill(0)], bytes: [...stats.bytes, ...Array(pad).fill(empty.byteLength)] }];
    }
    if (out.kind === 'write') {
      const bytes = (out.format === 'parquet' ? (await engine.parquet()).write(engine.query(spec.sql)) : engine.write(spec.sql, out.format)) as Uint8Array;
      const res = await fetch(out.url, { method: 'PUT', body: bytes as unknown as BodyInit });
      if (!res.ok) throw new Error(`upload of ${out.url.replace(/\?.*/, '')} failed: ${res.status} ${await res.text()}`);
      return { rows: [], bytes: [bytes.byteLength], ms: performance.now() - started };
    }
    if (out.kind === 'sample') {
      const sampleOf = (from: string) => {
        const sampled = ctx.arrow.tableFromIPC(engine.query(`SELECT ${out.expr} AS k FROM ${from} USING SAMPLE ${out.size} ROWS`));
        return Array.from(sampled.getChild('k').toArray(), (v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
      };
      if (out.only) {
        // Only the sample goes back (the range stage computes the rows again); its row count is the input's.
        const [counted] = ctx.arrow.tableFromIPC(engine.query(`SELECT count(*)::DOUBLE AS n FROM (${spec.sql})`)).toArray();
        const sample = sampleOf(`(${spec.sql})`);
        lap('run');
        return { rows: [Number(counted.n)], bytes: [0], sample, ms: performance.now() - started, kept: keptHits, phases };
      }
      engine.exec(`CREATE OR REPLACE TABLE "__out" AS ${spec.sql}`);
      lap('run');
      const block = engine.query('SELECT * FROM "__out"') as Uint8Array;
      const sample = sampleOf('"__out"');
      lap('export');
      return [block, { rows: [rowsOf(block)], bytes: [block.byteLength], sample, ms: performance.now() - started, kept: keptHits, phases }];
    }
    // A partial aggregate over mostly distinct keys is done row by row: grouping would cost more than it saves.
    let sql = spec.sql;
    let rowByRow: number | undefined;
    if (spec.rowByRow) {
      const [probe] = ctx.arrow.tableFromIPC(engine.query(spec.rowByRow.probe)).toArray();
      const [n, d, total] = [Number(probe.n), Number(probe.d), Number(probe.total)];
      // The keys' number K from d distinct in n rows drawn from K (d = K(1 − e^(−n/K)), by bisection on log K),
      // then the groups the whole partition would make: D = K(1 − e^(−total/K)). All n distinct: K unbounded.
      let share = 1;
      if (d < n - 0.5) {
        let [lo, hi] = [Math.log(Math.max(1, d)), Math.log(1e15)];
        for (let i = 0; i < 60; i++) {
          const k = Math.exp((lo + hi) / 2);
          if (k * -Math.expm1(-n / k) < d) lo = (lo + hi) / 2;
          else hi = (lo + hi) / 2;
        }
        const k = Math.exp((lo + hi) / 2);
        share = Math.min(1, (k * -Math.expm1(-total / k)) / Math.max(1, total));
      }
      if (n >= 1000 && share > spec.rowByRow.ratio) {
        sql = spec.rowByRow.sql;
        rowByRow = share;
      }
    }
    // One pass makes the rows and their part numbers; each part is then exported on its own.
    // With out.hash, each row's key hash too (`__h`): each part's hashes are exported as a block of their own.
    const hashed = out.hash ? `, ${out.hash} AS "__h"` : '';
    const extra = out.hash ? '"__p", "__h"' : '"__p"';
    engine.exec(`CREATE OR REPLACE TABLE "__parts" AS SELECT *, CAST(${out.expr} AS INTEGER) AS "__p"${hashed} FROM (${sql}) AS "__out"`);
    lap('run');
    const blocks: Uint8Array[] = [];
    const hashBlocks: Uint8Array[] = [];
    const rows: number[] = [];
    const [{ n: total }] = ctx.arrow.tableFromIPC(engine.query('SELECT count(*)::DOUBLE AS n FROM "__parts"')).toArray();
    if (Number(total) <= SMALL_SPLIT_ROWS && out.n > 1) {
      // A small output (a partial aggregate's): one export, cut into parts here (each export costs DuckDB-WASM ~5-10 ms).
      const whole = ctx.arrow.tableFromIPC(engine.query('SELECT * FROM "__parts" ORDER BY "__p"'));
      const part = whole.getChild('__p').toArray() as Int32Array;
      const body = whole.select(whole.schema.fields.map((f: { name: string }) => f.name).filter((name: string) => name !== '__p' && name !== '__h'));
      const hashes = out.hash ? whole.select(['__h']) : null;
      let start = 0;
      for (let p = 0; p < out.n; p++) {
        let end = start;
        while (end < part.length && part[end] === p) end++;
        blocks.push(ctx.arrow.tableToIPC(body.slice(start, end), 'stream') as Uint8Array);
        if (hashes) hashBlocks.push(ctx.arrow.tableToIPC(hashes.slice(start, end), 'stream') as Uint8Array);
        rows.push(end - start);
        start = end;
      }
    } else {
      for (let p = 0; p < out.n; p++) {
        const block = engine.query(`SELECT * EXCLUDE (${extra}) FROM "__parts" WHERE "__p" = ${p}`) as Uint8Array;
        blocks.push(block);
        rows.push(rowsOf(block));
        if (out.hash) hashBlocks.push(engine.query(`SELECT "__h" FROM "__parts" WHERE "__p" = ${p}`) as Uint8Array);
      }
    }
    lap('export');
    return [...blocks, ...hashBlocks, { rows, bytes: blocks.map((b) => b.byteLength), ms: performance.now() - started, kept: keptHits, phases, ...(rowByRow !== undefined ? { rowByRow } : {}), ...(out.hash ? { hashes: hashBlocks.length } : {}) }];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('ERR_READ_FAILED: ')) throw error;
    // Running out of memory is not a read failure (DuckDB's message links its docs by https): the executor cuts the partition instead.
    if (spec.reading && !/Out of Memory Error/.test(message) && /(IO Error|HTTP|read_|No files found|Invalid Input|Conversion Error|Parquet|CSV|JSON)/i.test(message)) {
      const failure = new Error(`ERR_READ_FAILED: cannot read ${spec.reading}: ${message}`);
      failure.name = 'ReadFailed';
      throw failure;
    }
    throw error;
  }
}
