import { describe, expect, it } from 'vitest';
import { compileStage } from './compileStage.ts';
import type { SortKey } from './expr.ts';
import type { Schema, Source } from './plan.ts';
import { isMemoryError, MAX_SPLIT, mergePieces, RECUT_BYTES, splitTask, type SplitState } from './split.ts';
import { DEFAULT_CONF, stageLeaf, type Stage } from './stages.ts';
import type { CompileContext, CompiledTask, StageResult } from './tasks.ts';

const schema: Schema = [{ name: 'k', type: 'bigint' }, { name: 'v', type: 'double' }];
const base = { kind: 'sql' as const, scan: null, schema, ordering: null, estimatedBytes: 0 };
const mapStage = (id: number, keys = ['k']): Stage => ({ ...base, id, name: 'map', plan: stageLeaf(99, schema), reads: [], output: { kind: 'hash', keys, n: 2 } });
/** A map stage's result: `tasks` tasks of `parts` blocks each. */
const result = (stage: number, tasks: number, parts: number, extra: Partial<StageResult['tasks'][number]> = {}): StageResult => ({
  tasks: Array.from({ length: tasks }, (_, t) => ({ blocks: Array.from({ length: parts }, (_, j) => `s${stage}t${t}b${j}`), rows: Array(parts).fill(1), bytes: Array(parts).fill(1), ...extra })),
});
const ctxOf = (stages: Stage[], results: [number, StageResult][]): CompileContext => ({ conf: { ...DEFAULT_CONF, adaptive: false }, results: new Map(results), stages, fileUrl: (p) => p });
/** The split, its pieces given re-cut outputs named `c<recut>p<part>`. */
const split = (stage: Stage, task: CompiledTask, ctx: CompileContext, factor?: number) => {
  const out = splitTask(stage, task, ctx, factor);
  if (!('pieces' in out)) throw new Error(out.reason);
  const parts = out.recuts.map((c, i) => Array.from({ length: c.numReturns - 1 }, (_, k) => `c${i}p${k}`));
  return { how: out.how, recuts: out.recuts, pieces: out.pieces(parts) };
};

describe('splitTask: a partition that ran out of memory, cut into pieces', () => {
  const aggStage: Stage = { ...base, id: 1, name: 'agg', plan: { kind: 'aggregate', input: stageLeaf(0, schema), groupBy: [{ kind: 'col', name: 'k' }], aggs: [] } as never, reads: [{ stage: 0, mode: 'shuffle' }], output: { kind: 'single' } };

  it('cuts a hash exchange reader by a second hash of the exchange keys: re-cut tasks first, each piece reads its part of each', () => {
    const ctx = ctxOf([mapStage(0), aggStage], [[0, result(0, 3, 2)]]);
    const [task] = compileStage(aggStage, ctx).tasks;
    const out = split(aggStage, task!, ctx);
    expect(out.how).toBe('by a second hash of its keys');
    // The partition's blocks go through re-cut tasks (here one each: a re-cut reads at most a quarter of the partition), each writing 2 parts.
    expect(out.recuts.map((c) => [c.inputs, c.spec.sql, c.spec.out, c.numReturns])).toEqual(task!.inputs.map((id) => [[id], 'SELECT * FROM "s0"', { kind: 'split', expr: 'hash(hash(CAST("k" AS DOUBLE))) % 2', n: 2 }, 3]));
    expect(out.pieces.map((p) => [p.inputs, p.spec.tables[0]!.count, p.spec.sql, p.split])).toEqual([0, 1].map((r) => [[`c0p${r}`, `c1p${r}`, `c2p${r}`], 3, task!.spec.sql, { kind: 'hash', of: 2, r }]));
    // Piece 1 of 2 again: its rows' second hash h is 1 modulo 2; (h // 2) % 2 cuts them into pieces 1 and 3 of 4.
    const again = split(aggStage, out.pieces[1]!, ctx);
    expect(again.recuts[0]!.spec.out).toEqual({ kind: 'split', expr: '(hash(hash(CAST("k" AS DOUBLE))) // 2) % 2', n: 2 });
    expect(again.recuts.map((c) => c.inputs)).toEqual([['c0p1'], ['c1p1'], ['c2p1']]);
    expect(again.pieces.map((t) => t.split)).toEqual([{ kind: 'hash', of: 4, r: 1 }, { kind: 'hash', of: 4, r: 3 }]);
  });

  it('groups the re-cut tasks\' blocks up to a quarter of the partition, at most RECUT_BYTES', () => {
    const big: StageResult = { tasks: Array.from({ length: 10 }, (_, t) => ({ blocks: [`b${t}`], rows: [1], bytes: [RECUT_BYTES / 2] })) };
    const ctx = ctxOf([mapStage(0), aggStage], [[0, big]]);
    const out = split(aggStage, compileStage(aggStage, ctx).tasks[0]!, ctx);
    expect(out.recuts.map((c) => c.inputs)).toEqual([0, 2, 4, 6, 8].map((t) => [`b${t}`, `b${t + 1}`]));
    expect(out.pieces[1]!.inputs).toEqual(['c0p1', 'c1p1', 'c2p1', 'c3p1', 'c4p1']);
    expect(out.pieces[1]!.spec.tables[0]!.count).toBe(5);
    const small: StageResult = { tasks: Array.from({ length: 8 }, (_, t) => ({ blocks: [`b${t}`], rows: [1], bytes: [1000] })) };
    const quarter = split(aggStage, compileStage(aggStage, ctxOf([mapStage(0), aggStage], [[0, small]])).tasks[0]!, ctxOf([mapStage(0), aggStage], [[0, small]]));
    expect(quarter.recuts.map((c) => c.inputs.length)).toEqual([2, 2, 2, 2]);
  });

  it("cuts both sides of a shuffled join by the same second hash of each side's own keys", () => {
    const right: Stage = { ...mapStage(1, ['k2']), schema: [{ name: 'k2', type: 'int' }] };
    const join: Stage = { ...base, id: 2, name: 'join', plan: { kind: 'join', left: stageLeaf(0, schema), right: stageLeaf(1, right.schema), how: 'left', on: null, using: null }, reads: [{ stage: 0, mode: 'shuffle' }, { stage: 1, mode: 'shuffle' }], output: { kind: 'single' }, join: { how: 'left', left: 0, right: 1 } };
    const ctx = ctxOf([mapStage(0), right, join], [[0, result(0, 2, 2)], [1, result(1, 2, 2)]]);
    const out = split(join, compileStage(join, ctx).tasks[0]!, ctx, 4);
    const [byK, byK2] = [{ kind: 'split', expr: 'hash(hash(CAST("k" AS DOUBLE))) % 4', n: 4 }, { kind: 'split', expr: 'hash(hash(CAST("k2" AS DOUBLE))) % 4', n: 4 }];
    expect(out.recuts.map((c) => c.spec.out)).toEqual([byK, byK, byK2, byK2]);
    expect(out.pieces.map((p) => [p.inputs, p.spec.tables.map((t) => t.count)])).toEqual([0, 1, 2, 3].map((r) => [[`c0p${r}`, `c1p${r}`, `c2p${r}`, `c3p${r}`], [2, 2]]));
  });

  describe('a sort partition, by sub-ranges of its key from the sample, in the sort order', () => {
    // Stage 0 samples (pointwise rows), stage 1 cuts by range into 2 parts at the sample's median, stage 2 sorts.
    const samples = Array.from({ length: 100 }, (_, i) => i);
    const stages = (key: SortKey): Stage[] => [
      { ...base, id: 0, name: 'sample', plan: stageLeaf(99, schema), reads: [], output: { kind: 'sample', key } },
      { ...base, id: 1, name: 'range', plan: stageLeaf(0, schema), reads: [{ stage: 0, mode: 'pointwise' }], output: { kind: 'range', key, n: 2 } },
      { ...base, id: 2, name: 'sort', plan: { kind: 'sort', input: stageLeaf(1, schema), keys: [key] }, reads: [{ stage: 1, mode: 'shuffle' }], output: { kind: 'single' }, ordering: [key] },
    ];
    const cases: [string, SortKey, number, string, SplitState[]][] = [
      // Bounds [50]: ascending part 0 is keys < 50 (nulls last: not here), cut at the sample's 25.
      ['ascending, first part', { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }, 0,
        'CASE WHEN ("v") IS NOT NULL AND (("v") < 25) THEN 0 ELSE 1 END',
        [{ kind: 'range', lo: null, hi: 25, nulls: false, of: 2 }, { kind: 'range', lo: 25, hi: 50, nulls: false, of: 2 }]],
      ['ascending, last part holds the nulls (nulls last)', { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }, 1,
        'CASE WHEN ("v") IS NOT NULL AND (("v") >= 50 AND ("v") < 75) THEN 0 ELSE 1 END',
        [{ kind: 'range', lo: 50, hi: 75, nulls: false, of: 2 }, { kind: 'range', lo: 75, hi: null, nulls: true, of: 2 }]],
      ['descending, first part is the high keys, highest first, nulls first', { expr: { kind: 'col', name: 'v' }, ascending: false, nullsFirst: true }, 0,
        'CASE WHEN ("v") IS NULL OR (("v") >= 75) THEN 0 ELSE 1 END',
        [{ kind: 'range', lo: 75, hi: null, nulls: true, of: 2 }, { kind: 'range', lo: 50, hi: 75, nulls: false, of: 2 }]],
    ];
    it.each(cases)('%s', (_, key, part, expr, states) => {
      const s = stages(key);
      const ctx = ctxOf(s, [[0, { tasks: [{ blocks: ['r0'], rows: [1], bytes: [1], sample: samples.slice(0, 50) }, { blocks: ['r1'], rows: [1], bytes: [1], sample: samples.slice(50) }] }], [1, result(1, 2, 2)]]);
      const task = compileStage(s[2]!, ctx).tasks[part]!;
      const out = split(s[2]!, task, ctx);
      expect(out.how).toBe('by sub-ranges of its sort key');
      expect(out.recuts.map((c) => c.spec.out)).toEqual([{ kind: 'split', expr, n: 2 }, { kind: 'split', expr, n: 2 }]);
      expect(out.pieces.map((t) => t.split)).toEqual(states);
      // A piece is sorted as its partition would have been (here by the kernels).
      for (const t of out.pieces) expect(t.spec.arrow).toEqual(task.spec.arrow);
    });

    it('cuts the null keys from a part whose sample holds one other key, and no further', () => {
      const key: SortKey = { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: true };
      const s = stages(key);
      const ctx = ctxOf(s, [[0, { tasks: [{ blocks: ['r0'], rows: [1], bytes: [1], sample: [...Array(50).fill(7), ...Array(50).fill(9)] }] }], [1, result(1, 2, 2)]]);
      const out = split(s[2]!, compileStage(s[2]!, ctx).tasks[0]!, ctx);
      expect(out.pieces.map((p) => p.split)).toEqual([{ kind: 'range', lo: null, hi: null, nulls: 'only', of: 2 }, { kind: 'range', lo: null, hi: 9, nulls: false, of: 2 }]);
      expect(out.recuts[0]!.spec.out).toEqual({ kind: 'split', expr: 'CASE WHEN ("v") IS NULL THEN 0 ELSE 1 END', n: 2 });
      expect(splitTask(s[2]!, out.pieces[0]!, ctx)).toEqual({ reason: expect.stringMatching(/null sort keys/) });
    });

    it('does not cut a range whose sample holds one key (a hot key)', () => {
      const key: SortKey = { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false };
      const s = stages(key);
      const ctx = ctxOf(s, [[0, { tasks: [{ blocks: ['r0'], rows: [1], bytes: [1], sample: Array(100).fill(7) }] }], [1, result(1, 2, 2)]]);
      const out = splitTask(s[2]!, compileStage(s[2]!, ctx).tasks[0]!, ctx);
      expect(out).toEqual({ reason: expect.stringMatching(/one hot key/) });
    });
  });

  it('cuts a scan of one stored block by runs of its rows (re-cut), and of several blocks by runs of whole blocks', () => {
    const source: Source = { kind: 'blocks', blocks: ['b0', 'b1', 'b2'], rows: 30, bytes: 300, holders: ['w1', 'w1', 'w1'] };
    const scan: Stage = { ...mapStage(0), plan: { kind: 'source', source, schema, columns: null, filters: [] }, scan: source };
    const ctx = ctxOf([scan], []);
    const task = compileStage(scan, ctx).tasks[1]!;
    expect(task.spec.tables[0]!.keys).toEqual(['b1']);
    const out = split(scan, task, ctx);
    expect(out.how).toBe('by runs of its rows');
    // The re-cut reads the block as the task did (kept in its engine); the pieces read plain bytes.
    expect(out.recuts.map((c) => [c.inputs, c.spec.tables[0]!.keys, c.spec.out])).toEqual([[['b1'], ['b1'], { kind: 'split', expr: '(row_number() OVER () - 1) * 2 // count(*) OVER ()', n: 2 }]]);
    expect(out.pieces.map((p) => [p.inputs, p.spec.tables[0]!.keys, p.split])).toEqual([[['c0p0'], undefined, { kind: 'rows', of: 2 }], [['c0p1'], undefined, { kind: 'rows', of: 2 }]]);
    const merged = compileStage(scan, { ...ctx, conf: { ...ctx.conf, adaptive: true } }).tasks[0]!;
    expect(merged.inputs).toEqual(['b0', 'b1', 'b2']);
    const runs = split(scan, merged, ctx);
    expect(runs.recuts).toEqual([]);
    expect(runs.pieces.map((p) => [p.inputs, p.spec.tables[0]!.keys])).toEqual([[['b0', 'b1'], ['b0', 'b1']], [['b2'], ['b2']]]);
  });

  it("cuts a Parquet part by its row groups and a CSV part by its byte range (the header in the first only)", () => {
    const pq: Source = { kind: 'parquet', files: [{ path: 'a.parquet', size: 400 << 20, rowGroups: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ firstRow: i * 100, numRows: 100, index: i, bytes: 50 << 20, stats: {} })) as never }], options: {} } as never;
    const scan = (source: Source): Stage => ({ ...mapStage(0), plan: { kind: 'source', source, schema, columns: null, filters: [] }, scan: source });
    const ctx = ctxOf([scan(pq)], []);
    const task = compileStage(scan(pq), ctx).tasks[0]!;
    expect(task.spec.fetches![0]!.rowGroups).toEqual([0]);
    const two = { ...task, spec: { ...task.spec, fetches: [{ ...task.spec.fetches![0]!, rowGroups: [0, 1, 2] }] } };
    const out = split(scan(pq), two, ctx);
    expect(out.recuts).toEqual([]);
    expect(out.pieces.map((t) => t.spec.fetches![0]!.rowGroups)).toEqual([[0], [1, 2]]);
    const csv: Source = { kind: 'csv', files: [{ path: 'a.csv', size: 200 << 20 }], options: { header: true, delimiter: ',' } } as never;
    const cctx = ctxOf([scan(csv)], []);
    const first = compileStage(scan(csv), cctx).tasks[0]!;
    expect(first.spec.sql).toContain("header=true");
    const pieces = split(scan(csv), first, cctx);
    const whole = first.spec.fetches![0]!.range!;
    expect(pieces.pieces.map((t) => t.spec.fetches![0]!.range)).toEqual([{ offset: 0, limit: whole.limit / 2 }, { offset: whole.limit / 2, limit: whole.limit / 2 }]);
    expect(pieces.pieces.map((t) => /header=true/.test(t.spec.sql))).toEqual([true, false]);
  });

  it.each([
    ['a mapPartitions stage', { ...aggStage, kind: 'js' } as Stage, /mapPartitions/],
    ['a write', { ...aggStage, output: { kind: 'write', format: 'csv', dir: 'out' } } as Stage, /write task/],
    ['a gather (a keyless final aggregate)', { ...aggStage, reads: [{ stage: 0, mode: 'all' }] } as Stage, /whole input/],
  ])('does not cut %s', (_, stage, reason) => {
    const ctx = { ...ctxOf([mapStage(0), stage], [[0, result(0, 2, 2)]]), writeUrl: (i: number) => `w${i}` };
    const task = compileStage(stage, ctx).tasks[0]!;
    expect(splitTask(stage, task, ctx)).toEqual({ reason: expect.stringMatching(reason) });
  });

  it(`stops at ${MAX_SPLIT} pieces of a partition`, () => {
    const ctx = ctxOf([mapStage(0), aggStage], [[0, result(0, 1, 1)]]);
    const task = compileStage(aggStage, ctx).tasks[0]!;
    expect('pieces' in splitTask(aggStage, { ...task, split: { kind: 'hash', of: MAX_SPLIT / 2, r: 0 } }, ctx)).toBe(true);
    expect(splitTask(aggStage, { ...task, split: { kind: 'hash', of: MAX_SPLIT, r: 0 } }, ctx)).toEqual({ reason: `it ran out of memory even cut into ${MAX_SPLIT} pieces` });
  });
});

describe('isMemoryError', () => {
  it.each([
    ['the runtime cap', { code: 'ERR_TASK_MEMORY', message: 'the task allocated more binary memory' }, true],
    ["DuckDB's memory_limit, through a task failure", { code: 'ERR_TASK_FAILED', message: 'x', remote: { code: 'ERR_ENGINE', message: 'Out of Memory Error: could not allocate block of size 256.0 KiB' } }, true],
    ['DuckDB running out inside another error', { code: 'ERR_ENGINE', message: 'TransactionContext Error: Failed to commit: could not allocate block of size 256.0 KiB (60.8 MiB/61.0 MiB used)' }, true],
    ["V8's", { code: 'ERR_TASK_FAILED', message: 'RangeError: Array buffer allocation failed' }, true],
    ['another engine error', { code: 'ERR_ENGINE', message: 'Catalog Error: no such table' }, false],
    ['a lost worker', { code: 'ERR_WORKER_LOST', message: 'worker w1 was lost' }, false],
  ])('%s', (_, error, memory) => expect(isMemoryError(error)).toBe(memory));
});

describe('mergePieces', () => {
  const piece = (b: string) => ({ blocks: [b], rows: [1], bytes: [2] });
  it("keeps an exchange write's pieces as tasks of their own (block j of each goes to reader j), and joins any other's blocks in order", () => {
    const hash = { ...mapStage(0) };
    expect(mergePieces(hash, [piece('a'), piece('b')])).toEqual([piece('a'), piece('b')]);
    const single: Stage = { ...hash, output: { kind: 'single' } };
    expect(mergePieces(single, [piece('a'), piece('b')])).toEqual([{ blocks: ['a', 'b'], rows: [1, 1], bytes: [2, 2] }]);
    const sample: Stage = { ...hash, output: { kind: 'sample', key: { expr: { kind: 'col', name: 'k' }, ascending: true, nullsFirst: false } } };
    expect(mergePieces(sample, [{ ...piece('a'), sample: [1] }, { ...piece('b'), sample: [2] }])).toEqual([{ blocks: ['a', 'b'], rows: [1, 1], bytes: [2, 2], sample: [1, 2] }]);
  });
});
