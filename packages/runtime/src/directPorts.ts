/**
 * Direct ports, the page's side: grants a task's (or actor's) Web Worker a
 * MessagePort straight to an actor's Web Worker (actorPorts.ts calls, and
 * actorPortServer.ts serves), and tells those Web Workers when a port may no
 * longer lead where it did.
 *
 * - Grant (`request`): the actor's route comes from directCalls.ts (asking the
 *   coordinator once). Alive on this tab: a MessageChannel, one end into the
 *   actor's Web Worker (ActorHost.acceptPort). Alive on another tab of this
 *   browser: that end goes there through a SharedWorker (directPortRelay.ts),
 *   whose page hands it to the actor's Web Worker, or answers `refused` on it
 *   when the actor does not live there. Anything else (another machine, not
 *   alive, no coordinator): no port; calls go the page's way (directCalls.ts).
 * - Route events (`watch`): an actor moved or died, a worker's link closed, the
 *   coordinator changed. Each is numbered; a Web Worker asks for those after the
 *   last it saw, and waits while there are none.
 * - Notices: the Web Workers' port calls are announced (`DirectCalls.portCalls`),
 *   and the outcomes the actors' Web Workers report are kept (stored outputs)
 *   and reported (`DirectCalls.portServed`), both batched like the page's own.
 */
import { transfer } from 'comlink';
import type { DirectCalls, RouteEvent } from './directCalls.ts';
import { PortRelay } from './directPortRelay.ts';
import type { PortCallNotice, PortEvents, PortGrant, PortReport, TaskHost } from './host.ts';
import type { PortReply } from './actorPorts.ts';

export interface PortsPage {
  readonly self: string;
  readonly direct: DirectCalls;
  /** Hands `port` to the Web Worker of actor `actorId` if it lives on this page; false if not. */
  acceptHere(actorId: string, port: MessagePort): boolean;
  /** Keeps a port call's stored outputs in this page's store. */
  keep(report: PortReport): void;
  /** Reach other tabs of this browser (the worker's `colocated` option). */
  readonly colocated: boolean;
}

/** Route events kept for watchers that look late (one that missed more hears `all`). */
const KEEP_EVENTS = 1000;

export class DirectPorts {
  private seq = 0;
  private readonly events: Array<{ seq: number; event: RouteEvent }> = [];
  private watchers: Array<{ since: number; resolve: (events: PortEvents) => void }> = [];
  private readonly relay: PortRelay | null;
  /** Ports granted (here or to other tabs), and ports this page's actors took from other tabs. */
  readonly stats = { granted: 0, accepted: 0, refused: 0 };

  constructor(private readonly page: PortsPage) {
    this.relay = page.colocated ? PortRelay.start(page.self, (_from, actorId, port) => this.incoming(actorId, port)) : null;
    page.direct.onRouteEvent = (event) => this.changed(event);
  }

  /** A port to actor `actorId`'s Web Worker, or null (its calls go the page's way). */
  async request(actorId: string): Promise<PortGrant | null> {
    const route = await this.page.direct.locate(actorId);
    if (!route || route.dead || route.workerId === null) return null;
    const seq = this.seq; // events after this one may concern the port
    const at = route.workerId;
    const channel = new MessageChannel();
    const ok = at === this.page.self ? this.page.acceptHere(actorId, channel.port1) : this.relay ? await this.relay.offer(at, actorId, channel.port1) : false;
    if (!ok) {
      channel.port1.close();
      channel.port2.close();
      return null;
    }
    this.stats.granted += 1;
    return { port: channel.port2, at, seq };
  }

  /** The route events after `since`, once there is one. */
  watch(since: number): Promise<PortEvents> {
    const ready = this.after(since);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.watchers.push({ since, resolve }));
  }

  /** Notices from the Web Workers: their port calls, and the outcomes of calls their actors ran from ports. */
  sent(calls: PortCallNotice[]): void {
    this.page.direct.portCalls(calls);
  }

  served(reports: PortReport[]): void {
    for (const report of reports) this.page.keep(report);
    this.page.direct.portServed(reports);
  }

  close(): void {
    this.relay?.close();
    this.changed({ all: true });
  }

  /** A port from another tab for an actor that should live here. */
  private incoming(actorId: string, port: MessagePort): void {
    if (this.page.acceptHere(actorId, port)) {
      this.stats.accepted += 1;
      return;
    }
    this.stats.refused += 1;
    const refused: PortReply = { t: 'refused' };
    port.postMessage(refused); // the caller bounces its calls on it to the coordinator
  }

  private changed(event: RouteEvent): void {
    this.events.push({ seq: ++this.seq, event });
    if (this.events.length > KEEP_EVENTS) this.events.shift();
    const watchers = this.watchers;
    this.watchers = [];
    for (const watcher of watchers) watcher.resolve(this.after(watcher.since)!);
  }

  private after(since: number): PortEvents | null {
    if (since >= this.seq) return null;
    const out: PortEvents = { seq: this.seq, all: false, actors: [], peers: [] };
    const oldest = this.events[0]?.seq ?? this.seq + 1;
    if (since < oldest - 1) return { ...out, all: true };
    for (const { seq, event } of this.events) {
      if (seq <= since) continue;
      if ('all' in event) out.all = true;
      else if ('actor' in event) out.actors.push(event.actor);
      else out.peers.push(event.peer);
    }
    return out;
  }
}

/** What the pool's and actors' Web Workers may ask of their page about ports, for its TaskHost (`ports` is read when they ask). */
export function portHost(ports: () => DirectPorts): Required<Pick<TaskHost, 'actorPort' | 'actorPortWatch' | 'actorPortCalls' | 'actorPortServed'>> {
  return {
    actorPort: async (actorId) => {
      const grant = await ports().request(actorId);
      return grant ? transfer(grant, [grant.port]) : null;
    },
    actorPortWatch: (since) => ports().watch(since),
    actorPortCalls: (calls) => ports().sent(calls),
    actorPortServed: (reports) => ports().served(reports),
  };
}
