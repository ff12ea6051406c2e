/**
 * Task log lines (`ctx.log`, and the scheduler's notes on tasks that cannot
 * run), as `[task@worker] text` in `#logs`, filtered by worker and by task
 * name or id. New lines are appended; the page keeps the last 500.
 */
import { h, render } from '../../dom.ts';
import type { RecordedLog } from '@shoal/client';
import type { JobModel } from '../model/jobModel.ts';

const SHOWN = 500;

export interface LogsView {
  show(model: JobModel): void;
  update(): void;
}

export function lineOf(log: RecordedLog): string {
  return `[${log.taskName}@${log.workerId}] ${log.text}`;
}

export function createLogs(root: HTMLElement): LogsView {
  const worker = h('select', { 'aria-label': 'Worker' });
  const task = h('input', { type: 'search', placeholder: 'task name or id', 'aria-label': 'Task filter' });
  const pre = h('pre', { id: 'logs' });
  render(root, h('div', { class: 'row' }, h('label', { class: 'muted' }, 'Worker ', worker), h('label', { class: 'muted' }, 'Task ', task)), pre);
  let model: JobModel | null = null;
  /** Lines taken from the model so far, counting those it has since dropped. */
  let taken = 0;
  let workersListed = '';

  const matches = (log: RecordedLog): boolean => {
    if (worker.value && log.workerId !== worker.value) return false;
    const needle = task.value.trim();
    return needle === '' || log.taskName.includes(needle) || log.taskId.includes(needle);
  };

  const append = (logs: RecordedLog[]): void => {
    const text = logs.filter(matches).map((log) => `${lineOf(log)}\n`);
    if (text.length === 0) return;
    const pinned = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(...text);
    while (pre.childNodes.length > SHOWN) pre.firstChild?.remove();
    if (pinned) pre.scrollTop = pre.scrollHeight;
  };

  const refilter = (): void => {
    pre.replaceChildren();
    if (model) append(model.logs.slice(-SHOWN * 4));
  };
  worker.addEventListener('change', refilter);
  task.addEventListener('input', refilter);

  function listWorkers(): void {
    if (!model) return;
    const ids = new Set(model.logs.map((log) => log.workerId));
    for (const id of model.workerLanes.keys()) ids.add(id);
    const key = [...ids].join(',');
    if (key === workersListed) return;
    workersListed = key;
    const chosen = worker.value;
    render(worker, h('option', { value: '' }, 'all'), ...[...ids].map((id) => h('option', { value: id }, model!.workerNames.get(id) ?? id)));
    worker.value = ids.has(chosen) ? chosen : '';
  }

  return {
    show(next) {
      model = next;
      taken = next.logs.length + next.logsDropped;
      workersListed = '';
      listWorkers();
      refilter();
    },
    update() {
      if (!model) return;
      const total = model.logs.length + model.logsDropped;
      if (total === taken) return;
      const fresh = model.logs.slice(Math.max(0, taken - model.logsDropped));
      taken = total;
      listWorkers();
      append(fresh);
    },
  };
}
