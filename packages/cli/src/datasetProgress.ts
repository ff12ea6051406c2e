/**
 * Dataset operators on `shoal run`'s progress bars. A `cluster.data`
 * operator's tasks carry its name (`Range(1000)->MapBatches(widen)`), so its
 * bar is the row of that task name; this adds what the coordinator page's
 * `datasetProgress()` knows about the operator: rows/s so far, and the
 * blocks it has finished that wait for the next operator (queued).
 *
 * Example: `{name: 'MapBatches(mix)', rowsPerSec: 1_234_567, queued: 3}` →
 * the row `MapBatches(mix)` ends in `1.2M rows/s  3 queued`.
 */
import type { DatasetOperatorProgress } from '@shoal/protocol';

/** `950` → `950`, `12_340` → `12.3k`, `1_234_567` → `1.2M`, `2.5e9` → `2.5G`. */
export function formatCount(n: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(n >= 100 * size ? 0 : 1)}${unit}`;
  return `${Math.round(n)}`;
}

/** The note each operator's row gets, by task name: rows/s once it has rows, and its queued blocks while it runs. */
export function operatorNotes(operators: readonly DatasetOperatorProgress[]): Map<string, string> {
  const notes = new Map<string, string>();
  for (const op of operators) {
    const parts: string[] = [];
    if (op.rowsOut > 0) parts.push(`${formatCount(op.rowsPerSec)} rows/s`);
    if (!op.finished && op.queued > 0) parts.push(`${op.queued} queued`);
    if (parts.length > 0) notes.set(op.name, parts.join('  '));
  }
  return notes;
}
