/**
 * Progress per task name: a stacked bar (done, failed, running, queued) with
 * counters, the mean run time and an ETA from the recent completion rate.
 * Rows (`#progress [data-name]`, `*` for all tasks) are built when a name
 * appears and then only updated in place; each carries its counts as data
 * attributes (`data-done`, ...), for tests.
 */
import { h, render } from '../../dom.ts';
import { duration, nameColour } from '../format.ts';
import type { JobModel, NameStats } from '../model/jobModel.ts';

interface Row {
  element: HTMLElement;
  parts: HTMLElement[];
  counters: HTMLElement;
  timing: HTMLElement;
}

type Counts = Pick<NameStats, 'submitted' | 'running' | 'done' | 'failed'>;

export interface ProgressView {
  show(model: JobModel, live: boolean): void;
  setLive(live: boolean): void;
  update(): void;
}

export function createProgress(root: HTMLElement): ProgressView {
  const list = h('div', { id: 'progress', class: 'progress' });
  const empty = h('p', { class: 'muted' }, 'No tasks yet. Run a job to see its progress per task name.');
  render(root, empty, list);
  let model: JobModel | null = null;
  let live = false;
  let rows = new Map<string, Row>();
  let seen = -1;

  const makeRow = (label: string, colour: string, name: string): Row => {
    const parts = ['done', 'failed', 'running', 'queued'].map((kind) => h('span', { class: `part ${kind}` }));
    const counters = h('div', { class: 'counters' });
    const timing = h('div', { class: 'timing muted' });
    const element = h('div', { class: 'prow', 'data-name': name }, h('div', { class: 'pname' }, h('i', { class: 'swatch', style: `background:${colour}` }), label), timing, h('div', { class: 'bar' }, ...parts), counters);
    return { element, parts, counters, timing };
  };

  const fill = (row: Row, counts: Counts, runMs: number, rate: number): void => {
    const queued = counts.submitted - counts.running - counts.done - counts.failed;
    const total = Math.max(1, counts.submitted);
    [counts.done, counts.failed, counts.running, queued].forEach((n, i) => (row.parts[i]!.style.width = `${(100 * n) / total}%`));
    row.counters.textContent = `${counts.done} done · ${counts.running} running · ${queued} queued · ${counts.failed} failed / ${counts.submitted}`;
    for (const [key, value] of Object.entries({ submitted: counts.submitted, done: counts.done, running: counts.running, queued, failed: counts.failed })) row.element.dataset[key] = String(value);
    const remaining = queued + counts.running;
    const eta = remaining === 0 ? (counts.submitted > 0 ? 'finished' : '') : !live ? 'stopped' : rate > 0 ? `ETA ~${duration((remaining / rate) * 1000)}` : 'ETA …';
    row.timing.textContent = [counts.done > 0 ? `mean run ${duration(runMs / counts.done)}` : '', eta].filter(Boolean).join(' · ');
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
      render(list, ...[...rows.values()].map((row) => row.element));
      empty.hidden = model.names.size > 0;
      list.hidden = model.names.size === 0;
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
    fill(rows.get('\u0000all')!, model.totals(), runMs, rate);
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
