import { describe, expect, it } from 'vitest';
import type { Expr } from '../expr.ts';
import { analyze } from '../analyze.ts';
import type { Plan, Schema } from '../plan.ts';
import { combineFilters } from './combineFilters.ts';
import { eliminateSorts } from './eliminateSorts.ts';
import { constantFolding, foldExpr } from './constantFolding.ts';
import { countFromMetadata } from './countFromMetadata.ts';
import { pruneColumns } from './pruneColumns.ts';
import { groupMayMatch, pruneRowGroups } from './pruneRowGroups.ts';
import { pushDownLimit } from './pushDownLimit.ts';
import { pushDownPredicates } from './pushDownPredicates.ts';

const col = (name: string): Expr => ({ kind: 'col', name });
const lit = (value: number | string | boolean | null): Expr => ({ kind: 'lit', value });
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const schema: Schema = [
  { name: 'id', type: 'bigint' },
  { name: 'brand', type: 'string' },
  { name: 'price', type: 'double' },
  { name: 'qty', type: 'int' },
];
const scan = (s: Schema = schema): Plan => ({ kind: 'source', source: { kind: 'range', start: 0, end: 10, step: 1, partitions: 2 }, schema: s, columns: null, filters: [] });
const filter = (input: Plan, predicate: Expr): Plan => ({ kind: 'filter', input, predicate });

describe('constantFolding', () => {
  it.each<[string, Expr, Expr]>([
    ['arithmetic on literals', bin('+', lit(1), bin('*', lit(2), lit(3))), lit(7)],
    ['comparison of literals', bin('>', lit(3), lit(2)), lit(true)],
    ['x AND TRUE', bin('and', bin('>', col('price'), lit(1)), lit(true)), bin('>', col('price'), lit(1))],
    ['x OR TRUE', bin('or', bin('>', col('price'), lit(1)), lit(true)), lit(true)],
    ['FALSE AND x', bin('and', lit(false), col('b')), lit(false)],
    ['division by zero is null', bin('/', lit(1), lit(0)), lit(null)],
    ['column arithmetic stays', bin('+', col('price'), lit(1)), bin('+', col('price'), lit(1))],
  ])('%s', (_name, input, expected) => {
    expect(foldExpr(input)).toEqual(expected);
  });
  it('drops a filter that is always true', () => {
    expect(constantFolding(filter(scan(), bin('=', lit(1), lit(1))))).toEqual(scan());
  });
});

describe('combineFilters', () => {
  it('ANDs two filters in a row', () => {
    const a = bin('>', col('price'), lit(1));
    const b = bin('<', col('qty'), lit(5));
    expect(combineFilters(filter(filter(scan(), a), b))).toEqual(filter(scan(), bin('and', a, b)));
  });
});

describe('pushDownPredicates', () => {
  const p = bin('>', col('price'), lit(100));
  it('pushes into the scan', () => {
    const out = pushDownPredicates(filter(scan(), p));
    expect(out).toEqual({ ...scan(), filters: [p] });
  });
  it('pushes through a projection, substituting aliases', () => {
    const project: Plan = { kind: 'project', input: scan(), exprs: [{ kind: 'alias', arg: bin('*', col('price'), lit(2)), name: 'p2' }] };
    const out = pushDownPredicates(filter(project, bin('>', col('p2'), lit(10))));
    expect(out).toEqual({ ...project, input: { ...scan(), filters: [bin('>', bin('*', col('price'), lit(2)), lit(10))] } });
  });
  it('splits conjuncts between the sides of an inner join', () => {
    const right = scan([{ name: 'bid', type: 'bigint' }, { name: 'name', type: 'string' }]);
    const join: Plan = { kind: 'join', left: scan(), right, how: 'inner', on: bin('=', col('id'), col('bid')), using: null };
    const q = bin('=', col('name'), lit('x'));
    const out = pushDownPredicates(filter(join, bin('and', p, q))) as Extract<Plan, { kind: 'join' }>;
    expect(out.kind).toBe('join');
    expect((out.left as Extract<Plan, { kind: 'source' }>).filters).toEqual([p]);
    expect((out.right as Extract<Plan, { kind: 'source' }>).filters).toEqual([q]);
  });
  it('does not push into the null-padded side of a left join', () => {
    const right = scan([{ name: 'bid', type: 'bigint' }, { name: 'name', type: 'string' }]);
    const join: Plan = { kind: 'join', left: scan(), right, how: 'left', on: bin('=', col('id'), col('bid')), using: null };
    const q = bin('=', col('name'), lit('x'));
    const out = pushDownPredicates(filter(join, q));
    expect(out.kind).toBe('filter');
  });
  it('pushes a filter on grouping keys below the aggregate, keeps one on aggregates above', () => {
    const agg: Plan = { kind: 'aggregate', input: scan(), groupBy: [col('brand')], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'sum', arg: col('qty') }, name: 's' }] };
    const onKey = bin('=', col('brand'), lit('a'));
    const onAgg = bin('>', col('s'), lit(3));
    const out = pushDownPredicates(filter(agg, bin('and', onKey, onAgg)));
    expect(out).toEqual(filter({ ...agg, input: { ...scan(), filters: [onKey] } } as Plan, onAgg));
  });
});

describe('pruneColumns', () => {
  it('makes the scan read only the columns used', () => {
    const plan: Plan = { kind: 'aggregate', input: filter(scan(), bin('>', col('price'), lit(1))), groupBy: [col('brand')], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'sum', arg: col('qty') }, name: 's' }] };
    const out = pruneColumns(plan) as Extract<Plan, { kind: 'aggregate' }>;
    const source = (out.input as Extract<Plan, { kind: 'filter' }>).input as Extract<Plan, { kind: 'source' }>;
    expect(source.columns).toEqual(['brand', 'price', 'qty']);
    expect(analyze(out).schema.map((f) => f.name)).toEqual(['brand', 's']);
  });
  it('keeps one column for count(*)', () => {
    const plan: Plan = { kind: 'aggregate', input: scan(), groupBy: [], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'count' }] };
    const out = pruneColumns(plan) as Extract<Plan, { kind: 'aggregate' }>;
    expect((out.input as Extract<Plan, { kind: 'source' }>).columns).toEqual(['id']);
  });
});

describe('pushDownLimit', () => {
  it('moves a limit below a projection and into union inputs', () => {
    const project: Plan = { kind: 'project', input: scan(), exprs: [col('id')] };
    expect(pushDownLimit({ kind: 'limit', input: project, n: 5, offset: 0 })).toEqual({ ...project, input: { kind: 'limit', input: scan(), n: 5, offset: 0 } });
    const union: Plan = { kind: 'union', inputs: [scan(), scan()] };
    const out = pushDownLimit({ kind: 'limit', input: union, n: 3, offset: 1 }) as Extract<Plan, { kind: 'limit' }>;
    expect((out.input as Extract<Plan, { kind: 'union' }>).inputs.every((i) => i.kind === 'limit' && i.n === 4)).toBe(true);
  });
});

describe('pruneRowGroups', () => {
  const group = (min: number, max: number) => ({ numRows: 10, firstRow: 0, stats: { price: { min, max } } });
  it.each<[string, Expr, boolean]>([
    ['= inside', bin('=', col('price'), lit(5)), true],
    ['= outside', bin('=', col('price'), lit(50)), false],
    ['> max', bin('>', col('price'), lit(10)), false],
    ['>= max', bin('>=', col('price'), lit(10)), true],
    ['literal on the left', bin('<', lit(10), col('price')), false],
    ['between outside', { kind: 'between', arg: col('price'), low: lit(20), high: lit(30) }, false],
    ['in with one inside', { kind: 'in', arg: col('price'), values: [lit(50), lit(3)] }, true],
    ['unknown column', bin('=', col('qty'), lit(50)), true],
  ])('%s', (_name, pred, expected) => {
    expect(groupMayMatch(pred, group(1, 10))).toBe(expected);
  });
  it('drops pruned row groups and files with none left', () => {
    const plan: Plan = {
      kind: 'source',
      source: { kind: 'parquet', files: [{ path: 'a.parquet', size: 1, rowGroups: [group(0, 9), group(10, 19)] }, { path: 'b.parquet', size: 1, rowGroups: [group(0, 5)] }] },
      schema,
      columns: null,
      filters: [bin('>', col('price'), lit(12))],
    };
    const out = pruneRowGroups(plan) as Extract<Plan, { kind: 'source' }>;
    expect(out.source.kind === 'parquet' && out.source.files.map((f) => [f.path, f.rowGroups!.length])).toEqual([['a.parquet', 1]]);
  });
});

describe('eliminateSorts', () => {
  const sorted: Plan = { kind: 'sort', input: scan(), keys: [{ expr: col('price'), ascending: true, nullsFirst: true }] };
  it('drops a sort under an aggregate, keeps one at the top and one under a limit', () => {
    const agg: Plan = { kind: 'aggregate', input: sorted, groupBy: [], aggs: [{ kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'count' }] };
    expect(eliminateSorts(agg)).toEqual({ ...agg, input: scan() });
    expect(eliminateSorts(sorted)).toEqual(sorted);
    const limited: Plan = { kind: 'limit', input: sorted, n: 3, offset: 0 };
    expect(eliminateSorts(limited)).toEqual(limited);
  });
  it('keeps only the outer of two sorts', () => {
    const outer: Plan = { kind: 'sort', input: sorted, keys: [{ expr: col('id'), ascending: false, nullsFirst: false }] };
    expect(eliminateSorts(outer)).toEqual({ ...outer, input: scan() });
  });
});

describe('countFromMetadata', () => {
  const stored = (filters: Expr[] = []): Plan => ({ kind: 'source', source: { kind: 'blocks', blocks: ['b1', 'b2'], rows: 1234, bytes: 9999 }, schema, columns: null, filters });
  const count = (input: Plan, aggs: Expr[] = [{ kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'count' }]): Plan => ({ kind: 'aggregate', input, groupBy: [], aggs });
  const one: Plan = { kind: 'source', source: { kind: 'range', start: 0, end: 1, step: 1, partitions: 1 }, schema: [{ name: 'id', type: 'bigint' }], columns: null, filters: [] };
  const known = (name: string): Expr => ({ kind: 'alias', arg: { kind: 'cast', arg: lit(1234), to: 'bigint' }, name });
  const cases: [string, Plan, Plan][] = [
    ['count(*) over stored blocks is their row count', count(stored()), { kind: 'project', input: one, exprs: [known('count')] }],
    ['two counts, one named by SQL', count(stored(), [{ kind: 'agg', fn: 'count', arg: { kind: 'star' } }, { kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: null }, name: 'n' }]), { kind: 'project', input: one, exprs: [known('count(1)'), known('n')] }],
  ];
  for (const [name, input, expected] of cases) it(name, () => expect(countFromMetadata(input)).toEqual(expected));
  const kept: [string, Plan][] = [
    ['a filtered scan', count(stored([bin('>', col('price'), lit(1))]))],
    ['a filter above the scan', count(filter(stored(), bin('>', col('price'), lit(1))))],
    ['a count of a column (nulls are not counted)', count(stored(), [{ kind: 'agg', fn: 'count', arg: col('price') }])],
    ['count(DISTINCT *)', count(stored(), [{ kind: 'agg', fn: 'count', arg: null, distinct: true }])],
    ['a grouped count', { kind: 'aggregate', input: stored(), groupBy: [col('brand')], aggs: [{ kind: 'agg', fn: 'count', arg: null }] }],
    ['a count over a range', count(scan())],
  ];
  for (const [name, plan] of kept) it(`leaves ${name} as it is`, () => expect(countFromMetadata(plan)).toEqual(plan));
});
