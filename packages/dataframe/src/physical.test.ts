import { describe, expect, it } from 'vitest';
import { analyze } from './analyze.ts';
import type { Expr } from './expr.ts';
import { optimize } from './optimizer.ts';
import { leadingBlocks, physicalPlan } from './physical.ts';
import type { Plan, Schema } from './plan.ts';
import { DEFAULT_CONF, type PhysicalPlan } from './stages.ts';

const col = (name: string): Expr => ({ kind: 'col', name });
const schema: Schema = [
  { name: 'id', type: 'bigint' },
  { name: 'brand', type: 'string' },
  { name: 'price', type: 'double' },
];
const blocks = (bytes: number, s: Schema = schema): Plan => ({ kind: 'source', source: { kind: 'blocks', blocks: ['b1', 'b2'], rows: 100, bytes }, schema: s, columns: null, filters: [] });
const sum = (c: string): Expr => ({ kind: 'agg', fn: 'sum', arg: col(c) });
const conf = { ...DEFAULT_CONF, shufflePartitions: 4 };
const plan = (p: Plan): PhysicalPlan => physicalPlan(optimize(analyze(p).plan).plan, conf);
/** Each stage as "output ← reads", for compact expectations. */
const shape = (pp: PhysicalPlan): string[] => pp.stages.map((s) => `${s.output.kind}${s.reads.length ? ` ← ${s.reads.map((r) => `${r.stage}:${r.mode}`).join(',')}` : ''}${s.scan ? ' (scan)' : ''}`);

describe('physicalPlan', () => {
  it.each<[string, Plan, string[]]>([
    ['a scan and filter is one stage', { kind: 'filter', input: blocks(100), predicate: { kind: 'binary', op: '>', left: col('price'), right: { kind: 'lit', value: 1 } } }, ['single (scan)']],
    ['groupBy: partial agg, hash exchange, final agg', { kind: 'aggregate', input: blocks(100), groupBy: [col('brand')], aggs: [sum('price')] }, ['hash (scan)', 'single ← 0:shuffle']],
    ['a global agg gathers into one task', { kind: 'aggregate', input: blocks(100), groupBy: [], aggs: [sum('price')] }, ['single (scan)', 'single ← 0:all']],
    ['orderBy of cached rows: a sample, then the rows made again for the range exchange, sort', { kind: 'sort', input: blocks(100), keys: [{ expr: col('price'), ascending: false, nullsFirst: false }] }, ['sample (scan)', 'range ← 0:after (scan)', 'single ← 1:shuffle']],
    ['orderBy of computed rows: sample with the rows, range exchange, sort', { kind: 'sort', input: { kind: 'aggregate', input: blocks(100), groupBy: [col('brand')], aggs: [sum('price')] }, keys: [{ expr: col('brand'), ascending: true, nullsFirst: false }] }, ['hash (scan)', 'sample ← 0:shuffle', 'range ← 1:pointwise', 'single ← 2:shuffle']],
    ['a small side is broadcast', { kind: 'join', left: blocks(1e9), right: blocks(100, [{ name: 'id', type: 'bigint' }, { name: 'name', type: 'string' }]), how: 'inner', on: null, using: ['id'] }, ['single (scan)', 'single ← 0:all (scan)']],
    ['two big sides are hash-exchanged', { kind: 'join', left: blocks(1e9), right: blocks(1e9, [{ name: 'id', type: 'bigint' }, { name: 'name', type: 'string' }]), how: 'inner', on: null, using: ['id'] }, ['hash (scan)', 'hash (scan)', 'single ← 0:shuffle,1:shuffle']],
    ['a full join is never broadcast', { kind: 'join', left: blocks(1e9), right: blocks(100, [{ name: 'id', type: 'bigint' }, { name: 'name', type: 'string' }]), how: 'full', on: null, using: ['id'] }, ['hash (scan)', 'hash (scan)', 'single ← 0:shuffle,1:shuffle']],
    ['orderBy + limit is a top-N: no range exchange', { kind: 'limit', input: { kind: 'sort', input: blocks(100), keys: [{ expr: col('price'), ascending: false, nullsFirst: false }] }, n: 3, offset: 0 }, ['single (scan)', 'single ← 0:all']],
    ['limit: per-partition limit, gather', { kind: 'limit', input: blocks(100), n: 5, offset: 0 }, ['single (scan)', 'single ← 0:all']],
    ['union: its inputs\' tasks', { kind: 'union', inputs: [blocks(100), blocks(100)] }, ['single (scan)', 'single (scan)', 'single ← 0:concat,1:concat']],
    ['repartition by a column', { kind: 'repartition', input: blocks(100), n: 3, keys: [col('brand')] }, ['hash (scan)', 'single ← 0:shuffle']],
    ['distinct', { kind: 'distinct', input: blocks(100), subset: null }, ['hash (scan)', 'single ← 0:shuffle']],
  ])('%s', (_name, input, expected) => {
    expect(shape(plan(input))).toEqual(expected);
  });

  it('splits avg into sum and count around the exchange', () => {
    const pp = plan({ kind: 'aggregate', input: blocks(100), groupBy: [col('brand')], aggs: [{ kind: 'agg', fn: 'avg', arg: col('price') }] });
    expect(pp.stages[0]!.schema.map((f) => f.name)).toEqual(['brand', '__p0_0', '__p0_1']);
    expect(pp.stages[1]!.schema).toEqual([{ name: 'brand', type: 'string' }, { name: 'avg(price)', type: 'double' }]);
  });

  it('does not split countDistinct: rows are exchanged as they are', () => {
    const pp = plan({ kind: 'aggregate', input: blocks(100), groupBy: [col('brand')], aggs: [{ kind: 'agg', fn: 'countDistinct', arg: col('price') }] });
    expect(pp.stages[0]!.schema.map((f) => f.name)).toEqual(['brand', 'price']);
  });

  it('marks join stages for adaptive execution', () => {
    const pp = plan({ kind: 'join', left: blocks(1e9), right: blocks(1e9, [{ name: 'id', type: 'bigint' }, { name: 'x', type: 'double' }]), how: 'left', on: null, using: ['id'] });
    expect(pp.stages[pp.root]!.join).toEqual({ how: 'left', left: 0, right: 1 });
  });
});

describe('leadingBlocks: a limit over stored blocks reads the leading ones it needs', () => {
  const stored = (blockRows?: number[], filters: Expr[] = []): Plan => ({ kind: 'source', source: { kind: 'blocks', blocks: ['b0', 'b1', 'b2', 'b3'], rows: 400, bytes: 4000, holders: ['A', 'B', 'A', 'B'], ...(blockRows ? { blockRows } : {}) }, schema, columns: null, filters });
  const blocksOf = (p: Plan): unknown => {
    const leaf = p.kind === 'project' ? p.input : p;
    return leaf.kind === 'source' && leaf.source.kind === 'blocks' ? [leaf.source.blocks, leaf.source.blockRows, leaf.source.holders, leaf.source.rows, leaf.source.bytes] : null;
  };
  const cases: [string, Plan, number, unknown][] = [
    ['the first block holds them', stored([100, 100, 100, 100]), 3, [['b0'], [100], ['A'], 100, 1000]],
    ['empty leading blocks are read through', stored([0, 0, 50, 100]), 60, [['b0', 'b1', 'b2', 'b3'], [0, 0, 50, 100], ['A', 'B', 'A', 'B'], 400, 4000]],
    ['exactly two blocks', stored([100, 100, 100, 100]), 200, [['b0', 'b1'], [100, 100], ['A', 'B'], 200, 2000]],
    ['more rows than there are: all', stored([100, 100, 100, 100]), 1000, [['b0', 'b1', 'b2', 'b3'], [100, 100, 100, 100], ['A', 'B', 'A', 'B'], 400, 4000]],
    ['limit 0 still reads one (for the schema)', stored([100, 100, 100, 100]), 0, [['b0'], [100], ['A'], 100, 1000]],
    ['through a projection', { kind: 'project', input: stored([100, 100, 100, 100]), exprs: [col('price')] }, 3, [['b0'], [100], ['A'], 100, 1000]],
    ['not through a filter', stored([100, 100, 100, 100], [{ kind: 'lit', value: true }]), 3, [['b0', 'b1', 'b2', 'b3'], [100, 100, 100, 100], ['A', 'B', 'A', 'B'], 400, 4000]],
    ['not without row counts', stored(), 3, [['b0', 'b1', 'b2', 'b3'], undefined, ['A', 'B', 'A', 'B'], 400, 4000]],
  ];
  it.each(cases)('%s', (_, plan, need, expected) => expect(blocksOf(leadingBlocks(plan, need))).toEqual(expected));
  it('plans a take(3) of a cached frame as a scan of its first block', () => {
    const physical = physicalPlan({ kind: 'limit', input: stored([100, 100, 100, 100]), n: 3, offset: 0 }, DEFAULT_CONF);
    expect(physical.stages[0]!.scan).toMatchObject({ kind: 'blocks', blocks: ['b0'] });
  });
});

