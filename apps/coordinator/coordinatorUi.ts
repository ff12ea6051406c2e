/**
 * Wires a Coordinator to the dashboard's views: the workers table, the
 * actors table, the job runner (with recording and cancel), the live
 * dashboard, history, the DataFrame queries (queries.ts's log) and the
 * data file drop.
 * main.ts creates it before joining the room and attaches the Coordinator
 * once it exists.
 */
import type { Coordinator, JobRecord, RecordedLog, TaskLog, WorkersDiff } from '@shoal/client';
import { dataClientForPage } from '@shoal/data';
import type { QueryRecord } from '@shoal/dataframe';
import type { DashboardSnapshot, JobOutcome, QueryRecordSummary } from '@shoal/protocol';
import { byId, throttled } from '../dom.ts';
import { createDashboard } from './dashboard.ts';
import { EXAMPLES } from './examples.ts';
import { saveJobs } from './historyStore.ts';
import { createJobControl, type JobControl } from './jobControl.ts';
import { queryLog } from './queries.ts';
import { createActors } from './views/actors.ts';
import { createFileDrop } from './views/fileDrop.ts';
import { createHistory } from './views/history.ts';
import { lineOf } from './views/logs.ts';
import { createQueries } from './views/queries.ts';
import { mountDatasetsView } from './views/datasets.ts';
import { mountTuneView } from './views/tune.ts';
import { createRunner } from './views/runner.ts';
import { createWorkers } from './views/workers.ts';

export interface CoordinatorUi {
  attach(coordinator: Coordinator): void;
  /** Runs a job (the page API's runJob and the Run button both come here). */
  run(source: string, label?: string): Promise<JobOutcome>;
  snapshot(): DashboardSnapshot;
  barAt(taskId: string): { x: number; y: number } | null;
  /** The last finished job's record, or null. */
  lastRecord(): JobRecord | null;
  /** The DataFrame queries listed in the Queries view. */
  queries(): QueryRecordSummary[];
  /** Logs a query record as the running job's session would (for tests of the Queries view). */
  recordQuery(record: QueryRecord): void;
}

export function createCoordinatorUi(): CoordinatorUi {
  let coordinator: Coordinator | null = null;
  let jobs: JobControl | null = null;
  let attached: (coordinator: Coordinator) => void = () => undefined;
  let lastOutcome: JobOutcome | null = null;
  let lastRecord: JobRecord | null = null;
  const whenAttached = new Promise<Coordinator>((resolve) => (attached = resolve));

  const viewingBar = byId('viewing');
  const dashboard = createDashboard((record) => {
    viewingBar.hidden = record === null;
    if (record) byId('viewing-text').textContent = `Viewing a recorded job: ${record.label}, ${new Date(record.startedAt).toLocaleString()} (${record.state}).`;
  });
  const workers = createWorkers(byId('workers'), byId('lost-workers'), byId('worker-count'), byId('traffic'));
  const actors = createActors(byId('actors'), byId('actor-count'));
  // A test hook (e2e/coordinator-scale.spec.ts): feed the workers table a diff, e.g. hundreds of made-up workers, and count its rows.
  (globalThis as { shoalWorkersView?: unknown }).shoalWorkersView = {
    apply: (diff: WorkersDiff) => (workers.apply(diff), workers.update(null, null)),
    rendered: () => workers.rendered(),
  };
  /** Every worker's name seen so far, so actors on a worker that left still show it. */
  const workerNames = new Map<string, string>();
  const runner = createRunner({
    run: (source, label) => void run(source, label),
    cancel: () => jobs?.cancel(),
  });
  const history = createHistory(byId('history'), (record) => {
    runner.result(dashboard.openRecord(record), `recorded ${new Date(record.startedAt).toLocaleString()}`);
    byId('stream-section').scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
  byId('back-to-live').addEventListener('click', () => {
    dashboard.backToLive();
    runner.result(lastOutcome);
  });
  byId('viewing-source').addEventListener('click', () => {
    if (dashboard.viewing) runner.setSource(dashboard.viewing.source);
  });
  const queries = createQueries(byId('queries-view'), byId('query-count'), (name) => dashboard.group(name));
  queryLog.on((record) => queries.update(record));
  mountDatasetsView();
  mountTuneView();
  createFileDrop({
    zone: document.body,
    input: byId<HTMLInputElement>('data-file'),
    status: byId('drop-status'),
    client: () => dataClientForPage(),
    setSource: (source) => {
      runner.setSource(source);
      byId('run-section').scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  });
  workers.update([], null);
  actors.update([], () => null);

  const labelFor = (source: string): string => EXAMPLES.find((example) => example.source === source)?.name ?? 'job';

  async function run(source: string, label = labelFor(source)): Promise<JobOutcome> {
    await whenAttached;
    return jobs!.run(source, label);
  }

  function onStarted(record: JobRecord): void {
    queries.startJob(record.label);
    dashboard.startLive(record.id, coordinator?.workers() ?? []);
    runner.running(true, 'running…');
    runner.result(null, 'running…');
  }

  function onEnded(record: JobRecord, outcome: JobOutcome): void {
    lastOutcome = outcome;
    lastRecord = record;
    dashboard.endLive();
    runner.running(false, `${record.state} in ${outcome.elapsedMs} ms`);
    if (!dashboard.viewing) runner.result(outcome);
    // Saved a moment later, in a task of its own: cloning a big job's events into IndexedDB takes a while.
    setTimeout(() => {
      saveJobs([record])
        .then(() => history.refresh())
        .catch((error) => console.warn(`[shoal] could not save the job's history: ${error instanceof Error ? error.message : String(error)}`));
    }, 50);
  }

  const logLine = (line: RecordedLog): void => {
    const text = lineOf(line);
    if (line.level === 'warn' || line.level === 'error') console.warn(text);
    else console.log(text);
    dashboard.log(line);
  };

  return {
    attach(next) {
      coordinator = next;
      jobs = createJobControl(next, { started: onStarted, ended: onEnded });
      // Workers that said they are leaving are drained first (client/src/handover.ts).
      const handover = (next as { handover?: { isDraining?(peerId: string): boolean } }).handover;
      const draining = (peerId: string) => handover?.isDraining?.(peerId) ?? false;
      // The worker list follows the coordinator's batched diffs: O(changed) each, and a redraw of the rows in view.
      const redraw = throttled(() => workers.update(null, next.plane.traffic(), draining), 250);
      next.on('workersDiff', (diff) => {
        for (const worker of diff.changed) if (worker.name) workerNames.set(worker.peerId, worker.name);
        workers.apply(diff);
        dashboard.workersSeen(diff.changed);
        redraw();
      });
      const present = next.workers();
      for (const worker of present) if (worker.name) workerNames.set(worker.peerId, worker.name);
      workers.update(present, next.plane.traffic(), draining);
      dashboard.workersSeen(present);
      // Actors: on each step of their lives, and (their call counts) on task events while any lives; at most every 250 ms.
      let actorsLive = false;
      const redrawActors = throttled(() => {
        const rows = next.actors.snapshot();
        actorsLive = rows.some((row) => row.state !== 'dead');
        actors.update(rows, (peerId) => workerNames.get(peerId) ?? null);
      }, 250);
      next.on('actor', redrawActors);
      // "Last heard" ages even when nothing changes; call counts settle without an event.
      setInterval(() => (redraw(), redrawActors()), 1_000);
      next.mesh.on('message', (from) => workers.heard(from.peerId));
      next.on('workerLost', (peerId, reason) => {
        workers.noteLost(peerId, reason);
        redraw();
      });
      next.on('task', (event) => {
        dashboard.feed(event);
        workers.noteTask(event);
        if (actorsLive) redrawActors();
      });
      next.on('taskLog', (log: TaskLog) => logLine({ t: Date.now(), ...log }));
      next.on('taskInfeasible', (taskId, taskName, reason) =>
        logLine({ t: Date.now(), taskId, taskName, workerId: 'scheduler', level: 'warn', text: `cannot run on any worker present, so it waits: ${reason}` }),
      );
      redraw();
      attached(next);
    },
    run,
    snapshot: () => ({ ...dashboard.snapshot(), historyJobs: history.count(), actors: actors.rows() }),
    barAt: (taskId) => dashboard.barAt(taskId),
    lastRecord: () => lastRecord,
    queries: () => queries.list(),
    recordQuery: (record) => queryLog.update(record),
  };
}
