/**
 * One tab's object store: encoded objects by id, held in memory up to a
 * capacity, with the least recently used spilled to a `SpillBackend`.
 *
 * Each object is in one state; `bucket` says which figure counts its bytes:
 *
 *   admitting ─▶ memory ◀──────────▶ spilling ─▶ spilled ─▶ restoring ─▶ memory
 *       └──────▶ writing ─▶ spilled        (too big, or nothing else can leave)
 *
 *   admitting  put() called; waiting its turn for room   (counted nowhere yet)
 *   writing    going straight to the backend             (counted nowhere yet)
 *   memory     in memory                                 (memoryBytes)
 *   spilling   being written out to make room            (memoryBytes until written)
 *   spilled    only in the backend                       (spilledBytes)
 *   restoring  being read back for a get()               (spilledBytes)
 *   lent       its bytes lent to a task that only reads them (memoryBytes)
 *
 * Rules:
 * - Room is made one admission at a time (puts and restores queue), by
 *   spilling the least recently used unpinned objects in memory. `memoryBytes`
 *   never exceeds capacity, except by pinned objects and when there is no
 *   backend (or it fails): then objects stay in memory over capacity, and the
 *   store never throws for size. An unpinned object that cannot fit even after
 *   spilling (larger than capacity, or the rest is pinned) goes to the backend.
 * - `get` bumps the object to most recently used. In memory (in any state that
 *   still holds the bytes) it answers at once; spilled, it reads the bytes back
 *   and readmits them like a put. An unpinned object that cannot fit stays
 *   spilled, and the caller still gets its bytes.
 * - Pins are counts per id and may precede the put (a task pins inputs it is
 *   about to fetch). A pinned object is never chosen to spill, and one pinned
 *   while being written out stays in memory. The last unpin of an over-full
 *   store spills down to capacity again.
 * - Backend calls for one id are chained, so a delete during a spill removes
 *   the file after the write lands (nothing is resurrected), and a get during
 *   a spill returns the bytes still held in memory.
 * - A restored object keeps its spilled copy (objects are immutable), so
 *   spilling it again needs no write; `delete` removes the copy.
 * - The store keeps the caller's ArrayBuffer, not a copy: do not transfer it
 *   or write to it after `put`.
 * - `lend` hands the bytes to one reader (a task that only reads them, in its
 *   Web Worker) without a copy: the object stays here, counted in memory and
 *   never spilled, and a `get` meanwhile waits for `giveBack`. If they never
 *   come back (the Web Worker died), `lendLost` forgets the object.
 */
import { ShoalError, type StoreStats } from '@shoal/protocol';
import type { SpillBackend } from './spill.ts';

type State = 'admitting' | 'writing' | 'memory' | 'spilling' | 'spilled' | 'restoring' | 'lent' | 'deleted';
type Bucket = 'none' | 'memory' | 'spilled';

const BUCKET: Record<State, Bucket> = {
  admitting: 'none',
  writing: 'none',
  memory: 'memory',
  spilling: 'memory',
  spilled: 'spilled',
  restoring: 'spilled',
  lent: 'memory',
  deleted: 'none',
};

interface Entry {
  readonly id: string;
  readonly size: number;
  state: State;
  /** The bytes while this tab holds them (admitting, writing, memory, spilling). */
  buffer: ArrayBuffer | null;
  /** The backend holds a complete copy. */
  onDisk: boolean;
  /** The read in flight while restoring, shared by concurrent gets. */
  restore: Promise<ArrayBuffer> | null;
  /** While lent: gets waiting for the bytes to come back (null: they did not). */
  waiting?: ((buffer: ArrayBuffer | null) => void)[];
}

export interface ObjectStoreOptions {
  capacityBytes: number;
  /** Where objects go when memory is full; null keeps everything in memory. */
  spill: SpillBackend | null;
  /** Called after every change of the figures (synchronously; debounce if you redraw). */
  onChange?: (stats: StoreStats) => void;
}

export class ObjectStore {
  readonly capacityBytes: number;
  private readonly spill: SpillBackend | null;
  private readonly onChange: ((stats: StoreStats) => void) | undefined;
  /** Every object, least recently used first (a Map keeps insertion order; a touch reinserts). */
  private readonly entries = new Map<string, Entry>();
  private readonly pins = new Map<string, number>();
  /** The tail of each id's chain of backend calls. */
  private readonly ioTails = new Map<string, Promise<void>>();
  /** Admissions (puts, restores, rebalances), one at a time. */
  private admissions: Promise<void> = Promise.resolve();
  private memoryBytes = 0;
  private spilledBytes = 0;
  private spilledObjects = 0;
  private spills = 0;
  private restores = 0;

  constructor({ capacityBytes, spill, onChange }: ObjectStoreOptions) {
    if (!(capacityBytes >= 0)) throw new ShoalError('ERR_BAD_OPTION', `capacityBytes must be a number of bytes ≥ 0, not ${String(capacityBytes)}`);
    this.capacityBytes = capacityBytes;
    this.spill = spill;
    this.onChange = onChange;
  }

  /** Stores `buffer` under `id` (replacing an earlier object of that id); resolves once it is in memory or spilled. */
  async put(id: string, buffer: ArrayBuffer, opts: { pin?: boolean } = {}): Promise<void> {
    if (opts.pin) this.pin(id);
    const old = this.entries.get(id);
    if (old) void this.drop(old);
    const entry: Entry = { id, size: buffer.byteLength, state: 'admitting', buffer, onDisk: false, restore: null };
    this.entries.set(id, entry);
    this.changed();
    await this.admit(() => this.place(entry));
  }

  /** The object's bytes (read back if spilled), or null if this store does not have it. */
  async get(id: string): Promise<ArrayBuffer | null> {
    const entry = this.entries.get(id);
    if (!entry) return null;
    this.touch(entry);
    if (entry.buffer) return entry.buffer;
    if (entry.state === 'lent') return new Promise((resolve) => (entry.waiting ??= []).push(resolve));
    entry.restore ??= this.restore(entry).finally(() => (entry.restore = null));
    return entry.restore;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The object's size in bytes, or null if unknown. */
  size(id: string): number | null {
    return this.entries.get(id)?.size ?? null;
  }

  /** Every object id, in memory or spilled, least recently used first. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Marks `id` in use (counted); works before the object arrives. */
  pin(id: string): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  unpin(id: string): void {
    const count = this.pins.get(id);
    if (count === undefined) return;
    if (count > 1) {
      this.pins.set(id, count - 1);
      return;
    }
    this.pins.delete(id);
    if (this.memoryBytes > this.capacityBytes && this.spill) void this.admit(() => this.makeRoom(0, null, true));
  }

  isPinned(id: string): boolean {
    return this.pins.has(id);
  }

  /**
   * Hands over the object's bytes and forgets it (its spilled copy goes too), if it is in memory and
   * nothing has it pinned; else null, and the store keeps it. For a task that consumes its input: the
   * bytes go to it without a copy.
   */
  take(id: string): ArrayBuffer | null {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'memory' || !entry.buffer || this.pins.has(id)) return null;
    const buffer = entry.buffer;
    void this.drop(entry);
    return buffer;
  }

  /**
   * Lends the object's bytes to one reader, if they are in memory and no one else has the object pinned
   * (`pins` of them are the caller's own); else null. Until `giveBack`, the store counts them in memory,
   * never spills them, and a `get` waits for them.
   */
  lend(id: string, pins = 0): ArrayBuffer | null {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'memory' || !entry.buffer || (this.pins.get(id) ?? 0) > pins) return null;
    const buffer = entry.buffer;
    entry.buffer = null;
    this.setState(entry, 'lent');
    return buffer;
  }

  /** Lent bytes back: the object is in memory again, and the gets that waited get them. */
  giveBack(id: string, buffer: ArrayBuffer): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'lent') return; // deleted meanwhile
    entry.buffer = buffer;
    this.setState(entry, 'memory');
    this.wake(entry, buffer);
  }

  /** Lent bytes that will not come back: the object is gone from here (gets that waited get null). */
  lendLost(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.state === 'lent') void this.drop(entry);
  }

  /** Frees the object's memory and removes its spilled copy; unknown ids are a no-op. */
  async delete(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) await this.drop(entry);
  }

  stats(): StoreStats {
    return {
      capacityBytes: this.capacityBytes,
      memoryBytes: this.memoryBytes,
      spilledBytes: this.spilledBytes,
      objects: this.entries.size,
      spilledObjects: this.spilledObjects,
      spills: this.spills,
      restores: this.restores,
    };
  }

  // ── admission ──

  private admit<T>(job: () => Promise<T>): Promise<T> {
    const run = this.admissions.then(job);
    this.admissions = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A put's turn: into memory if it fits (or must stay), else to the backend. */
  private async place(entry: Entry): Promise<void> {
    if (!this.current(entry)) return;
    const mustStay = this.pins.has(entry.id) || !this.spill;
    const fits = await this.makeRoom(entry.size, entry, mustStay);
    if (!this.current(entry)) return;
    if (fits || this.pins.has(entry.id) || !this.spill) {
      this.setState(entry, 'memory');
      return;
    }
    this.setState(entry, 'writing');
    await this.writeOut(entry);
  }

  /**
   * Spills least recently used unpinned objects until `size` more bytes fit.
   * Spills nothing when they could not make enough room, unless `mustStay`
   * (the newcomer stays in memory anyway, so less overflow is better).
   */
  private async makeRoom(size: number, newcomer: Entry | null, mustStay: boolean): Promise<boolean> {
    const limit = this.capacityBytes;
    if (this.memoryBytes + size <= limit) return true;
    if (!this.spill) return false;
    const victims: Entry[] = [];
    let freed = 0;
    for (const entry of this.entries.values()) {
      if (this.memoryBytes - freed + size <= limit) break;
      if (entry === newcomer || entry.state !== 'memory' || this.pins.has(entry.id)) continue;
      victims.push(entry);
      freed += entry.size;
    }
    if (this.memoryBytes - freed + size > limit && !mustStay) return false;
    await Promise.all(victims.map((victim) => this.evict(victim)));
    return this.memoryBytes + size <= limit;
  }

  private async evict(entry: Entry): Promise<void> {
    if (entry.onDisk) {
      this.spills += 1;
      entry.buffer = null;
      this.setState(entry, 'spilled');
      return;
    }
    this.setState(entry, 'spilling');
    await this.writeOut(entry);
  }

  /** Writes an entry's bytes to the backend; on failure it stays in memory (over capacity, never lost). */
  private async writeOut(entry: Entry): Promise<void> {
    const spill = this.spill!;
    const buffer = entry.buffer!;
    try {
      await this.io(entry.id, () => spill.write(entry.id, buffer));
    } catch (error) {
      console.warn(`[shoal] spilling object ${entry.id} (${buffer.byteLength} bytes) failed; keeping it in memory:`, error);
      if (this.current(entry)) this.setState(entry, 'memory');
      return;
    }
    if (!this.current(entry)) return; // deleted meanwhile: its remove is chained after this write
    entry.onDisk = true;
    if (this.pins.has(entry.id)) {
      this.setState(entry, 'memory'); // pinned while being written: it is in use, keep it
      return;
    }
    this.spills += 1;
    entry.buffer = null;
    this.setState(entry, 'spilled');
  }

  /** Reads a spilled object back, then readmits it like a put. */
  private async restore(entry: Entry): Promise<ArrayBuffer> {
    const spill = this.spill!;
    this.setState(entry, 'restoring');
    let buffer: ArrayBuffer;
    try {
      buffer = await this.io(entry.id, () => spill.read(entry.id));
    } catch (error) {
      if (this.current(entry)) void this.drop(entry);
      throw new ShoalError('ERR_OBJECT_LOST', `object ${entry.id} was spilled, and reading it back failed: ${String(error)}`, { cause: error });
    }
    this.restores += 1;
    this.changed();
    await this.admit(async () => {
      if (!this.current(entry) || entry.state !== 'restoring') return;
      const pinned = this.pins.has(entry.id);
      const fits = await this.makeRoom(entry.size, entry, pinned);
      if (!this.current(entry) || entry.state !== 'restoring') return;
      if (fits || this.pins.has(entry.id)) {
        entry.buffer = buffer;
        this.setState(entry, 'memory');
      } else {
        this.setState(entry, 'spilled'); // no room: the caller gets the bytes, the store keeps the spilled copy
      }
    });
    return buffer;
  }

  // ── bookkeeping ──

  /** Forgets an entry at once; its spilled copy (if any) is removed after its pending backend calls. */
  private async drop(entry: Entry): Promise<void> {
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id);
    const mayBeOnDisk = entry.onDisk || entry.state === 'writing' || entry.state === 'spilling' || entry.state === 'spilled' || entry.state === 'restoring';
    entry.buffer = null;
    this.setState(entry, 'deleted');
    this.wake(entry, null);
    const spill = this.spill;
    if (!mayBeOnDisk || !spill) return;
    try {
      await this.io(entry.id, () => spill.remove(entry.id));
    } catch (error) {
      console.warn(`[shoal] removing the spilled copy of ${entry.id} failed:`, error);
    }
  }

  private wake(entry: Entry, buffer: ArrayBuffer | null): void {
    const waiting = entry.waiting ?? [];
    entry.waiting = undefined;
    for (const resolve of waiting) resolve(buffer);
  }

  private current(entry: Entry): boolean {
    return this.entries.get(entry.id) === entry;
  }

  private touch(entry: Entry): void {
    this.entries.delete(entry.id);
    this.entries.set(entry.id, entry);
  }

  private setState(entry: Entry, state: State): void {
    const from = BUCKET[entry.state];
    const to = BUCKET[state];
    entry.state = state;
    if (from !== to) {
      if (from === 'memory') this.memoryBytes -= entry.size;
      if (from === 'spilled') {
        this.spilledBytes -= entry.size;
        this.spilledObjects -= 1;
      }
      if (to === 'memory') this.memoryBytes += entry.size;
      if (to === 'spilled') {
        this.spilledBytes += entry.size;
        this.spilledObjects += 1;
      }
    }
    this.changed();
  }

  /** Chains a backend call after the earlier ones for the same id. */
  private io<T>(id: string, call: () => Promise<T>): Promise<T> {
    const run = (this.ioTails.get(id) ?? Promise.resolve()).then(call);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.ioTails.set(id, tail);
    void tail.then(() => {
      if (this.ioTails.get(id) === tail) this.ioTails.delete(id);
    });
    return run;
  }

  private changed(): void {
    if (!this.onChange) return;
    try {
      this.onChange(this.stats());
    } catch (error) {
      console.error('[shoal] an object store onChange handler threw', error);
    }
  }
}
