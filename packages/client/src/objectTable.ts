/**
 * The coordinator's view of objects. A ready object is either
 *
 * - inline: a small JSON value, kept here in wire form (refs inside it as
 *   `{"$shoalRef": id}`), exactly as it travels, so passing it from one task
 *   to the next costs no re-encoding; or
 * - stored: big or binary, it lives in the object stores of the peers listed
 *   in `locations` (peer ids; the coordinator's own id when it holds a copy),
 *   and only its size is known here. Consumers fetch it peer to peer.
 */
import { ShoalError } from '@shoal/protocol';

export type Located = { kind: 'inline'; value: unknown } | { kind: 'stored'; size: number; locations: Set<string> };

type Waiter = (entry: Settled) => void;
type Settled = { state: 'ready'; value: Located } | { state: 'failed'; error: ShoalError };

interface Entry {
  settled: Settled | null;
  waiters: Waiter[];
  /** The task that makes this object, or null for a put. */
  producer: string | null;
  /** `free()` was called: get() fails, though queued consumers still get the value. */
  freed: boolean;
}

export class ObjectTable {
  private readonly entries = new Map<string, Entry>();

  /** Registers an object that a task will produce. */
  pending(id: string, producer: string | null): void {
    if (!this.entries.has(id)) this.entries.set(id, { settled: null, waiters: [], producer, freed: false });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  producer(id: string): string | null {
    return this.entries.get(id)?.producer ?? null;
  }

  isSettled(id: string): boolean {
    return this.entries.get(id)?.settled != null;
  }

  /** A ready object's value (inline) or whereabouts (stored), for a task's arguments. */
  value(id: string): Located {
    const settled = this.entries.get(id)?.settled;
    if (settled?.state !== 'ready') throw new ShoalError('ERR_OBJECT_LOST', `object ${id} is not available`);
    return settled.value;
  }

  /** An inline ready value now, if `id` is one and get() may read it (not freed); else undefined (wait for it). */
  inlineNow(id: string): { value: unknown } | undefined {
    const entry = this.entries.get(id);
    const settled = entry?.settled;
    return settled?.state === 'ready' && settled.value.kind === 'inline' && !entry!.freed ? settled.value : undefined;
  }

  /** A small value, kept here in wire form. */
  resolve(id: string, value: unknown, producer: string | null = null): void {
    this.settle(id, { state: 'ready', value: { kind: 'inline', value } }, producer);
  }

  /** A value held in `holder`'s object store. */
  resolveStored(id: string, size: number, holder: string, producer: string | null = null): void {
    this.settle(id, { state: 'ready', value: { kind: 'stored', size, locations: new Set([holder]) } }, producer);
  }

  /** Whether `holder` holds a copy of a ready stored object, as far as this table knows. */
  holds(id: string, holder: string): boolean {
    const settled = this.entries.get(id)?.settled;
    return settled?.state === 'ready' && settled.value.kind === 'stored' && settled.value.locations.has(holder);
  }

  /** Another peer holds a copy now (it fetched one). */
  addLocation(id: string, holder: string): void {
    const settled = this.entries.get(id)?.settled;
    if (settled?.state === 'ready' && settled.value.kind === 'stored') settled.value.locations.add(holder);
  }

  /** `holder` no longer has its copy (it handed it to a task that consumed it). */
  dropCopy(id: string, holder: string): void {
    const settled = this.entries.get(id)?.settled;
    if (settled?.state === 'ready' && settled.value.kind === 'stored') settled.value.locations.delete(holder);
  }

  /** A peer left: it holds nothing any more. Returns the ids whose last copy it had; `held` (if given) gets every id it had a copy of. */
  dropLocation(holder: string, held?: string[]): string[] {
    const lost: string[] = [];
    for (const [id, entry] of this.entries) {
      const value = entry.settled?.state === 'ready' ? entry.settled.value : null;
      if (value?.kind !== 'stored' || !value.locations.delete(holder)) continue;
      held?.push(id);
      if (value.locations.size === 0) lost.push(id);
    }
    return lost;
  }

  reject(id: string, error: ShoalError): void {
    this.settle(id, { state: 'failed', error }, null);
  }

  /** A ready object whose every copy is gone: later gets fail with `error`. */
  lose(id: string, error: ShoalError): void {
    const entry = this.entries.get(id);
    if (entry?.settled?.state === 'ready') entry.settled = { state: 'failed', error };
  }

  /**
   * The object is being made again (its copies were lost, and its producer
   * runs again from lineage): pending once more, so gets wait. An entry
   * already dropped (its value was released) is created again.
   */
  remake(id: string, producer: string): void {
    const entry = this.entries.get(id);
    if (!entry) this.entries.set(id, { settled: null, waiters: [], producer, freed: false });
    else if (entry.settled?.state !== 'failed' || entry.settled.error.code === 'ERR_OBJECT_LOST') entry.settled = null;
  }

  /** Marks an object freed by the user: later gets fail with ERR_OBJECT_LOST. */
  markFreed(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.freed = true;
  }

  /** Forgets an object entirely (nothing can need it any more). */
  drop(id: string): void {
    this.entries.delete(id);
  }

  /** Resolves with the value or whereabouts once ready, or rejects with the object's error. */
  wait(id: string): Promise<Located> {
    const entry = this.entries.get(id);
    if (!entry) return Promise.reject(new ShoalError('ERR_OBJECT_LOST', `object ${id} is unknown to this cluster, or was released`));
    if (entry.freed) return Promise.reject(new ShoalError('ERR_OBJECT_LOST', `object ${id} was freed`));
    return new Promise((resolve, reject) => this.whenSettled(id, (settled) => (settled.state === 'ready' ? resolve(settled.value) : reject(settled.error))));
  }

  /** Calls `callback` once the object is ready or failed (at once if it is). */
  whenSettled(id: string, callback: Waiter): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.settled) callback(entry.settled);
    else entry.waiters.push(callback);
  }

  private settle(id: string, settled: Settled, producer: string | null): void {
    let entry = this.entries.get(id);
    if (!entry) this.entries.set(id, (entry = { settled: null, waiters: [], producer, freed: false }));
    if (entry.settled) return;
    entry.settled = settled;
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const waiter of waiters) waiter(settled);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Resolves when `count` of `ids` are settled or after `timeoutMs` (null: no
 * limit); returns the settled ids. Unknown ids count as settled (get fails).
 */
export function waitForSettled(table: ObjectTable, ids: string[], count: number, timeoutMs: number | null): Promise<Set<string>> {
  return new Promise((resolve) => {
    const settled = new Set<string>();
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(settled);
    };
    const need = Math.min(count, ids.length);
    for (const id of ids) {
      if (!table.has(id)) settled.add(id);
      else
        table.whenSettled(id, () => {
          settled.add(id);
          if (settled.size >= need) finish();
        });
    }
    if (settled.size >= need) return finish();
    if (timeoutMs !== null) timer = setTimeout(finish, timeoutMs);
  });
}
