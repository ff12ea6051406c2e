/**
 * The peer mesh: joins a room through the signaling server and keeps one
 * PeerLink to every other peer in it. Newcomers make the offers (the peers
 * already present have joined, so nobody is offered to before joining);
 * present peers answer. Verbs: `send`, `close`. The rest is events.
 */
import { ShoalError, type ControlMessage, type PeerInfo, type Role } from '@shoal/protocol';
import { Emitter } from './emitter.ts';
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
  /** Which peers to connect to; all of them by default. */
  connectTo?: (peer: PeerInfo) => boolean;
}

export type MeshEvents = {
  peerOpen: [peer: PeerInfo];
  peerClosed: [peer: PeerInfo, reason: string];
  message: [from: PeerInfo, message: ControlMessage];
  badMessage: [from: PeerInfo, error: ShoalError];
  closed: [reason: string];
};

export interface PeerView {
  info: PeerInfo;
  state: LinkState['kind'];
}

export class Mesh extends Emitter<MeshEvents> {
  private readonly links = new Map<string, PeerLink>();
  private readonly closedBytes = { in: 0, out: 0 };
  private closed = false;

  private constructor(
    readonly self: PeerInfo,
    private readonly signaling: SignalingClient,
    private readonly options: MeshOptions,
    /** What every RTCPeerConnection of this mesh is given: `options.iceServers`, else the welcome's. */
    readonly iceServers: RTCIceServer[],
  ) {
    super();
  }

  /** Joins the room and starts connecting to everyone already in it. */
  static async join(options: MeshOptions): Promise<Mesh> {
    const { client, welcome } = await SignalingClient.join(options);
    const self: PeerInfo = { peerId: welcome.peerId, role: options.role, name: options.name };
    const mesh = new Mesh(self, client, options, options.iceServers ?? welcome.iceServers);
    client.on('peerJoined', (peer) => {
      if (mesh.wants(peer)) mesh.link(peer, false);
    });
    client.on('peerLeft', (peerId) => mesh.links.get(peerId)?.close('peer left the room'));
    client.on('signal', (from, data) => mesh.onSignal(from, data));
    client.on('closed', (reason) => mesh.close(`signaling closed: ${reason}`));
    for (const peer of welcome.peers) if (mesh.wants(peer)) mesh.link(peer, true);
    return mesh;
  }

  get peerId(): string {
    return this.self.peerId;
  }

  peers(): PeerView[] {
    return [...this.links.values()].map((link) => ({ info: link.info, state: link.state.kind }));
  }

  /** The link to a peer, if there is one (for its bulk channels). */
  linkTo(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
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
  }

  /** Drops one peer's connection. */
  disconnect(peerId: string, reason: string): void {
    this.links.get(peerId)?.close(reason);
  }

  /** Says goodbye to every open peer, then closes all links and the signaling socket. */
  close(reason = 'left'): void {
    if (this.closed) return;
    this.closed = true;
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

  private onSignal(from: string, data: Record<string, unknown>): void {
    let link = this.links.get(from);
    if (!link || link.state.kind === 'closed') {
      // An offer can arrive from a peer we have not heard about (it joined in
      // a race with us); answer it as the non-initiator.
      if (data['type'] !== 'offer') return;
      const info: PeerInfo = { peerId: from, role: 'worker' };
      if (!this.wants(info)) return;
      link = this.link(info, false);
    }
    link.signal(data);
  }

  private link(info: PeerInfo, initiator: boolean): PeerLink {
    this.links.get(info.peerId)?.close('replaced');
    const link = new PeerLink(info, { initiator, iceServers: this.iceServers });
    this.links.set(info.peerId, link);
    link.on('signal', (data) => this.signaling.sendSignal(info.peerId, data));
    link.on('open', () => this.emit('peerOpen', info));
    link.on('message', (message) => this.emit('message', info, message));
    link.on('badMessage', (error) => this.emit('badMessage', info, error));
    link.on('closed', (reason) => {
      if (this.links.get(info.peerId) === link) this.links.delete(info.peerId);
      this.closedBytes.in += link.bytesIn;
      this.closedBytes.out += link.bytesOut;
      this.emit('peerClosed', info, reason);
    });
    return link;
  }
}
