/**
 * Errors: each task that failed by itself (threw, timed out, lost its worker)
 * with its code, message, worker, attempt, arguments and remote stack; then
 * counts of the tasks that did not run because an input failed, and of those
 * cancelled. Each entry is `#error-<taskId>`; `focus` scrolls to one (the
 * stream's red bars link here).
 */
import { h, render } from '../../dom.ts';
import type { JobModel, TaskView } from '../model/jobModel.ts';

const DETAILED = 50;
const QUIET = new Set(['ERR_DEPENDENCY_FAILED', 'ERR_CANCELLED']);

export interface ErrorsView {
  show(model: JobModel): void;
  update(): void;
  focus(taskId: string): boolean;
  /** Failed tasks shown in detail. */
  count(): number;
}

export function createErrors(root: HTMLElement, onSelect: (taskId: string) => void): ErrorsView {
  const list = h('div', { id: 'errors' });
  const summary = h('p', { class: 'muted' });
  render(root, list, summary);
  let model: JobModel | null = null;
  let seen = 0;
  let detailed = 0;
  const quiet = new Map<string, Map<string, number>>();

  const entry = (task: TaskView) => {
    const error = task.error!;
    const worker = task.workerId ? `${model?.workerNames.get(task.workerId) ?? task.workerId}` : 'no worker';
    return h(
      'article',
      { class: 'error', id: `error-${task.id}`, 'data-task': task.id },
      h(
        'div',
        { class: 'error-head' },
        h('a', { href: '#', onclick: (event: Event) => (event.preventDefault(), onSelect(task.id)) }, `${task.name} ${task.id}`),
        h('span', { class: 'muted' }, ` on ${worker} · attempt ${task.attempt || '—'} · `),
        h('code', { class: 'bad' }, error.code),
      ),
      h('p', {}, error.message),
      task.args ? h('p', { class: 'muted' }, 'arguments: ', h('code', {}, task.args)) : null,
      h('pre', { class: 'stack' }, error.remoteStack ?? error.stack ?? '(no stack)'),
    );
  };

  function update(): void {
    if (!model) return;
    const failures = model.failures;
    if (failures.length === seen) return;
    for (; seen < failures.length; seen++) {
      const task = failures[seen]!;
      const code = task.error?.code ?? 'ERR_TASK_FAILED';
      if (QUIET.has(code)) {
        const byName = quiet.get(code) ?? new Map<string, number>();
        byName.set(task.name, (byName.get(task.name) ?? 0) + 1);
        quiet.set(code, byName);
      } else if (detailed++ < DETAILED) {
        list.append(entry(task));
      }
    }
    const lines: string[] = [];
    if (detailed > DETAILED) lines.push(`${detailed - DETAILED} more failed tasks are not shown.`);
    const describe = (byName: Map<string, number>) => [...byName].map(([name, n]) => `${name} ×${n}`).join(', ');
    const dependency = quiet.get('ERR_DEPENDENCY_FAILED');
    if (dependency) lines.push(`Did not run because an input failed: ${describe(dependency)}.`);
    const cancelled = quiet.get('ERR_CANCELLED');
    if (cancelled) lines.push(`Cancelled: ${describe(cancelled)}.`);
    summary.textContent = lines.join(' ');
    if (detailed === 0 && lines.length === 0) summary.textContent = 'No failed tasks.';
  }

  return {
    show(next) {
      model = next;
      seen = 0;
      detailed = 0;
      quiet.clear();
      list.replaceChildren();
      summary.textContent = 'No failed tasks.';
      update();
    },
    update,
    focus(taskId) {
      update();
      const element = document.getElementById(`error-${taskId}`);
      if (!element) return false;
      element.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      element.classList.remove('flash');
      void element.offsetWidth;
      element.classList.add('flash');
      return true;
    },
    count: () => Math.min(detailed, DETAILED),
  };
}
