/**
 * The bulk data channels of one PeerLink. Both sides create them on their own
 * as negotiated channels with fixed stream ids (100, 101, ...), ordered and
 * binary, on the link's RTCPeerConnection once it is open, so no extra
 * signaling is needed; simple-peer's own control channel (a low id) never
 * clashes. `ready` resolves once every channel is open at both ends (see the
 * handshake in bulkChannel.ts).
 */
import { ShoalError } from '@shoal/protocol';
import { DataChannelBulk, type BulkChannel } from './bulkChannel.ts';

/** Bulk channels per link. One channel already runs at the tab-to-tab limit here (see the README's figures); more add nothing. */
export const DEFAULT_BULK_CHANNELS = 1;
/** Stream id of the first bulk channel. */
export const BULK_CHANNEL_FIRST_ID = 100;
/** How long the peer gets to open its ends. */
const READY_TIMEOUT_MS = 15_000;

export class LinkBulkChannels {
  readonly channels: DataChannelBulk[];
  readonly ready: Promise<BulkChannel[]>;

  constructor(pc: RTCPeerConnection, count: number, peerId: string) {
    this.channels = Array.from({ length: count }, (_, i) => {
      const channel = pc.createDataChannel(`shoal-bulk-${i}`, { negotiated: true, id: BULK_CHANNEL_FIRST_ID + i, ordered: true });
      return new DataChannelBulk(channel);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ShoalError('ERR_TIMEOUT', `the bulk channels to peer ${peerId} did not open within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    const opened = Promise.all(this.channels.map((c) => c.ready)).then(
      () => this.channels as BulkChannel[],
      (cause: unknown) => {
        throw new ShoalError('ERR_UNKNOWN_PEER', `the bulk channels to peer ${peerId} closed before they opened`, { cause });
      },
    );
    this.ready = Promise.race([opened, timeout]).finally(() => clearTimeout(timer));
    this.ready.catch(() => undefined);
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }
}
