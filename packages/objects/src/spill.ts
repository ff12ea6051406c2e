/**
 * Where an object store puts what does not fit in memory. A backend is four
 * verbs over whole objects; the store serialises the calls for any one id
 * (a write finishes before that id's read or remove starts), so a backend
 * needs no locking of its own. `OpfsSpill` (opfsSpill.ts) is the browser's;
 * `MemorySpill` here is for tests and tools.
 */

export interface SpillBackend {
  /** Stores the bytes under `id`, replacing any earlier ones. */
  write(id: string, buffer: ArrayBuffer): Promise<void>;
  /** The bytes written under `id`; rejects if there are none. */
  read(id: string): Promise<ArrayBuffer>;
  /** Forgets `id`; no error if it is unknown. */
  remove(id: string): Promise<void>;
  /** Forgets everything (at startup: leftovers of an earlier session). */
  clear(): Promise<void>;
}

export interface MemorySpillOptions {
  /** Delay every call by this many milliseconds (to let tests interleave operations). */
  latencyMs?: number;
}

/** A spill backend in memory that counts its calls. It keeps copies, as a disk would. */
export class MemorySpill implements SpillBackend {
  readonly files = new Map<string, ArrayBuffer>();
  writes = 0;
  reads = 0;
  removes = 0;
  private readonly latencyMs: number;

  constructor(options: MemorySpillOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  async write(id: string, buffer: ArrayBuffer): Promise<void> {
    const copy = buffer.slice(0);
    await this.pause();
    this.files.set(id, copy);
    this.writes += 1;
  }

  async read(id: string): Promise<ArrayBuffer> {
    await this.pause();
    const stored = this.files.get(id);
    if (!stored) throw new Error(`no spilled object ${id}`);
    this.reads += 1;
    return stored.slice(0);
  }

  async remove(id: string): Promise<void> {
    await this.pause();
    if (this.files.delete(id)) this.removes += 1;
  }

  async clear(): Promise<void> {
    await this.pause();
    this.files.clear();
  }

  /** Bytes held, as a disk's usage. */
  get bytes(): number {
    let total = 0;
    for (const buffer of this.files.values()) total += buffer.byteLength;
    return total;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => (this.latencyMs > 0 ? setTimeout(resolve, this.latencyMs) : queueMicrotask(resolve)));
  }
}
