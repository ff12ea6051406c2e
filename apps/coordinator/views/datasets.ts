/**
 * Datasets: each `cluster.data` execution of this tab's jobs, one table per
 * run with a row per operator (sources first): rows out, rows/s since the
 * operator started, blocks out, tasks running, blocks queued for the next
 * operator, and a pool's actors (alive now / peak, of [min, max]).
 *
 * `datasetLog` is fed by collections.ts (the executor's onProgress, at most
 * every 100 ms and once at the end); the view draws from it, throttled.
 * The view makes its own <section> after the Queries view's, so the page's
 * HTML needs no edit. For tests: `tr[data-op]` carries `data-rows`,
 * `data-queued` and `data-actors`.
 */
import type { OperatorStats } from '@shoal/datasets';
import type { DatasetOperatorProgress } from '@shoal/protocol';
import { h, render, throttled } from '../../dom.ts';

const MAX_KEPT = 20;

export interface DatasetRun {
  readonly id: number;
  readonly operators: readonly OperatorStats[];
}

/** Rows per second of an operator so far (0 before it starts). */
export function rowsPerSecond(op: OperatorStats, now = Date.now()): number {
  if (op.startedAt === null) return 0;
  const ms = (op.finishedAt ?? now) - op.startedAt;
  return ms > 0 ? (op.rowsOut * 1000) / ms : 0;
}

/** A run's operators as `shoal run`'s progress bars read them (window.shoalCoordinator.datasetProgress). */
export function datasetProgress(operators: readonly OperatorStats[], now = Date.now()): DatasetOperatorProgress[] {
  return operators.map((op) => ({ name: op.name, rowsOut: op.rowsOut, rowsPerSec: rowsPerSecond(op, now), running: op.running, queued: op.queued, finished: op.finishedAt !== null }));
}

export class DatasetLog {
  private readonly runs: { id: number; stats: readonly OperatorStats[] }[] = [];
  private readonly listeners = new Set<() => void>();
  private next = 1;

  update(stats: readonly OperatorStats[]): void {
    if (!this.runs.some((r) => r.stats === stats)) {
      this.runs.push({ id: this.next++, stats });
      if (this.runs.length > MAX_KEPT) this.runs.shift();
    }
    for (const listener of this.listeners) listener();
  }
  list(): DatasetRun[] {
    return this.runs.map((r) => ({ id: r.id, operators: r.stats.map((s) => ({ ...s })) }));
  }
  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The tab's one log. */
export const datasetLog = new DatasetLog();

/** Draws the newest runs into `root` whenever the log changes. */
export function createDatasetsView(root: HTMLElement, log: DatasetLog = datasetLog): () => void {
  const draw = throttled(() => {
    const runs = log.list().slice(-3).reverse();
    render(
      root,
      ...runs.map((run) =>
        h(
          'table',
          { class: 'datasets', 'data-run': run.id },
          h('caption', {}, `dataset run ${run.id}`),
          h('tr', {}, ...['operator', 'rows', 'rows/s', 'blocks', 'running', 'queued', 'actors'].map((t) => h('th', {}, t))),
          ...run.operators.map((op) =>
            h(
              'tr',
              { 'data-op': op.name, 'data-rows': op.rowsOut, 'data-queued': op.queued, 'data-actors': op.actors?.alive ?? '' },
              h('td', {}, op.name),
              h('td', {}, op.rowsOut.toLocaleString()),
              h('td', {}, Math.round(rowsPerSecond(op)).toLocaleString()),
              h('td', {}, op.blocksOut),
              h('td', {}, op.running),
              h('td', {}, op.queued),
              h('td', {}, op.actors ? `${op.actors.alive} (peak ${op.actors.peak}) of [${op.actors.min}, ${op.actors.max}]` : ''),
            ),
          ),
        ),
      ),
    );
  }, 250);
  return log.on(draw);
}

/** Adds the Datasets section after the Queries view (if the page has one) and starts drawing. */
export function mountDatasetsView(doc: Document = document): void {
  const queries = doc.getElementById('queries-view');
  const section = h('section', { id: 'datasets-section' }, h('h2', {}, 'Datasets ', h('span', { class: 'muted small' }, 'each cluster.data run: operators with rows, rows/s and blocks queued between them')), h('div', { id: 'datasets-view' }));
  const anchor = queries?.closest('section') ?? queries?.parentElement;
  if (anchor?.parentElement) anchor.parentElement.insertBefore(section, anchor.nextSibling);
  else doc.body.append(section);
  createDatasetsView(section.querySelector('#datasets-view') as HTMLElement);
}
