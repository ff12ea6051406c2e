import { describe, expect, it } from 'vitest';
import { analyze } from './analyze.ts';
import type { Expr } from './expr.ts';
import { optimize } from './optimizer.ts';
import { physicalPlan } from './physical.ts';
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
