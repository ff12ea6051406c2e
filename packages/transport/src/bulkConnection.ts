/**
 * A PeerLink's bulk channels on an RTCPeerConnection of their own, so that
 * object bytes and control messages do not share one SCTP association.
 *
 * Why: on one association, SCTP streams take turns per message below the
 * data channels' `bufferedAmount`, and the association's send queue and the
 * bytes in flight are shared. A control message sent while a bulk transfer
 * runs waited 50–160 ms there, whatever the bulk high-water mark (README,
 * "Control traffic under bulk load"). With its own connection, bulk has its
 * own SCTP queue, congestion window and DTLS session, and a control message
 * is queued behind other control messages only.
 *
 * Setup needs no signaling server: the second connection's SDP and ICE
 * candidates travel over a small negotiated data channel (stream id 99,
 * `shoal-bulk-signal`) on the link's own connection, which both sides make
 * as soon as the link opens. It is lazy: nothing more is made until one side
 * asks for bulk channels (`request()`). The link's initiator always makes
 * the offer (the other side asks with `want`), so the two sides never offer
 * at once. The side that did not ask learns of it through `onRequested`, so
 * it can serve the peer's fetches.
 *
 * Signal messages are JSON text: `hello` (both ends exist, the same
 * handshake as DataChannelBulk's), `want`, `sdp`, `ice`.
 */
import { ShoalError } from '@shoal/protocol';
import type { BulkChannel } from './bulkChannel.ts';
import { LinkBulkChannels } from './bulkLinkChannels.ts';

/** Stream id of the signal channel on the link's own connection (bulk channels use 100+, simple-peer's own a low id). */
export const BULK_SIGNAL_CHANNEL_ID = 99;

export interface BulkConnectionOptions {
  /** This side makes the offer (the PeerLink's initiator). */
  initiator: boolean;
  iceServers: RTCIceServer[];
  /** Bulk data channels on the new connection. */
  channels: number;
  peerId: string;
  /** The peer asked for bulk channels first (called once, before `ready` settles). */
  onRequested: () => void;
}

type SignalMessage =
  | { t: 'hello'; ack: boolean }
  | { t: 'want' }
  | { t: 'sdp'; sdp: RTCSessionDescriptionInit }
  | { t: 'ice'; candidate: RTCIceCandidateInit };

export class BulkConnection {
  private readonly signal: RTCDataChannel;
  private peerHello = false;
  private readonly outbox: string[] = [];
  private pc: RTCPeerConnection | null = null;
  private channels: LinkBulkChannels | null = null;
  private requested = false;
  private closed = false;
  /** Incoming signal messages are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private resolveReady!: (channels: BulkChannel[]) => void;
  private rejectReady!: (error: unknown) => void;
  /** Settles once the bulk channels are open at both ends (or cannot be). */
  readonly ready: Promise<BulkChannel[]>;

  constructor(
    linkPc: RTCPeerConnection,
    private readonly options: BulkConnectionOptions,
  ) {
    this.ready = new Promise<BulkChannel[]>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.signal = linkPc.createDataChannel('shoal-bulk-signal', { negotiated: true, id: BULK_SIGNAL_CHANNEL_ID, ordered: true });
    this.signal.addEventListener('open', () => this.sendHello(false));
    this.signal.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
    this.signal.addEventListener('close', () => this.close(`the bulk signal channel to ${options.peerId} closed`));
    if (this.signal.readyState === 'open') this.sendHello(false);
  }

  /** Starts making the bulk connection (once); resolves with its channels once open at both ends. */
  request(): Promise<BulkChannel[]> {
    if (this.closed || this.requested) return this.ready;
    this.requested = true;
    if (this.options.initiator) void this.offer();
    else this.post({ t: 'want' });
    return this.ready;
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.rejectReady(new ShoalError('ERR_UNKNOWN_PEER', `no bulk channels to ${this.options.peerId}: ${reason}`));
    this.channels?.close();
    this.pc?.close();
    if (this.signal.readyState === 'open' || this.signal.readyState === 'connecting') this.signal.close();
  }

  private receive(data: unknown): void {
    if (this.closed || typeof data !== 'string') return;
    let message: SignalMessage;
    try {
      message = JSON.parse(data) as SignalMessage;
    } catch {
      return;
    }
    if (message.t === 'hello') {
      if (!message.ack) this.sendHello(true);
      if (!this.peerHello) {
        this.peerHello = true;
        for (const text of this.outbox.splice(0)) this.signal.send(text);
      }
      return;
    }
    this.chain = this.chain.then(() => this.handle(message)).catch((cause: unknown) => this.fail(cause));
  }

  private async handle(message: SignalMessage): Promise<void> {
    if (this.closed) return;
    if (message.t === 'want') {
      if (!this.options.initiator || this.pc) return;
      this.peerAsked();
      await this.offer();
    } else if (message.t === 'sdp') {
      if (message.sdp.type === 'offer') {
        if (this.options.initiator || this.pc) return; // only the initiator offers, once
        this.peerAsked();
        const pc = this.makeConnection();
        await pc.setRemoteDescription(message.sdp);
        await pc.setLocalDescription(await pc.createAnswer());
        this.post({ t: 'sdp', sdp: pc.localDescription!.toJSON() as RTCSessionDescriptionInit });
      } else if (message.sdp.type === 'answer' && this.pc && this.options.initiator) {
        await this.pc.setRemoteDescription(message.sdp);
      }
    } else if (message.t === 'ice') {
      await this.pc?.addIceCandidate(message.candidate);
    }
  }

  private peerAsked(): void {
    if (this.requested) return;
    this.requested = true;
    this.options.onRequested();
  }

  private async offer(): Promise<void> {
    if (this.pc || this.closed) return;
    const pc = this.makeConnection();
    try {
      await pc.setLocalDescription(await pc.createOffer());
      this.post({ t: 'sdp', sdp: pc.localDescription!.toJSON() as RTCSessionDescriptionInit });
    } catch (cause) {
      this.fail(cause);
    }
  }

  /** The connection and its negotiated bulk channels (made before the offer, so the SDP carries SCTP). */
  private makeConnection(): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers });
    this.pc = pc;
    pc.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) => {
      if (event.candidate) this.post({ t: 'ice', candidate: event.candidate.toJSON() });
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed') this.close(`the bulk connection to ${this.options.peerId} failed`);
    });
    this.channels = new LinkBulkChannels(pc, this.options.channels, this.options.peerId);
    this.channels.ready.then(this.resolveReady, (cause: unknown) => this.fail(cause));
    return pc;
  }

  private fail(cause: unknown): void {
    if (this.closed) return;
    this.rejectReady(cause instanceof ShoalError ? cause : new ShoalError('ERR_UNKNOWN_PEER', `could not open the bulk connection to ${this.options.peerId}`, { cause }));
    this.close('the bulk connection failed');
  }

  private post(message: SignalMessage): void {
    const text = JSON.stringify(message);
    if (!this.peerHello || this.signal.readyState !== 'open') this.outbox.push(text);
    else this.send(text);
  }

  private sendHello(ack: boolean): void {
    this.send(JSON.stringify({ t: 'hello', ack } satisfies SignalMessage));
  }

  private send(text: string): void {
    try {
      if (this.signal.readyState === 'open') this.signal.send(text);
    } catch {
      // closing: the close event ends this connection
    }
  }
}
