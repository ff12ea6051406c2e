/**
 * Bulk byte links to the peers of a mesh: one BulkEndpoint per peer, made on
 * first use: when this tab fetches from the peer (`fetcher`), or when the
 * peer starts the link's bulk connection or opens a co-located port to this
 * tab, so peers can fetch from this tab even if it never fetches from them;
 * `serve` answers their fetches. A link that never moves object bytes (most
 * links to the coordinator) never gets a bulk connection.
 *
 * A peer with no link yet gets one on demand (`mesh.link`), unless it is in
 * this browser. A peer in the same browser (same origin and profile: the local cluster, or
 * `shoal worker --tabs N`) is reached through a MessagePort brokered by a
 * SharedWorker (colocated.ts), which hands whole buffers over instead of
 * chunking them through WebRTC. Otherwise the link's bulk data channels are
 * used: on an RTCPeerConnection of their own (PeerLink's default), so
 * control messages never queue behind object bytes. Detection is automatic: the broker
 * answers whether the peer is in this browser.
 *
 * Test hook: while `globalThis.__shoalCorruptChunks` is a positive number,
 * each bulk frame of more than 1 KiB this tab sends has one byte flipped and
 * the counter goes down by one, so e2e tests can check that corrupted
 * transfers are detected and fetched again.
 */
import type { BulkChannel } from './bulkChannel.ts';
import { BulkEndpoint, type PushedFn, type ServeFn } from './bulkEndpoint.ts';
import { Colocated } from './colocated.ts';
import type { Mesh } from './mesh.ts';
import type { PeerLink } from './peerLink.ts';

export interface ByteLinksOptions {
  /** `(bytes) => u32` for transfer checks; both sides must use the same one. */
  checksum?: (bytes: Uint8Array) => number;
  /** Use the co-located path to peers in this browser. Default true. */
  colocated?: boolean;
  /** Receives what peers push to this tab (collectives); without it, pushes are refused. */
  onPushed?: PushedFn;
}

export interface ControlTraffic {
  controlBytesIn: number;
  controlBytesOut: number;
}

export class ByteLinks {
  private readonly endpoints = new Map<string, Promise<BulkEndpoint>>();
  /** Endpoints on ports other tabs opened to this one, by peer (they serve, and fetch if this tab has no other). */
  private readonly incoming = new Map<string, BulkEndpoint[]>();
  private readonly colocated: Colocated | null;
  /** Which kind of path each peer's endpoint uses. */
  readonly paths = new Map<string, 'colocated' | 'webrtc'>();
  /** Endpoints made so far, by peer: the mesh keeps links with transfers in flight (`isBusy`). */
  private readonly settled = new Map<string, BulkEndpoint>();
  /** The one endpoint over each link's WebRTC bulk channels, whichever side asked for them first. */
  private readonly overLink = new WeakMap<PeerLink, Promise<BulkEndpoint>>();

  constructor(
    private readonly mesh: Mesh,
    private readonly serve: ServeFn,
    private readonly options: ByteLinksOptions = {},
  ) {
    this.colocated = options.colocated === false ? null : Colocated.start(mesh.peerId);
    this.colocated?.on('incoming', (peerId, channel) => {
      const endpoint = this.endpoint(peerId, [channel]);
      this.incoming.set(peerId, [...(this.incoming.get(peerId) ?? []), endpoint]);
      if (!this.endpoints.has(peerId)) {
        this.endpoints.set(peerId, Promise.resolve(endpoint));
        this.paths.set(peerId, 'colocated');
      }
    });
    mesh.on('peerOpen', (peer) => this.watch(peer.peerId));
    mesh.on('peerClosed', (peer) => this.drop(peer.peerId));
    mesh.on('closed', () => this.colocated?.close());
    mesh.isBusy = (peerId) => {
      const stats = this.settled.get(peerId)?.stats();
      return stats !== undefined && stats.activeIn + stats.activeOut > 0;
    };
    for (const view of mesh.peers()) if (view.state === 'open') this.watch(view.info.peerId);
  }

  /**
   * The endpoint to `peerId`, once its bulk channels are open. Rejects with
   * ERR_UNKNOWN_PEER if it is not connected. An endpoint that has closed
   * (its co-located port went, say) is replaced by a new one.
   */
  fetcher(peerId: string): Promise<BulkEndpoint> {
    this.mesh.touch(peerId);
    const existing = this.endpoints.get(peerId);
    if (!existing) return this.open(peerId);
    return existing.then((endpoint) => {
      if (endpoint.state.kind !== 'closed') return endpoint;
      if (this.endpoints.get(peerId) === existing) this.endpoints.delete(peerId);
      return this.open(peerId);
    });
  }

  /** Control-channel bytes across every link so far (counting links that have closed). */
  controlTraffic(): ControlTraffic {
    return this.mesh.controlTraffic();
  }

  /**
   * Serves `peerId` once it starts the bulk connection of their link: over
   * that link's channels, even if this tab already has another endpoint to
   * the peer. (The peer may be in this browser and still have chosen WebRTC:
   * its co-located connect timed out on a starved machine while this tab got
   * the port. Its fetches then come over the link, and went unanswered when
   * this tab kept only the co-located endpoint: a broadcast down a tree of
   * 32+ tabs hung on it.)
   */
  private watch(peerId: string): void {
    const link = this.mesh.linkTo(peerId);
    link?.on('bulkRequested', () => {
      void this.overLinkEndpoint(peerId, link)
        .then((endpoint) => {
          if (!this.endpoints.has(peerId)) {
            this.endpoints.set(peerId, Promise.resolve(endpoint));
            this.paths.set(peerId, 'webrtc');
          }
          // Closed with the others when the peer goes (closing one twice is harmless).
          this.incoming.set(peerId, [...(this.incoming.get(peerId) ?? []), endpoint]);
        })
        .catch(() => undefined);
    });
  }

  /** The endpoint over `link`'s bulk channels, made once per link. */
  private overLinkEndpoint(peerId: string, link: PeerLink): Promise<BulkEndpoint> {
    let made = this.overLink.get(link);
    if (!made) {
      made = link.bulk().then((channels) => {
        const endpoint = this.endpoint(peerId, channels);
        this.settled.set(peerId, endpoint);
        return endpoint;
      });
      this.overLink.set(link, made);
    }
    return made;
  }

  private open(peerId: string): Promise<BulkEndpoint> {
    const existing = this.endpoints.get(peerId);
    if (existing) return existing;
    // A peer in this browser needs no WebRTC link; any other gets one on demand (mesh.link).
    const endpoint = (async () => {
      const port = await this.colocated?.connect(peerId);
      this.paths.set(peerId, port ? 'colocated' : 'webrtc');
      if (!port) return this.overLinkEndpoint(peerId, await this.mesh.link(peerId));
      const made = this.endpoint(peerId, [port]);
      this.settled.set(peerId, made);
      return made;
    })();
    this.endpoints.set(peerId, endpoint);
    endpoint.catch(() => {
      if (this.endpoints.get(peerId) === endpoint) this.endpoints.delete(peerId);
    });
    return endpoint;
  }

  private endpoint(peerId: string, channels: BulkChannel[]): BulkEndpoint {
    return new BulkEndpoint(channels.map(corruptible), {
      peerId,
      serve: this.serve,
      ...(this.options.checksum ? { checksum: this.options.checksum } : {}),
      ...(this.options.onPushed ? { onPushed: this.options.onPushed } : {}),
    });
  }

  private drop(peerId: string): void {
    const endpoint = this.endpoints.get(peerId);
    this.settled.delete(peerId);
    this.endpoints.delete(peerId);
    this.paths.delete(peerId);
    void endpoint?.then((open) => open.close('the peer left')).catch(() => undefined);
    for (const other of this.incoming.get(peerId) ?? []) other.close('the peer left');
    this.incoming.delete(peerId);
  }
}

/** Wraps a channel's `send` with the corruption test hook (see the file header). */
function corruptible(channel: BulkChannel): BulkChannel {
  const send = channel.send.bind(channel);
  channel.send = (data) => {
    const hook = globalThis as { __shoalCorruptChunks?: number };
    if (!hook.__shoalCorruptChunks || hook.__shoalCorruptChunks <= 0 || data.byteLength <= 1024) return send(data);
    hook.__shoalCorruptChunks -= 1;
    const copy = new Uint8Array(data instanceof ArrayBuffer ? data.slice(0) : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    copy[copy.length - 1]! ^= 0xff;
    send(copy.buffer);
  };
  const sendWithBody = channel.sendWithBody?.bind(channel);
  if (sendWithBody) {
    channel.sendWithBody = (frame, body, handOver) => {
      const hook = globalThis as { __shoalCorruptChunks?: number };
      if (hook.__shoalCorruptChunks && hook.__shoalCorruptChunks > 0 && body.byteLength > 1024) {
        hook.__shoalCorruptChunks -= 1;
        const bytes = new Uint8Array(body); // the body is already a copy, handed over
        bytes[bytes.length - 1]! ^= 0xff;
      }
      sendWithBody(frame, body, handOver);
    };
  }
  return channel;
}
