/**
 * How direct actor calls (directCalls.ts) reach another worker: through a
 * MessagePort when it is a tab of this browser (a co-located broker of their
 * own, transport's colocated.ts, so the bulk links' channels stay theirs),
 * otherwise over the mesh's control link, opened on demand (`mesh.link`).
 *
 * A MessagePort between tabs costs tens of microseconds a message, a WebRTC
 * data channel several hundred: the local cluster and `shoal worker --tabs N`
 * get the first, volunteers on other machines the second. The broker answers
 * within 200 ms whether a peer is in this browser; the answer is kept.
 *
 * Sends to one peer keep their order, whichever way they go. When a
 * co-located peer goes (its tab closed or crashed: the broker says so), or
 * its mesh link closes, `onLost` is called so calls out to it are left to
 * the coordinator.
 */
import { controlMessageSchema, type ControlMessage } from '@shoal/protocol';
import { Colocated, type BulkChannel, type Mesh } from '@shoal/transport';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The direct calls' broker (a SharedWorker of this name per browser). */
export const DIRECT_BROKER = 'shoal-direct-calls';

export class DirectLinks {
  private readonly colocated: Colocated | null;
  /** Per peer: its co-located channel, or null (not in this browser: use the mesh). */
  private readonly ports = new Map<string, Promise<BulkChannel | null>>();
  /** Per peer: the last send still waiting for a link, so sends keep their order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Per peer, once known: its open co-located channel, or null (the mesh); sends then need not wait. */
  private readonly settled = new Map<string, BulkChannel | null>();

  constructor(
    private readonly mesh: Mesh,
    private readonly onMessage: (from: string, message: ControlMessage) => void,
    private readonly onLost: (peerId: string) => void,
    colocated = true,
  ) {
    this.colocated = colocated ? Colocated.start(mesh.peerId, { brokerName: DIRECT_BROKER, chunkBytes: Number.POSITIVE_INFINITY }) : null;
    this.colocated?.on('incoming', (peerId, channel) => {
      this.watch(peerId, channel);
      if (!this.ports.has(peerId)) this.ports.set(peerId, Promise.resolve(channel));
    });
  }

  /** Sends `message` to worker `peerId`; rejects if it could not be sent. */
  send(peerId: string, message: ControlMessage): Promise<void> {
    const pending = this.chains.get(peerId);
    if (!pending) {
      const ready = this.ready(peerId, message);
      if (ready) return ready;
    }
    const next = (pending ?? Promise.resolve()).then(() => this.open(peerId)).then((channel) => this.deliver(peerId, channel, message));
    this.chains.set(peerId, next);
    const clear = () => {
      if (this.chains.get(peerId) === next) this.chains.delete(peerId);
    };
    next.then(clear, clear);
    return next;
  }

  close(): void {
    this.colocated?.close();
  }

  /** Sends at once where the way to the peer is known and open; null if it must wait. */
  private ready(peerId: string, message: ControlMessage): Promise<void> | null {
    const known = this.settled.get(peerId);
    if (known === undefined) return null;
    if (known === null && !this.mesh.isOpen(peerId)) return null;
    try {
      this.deliver(peerId, known, message);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private open(peerId: string): Promise<BulkChannel | null> {
    let port = this.ports.get(peerId);
    if (!port) {
      port = (this.colocated?.connect(peerId) ?? Promise.resolve(null)).then((channel) => {
        if (channel) this.watch(peerId, channel);
        return channel;
      });
      this.ports.set(peerId, port);
    }
    return port.then(async (channel) => {
      if (channel && channel.readyState === 'open') {
        this.settled.set(peerId, channel);
        return channel;
      }
      if (!this.mesh.isOpen(peerId)) await this.mesh.link(peerId);
      this.settled.set(peerId, null);
      return null;
    });
  }

  private deliver(peerId: string, channel: BulkChannel | null, message: ControlMessage): void {
    if (channel) return channel.send(encoder.encode(JSON.stringify(message)));
    this.mesh.touch(peerId);
    this.mesh.send(peerId, message);
  }

  private watch(peerId: string, channel: BulkChannel): void {
    channel.subscribe({
      message: (data) => {
        let parsed: ReturnType<typeof controlMessageSchema.safeParse>;
        try {
          parsed = controlMessageSchema.safeParse(JSON.parse(decoder.decode(data)));
        } catch {
          return;
        }
        if (parsed.success) this.onMessage(peerId, parsed.data);
      },
      close: () => {
        if (this.settled.get(peerId) === channel) this.settled.delete(peerId);
        void this.ports.get(peerId)?.then((current) => {
          if (current === channel) this.ports.delete(peerId);
        });
        this.onLost(peerId);
      },
    });
  }
}
