/**
 * Progress per task name: a stacked bar (done, failed, running, queued) with
 * counters, the mean run time and an ETA from the recent completion rate.
 * Rows are built when a name appears and then only updated in place; each
 * carries its counts as data attributes (`data-done`, ...), for tests.
 */
import { h, render } from '../../dom.ts';
import { duration, nameColour } from '../format.ts';
import type { JobModel, NameStats } from '../model/jobModel.ts';

interface Row {
  element: HTMLTableRowElement;
  parts: HTMLElement[];
  counters: HTMLElement;
  mean: HTMLElement;
  eta: HTMLElement;
}

type Counts = Pick<NameStats, 'submitted' | 'running' | 'done' | 'failed'>;

export interface ProgressView {
  show(model: JobModel, live: boolean): void;
  setLive(live: boolean): void;
  update(): void;
}

export function createProgress(root: HTMLElement): ProgressView {
  const body = h('tbody', { id: 'progress' });
  const empty = h('p', { class: 'muted' }, 'No tasks yet. Run a job to see its progress per task name.');
  render(root, empty, h('table', { class: 'progress' }, h('thead', {}, h('tr', {}, h('th', {}, 'Task'), h('th', { class: 'wide' }, 'Progress'), h('th', {}, 'Counts'), h('th', {}, 'Mean run'), h('th', {}, 'ETA'))), body));
  let model: JobModel | null = null;
  let live = false;
  let rows = new Map<string, Row>();
  let seen = -1;

  const makeRow = (label: string, colour: string, name: string): Row => {
    const parts = ['done', 'failed', 'running', 'queued'].map((kind) => h('span', { class: `part ${kind}` }));
    const counters = h('td', { class: 'counters' });
    const mean = h('td', {});
    const eta = h('td', {});
    const element = h('tr', { 'data-name': name }, h('td', {}, h('i', { class: 'swatch', style: `background:${colour}` }), label), h('td', { class: 'wide' }, h('div', { class: 'bar' }, ...parts)), counters, mean, eta);
    return { element, parts, counters, mean, eta };
  };

  const fill = (row: Row, counts: Counts, runMs: number, rate: number): void => {
    const queued = counts.submitted - counts.running - counts.done - counts.failed;
    const total = Math.max(1, counts.submitted);
    [counts.done, counts.failed, counts.running, queued].forEach((n, i) => (row.parts[i]!.style.width = `${(100 * n) / total}%`));
    row.counters.textContent = `${counts.done} done · ${counts.running} running · ${queued} queued · ${counts.failed} failed / ${counts.submitted}`;
    for (const [key, value] of Object.entries({ submitted: counts.submitted, done: counts.done, running: counts.running, queued, failed: counts.failed })) row.element.dataset[key] = String(value);
    row.mean.textContent = counts.done > 0 ? duration(runMs / counts.done) : '—';
    const remaining = queued + counts.running;
    row.eta.textContent = remaining === 0 ? (counts.submitted > 0 ? 'finished' : '—') : !live ? 'stopped' : rate > 0 ? `~${duration((remaining / rate) * 1000)}` : '…';
  };

  function update(): void {
    if (!model) return;
    if (model.names.size !== seen) {
      seen = model.names.size;
      const next = new Map<string, Row>();
      const all = rows.get('\u0000all') ?? makeRow('all tasks', '#1b2330', '*');
      all.element.classList.add('total');
      next.set('\u0000all', all);
      for (const stats of model.names.values()) next.set(stats.name, rows.get(stats.name) ?? makeRow(stats.name, nameColour(stats.index), stats.name));
      rows = next;
      render(body, ...[...rows.values()].map((row) => row.element));
      empty.hidden = model.names.size > 0;
    }
    const now = live ? Date.now() : model.lastT ?? 0;
    let runMs = 0;
    let rate = 0;
    for (const stats of model.names.values()) {
      const r = model.rate(stats, now);
      runMs += stats.runMs;
      rate += r;
      fill(rows.get(stats.name)!, stats, stats.runMs, r);
    }
    const totals = model.totals();
    fill(rows.get('\u0000all')!, totals, runMs, rate);
  }

  return {
    show(next, isLive) {
      model = next;
      live = isLive;
      rows = new Map();
      seen = -1;
      update();
    },
    setLive(isLive) {
      live = isLive;
      update();
    },
    update,
  };
}
