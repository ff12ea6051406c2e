/**
 * The co-located broker's logic, apart from the SharedWorker that hosts it
 * (colocatedBroker.ts) so that tests can drive it with plain MessageChannels.
 *
 * Pages of one origin in one browser profile share the SharedWorker. Each
 * page registers its peer id; when a page asks to `connect` to a registered
 * peer, the broker makes a MessageChannel and hands one port to each side.
 * A page that leaves (`unregister` on pagehide) or dies (its Web Lock is
 * released) is dropped, and every page it was connected to hears `gone`.
 *
 * Messages, page → broker:
 *   { type: 'register', peerId, lock? }   lock: a Web Lock the page holds while alive
 *   { type: 'unregister' }
 *   { type: 'connect', requestId, to }
 * broker → page:
 *   { type: 'connected', requestId, port: MessagePort | null }   null: `to` is not here
 *   { type: 'incoming', from, port }
 *   { type: 'gone', peerId }
 */

export type BrokerRequest =
  | { type: 'register'; peerId: string; lock?: string }
  | { type: 'unregister' }
  | { type: 'connect'; requestId: number; to: string };

export type BrokerNotice =
  | { type: 'connected'; requestId: number; port: MessagePort | null }
  | { type: 'incoming'; from: string; port: MessagePort }
  | { type: 'gone'; peerId: string };

interface Client {
  port: MessagePort;
  peerId: string | null;
}

export interface RegistryOptions {
  /**
   * Calls `onReleased` once the lock named `name` is free (the page holding it
   * closed or crashed). Default: navigator.locks where it exists.
   */
  watchLock?: (name: string, onReleased: () => void) => void;
}

function defaultWatchLock(): RegistryOptions['watchLock'] {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return undefined;
  return (name, onReleased) => {
    void locks.request(name, async () => onReleased()).catch(() => undefined);
  };
}

function isRequest(data: unknown): data is BrokerRequest {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  switch (message['type']) {
    case 'register':
      return typeof message['peerId'] === 'string' && (message['lock'] === undefined || typeof message['lock'] === 'string');
    case 'unregister':
      return true;
    case 'connect':
      return typeof message['requestId'] === 'number' && typeof message['to'] === 'string';
    default:
      return false;
  }
}

export class ColocatedRegistry {
  private readonly byPeer = new Map<string, Client>();
  /** Who is connected to whom, both ways, to tell the survivors when one goes. */
  private readonly links = new Map<string, Set<string>>();
  private readonly watchLock: RegistryOptions['watchLock'];

  constructor(options: RegistryOptions = {}) {
    this.watchLock = options.watchLock ?? defaultWatchLock();
  }

  /** The peers registered now. */
  peers(): string[] {
    return [...this.byPeer.keys()];
  }

  /** Takes a new page's port (a SharedWorker `connect` event's port). */
  attach(port: MessagePort): void {
    const client: Client = { port, peerId: null };
    port.addEventListener('message', (event: MessageEvent) => {
      if (isRequest(event.data)) this.onRequest(client, event.data);
    });
    port.start();
  }

  private onRequest(client: Client, request: BrokerRequest): void {
    switch (request.type) {
      case 'register': {
        if (client.peerId !== null) this.drop(client.peerId, client);
        const previous = this.byPeer.get(request.peerId);
        if (previous && previous !== client) this.drop(request.peerId, previous);
        client.peerId = request.peerId;
        this.byPeer.set(request.peerId, client);
        if (request.lock && this.watchLock) this.watchLock(request.lock, () => this.drop(request.peerId, client));
        return;
      }
      case 'unregister':
        if (client.peerId !== null) this.drop(client.peerId, client);
        return;
      case 'connect': {
        const target = this.byPeer.get(request.to);
        const from = client.peerId;
        if (!target || from === null || target === client) {
          this.post(client, { type: 'connected', requestId: request.requestId, port: null });
          return;
        }
        const channel = new MessageChannel();
        this.post(target, { type: 'incoming', from, port: channel.port2 }, [channel.port2]);
        this.post(client, { type: 'connected', requestId: request.requestId, port: channel.port1 }, [channel.port1]);
        this.link(from, request.to);
        return;
      }
    }
  }

  private link(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      let set = this.links.get(x);
      if (!set) this.links.set(x, (set = new Set()));
      set.add(y);
    }
  }

  /** Forgets `peerId` (if `client` still owns that id) and tells the peers it was connected to. */
  private drop(peerId: string, client: Client): void {
    if (this.byPeer.get(peerId) !== client) return;
    this.byPeer.delete(peerId);
    client.peerId = null;
    for (const other of this.links.get(peerId) ?? []) {
      this.links.get(other)?.delete(peerId);
      const survivor = this.byPeer.get(other);
      if (survivor) this.post(survivor, { type: 'gone', peerId });
    }
    this.links.delete(peerId);
  }

  private post(client: Client, notice: BrokerNotice, transfer: Transferable[] = []): void {
    try {
      client.port.postMessage(notice, transfer);
    } catch {
      // a dead page's port: its lock or unregister will drop it
    }
  }
}
