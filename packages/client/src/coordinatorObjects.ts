/**
 * The coordinator's side of the object plane. The coordinator is a peer with
 * its own object store: big or binary values the job `put`s live there, and
 * `get` of a stored object fetches it from a holder and keeps a copy. It also
 *
 * - tells a worker where each stored input of its task lives (`fetchSpec`),
 * - sends releases to every holder once nothing needs an object,
 * - relays broadcasts down a tree, so the source sends one copy, not N,
 * - collects the workers' store figures for `cluster.memory()`.
 */
import { ShoalError, type FetchSpec, type StoreStats, type Traffic } from '@shoal/protocol';
import { ObjectPlane, ObjectStore, OpfsSpill, decodeValue, defaultCapacityBytes, type Packed } from '@shoal/objects';
import { ByteLinks, type Mesh } from '@shoal/transport';
import type { Located, ObjectTable } from './objectTable.ts';

export interface MemoryReport {
  peerId: string;
  name: string;
  stats: StoreStats;
}

export class CoordinatorObjects {
  readonly store: ObjectStore;
  readonly plane: ObjectPlane;
  readonly links: ByteLinks;
  /** Workers' store figures, as last reported. */
  readonly workerStats = new Map<string, StoreStats>();
  private readonly releases = new Map<string, string[]>();
  private flushQueued = false;

  constructor(
    private readonly mesh: Mesh,
    private readonly table: ObjectTable,
    /** The coordinator now holds a copy of a stored object. */
    onCopied: (objectId: string, size: number) => void,
    capacityBytes: number | null = null,
  ) {
    const spill = typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' ? new OpfsSpill(`shoal-spill-${mesh.peerId}`) : null;
    void spill?.clear().catch(() => undefined);
    const memory = typeof navigator !== 'undefined' ? ((navigator as { deviceMemory?: number }).deviceMemory ?? null) : null;
    this.store = new ObjectStore({ capacityBytes: capacityBytes ?? defaultCapacityBytes(memory), spill });
    this.plane = new ObjectPlane({
      self: mesh.peerId,
      store: this.store,
      connect: (peerId) => this.links.fetcher(peerId),
      onCopied: (objectId, size) => {
        this.table.addLocation(objectId, mesh.peerId);
        onCopied(objectId, size);
      },
    });
    this.links = new ByteLinks(mesh, (objectId) => this.plane.serve(objectId));
  }

  get self(): string {
    return this.mesh.peerId;
  }

  /** Keeps a value too big or binary to travel inline in this tab's store; returns what to record. */
  keep(objectId: string, packed: Extract<Packed, { inline: false }>): { size: number; refs: string[] } {
    void this.plane.put(objectId, packed.buffer);
    return { size: packed.buffer.byteLength, refs: packed.refs };
  }

  /**
   * A stored object's value for the job. One this tab holds is decoded from a copy: decoded typed arrays
   * are views, and the job must not change the stored object by writing to them. One held only by workers
   * is fetched for this get and decoded in place, not kept here: the job's views are over the only copy,
   * so none is needed (a DataFrame's 647 MB answer used to stay in this tab's store and be copied out of it,
   * 2 s of this tab's main thread on the test machine's new memory). A later get of it fetches it again.
   */
  async value(objectId: string, located: Extract<Located, { kind: 'stored' }>): Promise<unknown> {
    const spec = this.fetchSpec(objectId, located, this.self);
    if (this.plane.has(objectId) || located.locations.has(this.self)) return decodeValue((await this.plane.get(spec)).slice(0));
    return decodeValue(await this.plane.fetchOnce(spec));
  }

  /** Where `forPeer` should fetch a stored object: itself first if it holds it, then other workers, this tab last. */
  fetchSpec(objectId: string, located: Extract<Located, { kind: 'stored' }>, forPeer: string): FetchSpec {
    const rank = (peer: string) => (peer === forPeer ? 0 : peer === this.self ? 2 : 1);
    const from = [...located.locations].sort((a, b) => rank(a) - rank(b));
    if (from.length === 0) throw new ShoalError('ERR_OBJECT_LOST', `object ${objectId} has no copy left`);
    return { objectId, size: located.size, from };
  }

  /** Drops an object from every holder (batched: one message per worker per tick). */
  release(objectId: string, holders: Iterable<string | null>): void {
    for (const holder of holders) {
      if (holder === null || holder === this.self) {
        void this.store.delete(objectId);
        continue;
      }
      let list = this.releases.get(holder);
      if (!list) this.releases.set(holder, (list = []));
      list.push(objectId);
    }
    if (this.flushQueued || this.releases.size === 0) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      for (const [holder, ids] of this.releases) if (this.mesh.isOpen(holder)) this.mesh.send(holder, { type: 'releaseObjects', ids });
      this.releases.clear();
    });
  }

  /**
   * Replicates an object this tab holds to `workers` down a binary tree: this
   * tab sends one copy (to the first worker), and worker i relays to workers
   * 2i and 2i+1 (counting from 1) while its own copy is still arriving.
   */
  broadcast(objectId: string, size: number, workers: readonly string[]): void {
    workers.forEach((worker, i) => {
      const from = i === 0 ? this.self : workers[Math.floor((i + 1) / 2) - 1]!;
      if (this.mesh.isOpen(worker)) this.mesh.send(worker, { type: 'replicate', objectId, size, from });
    });
  }

  memory(names: ReadonlyMap<string, string>): MemoryReport[] {
    const reports: MemoryReport[] = [{ peerId: this.self, name: 'coordinator', stats: this.store.stats() }];
    for (const [peerId, stats] of this.workerStats) reports.push({ peerId, name: names.get(peerId) ?? peerId, stats });
    return reports;
  }

  traffic(): Traffic {
    const { fetches, fetchedBytes, served, servedBytes } = this.plane.traffic;
    const control = this.links.controlTraffic();
    return { ...control, objectsServed: served, objectBytesServed: servedBytes, objectsFetched: fetches, objectBytesFetched: fetchedBytes, bulkPaths: Object.fromEntries(this.links.paths) };
  }

  peerLeft(peerId: string): void {
    this.workerStats.delete(peerId);
    this.plane.dropPeer(peerId);
  }
}
