/**
 * One WebRTC connection to one peer, over simple-peer. Its lifecycle is a
 * single state union; every frame received is validated before use, and a
 * peer that keeps sending garbage is disconnected. Once open, the link also
 * carries `bulkChannels` data channels for object bytes (`bulk()`), apart
 * from control messages. By default they live on a second RTCPeerConnection
 * (bulkConnection.ts), made on first use, so bulk bytes and control messages
 * do not share one SCTP association and a big transfer does not delay a
 * heartbeat or a task dispatch; `bulkConnection: 'shared'` puts them on the
 * link's own connection instead (the old layout, kept for the bench).
 */
import './polyfills.ts';
import SimplePeer from 'simple-peer';
import {
  MAX_DATA_CHANNEL_MESSAGE,
  ShoalError,
  parseControlFrame,
  type ControlMessage,
  type PeerInfo,
} from '@shoal/protocol';
import type { BulkChannel } from './bulkChannel.ts';
import { BulkConnection } from './bulkConnection.ts';
import { DEFAULT_BULK_CHANNELS, LinkBulkChannels } from './bulkLinkChannels.ts';
import { Emitter } from './emitter.ts';
import { FrameBatcher } from './framing.ts';

export type LinkState =
  | { kind: 'connecting'; since: number }
  | { kind: 'open'; since: number }
  | { kind: 'closed'; reason: string };

export type LinkEvents = {
  signal: [data: Record<string, unknown>];
  open: [];
  message: [message: ControlMessage];
  badMessage: [error: ShoalError];
  /** The peer started this link's bulk channels (separate connection only): answer its fetches from now on. */
  bulkRequested: [];
  closed: [reason: string];
};

/**
 * Where a link's bulk channels live: 'separate', a second RTCPeerConnection
 * of their own (the default; control messages never wait behind bulk bytes
 * in SCTP), or 'shared', the link's own connection.
 */
export type BulkConnectionMode = 'separate' | 'shared';
export const DEFAULT_BULK_CONNECTION: BulkConnectionMode = 'separate';

export interface LinkOptions {
  initiator: boolean;
  iceServers: RTCIceServer[];
  /** Bad frames tolerated before the link is dropped. */
  maxBadFrames?: number;
  /** Data channels for bulk bytes, made on both sides once the link opens. Default DEFAULT_BULK_CHANNELS. */
  bulkChannels?: number;
  /** Default DEFAULT_BULK_CONNECTION. */
  bulkConnection?: BulkConnectionMode;
}

const decoder = new TextDecoder();

export class PeerLink extends Emitter<LinkEvents> {
  state: LinkState = { kind: 'connecting', since: Date.now() };
  badFrames = 0;
  private readonly peer: SimplePeer.Instance;
  private readonly batcher: FrameBatcher;
  private readonly maxBadFrames: number;
  private readonly bulkCount: number;
  private readonly bulkMode: BulkConnectionMode;
  private readonly iceServers: RTCIceServer[];
  private readonly initiator: boolean;
  private bulkConnection: BulkConnection | null = null;
  /** Control-channel bytes received and sent (frames, as UTF-8 or UTF-16 length). */
  bytesIn = 0;
  bytesOut = 0;
  private bulkChannels: LinkBulkChannels | null = null;
  /** Settles once the link has opened and made (or failed to make) its bulk channels. */
  private bulkResult: Promise<BulkChannel[]> | null = null;
  private readonly bulkWaiters: Array<{ resolve: (c: BulkChannel[]) => void; reject: (e: unknown) => void }> = [];

  constructor(
    readonly info: PeerInfo,
    options: LinkOptions,
  ) {
    super();
    this.maxBadFrames = options.maxBadFrames ?? 20;
    this.bulkCount = Math.max(1, Math.min(32, options.bulkChannels ?? DEFAULT_BULK_CHANNELS));
    this.bulkMode = options.bulkConnection ?? DEFAULT_BULK_CONNECTION;
    this.iceServers = options.iceServers;
    this.initiator = options.initiator;
    // objectMode: frames arrive as the strings they were sent as; otherwise simple-peer's stream turns each into a Buffer (UTF-8 encoding it) only for receive() to decode it again.
    this.peer = new SimplePeer({ initiator: options.initiator, trickle: true, objectMode: true, config: { iceServers: options.iceServers } });
    this.batcher = new FrameBatcher(MAX_DATA_CHANNEL_MESSAGE, (frame) => {
      this.bytesOut += frame.length;
      this.peer.send(frame);
    });
    this.peer.on('signal', (data) => this.emit('signal', data as unknown as Record<string, unknown>));
    this.peer.on('connect', () => this.markOpen());
    this.peer.on('data', (data: string | Uint8Array) => this.receive(data));
    this.peer.on('close', () => this.markClosed('channel closed'));
    this.peer.on('error', (error: Error & { code?: string }) => this.markClosed(`${error.code ?? 'ERR_WEBRTC'}: ${error.message}`));
  }

  /** Feeds SDP/ICE from the signaling server into the connection. */
  signal(data: Record<string, unknown>): void {
    if (this.state.kind === 'closed') return;
    try {
      this.peer.signal(data as unknown as SimplePeer.SignalData);
    } catch (error) {
      this.emit('badMessage', new ShoalError('ERR_BAD_MESSAGE', `bad signal from ${this.info.peerId}`, { cause: error }));
    }
  }

  /** Queues a control message; it goes out with others queued this tick. */
  send(message: ControlMessage): void {
    if (this.state.kind !== 'open') {
      throw new ShoalError('ERR_UNKNOWN_PEER', `cannot send '${message.type}' to ${this.info.peerId}: link is ${this.state.kind}`);
    }
    this.batcher.push(message);
  }

  /** Bytes queued in the data channel but not yet sent. */
  get bufferedAmount(): number {
    return this.peer.bufferSize;
  }

  /** The bulk channels to this peer, once open at both ends. Rejects with ERR_UNKNOWN_PEER if the link closes first. */
  bulk(): Promise<BulkChannel[]> {
    if (this.bulkConnection) return this.bulkConnection.request();
    if (this.bulkResult) return this.bulkResult;
    if (this.state.kind === 'closed') return Promise.reject(new ShoalError('ERR_UNKNOWN_PEER', `no bulk channels to ${this.info.peerId}: link is closed`));
    return new Promise((resolve, reject) => this.bulkWaiters.push({ resolve, reject }));
  }

  close(reason: string): void {
    this.batcher.flush();
    this.markClosed(reason);
  }

  private markOpen(): void {
    if (this.state.kind !== 'connecting') return;
    this.state = { kind: 'open', since: Date.now() };
    this.openBulk();
    this.emit('open');
  }

  private receive(data: string | Uint8Array): void {
    // simple-peer can deliver the remote's first message before it emits
    // 'connect' (the channel opens before ICE reports connected). Data proves
    // the channel works, so the link is open.
    this.markOpen();
    this.bytesIn += typeof data === 'string' ? data.length : data.byteLength;
    const parsed = parseControlFrame(typeof data === 'string' ? data : decoder.decode(data), MAX_DATA_CHANNEL_MESSAGE);
    if (!parsed.ok) {
      this.badFrames += 1;
      this.emit('badMessage', parsed.error);
      if (this.badFrames > this.maxBadFrames) this.markClosed(`too many bad messages (${this.badFrames})`);
      return;
    }
    for (const message of parsed.value) {
      if (this.state.kind !== 'open') return;
      this.emit('message', message);
    }
  }

  private markClosed(reason: string): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', reason };
    this.batcher.clear();
    this.bulkChannels?.close();
    this.bulkConnection?.close(reason);
    for (const waiter of this.bulkWaiters.splice(0)) waiter.reject(new ShoalError('ERR_UNKNOWN_PEER', `no bulk channels to ${this.info.peerId}: ${reason}`));
    this.peer.destroy();
    this.emit('closed', reason);
  }

  /**
   * Shared: makes the negotiated bulk channels on the RTCPeerConnection
   * simple-peer keeps (both sides do the same). Separate: makes the signal
   * channel for a second connection, which starts on the first `bulk()` at
   * either end.
   */
  private openBulk(): void {
    const pc = (this.peer as unknown as { _pc?: RTCPeerConnection })._pc;
    try {
      if (!pc) throw new Error('simple-peer exposes no RTCPeerConnection');
      if (this.bulkMode === 'separate') {
        this.bulkConnection = new BulkConnection(pc, {
          initiator: this.initiator,
          iceServers: this.iceServers,
          channels: this.bulkCount,
          peerId: this.info.peerId,
          onRequested: () => this.emit('bulkRequested'),
        });
        if (this.bulkWaiters.length > 0) {
          const ready = this.bulkConnection.request();
          for (const waiter of this.bulkWaiters.splice(0)) ready.then(waiter.resolve, waiter.reject);
        }
        return;
      }
      this.bulkChannels = new LinkBulkChannels(pc, this.bulkCount, this.info.peerId);
      this.bulkResult = this.bulkChannels.ready;
    } catch (cause) {
      this.bulkResult = Promise.reject(new ShoalError('ERR_INTERNAL', `could not create bulk channels to ${this.info.peerId}`, { cause }));
      this.bulkResult.catch(() => undefined);
    }
    for (const waiter of this.bulkWaiters.splice(0)) this.bulkResult.then(waiter.resolve, waiter.reject);
  }
}
