/**
 * The object plane of one tab: its store, plus fetching objects it lacks
 * straight from the peers that hold them, and serving its own to peers.
 *
 * - `get(spec)` answers from the store, or fetches from the first holder in
 *   `spec.from` that has the object (the next one if a holder is gone), keeps
 *   the copy, and reports it (`onCopied`) so the coordinator can use the new
 *   location and release it later. Concurrent gets of one object share one
 *   fetch.
 * - `serve(id)` is what peers' fetches read: the store, or an object this tab
 *   is itself still receiving (so a broadcast can relay down a tree while the
 *   bytes arrive).
 *
 * It knows nothing of WebRTC: `connect(peerId)` supplies something that can
 * fetch from a peer (a bulk endpoint over data channels, or the co-located
 * MessagePort path).
 */
import { ShoalError, type FetchSpec } from '@shoal/protocol';
import type { ObjectStore } from './store.ts';

/** Fetches objects' bytes from one peer. */
export interface PeerFetcher {
  fetch(objectId: string): Promise<ArrayBuffer>;
}

export interface ObjectPlaneOptions {
  /** This tab's peer id (never fetched from). */
  self: string;
  store: ObjectStore;
  /** Something that can fetch from `peerId`, made once per peer. */
  connect: (peerId: string) => Promise<PeerFetcher>;
  /** A copy of an object now lives here. */
  onCopied?: (objectId: string, size: number) => void;
}

export interface PlaneTraffic {
  fetches: number;
  fetchedBytes: number;
  served: number;
  servedBytes: number;
}

export class ObjectPlane {
  private readonly fetchers = new Map<string, Promise<PeerFetcher>>();
  private readonly fetching = new Map<string, Promise<ArrayBuffer>>();
  readonly traffic: PlaneTraffic = { fetches: 0, fetchedBytes: 0, served: 0, servedBytes: 0 };

  constructor(private readonly options: ObjectPlaneOptions) {}

  get store(): ObjectStore {
    return this.options.store;
  }

  /**
   * Stores an object made here. Peers may ask for it at once (its metadata can
   * reach the coordinator first): until the store has it, serve() waits.
   */
  put(objectId: string, buffer: ArrayBuffer): Promise<void> {
    const stored = this.options.store.put(objectId, buffer);
    const arriving = stored.then(() => buffer).finally(() => {
      if (this.fetching.get(objectId) === arriving) this.fetching.delete(objectId);
    });
    this.fetching.set(objectId, arriving);
    return stored;
  }

  has(objectId: string): boolean {
    return this.options.store.has(objectId) || this.fetching.has(objectId);
  }

  /** An object's bytes: from the store, or fetched from a holder and kept. */
  async get(spec: FetchSpec): Promise<ArrayBuffer> {
    const local = await this.options.store.get(spec.objectId);
    if (local) return local;
    let pending = this.fetching.get(spec.objectId);
    if (!pending) {
      pending = this.fetchFromHolders(spec).finally(() => this.fetching.delete(spec.objectId));
      this.fetching.set(spec.objectId, pending);
    }
    return pending;
  }

  /**
   * An object this tab does not hold, fetched from a holder for one reader and not kept: no copy stays
   * here and none is reported (the coordinator's `get` of an answer it decodes once, in place).
   */
  fetchOnce(spec: FetchSpec): Promise<ArrayBuffer> {
    return this.fetchFromHolders(spec, false);
  }

  /** For peers' fetches: the bytes, or null if this tab has no copy (nor one on its way). */
  async serve(objectId: string): Promise<ArrayBuffer | null> {
    const buffer = (await this.options.store.get(objectId)) ?? (await this.fetching.get(objectId)?.catch(() => null)) ?? null;
    if (buffer) {
      this.traffic.served += 1;
      this.traffic.servedBytes += buffer.byteLength;
    }
    return buffer;
  }

  /** Drops objects nothing needs any more. */
  async release(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.options.store.delete(id)));
  }

  /** Forgets a peer's connection (it left); the next fetch reconnects. */
  dropPeer(peerId: string): void {
    this.fetchers.delete(peerId);
  }

  private async fetchFromHolders(spec: FetchSpec, keep = true): Promise<ArrayBuffer> {
    let lastError: unknown = null;
    for (const peerId of spec.from) {
      if (peerId === this.options.self) continue;
      try {
        const buffer = await (await this.fetcher(peerId)).fetch(spec.objectId);
        if (buffer.byteLength !== spec.size) {
          throw new ShoalError('ERR_TRANSFER_FAILED', `object ${spec.objectId} from ${peerId} is ${buffer.byteLength} bytes, not the ${spec.size} recorded`);
        }
        this.traffic.fetches += 1;
        this.traffic.fetchedBytes += buffer.byteLength;
        if (!keep) return buffer;
        await this.options.store.put(spec.objectId, buffer);
        this.options.onCopied?.(spec.objectId, buffer.byteLength);
        return buffer;
      } catch (error) {
        lastError = error;
        // Ask connect() again next time: it reuses a live connection, or replaces one that closed.
        this.fetchers.delete(peerId);
      }
    }
    if (lastError instanceof ShoalError) throw lastError;
    throw new ShoalError('ERR_OBJECT_LOST', `object ${spec.objectId} could not be fetched from ${spec.from.join(', ') || 'any holder'}${lastError ? `: ${String(lastError)}` : ''}`);
  }

  private fetcher(peerId: string): Promise<PeerFetcher> {
    let fetcher = this.fetchers.get(peerId);
    if (!fetcher) {
      fetcher = this.options.connect(peerId);
      fetcher.catch(() => this.fetchers.delete(peerId));
      this.fetchers.set(peerId, fetcher);
    }
    return fetcher;
  }
}
