/**
 * The dashboard's picture of one job, built only from the coordinator's task
 * events (packages/client/src/taskEvents.ts) and log lines, so the same code
 * draws a live job and one reopened from history.
 *
 *   submitted ─▶ queued ─ dispatched ─▶ running ─ finished ─▶ done
 *                                              └─ failed ───▶ failed
 *   (a failed input fails its dependents without a dispatch)
 *
 * A *lane* is one task slot of one worker. The coordinator sends a worker
 * more tasks than it has slots (they queue there), so a dispatch is not a
 * start: a run is placed when it ends, at `end - durationMs` (the worker's own
 * measure), on the lane of its worker that fell free last before that. A
 * worker has `slots` lanes when they are known (`addWorker`); otherwise lanes
 * are added while runs overlap, up to 16. A finished or failed run becomes a
 * *bar*. Bars are kept in arrival order, at most `maxBars` (the oldest are
 * dropped first, counted in `barsDropped`), and numbered by `seq` so a view
 * can draw only the bars it has not drawn yet. Tasks sent to a worker and not
 * yet back are its `inflight` set, in the order they were sent.
 *
 * `apply` is O(1) per event: the coordinator calls it for every task step.
 */
import type { RecordedLog, TaskEvent } from '@shoal/client';

export type TaskState = 'queued' | 'running' | 'done' | 'failed';
/** Runs measured on the worker but timed on the coordinator may seem to overlap by this much on one slot. */
const LANE_SLACK_MS = 3;
const MAX_UNKNOWN_LANES = 16;
type FailedEvent = Extract<TaskEvent, { kind: 'failed' }>;

export interface TaskView {
  id: string;
  name: string;
  deps: readonly string[];
  parentTaskId: string | null;
  submittedAt: number;
  state: TaskState;
  workerId: string | null;
  attempt: number;
  dispatchedAt: number | null;
  fetchBytes: number;
  endedAt: number | null;
  /** The run itself, as the worker measured it. */
  durationMs: number | null;
  /** The outputs' sizes. */
  bytes: number | null;
  error: FailedEvent['error'] | null;
  args: string | null;
  /** The lane its last run was drawn on; -1 until a run ended. */
  lane: number;
}

export interface Lane {
  workerId: string;
  /** 0-based slot within its worker. */
  slot: number;
  /** When its last run ended (0 before any). */
  lastEnd: number;
}

export interface Bar {
  seq: number;
  taskId: string;
  nameIndex: number;
  lane: number;
  /** When it could start on its lane: the later of its dispatch and the lane's previous run's end. Before `runStart` it fetched inputs or waited. */
  from: number;
  /** When the run began: `end - durationMs` for finished runs; for others, `from`. */
  runStart: number;
  end: number;
  fetchBytes: number;
  /** 'failed' (threw, timed out), or 'retried' (dispatched again: it threw with retryExceptions, or its worker went away). */
  outcome: 'done' | 'failed' | 'retried';
}

export interface NameStats {
  name: string;
  /** Order of first appearance; picks the colour. */
  index: number;
  submitted: number;
  running: number;
  done: number;
  failed: number;
  runMs: number;
  /** (t, done) samples, about 4 a second, for the rate behind the ETA. */
  samples: Array<[number, number]>;
}

export interface WorkerTally {
  workerId: string;
  /** Input bytes its tasks fetched from peers. */
  fetchedBytes: number;
  /** Bytes of the outputs it made. */
  producedBytes: number;
  tasks: number;
  lastEventAt: number;
}

export interface JobModelOptions {
  maxBars?: number;
  maxLogs?: number;
}

export class JobModel {
  readonly tasks = new Map<string, TaskView>();
  /** The tasks in the order they were submitted. */
  readonly order: TaskView[] = [];
  readonly names = new Map<string, NameStats>();
  readonly lanes: Lane[] = [];
  readonly workerLanes = new Map<string, number[]>();
  readonly workerTallies = new Map<string, WorkerTally>();
  /** Worker display names, when known (recorded or live). */
  readonly workerNames = new Map<string, string>();
  readonly running = new Set<string>();
  /** Tasks sent to each worker and not back yet, in the order they were sent. */
  readonly inflight = new Map<string, Set<string>>();
  /** Slots per worker, where known: its lanes are capped there. */
  private readonly slots = new Map<string, number>();
  readonly failures: TaskView[] = [];
  readonly logs: RecordedLog[] = [];
  bars: Bar[] = [];
  barsDropped = 0;
  nextSeq = 0;
  /** Log lines dropped from the front (the oldest) past `maxLogs`. */
  logsDropped = 0;
  firstT: number | null = null;
  lastT: number | null = null;
  /** Bumped by every change; views compare it with what they last drew. */
  version = 0;
  /** Bumped when tasks or edges are added (the DAG must be laid out again). */
  structure = 0;
  /** Bumped when lanes are added (the stream must redraw its rows). */
  laneVersion = 0;
  private readonly maxBars: number;
  private readonly maxLogs: number;

  constructor(options: JobModelOptions = {}) {
    this.maxBars = options.maxBars ?? 50_000;
    this.maxLogs = options.maxLogs ?? 5_000;
  }

  /** Makes `slots` lanes for a worker up front, so its rows exist before its first task. */
  addWorker(workerId: string, slots: number, name?: string | null): void {
    if (name) this.workerNames.set(workerId, name);
    this.slots.set(workerId, Math.max(1, slots));
    const lanes = this.lanesOf(workerId);
    while (lanes.length < slots) this.addLane(workerId, lanes);
  }

  apply(event: TaskEvent): void {
    this.version++;
    if (this.firstT === null) this.firstT = event.t;
    if (this.lastT === null || event.t > this.lastT) this.lastT = event.t;
    switch (event.kind) {
      case 'submitted':
        return this.submitted(event);
      case 'dispatched':
        return this.dispatched(event);
      case 'finished':
        return this.finished(event);
      case 'failed':
        return this.failed(event);
    }
  }

  log(line: RecordedLog): void {
    this.version++;
    if (this.logs.length >= this.maxLogs) {
      // Drop a tenth at once, so a chatty job does not shift the array on every line.
      const drop = Math.max(1, Math.ceil(this.maxLogs / 10));
      this.logs.splice(0, drop);
      this.logsDropped += drop;
    }
    this.logs.push(line);
  }

  /** The task that makes object `objectId` (`taskId` or `${taskId}.${i}`), if it is one of this job's. */
  producerOf(objectId: string): TaskView | null {
    const direct = this.tasks.get(objectId);
    if (direct) return direct;
    const dot = objectId.lastIndexOf('.');
    return dot > 0 && /^\d+$/.test(objectId.slice(dot + 1)) ? this.tasks.get(objectId.slice(0, dot)) ?? null : null;
  }

  /** Tasks that take one of `taskId`'s outputs. O(tasks). */
  consumersOf(taskId: string): TaskView[] {
    const found: TaskView[] = [];
    for (const task of this.tasks.values()) if (task.deps.some((dep) => this.producerOf(dep)?.id === taskId)) found.push(task);
    return found;
  }

  totals(): { submitted: number; running: number; done: number; failed: number; queued: number } {
    let submitted = 0;
    let running = 0;
    let done = 0;
    let failed = 0;
    for (const stats of this.names.values()) {
      submitted += stats.submitted;
      running += stats.running;
      done += stats.done;
      failed += stats.failed;
    }
    return { submitted, running, done, failed, queued: submitted - running - done - failed };
  }

  /** Tasks per second over the last `windowMs` of `stats`' samples, up to `now`. */
  rate(stats: NameStats, now: number, windowMs = 5_000): number {
    const samples = stats.samples;
    if (samples.length === 0) return 0;
    let first = samples[0]!;
    for (const sample of samples) {
      if (sample[0] >= now - windowMs) {
        first = sample;
        break;
      }
    }
    const last: [number, number] = [Math.max(now, samples[samples.length - 1]![0]), stats.done];
    const dt = last[0] - first[0];
    return dt > 0 ? ((last[1] - first[1]) * 1000) / dt : 0;
  }

  private submitted(event: Extract<TaskEvent, { kind: 'submitted' }>): void {
    this.structure++;
    const task: TaskView = {
      id: event.taskId,
      name: event.name,
      deps: event.deps,
      parentTaskId: event.parentTaskId,
      submittedAt: event.t,
      state: 'queued',
      workerId: null,
      attempt: 0,
      dispatchedAt: null,
      fetchBytes: 0,
      endedAt: null,
      durationMs: null,
      bytes: null,
      error: null,
      args: null,
      lane: -1,
    };
    this.tasks.set(event.taskId, task);
    this.order.push(task);
    this.statsOf(event.name).submitted++;
  }

  private dispatched(event: Extract<TaskEvent, { kind: 'dispatched' }>): void {
    const task = this.tasks.get(event.taskId);
    if (!task) return;
    const stats = this.statsOf(task.name);
    if (task.state === 'running') {
      // A retry (the run threw with retryExceptions, or its worker went away): end that run's bar.
      this.endRun(task, null, event.t, 'retried');
      stats.running--;
    }
    task.state = 'running';
    task.workerId = event.workerId;
    task.attempt = event.attempt;
    task.dispatchedAt = event.t;
    task.fetchBytes = event.fetchBytes;
    this.running.add(task.id);
    let inflight = this.inflight.get(event.workerId);
    if (!inflight) this.inflight.set(event.workerId, (inflight = new Set()));
    inflight.add(task.id);
    stats.running++;
    const tally = this.tallyOf(event.workerId, event.t);
    tally.fetchedBytes += event.fetchBytes;
  }

  private finished(event: Extract<TaskEvent, { kind: 'finished' }>): void {
    const task = this.tasks.get(event.taskId);
    if (!task || task.state !== 'running') return;
    const stats = this.statsOf(task.name);
    stats.running--;
    stats.done++;
    stats.runMs += event.durationMs;
    const last = stats.samples[stats.samples.length - 1];
    if (!last || event.t - last[0] >= 250) {
      stats.samples.push([event.t, stats.done]);
      if (stats.samples.length > 240) stats.samples.splice(0, 40);
    }
    task.state = 'done';
    task.durationMs = event.durationMs;
    task.bytes = event.bytes;
    const tally = this.tallyOf(event.workerId, event.t);
    tally.producedBytes += event.bytes;
    tally.tasks++;
    this.endRun(task, event.t - event.durationMs, event.t, 'done');
  }

  private failed(event: FailedEvent): void {
    const task = this.tasks.get(event.taskId);
    if (!task || task.state === 'done' || task.state === 'failed') return;
    const stats = this.statsOf(task.name);
    if (task.state === 'running') {
      stats.running--;
      this.endRun(task, null, event.t, 'failed');
    }
    stats.failed++;
    task.state = 'failed';
    task.error = event.error;
    task.args = event.args;
    task.workerId = event.workerId ?? task.workerId;
    task.endedAt = event.t;
    this.failures.push(task);
  }

  /** Ends a task's run and draws it as a bar; `runStart` null when unmeasured. */
  private endRun(task: TaskView, runStart: number | null, end: number, outcome: Bar['outcome']): void {
    task.endedAt = end;
    this.running.delete(task.id);
    const workerId = task.workerId;
    if (workerId === null || task.dispatchedAt === null) return;
    this.inflight.get(workerId)?.delete(task.id);
    const dispatched = task.dispatchedAt;
    const lanes = this.lanesOf(workerId);
    const start = Math.max(dispatched, runStart ?? Math.min(...lanes.map((index) => this.lanes[index]!.lastEnd), end));
    const laneIndex = this.pickLane(workerId, lanes, start);
    const lane = this.lanes[laneIndex]!;
    const from = Math.min(start, Math.max(dispatched, lane.lastEnd));
    lane.lastEnd = Math.max(lane.lastEnd, end);
    task.lane = laneIndex;
    this.bars.push({
      seq: this.nextSeq++,
      taskId: task.id,
      nameIndex: this.statsOf(task.name).index,
      lane: laneIndex,
      from,
      runStart: start,
      end,
      fetchBytes: task.fetchBytes,
      outcome,
    });
    if (this.bars.length > this.maxBars) {
      const drop = Math.ceil(this.maxBars / 10);
      this.bars = this.bars.slice(drop);
      this.barsDropped += drop;
    }
  }

  /**
   * The lane for a run starting at `start`: of the lanes free by then (within
   * a little clock slack), the one freed last; else a new lane while the
   * worker has fewer than its slots (16 when unknown); else the one freed first.
   */
  private pickLane(workerId: string, lanes: number[], start: number): number {
    let best = -1;
    let earliest = -1;
    for (const index of lanes) {
      const lastEnd = this.lanes[index]!.lastEnd;
      if (lastEnd <= start + LANE_SLACK_MS && (best < 0 || lastEnd > this.lanes[best]!.lastEnd)) best = index;
      if (earliest < 0 || lastEnd < this.lanes[earliest]!.lastEnd) earliest = index;
    }
    if (best >= 0) return best;
    if (lanes.length < (this.slots.get(workerId) ?? MAX_UNKNOWN_LANES)) return this.addLane(workerId, lanes);
    return earliest;
  }

  private addLane(workerId: string, lanes: number[]): number {
    this.lanes.push({ workerId, slot: lanes.length, lastEnd: 0 });
    lanes.push(this.lanes.length - 1);
    this.laneVersion++;
    return this.lanes.length - 1;
  }

  private lanesOf(workerId: string): number[] {
    let lanes = this.workerLanes.get(workerId);
    if (!lanes) this.workerLanes.set(workerId, (lanes = []));
    return lanes;
  }

  private statsOf(name: string): NameStats {
    let stats = this.names.get(name);
    if (!stats) this.names.set(name, (stats = { name, index: this.names.size, submitted: 0, running: 0, done: 0, failed: 0, runMs: 0, samples: [] }));
    return stats;
  }

  private tallyOf(workerId: string, t: number): WorkerTally {
    let tally = this.workerTallies.get(workerId);
    if (!tally) this.workerTallies.set(workerId, (tally = { workerId, fetchedBytes: 0, producedBytes: 0, tasks: 0, lastEventAt: t }));
    tally.lastEventAt = t;
    return tally;
  }
}
