/**
 * Queries: one row per DataFrame/SQL action the tab's jobs ran (its job,
 * action, state, time and result rows), and the selected one's stages as a
 * tree from the root stage down the stages it reads, each edge labelled with
 * how it reads (shuffle, all, pointwise, concat). A stage shows a progress
 * bar (tasks done of its tasks), rows out, bytes read from other stages
 * (exchange bytes) and written, rows in (what the stages it reads put out)
 * and out, its time and its adaptive decisions. A failed
 * query shows its error code and message and highlights the stage it failed
 * in. The plans (explain()) open in a <details>.
 *
 * The newest query is on show until one is clicked; a new job goes back to
 * following the newest. Redraws are throttled (at most one per 250 ms), and
 * the list and the tree are rebuilt whole: a query has a handful of stages
 * and the list keeps 100 queries.
 *
 * For tests: `#query-list tr[data-query="<job>:<id>"]` carries `data-state`
 * and `data-rows`; each stage `li.qstage` carries `data-stage`, `data-state`,
 * `data-tasks`, `data-tasks-done`, `data-rows-out`, `data-mode`, and the
 * class `failed` where the query failed.
 */
import type { QueryRecord } from '@shoal/dataframe';
import type { QueryRecordSummary } from '@shoal/protocol';
import { h, render, throttled } from '../../dom.ts';
import { bytes, duration } from '../format.ts';
import { QueryBook, failedStage, resultRows, stageTree, summarize, type QueryEntry, type StageNode } from '../model/queryModel.ts';

export interface QueriesView {
  /** A job starts: its queries are told apart from earlier jobs' (ids restart in each job), and the view follows the newest. */
  startJob(label: string): void;
  /** A query's record, new or updated (QueryLog's listener). */
  update(record: QueryRecord): void;
  /** Shows the query `<job>:<id>`. */
  select(key: string): void;
  /** Every query listed, as plain data (the page API's `queries()`). */
  list(): QueryRecordSummary[];
}

const MODE_HELP: Record<string, string> = {
  shuffle: 'an exchange: each task reads its partition from every upstream task',
  all: 'every task reads every upstream block (a broadcast, or a gather into one task)',
  pointwise: 'task i reads upstream task i (no data moves)',
  concat: 'the upstream tasks, one after the other (union)',
};

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * `showTasks(name)` shows a stage's tasks (named `q<query> s<stage>: <stage name>`)
 * elsewhere on the page; false if the job on show has none.
 */
export function createQueries(root: HTMLElement, counter: HTMLElement | null = null, showTasks: (name: string) => boolean = () => false): QueriesView {
  const book = new QueryBook();
  const rows = h('tbody', { id: 'query-list' });
  const empty = h('p', { class: 'muted' }, 'No DataFrame queries yet. Each action (collect, count, show, write…) of a job that uses cluster.createDataFrame, cluster.read or cluster.sql shows here with its stages.');
  const list = h('div', { class: 'qlist scroll-x' }, h('table', { class: 'queries' }, h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Query'), h('th', {}, 'State'), h('th', {}, 'Time'), h('th', { title: 'rows the last stage put out: the result' }, 'Rows out'))), rows));
  const head = h('div', { class: 'qhead-line' });
  const failure = h('div', { class: 'qerror', hidden: true });
  const tree = h('ul', { class: 'qtree', id: 'query-stages' });
  const planText = h('pre', { class: 'qplan' });
  const plans = h('details', { class: 'qexplain', id: 'query-explain' }, h('summary', {}, 'Plans: explain() (logical, optimized, physical)'), planText);
  const detail = h('div', { class: 'qdetail', id: 'query-detail' }, head, failure, tree, plans);
  const grid = h('div', { class: 'queries-grid' }, list, detail);
  render(root, empty, grid);

  /** The query the user clicked, or null: follow the newest. */
  let pinned: string | null = null;
  let shownExplain = '';

  const shownKey = (): string | null => {
    if (pinned && book.get(pinned)) return pinned;
    const all = book.list();
    return all.length ? all[all.length - 1]!.key : null;
  };

  const draw = (): void => {
    const entries = book.list();
    const key = shownKey();
    empty.hidden = entries.length > 0;
    grid.hidden = entries.length === 0;
    if (counter) counter.textContent = String(entries.length);
    render(rows, ...entries.slice().reverse().map((entry) => listRow(entry, entry.key === key)));
    const entry = key ? book.get(key) : undefined;
    if (entry) drawDetail(entry);
  };
  const redraw = throttled(draw, 250);

  const listRow = (entry: QueryEntry, selected: boolean): HTMLElement => {
    const { record } = entry;
    const rowsOut = resultRows(record);
    const row = h(
      'tr',
      { 'data-query': entry.key, 'data-state': record.state, 'data-rows': rowsOut, class: selected ? 'selected' : '', title: 'show its stages', tabindex: 0 },
      h('td', { title: entry.jobLabel }, entry.job === 0 ? '—' : `${entry.job}`),
      h('td', {}, `q${record.id} ${record.action}`),
      h('td', {}, h('span', { class: `state ${record.state}` }, record.state)),
      h('td', {}, record.state === 'running' ? '…' : duration(record.ms)),
      h('td', {}, record.state === 'done' ? count(rowsOut) : '—'),
    );
    row.addEventListener('click', () => select(entry.key, true));
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select(entry.key, true);
        rows.querySelector<HTMLElement>(`tr[data-query="${entry.key}"]`)?.focus();
      }
    });
    return row;
  };

  const drawDetail = (entry: QueryEntry): void => {
    const { record } = entry;
    const rowsOut = resultRows(record);
    render(
      head,
      h('b', {}, `q${record.id} ${record.action}`),
      entry.job === 0 ? ' · outside a job · ' : ` · job ${entry.job} (${entry.jobLabel}) · `,
      h('span', { class: `state ${record.state}` }, record.state),
      record.state === 'running' ? '' : ` in ${duration(record.ms)}`,
      record.state === 'done' ? ` · ${count(rowsOut)} row${rowsOut === 1 ? '' : 's'}` : '',
    );
    const failedAt = failedStage(record);
    failure.hidden = !record.error;
    if (record.error) {
      const goTo = failedAt === null ? null : h('button', { class: 'link', onclick: () => flash(failedAt) }, `stage ${failedAt}`);
      render(failure, h('div', { class: 'error-box' }, h('b', { class: 'qerror-code' }, record.error.code), ': ', h('span', { class: 'qerror-message' }, record.error.message), goTo ? h('div', { class: 'small' }, 'failed in ', goTo) : null));
    }
    render(tree, ...stageTree(record).map((node) => stageItem(node, record.id)));
    if (record.explain !== shownExplain) {
      shownExplain = record.explain;
      planText.textContent = record.explain;
    }
  };

  const stageItem = (node: StageNode, query: number): HTMLElement => {
    const r = node.report;
    const state = r?.state ?? 'waiting';
    const attrs: Record<string, string | number> = { class: `qstage ${state}${node.failed ? ' failed' : ''}${node.repeat ? ' repeat' : ''}`, 'data-stage': node.id, 'data-state': state, 'data-tasks': r?.tasks ?? 0, 'data-tasks-done': r?.tasksDone ?? 0, 'data-rows-out': r?.rowsOut ?? 0 };
    if (node.mode) attrs['data-mode'] = node.mode;
    const mode = node.mode ? h('span', { class: `qmode tag ${node.mode}`, title: `read by the stage above as ${node.mode}: ${MODE_HELP[node.mode] ?? ''}` }, `${node.mode} ▲`) : null;
    // Stage names already say what they write ("scan+partial agg → hash"); the output kind is in the tooltip.
    const taskName = `q${query} s${node.id}: ${node.name}`;
    const tasksLink = state === 'waiting' ? null : h('button', { class: 'link small qtasks', title: `the tasks named "${taskName}" in the Details view (the job on show only)`, onclick: (event) => openTasks(taskName, event.currentTarget as HTMLElement) }, 'tasks');
    const title = h('div', { class: 'qtitle' }, mode, h('b', {}, `Stage ${node.id}`), ' ', h('span', { title: node.output ? `writes: ${node.output}` : '' }, node.name), ' ', h('span', { class: `state ${state}` }, state), ' ', tasksLink);
    if (node.repeat) return h('li', attrs, h('div', { class: 'qnode' }, title, h('div', { class: 'muted small' }, '(drawn above)')));
    const tasks = r?.tasks ?? 0;
    const done = r?.tasksDone ?? 0;
    const total = Math.max(1, tasks);
    const rest = tasks - done;
    const bar = h(
      'div',
      { class: 'bar', title: `${done} of ${tasks} tasks done` },
      h('span', { class: 'part done', style: `width:${(100 * done) / total}%` }),
      h('span', { class: `part ${state === 'failed' ? 'failed' : 'pending'}`, style: `width:${state === 'running' || state === 'failed' ? (100 * rest) / total : 0}%` }),
    );
    const reads = node.children.length ? node.children.map((c) => `${c.id} (${c.mode})`).join(', ') : '';
    const figures =
      state === 'waiting'
        ? h('div', { class: 'counters muted' }, reads ? `waiting for stage${node.children.length > 1 ? 's' : ''} ${node.children.map((c) => c.id).join(', ')}` : 'waiting to start')
        : h(
            'div',
            { class: 'counters' },
            `${done}/${tasks} tasks · `,
            reads ? `rows in ${count(node.children.reduce((sum, c) => sum + (c.report?.rowsOut ?? 0), 0))} · ` : '',
            `rows out ${count(r?.rowsOut ?? 0)} · `,
            h('span', { title: reads ? `bytes its tasks read from stages ${reads}` : 'it reads no other stage' }, `in ${reads ? bytes(r?.bytesIn ?? 0) : '—'}`),
            ` · out ${bytes(r?.bytesOut ?? 0)} · ${state === 'running' ? 'running…' : r?.ms ? duration(r.ms) : state}`,
            r?.taskMs ? h('span', { class: 'muted', title: 'time inside its task functions (engine work), summed over its tasks; the rest of the wall time is scheduling and transfers' }, ` (${duration(r.taskMs)} in tasks)`) : '',
            r?.keptBlocks ? h('span', { class: 'muted', title: "input blocks read in place from the workers' engines (a cached DataFrame after its first use): nothing copied or loaded" }, ` · ${r.keptBlocks} kept`) : '',
          );
    const notes = r?.notes.length ? h('ul', { class: 'qnotes small' }, ...r.notes.map((note) => h('li', {}, note))) : null;
    const error = r?.error ? h('div', { class: 'bad small qstage-error' }, r.error) : null;
    return h('li', attrs, h('div', { class: 'qnode' }, title, bar, figures, notes, error), node.children.length ? h('ul', {}, ...node.children.map((child) => stageItem(child, query))) : null);
  };

  const openTasks = (name: string, button: HTMLElement): void => {
    if (showTasks(name)) document.getElementById('detail-section')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    else button.replaceWith(h('span', { class: 'muted small' }, '(its job is not on show)'));
  };

  const flash = (stage: number): void => {
    const item = tree.querySelector<HTMLElement>(`li.qstage[data-stage="${stage}"] > .qnode`);
    if (!item) return;
    item.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    item.classList.remove('flash');
    void item.offsetWidth; // restart the animation
    item.classList.add('flash');
  };

  const select = (key: string, byUser: boolean): void => {
    if (byUser) pinned = key;
    draw();
  };

  draw();
  return {
    startJob(label) {
      book.startJob(label);
      pinned = null;
    },
    update(record) {
      book.update(record);
      redraw();
    },
    select: (key) => select(key, true),
    list: () => book.list().map(summarize),
  };
}
