/**
 * The peer mesh: joins a room through the signaling server and keeps
 * PeerLinks to other peers in it. It is a star plus links on demand:
 *
 * - The server announces only the peers a tab must reach (a worker hears of
 *   the coordinator; the coordinator hears of every worker), so one join
 *   costs O(1) signaling messages. The mesh links to each announced peer at
 *   once and keeps that link (pinned).
 * - Worker-to-worker links open on demand: `link(peerId)` opens one when
 *   bytes must move between two tabs (the peer id comes from the
 *   coordinator, e.g. an object's holder) and resolves once it is open; it
 *   is reused while it stays open. A peer may open one to this tab the same
 *   way (its offer arrives unannounced).
 * - At most `linkCap` on-demand links are open at once (default 32); at the
 *   cap, the link idle longest closes first (linkPool.ts). A link with bulk
 *   transfers in flight (`isBusy`) is not closed for this: a new link waits
 *   for one to go idle, and an offer from a peer is taken over the cap and
 *   trimmed back once links go idle.
 *
 * Newcomers make the offers to announced peers (the peers already present
 * have joined, so nobody is offered to before joining); present peers
 * answer. On demand, the asking side offers; if both ask at once, the
 * lower peer id stays the offerer. A link closed to make room says so first
 * (`leaving` with RETIRED_REASON), so both sides report it as `retired`:
 * the peer is still there, only the link went.
 *
 * A pinned link that fails while its peer is still in the room (ICE gave up
 * in a join storm on a starved machine, say) is offered again by the worker
 * side after `RELINK_DELAY_MS`, so a tab is not left joined but unlinked.
 *
 * Verbs: `send`, `link`, `close`. The rest is events.
 */
import { ShoalError, type ControlMessage, type PeerInfo, type Role } from '@shoal/protocol';
import { Emitter } from './emitter.ts';
import { DEFAULT_LINK_CAP, LinkPool, type LinkStats } from './linkPool.ts';
import { PeerLink, type LinkState } from './peerLink.ts';
import { SignalingClient } from './signalingClient.ts';

export interface MeshOptions {
  /** ws(s):// URL of the signaling server's `/ws` endpoint. */
  url: string;
  room: string;
  role: Role;
  name?: string | undefined;
  /** The room's join token for this role (see `JoinOptions.token`). */
  token?: string | undefined;
  /**
   * STUN/TURN servers; none are needed on one machine or a LAN. When absent,
   * the ones in the server's welcome are used (see signaling-server `ice`).
   */
  iceServers?: RTCIceServer[] | undefined;
  /** Which announced peers to link to at once; all of them by default. */
  connectTo?: (peer: PeerInfo) => boolean;
  /** On-demand links open at once, at most. Default DEFAULT_LINK_CAP (32). */
  linkCap?: number;
  /** How long `link()` waits for a new link to open. Default 20 s. */
  linkTimeoutMs?: number;
}

export type MeshEvents = {
  peerOpen: [peer: PeerInfo];
  /** `retired`: an on-demand link closed to stay within the cap (by either side); the peer is still in the room. */
  peerClosed: [peer: PeerInfo, reason: string, retired: boolean];
  message: [from: PeerInfo, message: ControlMessage];
  badMessage: [from: PeerInfo, error: ShoalError];
  closed: [reason: string];
};

export interface PeerView {
  info: PeerInfo;
  state: LinkState['kind'];
  /** To an announced peer (kept), not on demand. */
  pinned: boolean;
}

/** The `leaving` reason a tab sends before closing an idle on-demand link to make room. */
export const RETIRED_REASON = 'idle link closed to stay within the link cap';

const DEFAULT_LINK_TIMEOUT_MS = 20_000;
/** How long a worker waits before offering a failed pinned link again. */
const RELINK_DELAY_MS = 1000;
/** How often a tab over its cap (after peers opened links to it) looks for idle links to close, and a waiting `link()` looks for room. */
const TRIM_INTERVAL_MS = 250;

interface Waiter {
  resolve: (link: PeerLink) => void;
  reject: (error: ShoalError) => void;
}

export class Mesh extends Emitter<MeshEvents> {
  private readonly links = new Map<string, PeerLink>();
  private readonly initiated = new Set<PeerLink>();
  private readonly retiredLinks = new WeakSet<PeerLink>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly pool: LinkPool;
  /** Peers the server announced and has not said left: their links are pinned, and re-offered if they fail. */
  private readonly announced = new Map<string, PeerInfo>();
  /** Re-offers in a row per peer (the delay doubles each time, up to 30 s; an open link resets it). */
  private readonly relinks = new Map<string, number>();
  private readonly closedBytes = { in: 0, out: 0 };
  private trimTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** Whether a peer's link has bulk transfers in flight (set by ByteLinks); busy links are not closed to make room. */
  isBusy: (peerId: string) => boolean = () => false;

  private constructor(
    readonly self: PeerInfo,
    private readonly signaling: SignalingClient,
    private readonly options: MeshOptions,
    /** What every RTCPeerConnection of this mesh is given: `options.iceServers`, else the welcome's. */
    readonly iceServers: RTCIceServer[],
  ) {
    super();
    this.pool = new LinkPool(options.linkCap ?? DEFAULT_LINK_CAP);
  }

  /** Joins the room and starts connecting to the announced peers already in it. */
  static async join(options: MeshOptions): Promise<Mesh> {
    const { client, welcome } = await SignalingClient.join(options);
    const self: PeerInfo = { peerId: welcome.peerId, role: options.role, name: options.name };
    const mesh = new Mesh(self, client, options, options.iceServers ?? welcome.iceServers);
    client.on('peerJoined', (peer) => {
      mesh.announced.set(peer.peerId, peer);
      if (mesh.wants(peer)) mesh.open(peer, false, true);
    });
    client.on('peerLeft', (peerId) => {
      mesh.announced.delete(peerId);
      mesh.links.get(peerId)?.close('peer left the room');
    });
    client.on('signal', (from, data) => mesh.onSignal(from, data));
    client.on('error', (error) => mesh.onSignalingError(error));
    client.on('closed', (reason) => mesh.close(`signaling closed: ${reason}`));
    for (const peer of welcome.peers) {
      mesh.announced.set(peer.peerId, peer);
      if (mesh.wants(peer)) mesh.open(peer, true, true);
    }
    return mesh;
  }

  get peerId(): string {
    return this.self.peerId;
  }

  peers(): PeerView[] {
    return [...this.links.values()].map((link) => ({ info: link.info, state: link.state.kind, pinned: this.pool.isPinned(link.info.peerId) }));
  }

  /** The link to a peer, if there is one (for its bulk channels). */
  linkTo(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
  }

  /**
   * The open link to `peerId`, opened now if there is none (on demand; see
   * the file header). Rejects with ERR_UNKNOWN_PEER when it cannot be opened
   * (the peer is not in the room, or it does not open within `linkTimeoutMs`).
   */
  link(peerId: string): Promise<PeerLink> {
    if (this.closed) return Promise.reject(new ShoalError('ERR_UNKNOWN_PEER', `no link to ${peerId}: the mesh is closed`));
    if (peerId === this.self.peerId) return Promise.reject(new ShoalError('ERR_UNKNOWN_PEER', 'a tab cannot link to itself'));
    this.pool.touch(peerId, Date.now());
    const existing = this.links.get(peerId);
    if (existing?.state.kind === 'open') return Promise.resolve(existing);
    const opened = this.whenOpen(peerId);
    if (!existing) void this.openOnDemand(peerId);
    return opened;
  }

  /** Marks a peer's link as used now (its idle time starts again). */
  touch(peerId: string): void {
    this.pool.touch(peerId, Date.now());
  }

  /** Link counts for tests and benchmarks (see LinkStats). */
  linkStats(): LinkStats {
    return this.pool.stats();
  }

  /** Control-channel bytes in and out over every link so far, closed ones included. */
  controlTraffic(): { controlBytesIn: number; controlBytesOut: number } {
    let controlBytesIn = this.closedBytes.in;
    let controlBytesOut = this.closedBytes.out;
    for (const link of this.links.values()) {
      controlBytesIn += link.bytesIn;
      controlBytesOut += link.bytesOut;
    }
    return { controlBytesIn, controlBytesOut };
  }

  isOpen(peerId: string): boolean {
    return this.links.get(peerId)?.state.kind === 'open';
  }

  /** Queues a message to one peer. Throws ERR_UNKNOWN_PEER if it is not connected. */
  send(peerId: string, message: ControlMessage): void {
    const link = this.links.get(peerId);
    if (!link) throw new ShoalError('ERR_UNKNOWN_PEER', `no connection to peer ${peerId}`);
    link.send(message);
    if (!this.pool.isPinned(peerId)) this.pool.touch(peerId, Date.now());
  }

  /** Drops one peer's connection. */
  disconnect(peerId: string, reason: string): void {
    this.links.get(peerId)?.close(reason);
  }

  /** Says goodbye to every open peer, then closes all links and the signaling socket. */
  close(reason = 'left'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.trimTimer !== null) clearInterval(this.trimTimer);
    for (const link of this.links.values()) {
      if (link.state.kind === 'open') link.send({ type: 'leaving', reason });
      link.close(reason);
    }
    this.signaling.close(reason);
    this.emit('closed', reason);
  }

  private wants(peer: PeerInfo): boolean {
    return !this.closed && (this.options.connectTo?.(peer) ?? true);
  }

  /** Opens an on-demand link as the offerer, once there is room under the cap. */
  private async openOnDemand(peerId: string): Promise<void> {
    const deadline = Date.now() + (this.options.linkTimeoutMs ?? DEFAULT_LINK_TIMEOUT_MS) / 2;
    while (this.pool.full() && !this.makeRoom() && Date.now() < deadline && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, TRIM_INTERVAL_MS));
      if (this.links.has(peerId)) return; // the peer opened one meanwhile
    }
    if (this.closed || this.links.has(peerId)) return;
    this.open({ peerId, role: 'worker' }, true, false);
  }

  /** Closes the on-demand link idle longest; false when every one is busy. */
  private makeRoom(): boolean {
    const victim = this.pool.victim((peerId) => this.links.get(peerId)?.state.kind !== 'open' || this.isBusy(peerId));
    if (victim === null) return false;
    this.retire(victim);
    return true;
  }

  private retire(peerId: string): void {
    const link = this.links.get(peerId);
    this.pool.retire(peerId);
    if (!link) return;
    this.retiredLinks.add(link);
    if (link.state.kind === 'open') link.send({ type: 'leaving', reason: RETIRED_REASON });
    link.close(RETIRED_REASON);
  }

  /** Over the cap (peers opened links to this tab): close idle links until within it. */
  private trim(): void {
    while (this.pool.excess() > 0 && this.makeRoom()) {
      // each pass closed one idle link
    }
    if (this.pool.excess() === 0 && this.trimTimer !== null) {
      clearInterval(this.trimTimer);
      this.trimTimer = null;
    }
  }

  private whenOpen(peerId: string): Promise<PeerLink> {
    return new Promise<PeerLink>((resolve, reject) => {
      const timeoutMs = this.options.linkTimeoutMs ?? DEFAULT_LINK_TIMEOUT_MS;
      const timer = setTimeout(() => {
        const link = this.links.get(peerId);
        if (link && link.state.kind === 'connecting') link.close(`no link within ${timeoutMs} ms`);
        done.reject(new ShoalError('ERR_UNKNOWN_PEER', `could not open a link to ${peerId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done: Waiter = {
        resolve: (link) => {
          clearTimeout(timer);
          this.dropWaiter(peerId, done);
          resolve(link);
        },
        reject: (error) => {
          clearTimeout(timer);
          this.dropWaiter(peerId, done);
          reject(error);
        },
      };
      const list = this.waiters.get(peerId) ?? [];
      list.push(done);
      this.waiters.set(peerId, list);
    });
  }

  private dropWaiter(peerId: string, waiter: Waiter): void {
    const list = this.waiters.get(peerId);
    if (!list) return;
    const at = list.indexOf(waiter);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.waiters.delete(peerId);
  }

  private settleWaiters(peerId: string, outcome: { link: PeerLink } | { error: ShoalError }): void {
    for (const waiter of [...(this.waiters.get(peerId) ?? [])]) {
      if ('link' in outcome) waiter.resolve(outcome.link);
      else waiter.reject(outcome.error);
    }
  }

  private onSignal(from: string, data: Record<string, unknown>): void {
    let link = this.links.get(from);
    const offer = data['type'] === 'offer';
    if (link && link.state.kind !== 'closed' && offer && this.initiated.has(link) && link.state.kind === 'connecting') {
      // Both sides asked for a link at once: the lower peer id stays the offerer.
      if (this.self.peerId < from) return;
      link = this.open(link.info, false, this.pool.isPinned(from));
    } else if (!link || link.state.kind === 'closed') {
      // An offer from a peer not announced to this tab: it wants a link on
      // demand (or joined in a race with us); answer it as the non-initiator.
      if (!offer || this.closed) return;
      const announced = this.announced.get(from);
      if (announced) {
        link = this.open(announced, false, true); // a pinned link offered again after it failed
      } else {
        if (this.pool.full()) this.makeRoom();
        link = this.open({ peerId: from, role: 'worker' }, false, false);
      }
      if (this.pool.excess() > 0) this.trimTimer ??= setInterval(() => this.trim(), TRIM_INTERVAL_MS);
    }
    link.signal(data);
  }

  /** A failed pinned link, the peer still in the room: the worker side offers again (the coordinator waits for it). */
  private relinkLater(info: PeerInfo): void {
    if (this.self.role === 'coordinator' || !this.announced.has(info.peerId)) return;
    const attempts = this.relinks.get(info.peerId) ?? 0;
    this.relinks.set(info.peerId, attempts + 1);
    setTimeout(() => {
      if (this.closed || this.links.has(info.peerId) || !this.announced.has(info.peerId) || !this.wants(info)) return;
      this.open(info, true, true);
    }, Math.min(30_000, RELINK_DELAY_MS * 2 ** attempts));
  }

  /** The server refused a signal to a peer not in the room: fail the links waiting on it. */
  private onSignalingError(error: ShoalError): void {
    if (error.code !== 'ERR_UNKNOWN_PEER') return;
    for (const [peerId, link] of this.links) {
      if (link.state.kind === 'connecting' && error.message.includes(peerId)) link.close(`peer ${peerId} is not in the room`);
    }
  }

  private open(info: PeerInfo, initiator: boolean, pinned: boolean): PeerLink {
    const previous = this.links.get(info.peerId);
    const link = new PeerLink(info, { initiator, iceServers: this.iceServers });
    this.links.set(info.peerId, link);
    if (initiator) this.initiated.add(link);
    this.pool.add(info.peerId, { pinned, now: Date.now() });
    previous?.close('replaced');
    link.on('signal', (data) => this.signaling.sendSignal(info.peerId, data));
    link.on('open', () => {
      this.relinks.delete(info.peerId);
      this.emit('peerOpen', info);
      this.settleWaiters(info.peerId, { link });
    });
    link.on('message', (message) => {
      if (message.type === 'leaving' && message.reason === RETIRED_REASON) {
        this.retiredLinks.add(link);
        return;
      }
      if (!this.pool.isPinned(info.peerId)) this.pool.touch(info.peerId, Date.now());
      this.emit('message', info, message);
    });
    link.on('badMessage', (error) => this.emit('badMessage', info, error));
    link.on('closed', (reason) => {
      this.initiated.delete(link);
      this.closedBytes.in += link.bytesIn;
      this.closedBytes.out += link.bytesOut;
      if (this.links.get(info.peerId) !== link) return; // replaced by a newer link to the same peer
      this.links.delete(info.peerId);
      this.pool.remove(info.peerId);
      this.settleWaiters(info.peerId, { error: new ShoalError('ERR_UNKNOWN_PEER', `the link to ${info.peerId} closed: ${reason}`) });
      this.emit('peerClosed', info, reason, this.retiredLinks.has(link));
      this.relinkLater(info);
    });
    return link;
  }
}
