/**
 * The history view: past jobs from IndexedDB (historyStore.ts), newest first.
 * "Open" reopens a job in every view from its recorded events; "Export"
 * downloads all of them as one JSON file (history.ts's format) and "Import"
 * reads such a file back.
 */
import { exportHistory, importHistory, type JobRecord } from '@shoal/client';
import { h, render } from '../../dom.ts';
import { deleteJob, listJobs, loadAllJobs, loadJob, saveJobs, type JobSummary } from '../historyStore.ts';
import { duration } from '../format.ts';

export interface HistoryView {
  refresh(): Promise<void>;
  /** Jobs listed now. */
  count(): number;
}

export function createHistory(root: HTMLElement, onOpen: (record: JobRecord) => void): HistoryView {
  const body = h('tbody', { id: 'history-list' });
  const status = h('span', { id: 'history-status', class: 'muted' });
  const exportButton = h('button', { id: 'history-export' }, 'Export all (JSON)');
  const importInput = h('input', { id: 'history-import', type: 'file', accept: 'application/json,.json' });
  render(
    root,
    h('div', { class: 'row' }, exportButton, h('label', { class: 'button-like' }, 'Import…', importInput), status),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Job'), h('th', {}, 'State'), h('th', {}, 'Tasks'), h('th', {}, 'Failed'), h('th', {}, 'Workers'), h('th', {}, 'Took'), h('th', {}, ''))), body),
  );
  let listed = 0;

  const row = (job: JobSummary) =>
    h(
      'tr',
      { 'data-job': job.id },
      h('td', {}, new Date(job.startedAt).toLocaleString()),
      h('td', {}, job.label),
      h('td', {}, h('span', { class: `state ${job.state}` }, job.state)),
      h('td', {}, job.tasks),
      h('td', {}, job.failed),
      h('td', {}, job.workers),
      h('td', {}, job.endedAt ? duration(job.endedAt - job.startedAt) : '—'),
      h(
        'td',
        {},
        h('button', { class: 'open', onclick: () => void open(job.id) }, 'Open'),
        ' ',
        h('button', { class: 'delete', onclick: () => void deleteJob(job.id).then(refresh) }, 'Delete'),
      ),
    );

  async function open(id: string): Promise<void> {
    const record = await loadJob(id);
    if (record) onOpen(record);
    else status.textContent = `job ${id} is no longer stored`;
  }

  async function refresh(): Promise<void> {
    try {
      const jobs = await listJobs();
      listed = jobs.length;
      render(body, ...(jobs.length ? jobs.map(row) : [h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No jobs recorded yet.'))]));
    } catch (error) {
      status.textContent = `history unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  exportButton.addEventListener('click', async () => {
    const jobs = await loadAllJobs();
    const url = URL.createObjectURL(new Blob([exportHistory(jobs)], { type: 'application/json' }));
    const a = h('a', { href: url, download: `shoal-history-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `exported ${jobs.length} job${jobs.length === 1 ? '' : 's'}`;
  });
  importInput.addEventListener('change', async () => {
    const file = importInput.files?.[0];
    if (!file) return;
    try {
      const jobs = importHistory(await file.text());
      await saveJobs(jobs);
      status.textContent = `imported ${jobs.length} job${jobs.length === 1 ? '' : 's'} from ${file.name}`;
      await refresh();
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
    }
    importInput.value = '';
  });

  void refresh();
  return { refresh, count: () => listed };
}
