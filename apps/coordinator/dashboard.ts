/**
 * The dashboard: one JobModel on show (the live job's, or one rebuilt from a
 * history record) drawn by every view, and a redraw loop that stays cheap
 * when the cluster is busy.
 *
 *   coordinator events ─▶ live JobModel (O(1) per event) ─┐
 *   history record ─▶ replay into a fresh JobModel ───────┴▶ shown model ─▶ views
 *
 * While a job runs the loop ticks every 100 ms: the stream each tick (it only
 * draws what is new), the logs every 200 ms, progress every 250 ms, errors
 * every 500 ms, the graph every second. Between jobs, events schedule a
 * single throttled redraw.
 */
import type { JobRecord, RecordedLog, TaskEvent } from '@shoal/client';
import { decodeResult } from '@shoal/client';
import type { DashboardSnapshot, JobOutcome, WorkerSummary } from '@shoal/protocol';
import { byId } from '../dom.ts';
import { JobModel } from './model/jobModel.ts';
import { createDag } from './views/dag.ts';
import { createDetail } from './views/detail.ts';
import { createErrors } from './views/errors.ts';
import { createLogs } from './views/logs.ts';
import { createProgress } from './views/progress.ts';
import { createStream } from './views/stream.ts';

const TICK_MS = 100;

export interface Dashboard {
  /** A live job starts: a fresh model with lanes for `workers`. Shows it. */
  startLive(jobId: string, workers: WorkerSummary[]): void;
  endLive(): void;
  /** Workers present now: ones the live job has not seen get their lanes. */
  workersSeen(workers: WorkerSummary[]): void;
  feed(event: TaskEvent): void;
  log(line: RecordedLog): void;
  /** Rebuilds a recorded job and shows it; returns its outcome for the result view. */
  openRecord(record: JobRecord): JobOutcome | null;
  backToLive(): void;
  select(taskId: string): void;
  /** Shows the tasks named `name` in the details view; false if the job on show has none. */
  group(name: string): boolean;
  /** Where a task's bar is on the stream canvas (CSS px inside it), if drawn. */
  barAt(taskId: string): { x: number; y: number } | null;
  snapshot(): Omit<DashboardSnapshot, 'historyJobs' | 'actors'>;
  readonly viewing: JobRecord | null;
}

export function replay(record: JobRecord): JobModel {
  const model = new JobModel();
  for (const worker of record.workers) model.addWorker(worker.peerId, worker.caps?.slots ?? 1, worker.name);
  for (const event of record.events) model.apply(event);
  for (const line of record.logs) model.log(line);
  return model;
}

/** The recorded outcome as the result view takes it (the result decoded again). */
export function outcomeOf(record: JobRecord): JobOutcome | null {
  const outcome = record.outcome;
  if (!outcome) return null;
  if (!outcome.ok) return outcome;
  return { ok: true, result: outcome.resultJson === null ? '(the result was too big to keep in history)' : decodeResult(outcome.resultJson), elapsedMs: outcome.elapsedMs };
}

export function createDashboard(onViewChange: (record: JobRecord | null) => void): Dashboard {
  let live = new JobModel();
  let liveJobId: string | null = null;
  let running = false;
  let shown = live;
  let viewing: JobRecord | null = null;

  const select = (taskId: string): void => {
    detail.task(taskId);
    dag.highlight(taskId);
    if (shown.tasks.get(taskId)?.state === 'failed') errors.focus(taskId);
  };
  const stream = createStream(byId('stream'), select);
  const progress = createProgress(byId('progress-view'));
  const detail = createDetail(byId('detail'), select);
  const dag = createDag(byId('dag-view'), (selection) => {
    if (selection.kind === 'task') select(selection.taskId);
    else detail.group(selection.name);
  });
  const errors = createErrors(byId('errors-view'), select);
  const logs = createLogs(byId('logs-view'));

  const last = { logs: 0, progress: 0, errors: 0, dag: 0 };
  function tick(force = false): void {
    const now = performance.now();
    stream.update();
    if (force || now - last.logs >= 200) (logs.update(), (last.logs = now));
    if (force || now - last.progress >= 250) (progress.update(), (last.progress = now));
    if (force || now - last.errors >= 500) (errors.update(), (last.errors = now));
    if (force || now - last.dag >= 1000) (dag.update(), (last.dag = now));
  }

  let timer: ReturnType<typeof setInterval> | null = null;
  let scheduled = false;
  /** Between jobs: one redraw soon after a burst of events. */
  const kick = (): void => {
    if (timer !== null || scheduled || shown !== live) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      tick(true);
    }, 150);
  };

  function showModel(model: JobModel, isLive: boolean): void {
    shown = model;
    stream.show(model, isLive);
    progress.show(model, isLive);
    detail.show(model);
    dag.show(model, isLive);
    errors.show(model);
    logs.show(model);
  }

  return {
    get viewing() {
      return viewing;
    },
    startLive(jobId, workers) {
      live = new JobModel();
      liveJobId = jobId;
      running = true;
      for (const worker of workers) live.addWorker(worker.peerId, worker.caps?.slots ?? 1, worker.name);
      viewing = null;
      onViewChange(null);
      showModel(live, true);
      timer ??= setInterval(() => {
        if (shown === live) tick();
      }, TICK_MS);
    },
    endLive() {
      running = false;
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (shown !== live) return;
      // The final redraws are split over a few tasks, so none blocks the page for long.
      stream.setLive(false);
      progress.setLive(false);
      setTimeout(() => {
        if (shown !== live) return;
        logs.update();
        errors.update();
        setTimeout(() => shown === live && dag.setLive(false), 0);
      }, 0);
    },
    workersSeen(workers) {
      for (const worker of workers) if (!live.workerLanes.has(worker.peerId)) live.addWorker(worker.peerId, worker.caps?.slots ?? 1, worker.name);
    },
    feed(event) {
      live.apply(event);
      kick();
    },
    log(line) {
      live.log(line);
      kick();
    },
    openRecord(record) {
      viewing = record;
      onViewChange(record);
      showModel(replay(record), false);
      tick(true);
      return outcomeOf(record);
    },
    backToLive() {
      viewing = null;
      onViewChange(null);
      showModel(live, running);
      tick(true);
    },
    select,
    group(name) {
      if (!shown.names.has(name)) return false;
      detail.group(name);
      return true;
    },
    barAt(taskId) {
      return stream.locate(taskId);
    },
    snapshot() {
      const progressRows: DashboardSnapshot['progress'] = {};
      for (const stats of shown.names.values()) {
        progressRows[stats.name] = { submitted: stats.submitted, done: stats.done, running: stats.running, failed: stats.failed, queued: stats.submitted - stats.done - stats.running - stats.failed };
      }
      return {
        viewing: viewing?.id ?? null,
        liveJobId,
        running,
        streamBars: stream.drawnBars(),
        streamRuns: { kept: shown.bars.length, dropped: shown.barsDropped },
        lanes: shown.lanes.length,
        progress: progressRows,
        dag: dag.snapshot(),
        errors: errors.count(),
      };
    },
  };
}
