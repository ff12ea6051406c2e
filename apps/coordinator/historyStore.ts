/**
 * Where the coordinator page keeps job records (packages/client/src/history.ts):
 * IndexedDB database `shoal-history`: store `jobs` holds the records, keyed by
 * id; store `summaries` a few figures of each (indexed by start time), so the
 * history list never reads the events. The newest `KEEP` jobs are kept.
 */
import type { JobRecord, JobState } from '@shoal/client';

const DB = 'shoal-history';
const STORE = 'jobs';
const SUMMARIES = 'summaries';
const KEEP = 40;

export interface JobSummary {
  id: string;
  label: string;
  state: JobState;
  startedAt: number;
  endedAt: number | null;
  tasks: number;
  failed: number;
  workers: number;
}

export function summaryOf(record: JobRecord): JobSummary {
  let tasks = 0;
  let failed = 0;
  for (const event of record.events) {
    if (event.kind === 'submitted') tasks++;
    else if (event.kind === 'failed') failed++;
  }
  return { id: record.id, label: record.label, state: record.state, startedAt: record.startedAt, endedAt: record.endedAt, tasks, failed, workers: record.workers.length };
}

let opened: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(STORE, { keyPath: 'id' });
      db.createObjectStore(SUMMARIES, { keyPath: 'id' }).createIndex('startedAt', 'startedAt');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'));
  });
  return opened;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Stores records (replacing any with the same id), then trims to the newest KEEP. */
export async function saveJobs(records: readonly JobRecord[]): Promise<void> {
  const db = await open();
  const tx = db.transaction([STORE, SUMMARIES], 'readwrite');
  const jobs = tx.objectStore(STORE);
  const summaries = tx.objectStore(SUMMARIES);
  for (const record of records) {
    jobs.put(record);
    summaries.put(summaryOf(record));
  }
  const keys = await done(summaries.index('startedAt').getAllKeys());
  for (const key of keys.slice(0, Math.max(0, keys.length - KEEP))) {
    jobs.delete(key);
    summaries.delete(key);
  }
  await finished(tx);
}

function finished(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Summaries of the stored jobs, newest first. */
export async function listJobs(): Promise<JobSummary[]> {
  const db = await open();
  const all = (await done(db.transaction(SUMMARIES, 'readonly').objectStore(SUMMARIES).index('startedAt').getAll())) as JobSummary[];
  return all.reverse();
}

export async function loadJob(id: string): Promise<JobRecord | null> {
  const db = await open();
  return ((await done(db.transaction(STORE, 'readonly').objectStore(STORE).get(id))) as JobRecord | undefined) ?? null;
}

/** Every stored record, oldest first. */
export async function loadAllJobs(): Promise<JobRecord[]> {
  const db = await open();
  const records = (await done(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as JobRecord[];
  return records.sort((a, b) => a.startedAt - b.startedAt);
}

export async function deleteJob(id: string): Promise<void> {
  const db = await open();
  const tx = db.transaction([STORE, SUMMARIES], 'readwrite');
  tx.objectStore(STORE).delete(id);
  tx.objectStore(SUMMARIES).delete(id);
  await finished(tx);
}
