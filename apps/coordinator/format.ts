/** Small formatting helpers and the colour palette shared by the dashboard's views. */

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function clock(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const date = new Date(t);
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** "3 s ago", for last-heard times. */
export function ago(t: number | null | undefined, now = Date.now()): string {
  if (t === null || t === undefined) return '—';
  const ms = Math.max(0, now - t);
  return ms < 1000 ? 'just now' : `${duration(ms)} ago`;
}

/** Colour-blind-friendly, distinct on white (Okabe–Ito, then Tableau). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#8c6d31', '#6b6ecf', '#b5cf6b', '#17becf', '#bcbd22', '#7f7f7f'];

export function nameColour(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

export const STATE_COLOURS = { queued: '#cbd5e1', running: '#60a5fa', done: '#4ade80', failed: '#f87171' } as const;
