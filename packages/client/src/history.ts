/**
 * Job history: everything a dashboard needs to redraw a finished job after
 * the cluster is gone, as one plain-data record per job, and the JSON file
 * format used to export and import them.
 *
 *   const recorder = recordJob(coordinator, { label: 'pi', source });
 *   const outcome = await runJob(cluster, source);
 *   const record = recorder.finish(outcome);   // a JobRecord, JSON-safe
 *   download(exportHistory([record]));          // {"format":"shoal-history",...}
 *   importHistory(text);                        // JobRecord[] (validated)
 *
 * A record holds the job's task events (taskEvents.ts) in order, its log
 * lines, the workers seen while it ran, and its outcome. The result is kept as
 * JSON in which typed arrays and ArrayBuffers are tagged
 * `{"$typed": "Float64Array", "base64": "..."}` (see `encodeResult`), and is
 * dropped (with `resultDropped`) past `maxResultBytes`. Events and logs past
 * their caps are counted in `dropped`, not kept.
 *
 * The browser has no file system, so storage is the caller's: the coordinator
 * page keeps records in IndexedDB; a CLI can write `exportHistory` to a file.
 */
import { ShoalError, randomId, type Capabilities, type JobOutcome } from '@shoal/protocol';
import type { TaskEvent } from './taskEvents.ts';

export const HISTORY_VERSION = 1;

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** A worker as the job saw it. `lostAt` is set when it left during the job. */
export interface RecordedWorker {
  peerId: string;
  name: string | null;
  caps: Capabilities | null;
  firstSeen: number;
  lostAt: number | null;
}

export interface RecordedLog {
  t: number;
  taskId: string;
  taskName: string;
  workerId: string;
  level: 'log' | 'info' | 'warn' | 'error';
  text: string;
}

/** The outcome as stored: `resultJson` is `encodeResult(result)`, or null when too big. */
export type RecordedOutcome =
  | { ok: true; resultJson: string | null; resultDropped: boolean; elapsedMs: number }
  | { ok: false; error: Extract<JobOutcome, { ok: false }>['error']; elapsedMs: number };

export interface JobRecord {
  format: 'shoal-job';
  version: typeof HISTORY_VERSION;
  id: string;
  /** What the user ran: an example's name, or 'job'. */
  label: string;
  source: string;
  startedAt: number;
  endedAt: number | null;
  state: JobState;
  outcome: RecordedOutcome | null;
  workers: RecordedWorker[];
  events: TaskEvent[];
  logs: RecordedLog[];
  dropped: { events: number; logs: number };
}

export interface HistoryFile {
  format: 'shoal-history';
  version: typeof HISTORY_VERSION;
  exportedAt: number;
  jobs: JobRecord[];
}

/** What recordJob needs of a Coordinator (structural, so tests can pass a fake). */
export interface RecordableCoordinator {
  on(event: 'task', handler: (event: TaskEvent) => void): () => void;
  on(event: 'taskLog', handler: (log: Omit<RecordedLog, 't'>) => void): () => void;
  on(event: 'taskInfeasible', handler: (taskId: string, name: string, reason: string) => void): () => void;
  on(event: 'workersChanged', handler: () => void): () => void;
  workers(): Array<{ peerId: string; name?: string | undefined; caps: Capabilities | null }>;
}

export interface RecordOptions {
  label?: string;
  source?: string;
  /** Default 250,000: a task makes about three events, so ~80,000 tasks. */
  maxEvents?: number;
  /** Default 5,000. */
  maxLogs?: number;
  /** Results whose encoded JSON is longer are not kept. Default 4 MiB. */
  maxResultBytes?: number;
}

export interface JobRecorder {
  /** The record being filled; live (events are appended as they happen). */
  readonly record: JobRecord;
  /** Stops listening and completes the record. `state` defaults from the outcome. */
  finish(outcome: JobOutcome, state?: JobState): JobRecord;
  /** Stops listening without an outcome (the record stays 'running' unless finished). */
  stop(): void;
}

/**
 * Starts recording every task event, log line and worker of `coordinator`
 * into a new JobRecord, until `finish` or `stop`. Only one job should run at
 * a time: everything the coordinator does meanwhile is attributed to it.
 */
export function recordJob(coordinator: RecordableCoordinator, options: RecordOptions = {}): JobRecorder {
  const maxEvents = options.maxEvents ?? 250_000;
  const maxLogs = options.maxLogs ?? 5_000;
  const maxResultBytes = options.maxResultBytes ?? 4 * 2 ** 20;
  const record: JobRecord = {
    format: 'shoal-job',
    version: HISTORY_VERSION,
    id: `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomId(4)}`,
    label: options.label ?? 'job',
    source: options.source ?? '',
    startedAt: Date.now(),
    endedAt: null,
    state: 'running',
    outcome: null,
    workers: [],
    events: [],
    logs: [],
    dropped: { events: 0, logs: 0 },
  };
  const seen = new Map<string, RecordedWorker>();
  const syncWorkers = (): void => {
    const now = Date.now();
    const present = new Set<string>();
    for (const worker of coordinator.workers()) {
      present.add(worker.peerId);
      const known = seen.get(worker.peerId);
      if (known) {
        known.caps = worker.caps ?? known.caps;
        known.lostAt = null;
        continue;
      }
      const added: RecordedWorker = { peerId: worker.peerId, name: worker.name ?? null, caps: worker.caps, firstSeen: now, lostAt: null };
      seen.set(worker.peerId, added);
      record.workers.push(added);
    }
    for (const worker of record.workers) if (!present.has(worker.peerId) && worker.lostAt === null) worker.lostAt = now;
  };
  const log = (line: RecordedLog): void => {
    if (record.logs.length < maxLogs) record.logs.push(line);
    else record.dropped.logs += 1;
  };
  syncWorkers();
  const offs = [
    coordinator.on('task', (event) => {
      if (record.events.length < maxEvents) record.events.push(event);
      else record.dropped.events += 1;
    }),
    coordinator.on('taskLog', (line) => log({ t: Date.now(), ...line })),
    coordinator.on('taskInfeasible', (taskId, taskName, reason) =>
      log({ t: Date.now(), taskId, taskName, workerId: 'scheduler', level: 'warn', text: `cannot run on any worker present, so it waits: ${reason}` }),
    ),
    // workersChanged fires on every finished task: only look when the worker count moves.
    coordinator.on('workersChanged', () => {
      const count = coordinator.workers().length;
      if (count !== lastCount) {
        lastCount = count;
        syncWorkers();
      }
    }),
  ];
  let lastCount = coordinator.workers().length;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const off of offs) off();
  };
  return {
    record,
    stop,
    finish(outcome, state) {
      stop();
      syncWorkers();
      record.endedAt = Date.now();
      record.state = state ?? (outcome.ok ? 'done' : outcome.error.code === 'ERR_CANCELLED' ? 'cancelled' : 'failed');
      if (outcome.ok) {
        let resultJson: string | null = null;
        try {
          resultJson = encodeResult(outcome.result);
        } catch {
          resultJson = null;
        }
        const dropped = resultJson !== null && resultJson.length > maxResultBytes;
        record.outcome = { ok: true, resultJson: dropped ? null : resultJson, resultDropped: dropped || resultJson === null, elapsedMs: outcome.elapsedMs };
      } else {
        record.outcome = { ok: false, error: outcome.error, elapsedMs: outcome.elapsedMs };
      }
      return record;
    },
  };
}

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
const TYPED: Record<string, new (buffer: ArrayBuffer) => TypedArray> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
const TYPED_KEY = '$typed';

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/**
 * A job's result as JSON, with typed arrays, DataViews and ArrayBuffers kept
 * as `{"$typed": kind, "base64": bytes}`. Refs and other objects become their
 * JSON (an Arrow table, for instance, its `toJSON`, if any).
 */
export function encodeResult(value: unknown): string {
  return (
    JSON.stringify(value, function (this: unknown, _key, item: unknown) {
      if (ArrayBuffer.isView(item)) {
        const bytes = new Uint8Array(item.buffer, item.byteOffset, item.byteLength);
        const kind = item instanceof DataView ? 'DataView' : item.constructor.name;
        return { [TYPED_KEY]: kind, base64: toBase64(bytes) };
      }
      if (item instanceof ArrayBuffer) return { [TYPED_KEY]: 'ArrayBuffer', base64: toBase64(new Uint8Array(item)) };
      if (typeof item === 'bigint') return item.toString();
      return item;
    }) ?? 'null'
  );
}

/** The inverse of `encodeResult`: typed arrays come back as typed arrays. */
export function decodeResult(json: string): unknown {
  return JSON.parse(json, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || !(TYPED_KEY in item)) return item;
    const { [TYPED_KEY]: kind, base64 } = item as { $typed: unknown; base64: unknown };
    if (typeof kind !== 'string' || typeof base64 !== 'string') return item;
    const buffer = fromBase64(base64);
    if (kind === 'ArrayBuffer') return buffer;
    if (kind === 'DataView') return new DataView(buffer);
    const Kind = TYPED[kind];
    return Kind ? new Kind(buffer) : item;
  });
}

/** One JSON file holding `jobs`, for download. */
export function exportHistory(jobs: readonly JobRecord[]): string {
  const file: HistoryFile = { format: 'shoal-history', version: HISTORY_VERSION, exportedAt: Date.now(), jobs: [...jobs] };
  return JSON.stringify(file);
}

/**
 * Reads a file written by `exportHistory` (or one bare JobRecord). Throws
 * ShoalError ERR_BAD_MESSAGE saying what is wrong with it.
 */
export function importHistory(text: string): JobRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ShoalError('ERR_BAD_MESSAGE', `not a Shoal history file: it is not JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const bad = (why: string): never => {
    throw new ShoalError('ERR_BAD_MESSAGE', `not a Shoal history file: ${why}`);
  };
  if (parsed === null || typeof parsed !== 'object') return bad('the top level is not an object');
  const top = parsed as Partial<HistoryFile> & Partial<JobRecord>;
  const jobs: unknown[] = top.format === 'shoal-job' ? [top] : top.format === 'shoal-history' ? (Array.isArray(top.jobs) ? top.jobs : bad('"jobs" is not an array')) : bad(`"format" is ${JSON.stringify(top.format)}, expected "shoal-history"`);
  if (top.version !== HISTORY_VERSION) bad(`version ${JSON.stringify(top.version)} is not ${HISTORY_VERSION}`);
  return jobs.map((job, index) => checkRecord(job, index, bad));
}

function checkRecord(job: unknown, index: number, bad: (why: string) => never): JobRecord {
  const where = `job ${index}`;
  if (job === null || typeof job !== 'object') bad(`${where} is not an object`);
  const record = job as Partial<JobRecord>;
  if (record.format !== 'shoal-job') bad(`${where} has format ${JSON.stringify(record.format)}`);
  if (typeof record.id !== 'string' || record.id.length === 0) bad(`${where} has no id`);
  if (typeof record.startedAt !== 'number') bad(`${where} has no startedAt`);
  if (!['running', 'done', 'failed', 'cancelled'].includes(record.state as string)) bad(`${where} has state ${JSON.stringify(record.state)}`);
  for (const key of ['events', 'logs', 'workers'] as const) if (!Array.isArray(record[key])) bad(`${where}: "${key}" is not an array`);
  const kinds = new Set(['submitted', 'dispatched', 'speculated', 'finished', 'failed']);
  record.events!.forEach((event, i) => {
    const e = event as Partial<TaskEvent> | null;
    if (!e || !kinds.has(e.kind as string) || typeof e.taskId !== 'string' || typeof e.t !== 'number') bad(`${where}: event ${i} is not a task event`);
  });
  return {
    format: 'shoal-job',
    version: HISTORY_VERSION,
    id: record.id!,
    label: typeof record.label === 'string' ? record.label : 'job',
    source: typeof record.source === 'string' ? record.source : '',
    startedAt: record.startedAt!,
    endedAt: typeof record.endedAt === 'number' ? record.endedAt : null,
    state: record.state!,
    outcome: record.outcome ?? null,
    workers: record.workers!,
    events: record.events!,
    logs: record.logs!,
    dropped: record.dropped ?? { events: 0, logs: 0 },
  };
}
