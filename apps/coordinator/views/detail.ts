/**
 * The detail panel: what the dashboard knows about one task (inputs and their
 * producers, outputs and their consumers, worker, timing, error with remote
 * stack, arguments) or about one task name (counts, workers, failures).
 * Task ids in it are links that select that task.
 */
import { h, render } from '../../dom.ts';
import { bytes, duration, nameColour } from '../format.ts';
import type { JobModel, TaskView } from '../model/jobModel.ts';

export interface DetailView {
  show(model: JobModel): void;
  task(taskId: string): void;
  group(name: string): void;
  clear(): void;
}

export function createDetail(root: HTMLElement, onSelect: (taskId: string) => void): DetailView {
  let model: JobModel | null = null;
  const empty = () => render(root, h('p', { class: 'muted' }, 'Click a task in the stream or the graph, or an error, to see its details here.'));
  empty();

  const link = (task: TaskView) => h('a', { href: '#', class: `task-link ${task.state}`, onclick: (event: Event) => (event.preventDefault(), onSelect(task.id)) }, `${task.name} ${task.id}`);
  const worker = (id: string | null) => (id === null ? '—' : model?.workerNames.get(id) ? `${model.workerNames.get(id)} (${id})` : id);
  const rel = (t: number | null) => (t === null || !model?.firstT ? '—' : `+${duration(t - model.firstT)}`);
  const dl = (...pairs: Array<[string, Node | string]>) => h('dl', { class: 'facts' }, ...pairs.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]));

  return {
    show(next) {
      model = next;
      empty();
    },
    clear: empty,
    task(taskId) {
      const task = model?.tasks.get(taskId);
      if (!model || !task) return empty();
      const inputs = task.deps.map((dep) => {
        const producer = model!.producerOf(dep);
        return h('li', {}, producer ? link(producer) : h('span', {}, `object ${dep} (put by the job)`), dep !== producer?.id && producer ? h('span', { class: 'muted' }, ` output ${dep}`) : null);
      });
      const consumers = model.consumersOf(task.id).slice(0, 50).map((consumer) => h('li', {}, link(consumer)));
      const parent = task.parentTaskId ? model.tasks.get(task.parentTaskId) : undefined;
      const ran = task.durationMs ?? (task.endedAt !== null && task.dispatchedAt !== null ? task.endedAt - task.dispatchedAt : null);
      render(
        root,
        h('h3', {}, h('i', { class: 'swatch', style: `background:${nameColour(model.names.get(task.name)?.index ?? 0)}` }), `${task.name} `, h('code', {}, task.id), ' ', h('span', { class: `state ${task.state}` }, task.state)),
        dl(
          ['worker', worker(task.workerId)],
          ['attempt', task.attempt ? String(task.attempt) : '—'],
          ['submitted', rel(task.submittedAt)],
          ['dispatched', rel(task.dispatchedAt)],
          ['ended', rel(task.endedAt)],
          ['run time', duration(ran)],
          ['inputs fetched', task.fetchBytes ? bytes(task.fetchBytes) : 'none (inline)'],
          ['output bytes', bytes(task.bytes)],
          ['spawned by', parent ? link(parent) : '—'],
        ),
        h('h4', {}, `Inputs (${task.deps.length})`),
        inputs.length ? h('ul', { class: 'links' }, ...inputs) : h('p', { class: 'muted' }, 'none: only inline arguments'),
        h('h4', {}, `Outputs: ${task.id}${task.bytes !== null ? ` (${bytes(task.bytes)})` : ''}, used by`),
        consumers.length ? h('ul', { class: 'links' }, ...consumers) : h('p', { class: 'muted' }, 'no task of this job'),
        task.error
          ? h(
              'div',
              { class: 'error-box' },
              h('p', { class: 'bad' }, `${task.error.code}: ${task.error.message}`),
              task.args ? h('p', {}, 'arguments: ', h('code', {}, task.args)) : null,
              task.error.remoteStack ? h('pre', { class: 'stack' }, task.error.remoteStack) : null,
            )
          : null,
      );
    },
    group(name) {
      const stats = model?.names.get(name);
      if (!model || !stats) return empty();
      const tasks = [...model.tasks.values()].filter((task) => task.name === name);
      const perWorker = new Map<string, number>();
      for (const task of tasks) if (task.workerId && task.state === 'done') perWorker.set(task.workerId, (perWorker.get(task.workerId) ?? 0) + 1);
      const failed = tasks.filter((task) => task.state === 'failed');
      render(
        root,
        h('h3', {}, h('i', { class: 'swatch', style: `background:${nameColour(stats.index)}` }), `${name} (${tasks.length} tasks)`),
        dl(
          ['done', String(stats.done)],
          ['running', String(stats.running)],
          ['queued', String(stats.submitted - stats.done - stats.failed - stats.running)],
          ['failed', String(stats.failed)],
          ['mean run', stats.done ? duration(stats.runMs / stats.done) : '—'],
          ['done per worker', [...perWorker].map(([id, n]) => `${model!.workerNames.get(id) ?? id}: ${n}`).join(', ') || '—'],
        ),
        failed.length ? h('h4', {}, `Failed (${failed.length})`) : null,
        failed.length ? h('ul', { class: 'links' }, ...failed.slice(0, 30).map((task) => h('li', {}, link(task), h('span', { class: 'muted' }, ` ${task.error?.code ?? ''}`)))) : null,
        h('h4', {}, 'Some of its tasks'),
        h('ul', { class: 'links' }, ...tasks.slice(0, 12).map((task) => h('li', {}, link(task)))),
      );
    },
  };
}
