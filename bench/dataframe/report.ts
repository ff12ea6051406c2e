/**
 * The table of bench/dataframe.ts (Shoal per tab count, Dask, ratio), the
 * result check between the systems, and the goals line.
 */
import type { Figures, SideResult } from './shoal.ts';
import { WORKLOADS } from './queries.ts';

export interface Sides {
  /** Shoal's results by tab count, in the order run. */
  shoal: [tabs: number, result: SideResult][];
  dask?: SideResult;
  /** `--native`: the same job on native DuckDB, one thread (a yardstick, see native.ts). */
  native?: SideResult;
}

/** `Shoal 1 tab`, `Shoal 2 tabs`. */
export const shoalLabel = (tabs: number): string => `Shoal ${tabs} tab${tabs === 1 ? '' : 's'}`;

const formatMs = (x: number | undefined): string =>
  x === undefined ? '—' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;

/** The Shoal run the ratio is taken against: 2 tabs if that ran, else the first. */
export function ratioTabs(sides: Sides): number | undefined {
  return sides.shoal.find(([tabs]) => tabs === 2)?.[0] ?? sides.shoal[0]?.[0];
}

const cell = (side: SideResult | undefined, id: string): string =>
  side === undefined ? '—' : side.workloads[id] ? formatMs(side.workloads[id]!.ms) : side.errors[id] || side.errors.job ? 'failed' : '—';

export function printTable(sides: Sides): void {
  const at = ratioTabs(sides);
  const base = sides.shoal.find(([tabs]) => tabs === at)?.[1];
  const header = [
    'workload',
    ...sides.shoal.map(([tabs]) => shoalLabel(tabs)),
    'Dask 2×1',
    ...(sides.native ? ['DuckDB 1 thr'] : []),
    `Dask/Shoal${sides.shoal.length > 1 && at !== undefined ? ` (${at} tabs)` : ''}`,
  ];
  const rows = WORKLOADS.map(({ id, title }) => {
    const s = base?.workloads[id]?.ms;
    const d = sides.dask?.workloads[id]?.ms;
    const ratio = s === undefined || d === undefined ? '—' : `${(d / s).toFixed(d / s < 10 ? 2 : 1)}×`;
    const native = sides.native ? [cell(sides.native, id)] : [];
    return [`${id.padEnd(8)} ${title}`, ...sides.shoal.map(([, side]) => cell(side, id)), cell(sides.dask, id), ...native, ratio];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]! - 2).padEnd(widths[i]!))).join('');
  console.log(`\n${line(header)}`);
  for (const r of rows) console.log(line(r));
  console.log('(the median run of each; ratio > 1: Shoal faster)');
}

const close = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/** How two systems' answers to one workload differ, or undefined if they agree. */
export function difference(a: Figures, b: Figures): string | undefined {
  const problems: string[] = [];
  if (a.outRows !== undefined && b.outRows !== undefined && a.outRows !== b.outRows) problems.push(`rows ${a.outRows} vs ${b.outRows}`);
  if (a.chk && b.chk) {
    if (a.chk.length !== b.chk.length || a.chk.some((x, i) => !close(x, b.chk![i]!))) problems.push(`chk [${a.chk.join(', ')}] vs [${b.chk.join(', ')}]`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Compares every Shoal run with Dask (or, without Dask, with the first Shoal
 * run); prints each mismatch loudly. Answers the mismatch lines.
 */
export function checkResults(sides: Sides): string[] {
  const reference = sides.dask ? { name: 'Dask', side: sides.dask } : sides.shoal[0] ? { name: shoalLabel(sides.shoal[0][0]), side: sides.shoal[0][1] } : undefined;
  if (!reference) return [];
  const mismatches: string[] = [];
  let compared = 0;
  const others: [string, SideResult][] = sides.shoal.map(([tabs, side]) => [shoalLabel(tabs), side]);
  if (sides.native) others.push(['native DuckDB', sides.native]);
  for (const [name, side] of others) {
    if (side === reference.side) continue;
    for (const { id } of WORKLOADS) {
      const a = side.workloads[id];
      const b = reference.side.workloads[id];
      if (!a || !b) continue;
      compared++;
      const diff = difference(a, b);
      if (diff) mismatches.push(`${id}: ${name} vs ${reference.name}: ${diff}`);
    }
  }
  if (mismatches.length > 0) {
    console.log(`\n!!!!!!!! RESULT MISMATCH (${mismatches.length}) !!!!!!!!`);
    for (const m of mismatches) console.log(`!!! ${m}`);
  } else if (compared > 0) {
    console.log(`\nresults agree: ${compared} answer(s) checked against ${reference.name} (row counts and column sums, relative tolerance 1e-6)`);
  }
  return mismatches;
}

/** The goals line: every query faster than Dask, the sort at least 2× faster. */
export function printGoals(sides: Sides): void {
  const at = ratioTabs(sides);
  const base = sides.shoal.find(([tabs]) => tabs === at)?.[1];
  if (!base || !sides.dask) return;
  const queries = WORKLOADS.filter(({ id }) => !id.startsWith('load'));
  const missed: string[] = [];
  let unknown = 0;
  for (const { id } of queries) {
    const s = base.workloads[id]?.ms;
    const d = sides.dask.workloads[id]?.ms;
    if (s === undefined || d === undefined) unknown++;
    else if (d / s <= 1) missed.push(`${id} ${(d / s).toFixed(2)}×`);
  }
  const sortRatio = base.workloads.sort && sides.dask.workloads.sort ? sides.dask.workloads.sort.ms / base.workloads.sort.ms : undefined;
  console.log(`\ngoals (Shoal ${at} tabs vs Dask): every query faster than Dask; the sort ≥ 2× faster`);
  console.log(
    `       every query: ${unknown === queries.length ? 'n/a' : missed.length === 0 && unknown === 0 ? 'met' : `missed${missed.length > 0 ? ` (${missed.join(', ')})` : ''}${unknown > 0 ? ` (${unknown} without both figures)` : ''}`}; ` +
      `sort ≥ 2×: ${sortRatio === undefined ? 'n/a' : `${sortRatio >= 2 ? 'met' : 'missed'} (${sortRatio.toFixed(2)}×)`}`,
  );
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** `--stages`: each workload's actions (last run) and their stages, from the coordinator's query log. */
export function printStages(label: string, side: SideResult): void {
  if (!Object.values(side.workloads).some((w) => w.queries && w.queries.length > 0)) return;
  console.log(`\nwhere the time goes, ${label} (last run of each workload; stage times overlap when stages run side by side):`);
  for (const { id } of WORKLOADS) {
    const queries = side.workloads[id]?.queries;
    if (!queries || queries.length === 0) continue;
    console.log(`  ${id} (${formatMs(side.workloads[id]!.ms)})`);
    for (const q of queries) {
      console.log(`    ${q.action} ${formatMs(q.ms)}, ${q.rowsOut.toLocaleString('en-US')} rows`);
      for (const st of q.stages) {
        const notes = st.notes.length > 0 ? `  [${st.notes.join('; ')}]` : '';
        console.log(`      ${st.name.padEnd(40)} ${formatMs(st.ms).padStart(9)} (in tasks ${formatMs(st.taskMs ?? 0).padStart(8)}${st.keptBlocks ? `, ${st.keptBlocks} kept` : ""}${st.phaseMs && st.phaseMs.load + st.phaseMs.run + st.phaseMs.export > 0 ? `: load ${formatMs(st.phaseMs.load)}, run ${formatMs(st.phaseMs.run)}, export ${formatMs(st.phaseMs.export)}` : ''})  ${String(st.tasks).padStart(3)} tasks  ${st.rowsOut.toLocaleString('en-US').padStart(11)} rows  in ${mb(st.bytesIn)}  out ${mb(st.bytesOut)}${notes}`);
      }
    }
  }
}
