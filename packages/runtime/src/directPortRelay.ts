/**
 * Passing a MessagePort to another tab of this browser: the broker's logic
 * (`PortRelayRegistry`, hosted by the directPortBroker.ts SharedWorker, and
 * testable with plain MessageChannels) and a page's side of it (`PortRelay`).
 * A tab that closes unregisters on `pagehide`; one that crashes stays listed
 * until its id is reused (never: ids are fresh per page), so a port offered to
 * it is lost. The caller then hears of the loss from the coordinator (the
 * actor's route changes when its worker is lost), as on every other way.
 */
export type RelayRequest = { type: 'register'; peerId: string } | { type: 'unregister' } | { type: 'offer'; requestId: number; to: string; actorId: string; port: MessagePort };
export type RelayNotice = { type: 'offered'; requestId: number; ok: boolean } | { type: 'port'; from: string; actorId: string; port: MessagePort };

/** How long an offer waits for the broker. */
const OFFER_TIMEOUT_MS = 200;

export class PortRelayRegistry {
  private readonly byPeer = new Map<string, MessagePort>();

  attach(port: MessagePort): void {
    let peerId: string | null = null;
    port.addEventListener('message', (event: MessageEvent) => {
      const request = event.data as RelayRequest;
      if (typeof request !== 'object' || request === null) return;
      if (request.type === 'register' && typeof request.peerId === 'string') {
        if (peerId !== null && this.byPeer.get(peerId) === port) this.byPeer.delete(peerId);
        peerId = request.peerId;
        this.byPeer.set(peerId, port);
      } else if (request.type === 'unregister') {
        if (peerId !== null && this.byPeer.get(peerId) === port) this.byPeer.delete(peerId);
        peerId = null;
      } else if (request.type === 'offer' && typeof request.requestId === 'number' && request.port instanceof MessagePort) {
        const target = this.byPeer.get(request.to);
        if (!target || peerId === null || target === port) {
          request.port.close();
          return post(port, { type: 'offered', requestId: request.requestId, ok: false });
        }
        const ok = post(target, { type: 'port', from: peerId, actorId: request.actorId, port: request.port }, [request.port]);
        post(port, { type: 'offered', requestId: request.requestId, ok });
      }
    });
    port.start();
  }
}

function post(port: MessagePort, notice: RelayNotice, transfer: Transferable[] = []): boolean {
  try {
    port.postMessage(notice, transfer);
    return true;
  } catch {
    return false;
  }
}

export class PortRelay {
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private nextRequest = 1;
  private closed = false;
  private readonly detach: Array<() => void> = [];

  /** `broker`: a port to the broker (`PortRelay.start` makes one), or null: offers find no one. */
  constructor(
    private readonly broker: MessagePort | null,
    peerId: string,
    onPort: (from: string, actorId: string, port: MessagePort) => void,
  ) {
    if (!broker) return;
    broker.addEventListener('message', (event: MessageEvent) => {
      const notice = event.data as RelayNotice;
      if (this.closed || typeof notice !== 'object' || notice === null) return;
      if (notice.type === 'offered') {
        this.pending.get(notice.requestId)?.(notice.ok);
        this.pending.delete(notice.requestId);
      } else if (notice.type === 'port' && notice.port instanceof MessagePort) onPort(notice.from, notice.actorId, notice.port);
    });
    broker.start();
    broker.postMessage({ type: 'register', peerId } satisfies RelayRequest);
    if (typeof addEventListener === 'function' && typeof removeEventListener === 'function') {
      const onHide = (): void => {
        this.post({ type: 'unregister' });
      };
      const onShow = (event: PageTransitionEvent): void => {
        if (event.persisted) this.post({ type: 'register', peerId });
      };
      addEventListener('pagehide', onHide);
      addEventListener('pageshow', onShow);
      this.detach.push(() => removeEventListener('pagehide', onHide), () => removeEventListener('pageshow', onShow));
    }
  }

  /** Connects to this browser's broker; without SharedWorker, an inert relay. */
  static start(peerId: string, onPort: (from: string, actorId: string, port: MessagePort) => void): PortRelay {
    let broker: MessagePort | null = null;
    if (typeof SharedWorker !== 'undefined') {
      try {
        broker = new SharedWorker(new URL('./directPortBroker.ts', import.meta.url), { type: 'module', name: 'shoal-direct-ports' }).port;
      } catch {
        broker = null;
      }
    }
    return new PortRelay(broker, peerId, onPort);
  }

  /** Passes `port` to tab `to` for actor `actorId`; false if it is not a tab of this browser (or the broker did not answer in time). */
  offer(to: string, actorId: string, port: MessagePort): Promise<boolean> {
    if (!this.broker || this.closed) {
      port.close();
      return Promise.resolve(false);
    }
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve(false);
      }, OFFER_TIMEOUT_MS);
      this.pending.set(requestId, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
      if (!this.post({ type: 'offer', requestId, to, actorId, port }, [port])) resolve(false);
    });
  }

  close(): void {
    if (this.closed) return;
    this.post({ type: 'unregister' });
    this.closed = true;
    for (const off of this.detach.splice(0)) off();
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
    this.broker?.close();
  }

  private post(request: RelayRequest, transfer: Transferable[] = []): boolean {
    if (this.closed || !this.broker) return false;
    try {
      this.broker.postMessage(request, transfer);
      return true;
    } catch {
      return false;
    }
  }
}
