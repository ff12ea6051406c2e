/** Spark's `show()` text table: a header, rows, `null` for nulls, long values cut to `truncate` characters. */
function cell(v: unknown, truncate: number): string {
  let s = v === null || v === undefined ? 'null' : v instanceof Date ? v.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (truncate > 0 && s.length > truncate) s = `${s.slice(0, Math.max(0, truncate - 3))}...`;
  return s;
}

export function formatTable(names: readonly string[], rows: readonly Record<string, unknown>[], truncate: number, cutAt: number | null): string {
  const cells = rows.map((r) => names.map((n) => cell(r[n], truncate)));
  const widths = names.map((n, c) => Math.max(n.length, ...cells.map((r) => r[c]!.length)));
  const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const fmt = (vals: readonly string[]): string => `|${vals.map((v, c) => v.padStart(widths[c]!)).join('|')}|`;
  const out = [line, fmt(names), line, ...cells.map(fmt), line];
  if (cutAt !== null) out.push(`only showing top ${cutAt} row${cutAt === 1 ? '' : 's'}`);
  return out.join('\n');
}
