import { describe, expect, it } from 'vitest';
import { compileStage } from './compileStage.ts';
import type { SortKey } from './expr.ts';
import type { Schema, Source } from './plan.ts';
import { isMemoryError, MAX_SPLIT, mergePieces, splitTask, type SplitState } from './split.ts';
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
const tablesOf = (t: CompiledTask) => t.spec.piece?.tables;
const split = (stage: Stage, task: CompiledTask, ctx: CompileContext, factor?: number) => {
  const out = splitTask(stage, task, ctx, factor);
  if (!('tasks' in out)) throw new Error(out.reason);
  return out;
};

describe('splitTask: a partition that ran out of memory, cut into pieces', () => {
  const aggStage: Stage = { ...base, id: 1, name: 'agg', plan: { kind: 'aggregate', input: stageLeaf(0, schema), groupBy: [{ kind: 'col', name: 'k' }], aggs: [] } as never, reads: [{ stage: 0, mode: 'shuffle' }], output: { kind: 'single' } };

  it('cuts a hash exchange reader by a second hash of the exchange keys, and a piece again into pieces that make it up', () => {
    const ctx = ctxOf([mapStage(0), aggStage], [[0, result(0, 3, 2)]]);
    const [task] = compileStage(aggStage, ctx).tasks;
    const out = split(aggStage, task!, ctx);
    expect(out.how).toBe('by a second hash of its keys');
    expect(out.tasks.map(tablesOf)).toEqual([0, 1].map((r) => ({ s0: { where: `hash(hash(CAST("k" AS DOUBLE))) % 2 = ${r}` } })));
    // Every piece reads the whole partition's blocks (and filters them as it loads them).
    for (const p of out.tasks) expect(p.inputs).toEqual(task!.inputs);
    // Piece r of 2 becomes pieces r and r + 2 of 4: together its rows, no more.
    const again = split(aggStage, out.tasks[1]!, ctx);
    expect(again.tasks.map((t) => t.split)).toEqual([{ kind: 'hash', m: 4, r: 1 }, { kind: 'hash', m: 4, r: 3 }]);
  });

  it("cuts both sides of a shuffled join by the same second hash of each side's own keys", () => {
    const right: Stage = { ...mapStage(1, ['k2']), schema: [{ name: 'k2', type: 'int' }] };
    const join: Stage = { ...base, id: 2, name: 'join', plan: { kind: 'join', left: stageLeaf(0, schema), right: stageLeaf(1, right.schema), how: 'left', on: null, using: null }, reads: [{ stage: 0, mode: 'shuffle' }, { stage: 1, mode: 'shuffle' }], output: { kind: 'single' }, join: { how: 'left', left: 0, right: 1 } };
    const ctx = ctxOf([mapStage(0), right, join], [[0, result(0, 2, 2)], [1, result(1, 2, 2)]]);
    const out = split(join, compileStage(join, ctx).tasks[0]!, ctx, 4);
    expect(out.tasks.map(tablesOf)).toEqual([0, 1, 2, 3].map((r) => ({ s0: { where: `hash(hash(CAST("k" AS DOUBLE))) % 4 = ${r}` }, s1: { where: `hash(hash(CAST("k2" AS DOUBLE))) % 4 = ${r}` } })));
  });

  describe('a sort partition, by sub-ranges of its key from the sample, in the sort order', () => {
    // Stage 0 samples (pointwise rows), stage 1 cuts by range into 2 parts at the sample's median, stage 2 sorts.
    const samples = Array.from({ length: 100 }, (_, i) => i);
    const stages = (key: SortKey): Stage[] => [
      { ...base, id: 0, name: 'sample', plan: stageLeaf(99, schema), reads: [], output: { kind: 'sample', key } },
      { ...base, id: 1, name: 'range', plan: stageLeaf(0, schema), reads: [{ stage: 0, mode: 'pointwise' }], output: { kind: 'range', key, n: 2 } },
      { ...base, id: 2, name: 'sort', plan: { kind: 'sort', input: stageLeaf(1, schema), keys: [key] }, reads: [{ stage: 1, mode: 'shuffle' }], output: { kind: 'single' }, ordering: [key] },
    ];
    const cases: [string, SortKey, number, string[], SplitState[]][] = [
      // Bounds [50]: ascending part 0 is keys < 50 (nulls last: not here), cut at the sample's 25.
      ['ascending, first part', { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }, 0,
        ['(("v") IS NOT NULL AND (("v") < 25))', '(("v") IS NOT NULL AND (("v") >= 25 AND ("v") < 50))'],
        [{ kind: 'range', lo: null, hi: 25, nulls: false, of: 2 }, { kind: 'range', lo: 25, hi: 50, nulls: false, of: 2 }]],
      ['ascending, last part holds the nulls (nulls last)', { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }, 1,
        ['(("v") IS NOT NULL AND (("v") >= 50 AND ("v") < 75))', '(("v") IS NULL OR (("v") >= 75))'],
        [{ kind: 'range', lo: 50, hi: 75, nulls: false, of: 2 }, { kind: 'range', lo: 75, hi: null, nulls: true, of: 2 }]],
      ['descending, first part is the high keys, highest first, nulls first', { expr: { kind: 'col', name: 'v' }, ascending: false, nullsFirst: true }, 0,
        ['(("v") IS NULL OR (("v") >= 75))', '(("v") IS NOT NULL AND (("v") >= 50 AND ("v") < 75))'],
        [{ kind: 'range', lo: 75, hi: null, nulls: true, of: 2 }, { kind: 'range', lo: 50, hi: 75, nulls: false, of: 2 }]],
    ];
    it.each(cases)('%s', (_, key, part, where, states) => {
      const s = stages(key);
      const ctx = ctxOf(s, [[0, { tasks: [{ blocks: ['r0'], rows: [1], bytes: [1], sample: samples.slice(0, 50) }, { blocks: ['r1'], rows: [1], bytes: [1], sample: samples.slice(50) }] }], [1, result(1, 2, 2)]]);
      const task = compileStage(s[2]!, ctx).tasks[part]!;
      const out = split(s[2]!, task, ctx);
      expect(out.how).toBe('by sub-ranges of its sort key');
      expect(out.tasks.map((t) => tablesOf(t)!['s1']!.where)).toEqual(where);
      expect(out.tasks.map((t) => t.split)).toEqual(states);
      // Nor the kernels nor a kept table: the engine loads the piece's rows, a chunk at a time.
      for (const t of out.tasks) expect(t.spec.arrow).toBeUndefined();
    });

    it('does not cut a range whose sample holds one key (a hot key)', () => {
      const key: SortKey = { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false };
      const s = stages(key);
      const ctx = ctxOf(s, [[0, { tasks: [{ blocks: ['r0'], rows: [1], bytes: [1], sample: Array(100).fill(7) }] }], [1, result(1, 2, 2)]]);
      const out = splitTask(s[2]!, compileStage(s[2]!, ctx).tasks[0]!, ctx);
      expect(out).toEqual({ reason: expect.stringMatching(/one hot key/) });
    });
  });

  it('cuts a scan of stored blocks by runs of rows, and reads them from their bytes, not a kept table', () => {
    const source: Source = { kind: 'blocks', blocks: ['b0', 'b1'], rows: 10, bytes: 100 };
    const scan: Stage = { ...mapStage(0), plan: { kind: 'source', source, schema, columns: null, filters: [] }, scan: source };
    const ctx = ctxOf([scan], []);
    const task = compileStage(scan, ctx).tasks[1]!;
    expect(task.spec.tables[0]!.keys).toEqual(['b1']);
    const out = split(scan, task, ctx);
    expect(out.tasks.map(tablesOf)).toEqual([{ src: { rows: [2, 0] } }, { src: { rows: [2, 1] } }]);
    expect(out.tasks[0]!.spec.tables[0]!.keys).toBeUndefined();
    expect(split(scan, out.tasks[1]!, ctx).tasks.map(tablesOf)).toEqual([{ src: { rows: [4, 2] } }, { src: { rows: [4, 3] } }]);
  });

  it("cuts a Parquet part by its row groups and a CSV part by its byte range (the header in the first only)", () => {
    const pq: Source = { kind: 'parquet', files: [{ path: 'a.parquet', size: 400 << 20, rowGroups: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ firstRow: i * 100, numRows: 100, index: i, bytes: 50 << 20, stats: {} })) as never }], options: {} } as never;
    const scan = (source: Source): Stage => ({ ...mapStage(0), plan: { kind: 'source', source, schema, columns: null, filters: [] }, scan: source });
    const ctx = ctxOf([scan(pq)], []);
    const task = compileStage(scan(pq), ctx).tasks[0]!;
    expect(task.spec.fetches![0]!.rowGroups).toEqual([0]);
    const two = { ...task, spec: { ...task.spec, fetches: [{ ...task.spec.fetches![0]!, rowGroups: [0, 1, 2] }] } };
    const out = split(scan(pq), two, ctx);
    expect(out.tasks.map((t) => t.spec.fetches![0]!.rowGroups)).toEqual([[0], [1, 2]]);
    const csv: Source = { kind: 'csv', files: [{ path: 'a.csv', size: 200 << 20 }], options: { header: true, delimiter: ',' } } as never;
    const cctx = ctxOf([scan(csv)], []);
    const first = compileStage(scan(csv), cctx).tasks[0]!;
    expect(first.spec.sql).toContain("header=true");
    const pieces = split(scan(csv), first, cctx);
    const whole = first.spec.fetches![0]!.range!;
    expect(pieces.tasks.map((t) => t.spec.fetches![0]!.range)).toEqual([{ offset: 0, limit: whole.limit / 2 }, { offset: whole.limit / 2, limit: whole.limit / 2 }]);
    expect(pieces.tasks.map((t) => /header=true/.test(t.spec.sql))).toEqual([true, false]);
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
    expect('tasks' in splitTask(aggStage, { ...task, split: { kind: 'hash', m: MAX_SPLIT / 2, r: 0 } }, ctx)).toBe(true);
    expect(splitTask(aggStage, { ...task, split: { kind: 'hash', m: MAX_SPLIT, r: 0 } }, ctx)).toEqual({ reason: `it ran out of memory even cut into ${MAX_SPLIT} pieces` });
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
