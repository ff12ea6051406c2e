import { describe, expect, it } from 'vitest';
import { arrowOp, compileStage, mergeKept } from './compileStage.ts';
import type { Plan, Schema } from './plan.ts';
import { DEFAULT_CONF, stageLeaf, type DataFrameConf, type Stage } from './stages.ts';
import { splitBytes, type StageResult } from './tasks.ts';

const schema: Schema = [{ name: 'k', type: 'bigint' }, { name: 'v', type: 'double' }];
const MiB = 1 << 20;
const mapStage = (id: number): Stage => ({ id, name: 'map', kind: 'sql', plan: stageLeaf(99, schema), scan: null, reads: [], output: { kind: 'hash', keys: ['k'], n: 4 }, schema, ordering: null, estimatedBytes: 0 });
/** A map stage's result: `sizes[t][j]` bytes in block j of task t. */
const result = (stage: number, sizes: number[][]): StageResult => ({ tasks: sizes.map((row, t) => ({ blocks: row.map((_, j) => `s${stage}t${t}b${j}`), rows: row.map(() => 1), bytes: row })) });
const joinStage = (how: string, fixed = false): Stage => ({
  id: 2,
  name: 'join',
  kind: 'sql',
  plan: { kind: 'join', left: stageLeaf(0, schema), right: stageLeaf(1, [{ name: 'k2', type: 'bigint' }]), how: how as 'inner', on: null, using: null },
  scan: null,
  reads: [{ stage: 0, mode: 'shuffle' }, { stage: 1, mode: 'shuffle' }],
  output: { kind: 'single' },
  schema,
  ordering: null,
  estimatedBytes: 0,
  join: { how, left: 0, right: 1 },
  ...(fixed ? { fixedPartitions: true } : {}),
});
const compile = (stage: Stage, results: [number, StageResult][], conf: Partial<DataFrameConf> = {}) =>
  compileStage(stage, { conf: { ...DEFAULT_CONF, ...conf }, results: new Map(results), stages: [mapStage(0), mapStage(1), stage], fileUrl: (p) => p });

describe('compileStage: adaptive execution', () => {
  it('coalesces small shuffle partitions up to the advisory size', () => {
    const big = 40 * MiB;
    const left = result(0, [[1, 1, 1, 1], [1, 1, 1, 1]]);
    const right = result(1, [[big, big, big, big], [big, big, big, big]]);
    const out = compile(joinStage('full'), [[0, left], [1, right]], { advisoryPartitionBytes: 1024 });
    expect(out.tasks.length).toBe(4);
    const small = compile(joinStage('full'), [[0, result(0, [[1, 1, 1, 1]])], [1, result(1, [[1, 1, 1, 1]])]]);
    expect(small.tasks.length).toBe(1);
    expect(small.tasks[0]!.inputs).toEqual(['s0t0b0', 's0t0b1', 's0t0b2', 's0t0b3', 's1t0b0', 's1t0b1', 's1t0b2', 's1t0b3']);
    expect(small.notes[0]).toMatch(/coalesced 4 shuffle partitions into 1/);
  });

  it('leaves a user repartition alone', () => {
    const out = compile(joinStage('full', true), [[0, result(0, [[1, 1, 1, 1]])], [1, result(1, [[1, 1, 1, 1]])]]);
    expect(out.tasks.length).toBe(4);
  });

  it("leaves alone the partitions a user's repartition wrote (the mark is on the writing stage)", () => {
    const reader: Stage = { id: 1, name: 'read+filter', kind: 'sql', plan: stageLeaf(0, schema), scan: null, reads: [{ stage: 0, mode: 'shuffle' }], output: { kind: 'single' }, schema, ordering: null, estimatedBytes: 0 };
    const blocks = result(0, [[1, 1, 1, 1]]);
    const run = (writer: Stage) => compileStage(reader, { conf: DEFAULT_CONF, results: new Map([[0, blocks]]), stages: [writer, reader], fileUrl: (p) => p });
    expect(run({ ...mapStage(0), fixedPartitions: true }).tasks.length).toBe(4);
    expect(run(mapStage(0)).tasks.length).toBe(1);
  });

  it('switches a shuffled join to a broadcast when a side turns out small', () => {
    const big = 40 * MiB;
    const left = result(0, [[big, big, big, big], [big, big, big, big], [big, big, big, big]]);
    const right = result(1, [[10, 10, 10, 10]]);
    const out = compile(joinStage('inner'), [[0, left], [1, right]]);
    expect(out.tasks.length).toBe(3); // one per left map task, read where it lies
    expect(out.tasks[1]!.inputs).toEqual(['s0t1b0', 's0t1b1', 's0t1b2', 's0t1b3', 's1t0b0', 's1t0b1', 's1t0b2', 's1t0b3']);
    expect(out.notes[0]).toMatch(/switched to a broadcast join: the right side is/);
    // A full join cannot broadcast either side.
    expect(compile(joinStage('full'), [[0, left], [1, right]], { advisoryPartitionBytes: 1024 }).notes.join()).not.toMatch(/broadcast/);
  });

  it('splits a skewed join partition by map output, each piece joined with the whole other side', () => {
    const MB = 20 * MiB;
    // 4 map tasks; partition 2 is 10× the others on the left side.
    const left = result(0, Array.from({ length: 4 }, () => [MB / 10, MB / 10, MB, MB / 10]));
    const right = result(1, Array.from({ length: 4 }, () => [MB / 4, MB / 4, MB / 4, MB / 4]));
    const out = compile(joinStage('inner'), [[0, left], [1, right]], { autoBroadcastJoinThreshold: -1 });
    const skewNote = out.notes.find((n) => n.startsWith('skewed partition 2'));
    expect(skewNote).toBeDefined();
    const pieces = out.tasks.filter((t) => t.inputs.some((i) => i.endsWith('b2') && i.startsWith('s0')));
    expect(pieces.length).toBeGreaterThan(1);
    // Every piece reads all of the right side's partition 2; the left side's map outputs are dealt out once each.
    for (const p of pieces) expect(p.inputs.filter((i) => i.startsWith('s1'))).toEqual(['s1t0b2', 's1t1b2', 's1t2b2', 's1t3b2']);
    expect(pieces.flatMap((p) => p.inputs.filter((i) => i.startsWith('s0'))).sort()).toEqual(['s0t0b2', 's0t1b2', 's0t2b2', 's0t3b2']);
  });

  it('does not split the null-padded side of an outer join', () => {
    const MB = 20 * MiB;
    const left = result(0, Array.from({ length: 4 }, () => [MB / 10, MB / 10, MB, MB / 10]));
    const right = result(1, Array.from({ length: 4 }, () => [MB / 4, MB / 4, MB / 4, MB / 4]));
    const out = compile(joinStage('right'), [[0, left], [1, right]], { autoBroadcastJoinThreshold: -1 });
    expect(out.notes.some((n) => n.startsWith('skewed'))).toBe(false);
  });
});

describe('parquetParts', () => {
  const group = (firstRow: number, numRows: number) => ({ numRows, firstRow, stats: {} });
  it('keeps a small whole file as one partition, splits big or pruned ones by row groups', async () => {
    const { parquetParts, PARQUET_PART_BYTES } = await import('./tasks.ts');
    expect(parquetParts([{ path: 'a', size: 100, rowGroups: [group(0, 10), group(10, 10)] }]).map((p) => p.rows)).toEqual([null]);
    // Pruned: only the second and fourth groups are left.
    expect(parquetParts([{ path: 'a', size: 100, rowGroups: [group(10, 10), group(30, 10)] }]).map((p) => p.rows)).toEqual([[10, 20], [30, 40]]);
    const big = { path: 'b', size: 4 * PARQUET_PART_BYTES, rowGroups: [group(0, 100), group(100, 100), group(200, 100), group(300, 100)] };
    expect(parquetParts([big]).map((p) => p.rows)).toEqual([[0, 100], [100, 200], [200, 300], [300, 400]]);
    expect(parquetParts([big]).map((p) => p.groups)).toEqual([null, null, null, null]);
  });
  it("names each part's row groups by their index in the file when planning knows them", async () => {
    const { parquetParts, PARQUET_PART_BYTES } = await import('./tasks.ts');
    const indexed = (firstRow: number, numRows: number, index: number) => ({ ...group(firstRow, numRows), index });
    const file = { path: 'c', size: 2 * PARQUET_PART_BYTES, rowGroups: [indexed(0, 50, 0), indexed(50, 50, 1), indexed(100, 50, 2), indexed(150, 50, 3)] };
    expect(parquetParts([file]).map((p) => p.groups)).toEqual([[0, 1], [2, 3]]);
    // Groups 1 and 2 pruned: the runs left are read as groups 0 and 3.
    const pruned = { ...file, rowGroups: [file.rowGroups[0]!, file.rowGroups[3]!] };
    expect(parquetParts([pruned]).map((p) => [p.rows, p.groups])).toEqual([[[0, 50], [0]], [[150, 200], [3]]]);
  });
});

describe('compileStage: gather stages', () => {
  const gatherStage: Stage = { id: 2, name: 'read', kind: 'sql', plan: stageLeaf(0, schema), scan: null, reads: [{ stage: 0, mode: 'shuffle' }], output: { kind: 'single' }, schema, ordering: null, estimatedBytes: 0, fixedPartitions: true };
  it('marks a stage that only reads one upstream as a concat of its blocks', () => {
    const out = compile(gatherStage, [[0, result(0, [[1, 1], [1, 1]])]]);
    expect(out.tasks.map((t) => t.spec.concat)).toEqual([true, true]);
    expect(out.tasks[0]!.inputs).toEqual(['s0t0b0', 's0t1b0']);
  });
  it('does not for a stage with work of its own', () => {
    const sorting: Stage = { ...gatherStage, plan: { kind: 'sort', input: stageLeaf(0, schema), keys: [{ expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }] } };
    expect(compile(sorting, [[0, result(0, [[1, 1], [1, 1]])]]).tasks.every((t) => !t.spec.concat)).toBe(true);
  });
});

describe('splitBytes: how big a file scan task is (Spark maxSplitBytes)', () => {
  const csv = (...sizes: number[]) => ({ kind: 'csv' as const, files: sizes.map((size, i) => ({ path: `f${i}.csv`, size })), options: {} as never });
  const conf = (slots: number) => ({ ...DEFAULT_CONF, filesMinPartitions: slots });
  it.each([
    ['a 50 MiB file on 2 slots is read by 2 tasks', csv(50 * MiB), 2, 25 * MiB],
    ['a 500 MiB file is capped at maxPartitionBytes', csv(500 * MiB), 2, 64 * MiB],
    ['a small file is not cut under the open cost', csv(1 * MiB), 8, 4 * MiB],
    ['sizes add up over files', csv(30 * MiB, 30 * MiB), 4, 15 * MiB],
  ])('%s', (_, source, slots, expected) => {
    expect(splitBytes(source, conf(slots))).toBe(expected);
  });
  it('leaves other sources at maxPartitionBytes', () => {
    expect(splitBytes({ kind: 'range', start: 0, end: 10, step: 1, partitions: 2 }, conf(4))).toBe(DEFAULT_CONF.maxPartitionBytes);
  });
});

describe('exchangeParts: how many ranges a sort cuts its rows into', () => {
  // Reads the sample stage 0: pointwise (its blocks are the rows), or only after it (the rows are made again from the scan).
  const rangeStage = (scanBytes: number | null): Stage => ({ ...mapStage(1), reads: [{ stage: 0, mode: scanBytes === null ? 'pointwise' : 'after' }], output: { kind: 'range', key: { expr: { kind: 'col', name: 'v' }, ascending: true, nullsFirst: false }, n: 4 }, scan: scanBytes === null ? null : { kind: 'blocks', blocks: ['b'], rows: 1, bytes: scanBytes } });
  it.each([
    ['small rows keep the shuffle partitions', rangeStage(null), result(0, [[MiB], [MiB]]), 4],
    ['630 MB of rows: one range per 64 MiB', rangeStage(null), result(0, [[315e6], [315e6]]), 10],
    ['never more than 8 per shuffle partition', rangeStage(null), result(0, [[1e11]]), 32],
    ['rows made again are sized by the cached blocks scanned', rangeStage(630e6), { tasks: [{ blocks: [], rows: [5e6], bytes: [0] }] }, 10],
  ])('%s', async (_, stage, upstream, expected) => {
    const { exchangeParts } = await import('./tasks.ts');
    expect(exchangeParts(stage, { conf: DEFAULT_CONF, results: new Map([[0, upstream]]), stages: [mapStage(0), stage], fileUrl: (p) => p }, 4)).toBe(expected);
  });
});

describe('hash exchanges over big inputs', () => {
  const scanStage = (grow: boolean): Stage => ({ ...mapStage(0), plan: { kind: 'source', source: { kind: 'blocks', blocks: ['b0', 'b1'], rows: 1e7, bytes: 630e6 }, schema, columns: null, filters: [] }, scan: { kind: 'blocks', blocks: ['b0', 'b1'], rows: 1e7, bytes: 630e6 }, output: { kind: 'hash', keys: ['k'], n: 4, ...(grow ? { grow } : {}) } });
  const parts = (stage: Stage) => compileStage(stage, { conf: DEFAULT_CONF, results: new Map(), stages: [stage], fileUrl: (p) => p }).tasks.map((t) => (t.spec.out.kind === 'split' ? t.spec.out.n : 0));
  it('cuts an aggregate\'s exchange into one part per 64 MiB of input', () => {
    expect(parts(scanStage(true))).toEqual([10, 10]);
  });
  it('keeps a join side\'s (or a repartition\'s) part count, which another stage must match', () => {
    expect(parts(scanStage(false))).toEqual([4, 4]);
  });
});

describe('mergeKept: a worker\'s kept blocks read in one task', () => {
  const kept = (holders: string[] | undefined, output: Stage['output'] = { kind: 'hash', keys: ['k'], n: 4 }, plan?: Plan): Stage => {
    const source = { kind: 'blocks' as const, blocks: holders?.map((_, i) => `b${i}`) ?? ['b0', 'b1'], rows: 8, bytes: 800, ...(holders ? { holders } : {}) };
    const leaf: Plan = { kind: 'source', source, schema, columns: null, filters: [] };
    return { ...mapStage(0), plan: plan ?? leaf, scan: source, output };
  };
  const agg = (input: Stage): Plan => ({ kind: 'aggregate', input: input.plan, groupBy: [], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'sum', arg: { kind: 'col', name: 'v' } }, name: 's' }] });
  const alternating = ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'];
  const sampleOnly = { kind: 'sample' as const, key: { expr: { kind: 'col' as const, name: 'v' }, ascending: true, nullsFirst: false }, only: true };
  const cases: [string, Stage, number, number[][] | null][] = [
    ['two workers, two slots: one task per worker', kept(alternating), 2, [[0, 2, 4, 6], [1, 3, 5, 7]]],
    ['four slots: two tasks per worker', kept(alternating), 4, [[0, 2], [1, 3], [4, 6], [5, 7]]],
    ['as many slots as blocks: nothing merges', kept(alternating), 8, null],
    ['uneven holders', kept(['A', 'A', 'A', 'B']), 2, [[0, 1], [2], [3]]],
    ['blocks with no holder stay alone', kept(['A', '', 'A', '']), 1, [[0, 2], [1], [3]]],
    ['no holders (created data): nothing merges', kept(undefined), 1, null],
    ['a keyless partial aggregate', kept(alternating, { kind: 'single' }, agg(kept(alternating))), 2, [[0, 2, 4, 6], [1, 3, 5, 7]]],
    ['a result partition (collect, cache) keeps its partitions', kept(alternating, { kind: 'single' }), 2, null],
    ['a sort\'s sample of kept blocks, drawn by the engines holding them', kept(alternating, sampleOnly), 2, [[0, 2, 4, 6], [1, 3, 5, 7]]],
    ['a sample that passes its rows on keeps its partitions', kept(alternating, { ...sampleOnly, only: false }), 2, null],
  ];
  it.each(cases)('%s', (_, stage, slots, expected) => {
    expect(mergeKept(stage, { conf: { ...DEFAULT_CONF, filesMinPartitions: slots }, results: new Map(), stages: [stage], fileUrl: (p) => p })).toEqual(expected);
  });
  it('sends a merged task every kept block it reads, as one table, and says so', () => {
    const stage = kept(alternating);
    const out = compileStage(stage, { conf: { ...DEFAULT_CONF, filesMinPartitions: 2 }, results: new Map(), stages: [stage], fileUrl: (p) => p });
    expect(out.tasks.map((t) => t.inputs)).toEqual([['b0', 'b2', 'b4', 'b6'], ['b1', 'b3', 'b5', 'b7']]);
    expect(out.tasks[0]!.spec.tables).toEqual([expect.objectContaining({ name: 'src', count: 4, keys: ['b0', 'b2', 'b4', 'b6'] })]);
    expect(out.notes).toContain('read 8 kept partitions in 2 tasks, one per worker\'s engine holding them');
  });
  it('samples kept blocks in the engine, as many keys per merged task as its blocks would have drawn', () => {
    const stage = kept(alternating, sampleOnly);
    expect(arrowOp(stage)).toBeNull();
    const out = compileStage(stage, { conf: { ...DEFAULT_CONF, filesMinPartitions: 2 }, results: new Map(), stages: [stage], fileUrl: (p) => p });
    expect(out.tasks.map((t) => [t.spec.arrow, t.spec.out])).toEqual([0, 1].map(() => [undefined, { kind: 'sample', expr: '"v"', size: 4 * 256, only: true }]));
    // Blocks no engine keeps (no holders) are sampled on their bytes by the kernels.
    expect(arrowOp(kept(undefined, sampleOnly))).toEqual({ op: 'sample', key: 'v', ascending: true, nullsFirst: false, size: 256, only: true });
  });
  it('leaves them alone when adaptive execution is off', () => {
    expect(mergeKept(kept(alternating), { conf: { ...DEFAULT_CONF, adaptive: false, filesMinPartitions: 2 }, results: new Map(), stages: [], fileUrl: (p) => p })).toBeNull();
  });
});

describe('arrowOp: which stages run on the Arrow kernels', () => {
  const schema3: Schema = [...schema, { name: 's', type: 'string' }];
  const key = (name: string, ascending = true) => ({ expr: { kind: 'col' as const, name }, ascending, nullsFirst: !ascending });
  const stage = (plan: Plan, output: Stage['output']): Stage => ({ id: 1, name: 's', kind: 'sql', plan, scan: null, reads: [], output, schema: schema3, ordering: null, estimatedBytes: 0 });
  const leaf = stageLeaf(0, schema3);
  const stored: Plan = { kind: 'source', source: { kind: 'blocks', blocks: ['a'], rows: 1, bytes: 1 }, schema: schema3, columns: null, filters: [] };
  const cases: [string, Stage, unknown][] = [
    ['a sample of stored rows', stage(stored, { kind: 'sample', key: key('v'), only: true }), { op: 'sample', key: 'v', ascending: true, nullsFirst: false, size: 256, only: true }],
    ['a sample that passes its rows on', stage(leaf, { kind: 'sample', key: key('k', false) }), { op: 'sample', key: 'k', ascending: false, nullsFirst: true, size: 256 }],
    ['a sort of exchanged rows', stage({ kind: 'sort', input: leaf, keys: [key('v')] }, { kind: 'single' }), { op: 'sort', key: 'v', ascending: true, nullsFirst: false }],
    ['a limit over rows as they are', stage({ kind: 'limit', input: stored, n: 3, offset: 0 }, { kind: 'single' }), { op: 'head', n: 3, key: '', ascending: true, nullsFirst: false }],
    ['a sort by a string', stage({ kind: 'sort', input: leaf, keys: [key('s')] }, { kind: 'single' }), null],
    ['a sort by two keys', stage({ kind: 'sort', input: leaf, keys: [key('k'), key('v')] }, { kind: 'single' }), null],
    ['a sort by an expression', stage({ kind: 'sort', input: leaf, keys: [{ ...key('v'), expr: { kind: 'unary', op: 'neg', arg: { kind: 'col', name: 'v' } } }] }, { kind: 'single' }), null],
    ['a sample of filtered rows', stage({ ...stored, filters: [{ kind: 'lit', value: true }] } as Plan, { kind: 'sample', key: key('v') }), null],
    ['a sample of some columns', stage({ ...stored, columns: ['v', 'k', 's'] } as Plan, { kind: 'sample', key: key('v') }), null],
    ['a limit with an offset', stage({ kind: 'limit', input: stored, n: 3, offset: 1 }, { kind: 'single' }), null],
    ['a sort under a projection', stage({ kind: 'project', input: { kind: 'sort', input: leaf, keys: [key('v')] }, exprs: [] }, { kind: 'single' }), null],
  ];
  for (const [name, s, expected] of cases) it(name, () => expect(arrowOp(s)).toEqual(expected));
  it('a range split takes numeric bounds', () => {
    const range = stage(stored, { kind: 'range', key: key('v'), n: 4 });
    expect(arrowOp(range, [1.5, 3])).toEqual({ op: 'split', key: 'v', ascending: true, nullsFirst: false, bounds: [1.5, 3] });
    expect(arrowOp(range, ['a'])).toBeNull();
  });
});
