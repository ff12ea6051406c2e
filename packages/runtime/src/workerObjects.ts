/**
 * A worker tab's objects: its store (with OPFS spilling), the plane that
 * fetches inputs from peers and serves its own, and the reports the
 * coordinator needs (copies made, store figures).
 */
import { ShoalError, type ControlMessage, type FetchSpec, type StoreStats, type StoredOutput } from '@shoal/protocol';
import { ObjectPlane, ObjectStore, OpfsSpill, defaultCapacityBytes, type PeerFetcher } from '@shoal/objects';

export interface WorkerObjectsOptions {
  peerId: string;
  /** Store capacity in bytes; default a share of device memory. */
  capacityBytes: number | null;
  deviceMemoryGiB: number | null;
  connect: (peerId: string) => Promise<PeerFetcher>;
  /** Sends a control message to the coordinator (dropped if it is not connected). */
  toCoordinator: (message: ControlMessage) => void;
  /** The store's figures changed (called at most twice a second). */
  onStats?: () => void;
}

/**
 * A task's stored inputs: their bytes by object id, less `skip`; `ids` names them all. Fresh copies, but
 * for a task that consumes its inputs: the store's own bytes where it can hand them over (`moved` lists
 * those; the store no longer has them), and for one that lends them: the store's own bytes, lent (`lent`
 * names them; they must come back through `done`). Asked again after that, a moved input, or a lent one
 * not back yet, throws ERR_OBJECT_LOST.
 */
export type InputBlobs = ((skip?: ReadonlySet<string>) => Record<string, ArrayBuffer>) & {
  readonly ids: readonly string[];
  readonly moved: readonly string[];
  readonly lent: readonly string[];
  /**
   * The task has ended: lent bytes go back to the store (`returned` by the Web Worker, or never sent: still
   * whole here); answers the lent inputs that did not come back (the store has forgotten them). Also drops
   * the holds on inputs that were to be lent (a task cancelled before it started).
   */
  done(returned?: Record<string, ArrayBuffer>): string[];
};

/** How a task gets its stored inputs (InputBlobs): copies, the store's bytes for good, or the store's bytes lent. */
export type InputMode = 'copy' | 'consume' | 'lend';

/** How many times a broadcast copy is asked for again from a parent that did not hold it yet (0.1 s … 3.2 s apart). */
const REPLICATE_RETRIES = 6;

export class WorkerObjects {
  readonly store: ObjectStore;
  readonly plane: ObjectPlane;
  private statsTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: WorkerObjectsOptions) {
    const spill = typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' ? new OpfsSpill(`shoal-spill-${options.peerId}`) : null;
    void spill?.clear().catch(() => undefined);
    this.store = new ObjectStore({
      capacityBytes: options.capacityBytes ?? defaultCapacityBytes(options.deviceMemoryGiB),
      spill,
      onChange: () => this.statsChanged(),
    });
    this.plane = new ObjectPlane({
      self: options.peerId,
      store: this.store,
      connect: options.connect,
      onCopied: (objectId, size) => options.toCoordinator({ type: 'objectCopied', objectId, size }),
    });
  }

  /**
   * Fetches a task's stored inputs (in parallel) and returns a maker of their
   * bytes for its Web Worker (but none of those in `skip`), or null if it has
   * none: fresh copies, with `consume` the store's own bytes where it can hand
   * them over, with `lend` the store's own bytes lent where no other task here
   * holds them (InputBlobs). To lend, the inputs stay pinned until the maker
   * runs (or `done`), so the bytes held here cannot be lent to another task meanwhile.
   */
  async inputs(fetch: readonly FetchSpec[] | undefined, mode: InputMode = 'copy'): Promise<InputBlobs | null> {
    if (!fetch || fetch.length === 0) return null;
    for (const spec of fetch) this.store.pin(spec.objectId);
    let held = false;
    try {
      const buffers = await Promise.all(fetch.map((spec) => this.plane.get(spec)));
      const entries = fetch.map((spec, i) => [spec.objectId, buffers[i]!] as const);
      const moved: string[] = [];
      const lent = new Map<string, ArrayBuffer>();
      const pinned = new Set(mode === 'lend' ? entries.map(([id]) => id) : []);
      const unpin = (id: string) => {
        if (pinned.delete(id)) this.store.unpin(id);
      };
      const bytes = (id: string, buffer: ArrayBuffer): ArrayBuffer => {
        if (moved.includes(id) || lent.has(id)) throw new ShoalError('ERR_OBJECT_LOST', `input ${id} was handed to an earlier run of this task, which ${moved.includes(id) ? 'consumed it' : 'did not give it back'}`);
        const taken = mode === 'consume' ? this.store.take(id) : mode === 'lend' ? this.store.lend(id, pinned.has(id) ? 1 : 0) : null;
        unpin(id);
        if (taken && mode === 'consume') moved.push(id);
        if (taken && mode === 'lend') lent.set(id, taken);
        return taken ?? buffer.slice(0);
      };
      const make = (skip?: ReadonlySet<string>) => Object.fromEntries(entries.filter(([id]) => !skip?.has(id)).map(([id, buffer]) => [id, bytes(id, buffer)]));
      const done = (returned: Record<string, ArrayBuffer> = {}): string[] => {
        for (const id of [...pinned]) unpin(id);
        const lost: string[] = [];
        for (const [id, buffer] of lent) {
          const size = this.store.size(id);
          if (size === null) continue; // released meanwhile
          const back = returned[id] ?? (buffer.byteLength === size ? buffer : null); // or never sent: still whole here
          if (back?.byteLength === size) this.store.giveBack(id, back);
          else {
            this.store.lendLost(id);
            lost.push(id);
          }
        }
        lent.clear();
        return lost;
      };
      held = true;
      return Object.defineProperties(make, {
        ids: { value: entries.map(([id]) => id) },
        moved: { value: moved },
        lent: { get: () => [...lent.keys()] },
        done: { value: done },
      }) as InputBlobs;
    } finally {
      if (!held || mode !== 'lend') for (const spec of fetch) this.store.unpin(spec.objectId);
    }
  }

  /** Inputs a failed task consumed, or a task was lent and did not give back: this tab holds them no more, and the coordinator learns it (they are fetched elsewhere or made again). */
  consumedByFailure(ids: readonly string[]): void {
    for (const objectId of ids) this.options.toCoordinator({ type: 'objectDropped', objectId });
  }

  /** Keeps a task's stored outputs; `outputIds[i]` names output i. */
  async keepOutputs(outputIds: (index: number) => string, stored: readonly StoredOutput[], buffers: readonly ArrayBuffer[]): Promise<void> {
    await Promise.all(stored.map((output, i) => this.plane.put(outputIds(output.index), buffers[i]!)));
  }

  /** A nested get's reply: the fetched objects, keyed as the `{"$shoalFetch": id}` markers name them (copies). */
  async blobsFor(fetch: readonly FetchSpec[] | undefined): Promise<Record<string, ArrayBuffer> | undefined> {
    const make = await this.inputs(fetch);
    return make ? make() : undefined;
  }

  release(ids: readonly string[]): void {
    void this.plane.release(ids);
  }

  /**
   * A broadcast: fetch the object from `from` and keep it (peers may fetch it
   * from here meanwhile). `from` is this tab's parent in the broadcast tree,
   * told by the coordinator at the same time as this tab: asked before its
   * own `replicate` arrived, it holds nothing yet, so it is asked again
   * (after 0.1 s, doubling, REPLICATE_RETRIES times).
   */
  replicate(objectId: string, size: number, from: string, attempt = 0): void {
    void this.plane.get({ objectId, size, from: [from] }).catch((error: unknown) => {
      if (error instanceof ShoalError && error.code === 'ERR_OBJECT_LOST' && attempt < REPLICATE_RETRIES && !this.plane.has(objectId)) {
        setTimeout(() => this.replicate(objectId, size, from, attempt + 1), 100 * 2 ** attempt);
        return;
      }
      console.warn(`[shoal] replicating ${objectId} from ${from} failed:`, error);
    });
  }

  stats(): StoreStats {
    return this.store.stats();
  }

  private statsChanged(): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      this.options.toCoordinator({ type: 'storeStats', stats: this.stats() });
      this.options.onStats?.();
    }, 500);
  }
}

