/**
 * The plain-JS reference for e2e/dataframe.spec.ts: the same rows, and what
 * each query must answer, computed without Shoal.
 */
import { formatTable } from '../packages/dataframe/src/show.ts';

export interface Sale {
  id: number;
  brand: string | null;
  category: string;
  price: number;
  qty: number;
  day: string;
}

const BRAND = ['acme', 'bolt', 'core', 'dyna', null];
const CATEGORY = ['electronics', 'toys', 'garden'];
const pad = (n: number): string => String(n).padStart(2, '0');

export function salesRows(n: number): Sale[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    brand: BRAND[i % 5]!,
    category: CATEGORY[(i * 7) % 3]!,
    price: ((i * 37) % 100) + 0.5,
    qty: i % 7,
    day: `2024-${pad((i % 12) + 1)}-${pad((i % 28) + 1)}`,
  }));
}

export const BRANDS = [
  { brand: 'acme', country: 'US' },
  { brand: 'bolt', country: 'DE' },
  { brand: 'zeta', country: 'FR' },
];

function groupBy<T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    out.set(k, [...(out.get(k) ?? []), r]);
  }
  return out;
}
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
/** Ascending with nulls first (Spark's default). */
const byKey = <T>(key: (r: T) => string | number | null) => (a: T, b: T) => {
  const x = key(a);
  const y = key(b);
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
};
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function stddev(xs: number[]): number {
  const mean = sum(xs) / xs.length;
  return Math.sqrt(sum(xs.map((x) => (x - mean) ** 2)) / (xs.length - 1));
}
export const round9 = (x: number): number => Math.round(x * 1e9) / 1e9;
const sortJson = <T>(rows: T[]): T[] => rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

export function reference(rows: Sale[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  const byId = [...rows].sort((a, b) => a.id - b.id);
  r['select'] = byId.slice(0, 5).map(({ id, price }) => ({ id, price }));
  r['selectExpr'] = byId.slice(0, 3).map(({ id, price }) => ({ id, p2: price * 2 }));
  r['filterCol'] = rows.filter((x) => x.price > 50 && x.category === 'electronics').length;
  r['filterSql'] = r['filterCol'];
  r['where'] = rows.filter((x) => x.qty === 1 || x.qty === 2).length;
  r['withColumn'] = [{ 'sum(total)': sum(rows.map((x) => x.price * x.qty)) }];
  r['replaced'] = { 'min(qty)': Math.min(...rows.map((x) => x.qty)) + 100 };
  r['renamed'] = ['id', 'brand', 'category', 'price', 'quantity', 'day'];
  r['dropped'] = ['id', 'brand', 'price', 'qty'];
  r['byBrand'] = [...groupBy(rows, (x) => x.brand)].sort(byKey(([k]) => k)).map(([brand, g]) => ({ brand, 'avg(price)': sum(g.map((x) => x.price)) / g.length, 'sum(qty)': sum(g.map((x) => x.qty)) }));
  r['aggForms'] = [...groupBy(rows, (x) => x.category)].sort(byKey(([k]) => k)).map(([category, g]) => ({
    category,
    s: sum(g.map((x) => x.qty)),
    nb: new Set(g.map((x) => x.brand).filter((b) => b !== null)).size,
    lo: Math.min(...g.map((x) => x.price)),
    hi: Math.max(...g.map((x) => x.price)),
    n: g.length,
    med: median(g.map((x) => x.qty)),
    sd: round9(stddev(g.map((x) => x.qty))),
  }));
  const moment = (xs: number[], ys: number[]): number => {
    const [mx, my] = [sum(xs) / xs.length, sum(ys) / ys.length];
    return sum(xs.map((x, i) => (x - mx) * (ys[i]! - my)));
  };
  r['moments'] = [...groupBy(rows, (x) => x.category)].sort(byKey(([k]) => k)).map(([category, g]) => {
    const [p, q] = [g.map((x) => x.price), g.map((x) => x.qty)];
    return { category, sd: round9(stddev(p)), var: round9(moment(q, q) / (q.length - 1)), r: round9(moment(p, q) / Math.sqrt(moment(p, p) * moment(q, q))), med: median(p) };
  });
  const cats = [...groupBy(rows, (x) => x.category)].sort(byKey(([k]) => k));
  r['shortcuts'] = {
    count: cats.map(([category, g]) => ({ category, count: g.length })),
    sum: cats.map(([category, g]) => ({ category, 'sum(qty)': sum(g.map((x) => x.qty)) })),
    mean: [{ 'avg(price)': sum(rows.map((x) => x.price)) / rows.length }],
  };
  r['global'] = [{ 'max(price)': Math.max(...rows.map((x) => x.price)), 'count(qty)': rows.length }];
  r['distinct'] = new Set(rows.map((x) => x.category)).size;
  r['dropDuplicates'] = new Set(rows.map((x) => x.brand)).size;
  r['union'] = rows.length * 2;
  r['repartition'] = [...groupBy(rows, (x) => x.brand)].sort(byKey(([k]) => k)).map(([brand, g]) => ({ brand, count: g.length }));
  r['repartitionParts'] = { parts: 3, rows: rows.length };
  r['mapPartitions'] = [{ 'sum(rows)': rows.length }];
  const strings = new Map<string, Record<string, unknown>>();
  for (const x of rows) {
    if (x.brand === null) continue;
    const u = x.brand.toUpperCase();
    strings.set(u, { u, len: x.brand.length, pre: x.brand.slice(0, 2), sw: x.brand.startsWith('a'), has: x.brand.includes('ol') });
  }
  r['strings'] = [...strings.values()].sort(byKey((v) => v['u'] as string));
  const band = (p: number): string => (p < 25 ? 'cheap' : p < 75 ? 'mid' : 'dear');
  r['when'] = [...groupBy(rows, (x) => band(x.price))].sort(byKey(([k]) => k)).map(([b, g]) => ({ band: b, count: g.length }));
  r['dates'] = [...groupBy(rows, (x) => x.day.slice(0, 7))].sort(byKey(([k]) => k)).map(([ym, g]) => ({ y: Number(ym.slice(0, 4)), m: Number(ym.slice(5, 7)), count: g.length }));
  r['between'] = rows.filter((x) => x.price >= 10 && x.price <= 20).length;
  r['cast'] = rows.map((x) => Math.trunc(x.price)).sort((a, b) => a - b).slice(0, 2).map((p) => ({ p }));
  const kept = rows.filter((x) => x.qty > 2);
  r['cached'] = [kept.length, [{ 'sum(qty)': sum(kept.map((x) => x.qty)) }]];
  r['toArrow'] = rows.length;
  r['count'] = rows.length;
  r['first'] = byId[0];
  r['head'] = byId.slice(0, 2);
  r['take'] = [...rows].sort((a, b) => b.id - a.id).slice(0, 2).map((x) => x.id);
  r['show'] = formatTable(['id', 'brand'], byId.slice(0, 3).map(({ id, brand }) => ({ id, brand })), 20, 3);
  r['schema'] = [
    { name: 'id', type: 'bigint' },
    { name: 'brand', type: 'string' },
    { name: 'category', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'qty', type: 'bigint' },
    { name: 'day', type: 'string' },
  ];
  r['dtypes'] = (r['schema'] as { name: string; type: string }[]).map((f) => [f.name, f.type]);
  const country = new Map(BRANDS.map((b) => [b.brand, b.country]));
  const left = rows.map(({ id, brand }) => ({ id, brand }));
  const matched = left.filter((x) => x.brand !== null && country.has(x.brand));
  const unmatchedRight = BRANDS.filter((b) => !left.some((x) => x.brand === b.brand));
  r['joins'] = {
    inner: sortJson(matched.map((x) => ({ ...x, country: country.get(x.brand!)! }))),
    left: sortJson(left.map((x) => ({ ...x, country: x.brand === null ? null : (country.get(x.brand) ?? null) }))),
    right: sortJson([...matched.map((x) => ({ ...x, country: country.get(x.brand!)! })), ...unmatchedRight.map((b) => ({ id: null, brand: b.brand, country: b.country }))]),
    full: sortJson([...left.map((x) => ({ ...x, country: x.brand === null ? null : (country.get(x.brand) ?? null) })), ...unmatchedRight.map((b) => ({ id: null, brand: b.brand, country: b.country }))]),
    semi: sortJson([...matched]),
    anti: sortJson(left.filter((x) => x.brand === null || !country.has(x.brand))),
  };
  return r;
}
