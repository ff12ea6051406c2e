/**
 * The co-located fast path: tabs of one origin in one browser profile move
 * bytes through MessagePorts instead of WebRTC. A SharedWorker broker
 * (colocatedBroker.ts) knows which peer ids live in this browser; `connect`
 * asks it for a port to another one.
 *
 *   const colocated = Colocated.start(myPeerId);
 *   colocated.on('incoming', (peerId, channel) => new BulkEndpoint([channel], { serve, peerId }));
 *   const channel = await colocated.connect(otherPeerId);   // null → use WebRTC
 *   if (channel) new BulkEndpoint([channel], { serve, peerId: otherPeerId }).fetch(id);
 *
 * `connect` resolves null when the peer is not in this browser (the broker
 * says so at once; `connectTimeoutMs`, 5 s, only bounds a broker that never
 * answers), and always null where SharedWorker is missing. The timeout is
 * long on purpose: on a starved machine (64 tabs on 2 cores) the broker's
 * answer took over a second, and a connect given up too early sent a tab of
 * this browser over WebRTC while the peer got the co-located port. Pages
 * hold a Web Lock while alive so the broker notices a closed or crashed tab;
 * they also unregister on `pagehide`. When a connected peer goes, its
 * channels close, and BulkEndpoints on them fail their fetches with
 * ERR_OBJECT_LOST as on any closed link.
 */
import type { BulkChannel } from './bulkChannel.ts';
import { MessagePortBulk } from './colocatedChannel.ts';
import type { BrokerNotice, BrokerRequest } from './colocatedRegistry.ts';
import { Emitter } from './emitter.ts';

export interface ColocatedOptions {
  /** How long `connect` waits for the broker. Default 5 s. */
  connectTimeoutMs?: number;
  /** Hold a Web Lock for the broker to watch. Default: when navigator.locks exists. */
  useLock?: boolean;
  /** Chunk size on co-located channels (Infinity: an object goes as one message). Default DEFAULT_COLOCATED_CHUNK. */
  chunkBytes?: number;
  /** The broker's SharedWorker name: a broker of another name keeps channels of its own (runtime's direct actor calls use one). Default 'shoal-broker'. */
  brokerName?: string;
}

export type ColocatedEvents = {
  /** Another tab connected to this one. */
  incoming: [peerId: string, channel: BulkChannel];
};

interface PendingConnect {
  peerId: string;
  resolve: (channel: BulkChannel | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export class Colocated extends Emitter<ColocatedEvents> {
  private readonly pending = new Map<number, PendingConnect>();
  private readonly channels = new Map<string, Set<MessagePortBulk>>();
  private nextRequest = 1;
  private closed = false;
  private readonly registered: Promise<void>;
  private releaseLock: (() => void) | undefined;
  private readonly timeoutMs: number;
  private readonly chunkBytes: number | undefined;
  private readonly detach: Array<() => void> = [];

  /** Connects to this browser's broker. Never throws: without SharedWorker the result finds no one. */
  static start(peerId: string, options: ColocatedOptions = {}): Colocated {
    let port: MessagePort | null = null;
    if (typeof SharedWorker !== 'undefined') {
      try {
        port = new SharedWorker(new URL('./colocatedBroker.ts', import.meta.url), { type: 'module', name: options.brokerName ?? 'shoal-broker' }).port;
      } catch {
        port = null;
      }
    }
    return new Colocated(peerId, port, options);
  }

  /** Over a port already connected to a broker (`start` makes one); null: an inert instance. */
  constructor(
    readonly peerId: string,
    private readonly port: MessagePort | null,
    options: ColocatedOptions = {},
  ) {
    super();
    this.timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.chunkBytes = options.chunkBytes;
    if (!port) {
      this.registered = Promise.resolve();
      return;
    }
    port.addEventListener('message', (event: MessageEvent) => this.onNotice(event.data as BrokerNotice));
    port.start();
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    this.registered = (options.useLock ?? locks !== undefined) && locks ? this.registerWithLock(locks) : Promise.resolve(this.register());
    if (typeof addEventListener === 'function' && typeof removeEventListener === 'function') {
      const onHide = (): void => this.post({ type: 'unregister' });
      const onShow = (event: PageTransitionEvent): void => {
        if (event.persisted) this.register();
      };
      addEventListener('pagehide', onHide);
      addEventListener('pageshow', onShow);
      this.detach.push(() => removeEventListener('pagehide', onHide), () => removeEventListener('pageshow', onShow));
    }
  }

  /** Whether a broker is there at all. */
  get available(): boolean {
    return this.port !== null && !this.closed;
  }

  /** A channel to `peerId` if it is a tab of this browser, else null (within the timeout). */
  async connect(peerId: string): Promise<BulkChannel | null> {
    if (!this.available || peerId === this.peerId) return null;
    return new Promise<BulkChannel | null>((resolve) => {
      const requestId = this.nextRequest++;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve(null);
      }, this.timeoutMs);
      this.pending.set(requestId, { peerId, resolve, timer });
      void this.registered.then(() => this.post({ type: 'connect', requestId, to: peerId }));
    });
  }

  /** Leaves the broker and closes every co-located channel. */
  close(): void {
    if (this.closed) return;
    this.post({ type: 'unregister' });
    this.closed = true;
    this.releaseLock?.();
    for (const off of this.detach.splice(0)) off();
    for (const { resolve, timer } of this.pending.values()) {
      clearTimeout(timer);
      resolve(null);
    }
    this.pending.clear();
    for (const set of this.channels.values()) for (const channel of set) channel.close();
    this.channels.clear();
    this.port?.close();
  }

  private register(): void {
    this.post({ type: 'register', peerId: this.peerId });
  }

  private registerWithLock(locks: LockManager): Promise<void> {
    const name = `shoal-colocated-${this.peerId}-${Math.random().toString(36).slice(2)}`;
    return new Promise<void>((registered) => {
      locks
        .request(name, () => {
          if (this.closed) return undefined;
          this.post({ type: 'register', peerId: this.peerId, lock: name });
          registered();
          return new Promise<void>((release) => (this.releaseLock = release));
        })
        .catch(() => {
          this.register();
          registered();
        });
    });
  }

  private post(request: BrokerRequest): void {
    if (this.closed || !this.port) return;
    try {
      this.port.postMessage(request);
    } catch {
      // the broker is gone; connects will time out
    }
  }

  private adopt(peerId: string, port: MessagePort): MessagePortBulk {
    const channel = new MessagePortBulk(port, `colocated:${peerId}`, this.chunkBytes);
    let set = this.channels.get(peerId);
    if (!set) this.channels.set(peerId, (set = new Set()));
    set.add(channel);
    channel.subscribe({ close: () => this.channels.get(peerId)?.delete(channel) });
    return channel;
  }

  private onNotice(notice: BrokerNotice): void {
    if (this.closed || typeof notice !== 'object' || notice === null) return;
    switch (notice.type) {
      case 'connected': {
        const pending = this.pending.get(notice.requestId);
        if (!pending) {
          // It came after the timeout: the other side got an `incoming`, so say bye.
          if (notice.port) new MessagePortBulk(notice.port, 'late').close();
          return;
        }
        this.pending.delete(notice.requestId);
        clearTimeout(pending.timer);
        pending.resolve(notice.port ? this.adopt(pending.peerId, notice.port) : null);
        return;
      }
      case 'incoming':
        this.emit('incoming', notice.from, this.adopt(notice.from, notice.port));
        return;
      case 'gone':
        for (const channel of this.channels.get(notice.peerId) ?? []) channel.closeLocal();
        this.channels.delete(notice.peerId);
        return;
    }
  }
}
