/**
 * Direct ports, the caller's side: in a task's (or an actor's) Web Worker, a
 * call to an actor goes on a MessagePort straight to the actor's Web Worker
 * (actorPortServer.ts), and its reply comes back the same way: two thread hops
 * a call, where the page's way (directCalls.ts) takes four on one tab and six
 * between tabs. The page grants the port (directPorts.ts): a MessageChannel
 * when the actor lives on this tab, one passed through a SharedWorker when it
 * lives on another tab of this browser; otherwise (another machine, the actor
 * not alive, no coordinator) there is none and calls go the page's way.
 *
 * - Lanes and order. Each actor has one lane per Web Worker; its calls leave in
 *   the order they were made. The first call waits for the page's answer
 *   (port or none). A call with refs in its arguments goes the page's way (the
 *   coordinator waits for its inputs). A lane that switches ways first waits
 *   for the other way's calls: page-bound calls for the port calls in flight to
 *   be answered, port calls for the page-bound (and deferred) ones to settle at
 *   the coordinator (`host.wait`).
 * - The coordinator still learns of each call: port calls are told to the page
 *   (`host.actorPortCalls`, every 20 ms, or before any other message this Web
 *   Worker sends its page: `flush`), which announces them as direct calls.
 * - Answers. `get` answers from the reply when every id is a port call whose
 *   inline result came back; failures, stored results and values with refs go
 *   the page's way (the coordinator has them from the actor's report).
 * - Failures. The page tells its Web Workers of route changes
 *   (`host.actorPortWatch`): the actor moved or died, its worker's link closed,
 *   or the coordinator changed. A lane hit by one drops its port; its calls in
 *   flight are deferred (their gets ask the coordinator, whose verdict rules:
 *   ERR_ACTOR_DIED, or a rerun under maxTaskRetries) and the next call asks for
 *   a new port. A port whose far page does not host the actor is refused: the
 *   calls on it bounce to the coordinator, which sends them (`unsent`).
 */
import { ShoalError, type TaskResult } from '@shoal/protocol';
import type { ActorCallRequest, HostReply, PortCallNotice, PortEvents, PortGrant, TaskHost } from './host.ts';
import { hasRefs, local, settledResult, trimSettled } from './directValues.ts';

/** Caller → actor's Web Worker. */
export interface PortCall {
  t: 'call';
  actorId: string;
  callId: string;
  method: string;
  args: unknown[];
}

/** Actor's Web Worker (or its page, `refused`) → caller. */
export type PortReply = { t: 'result'; callId: string; result: TaskResult } | { t: 'refused' };

/** How the lane reaches its page's way (context.ts). */
export interface PageWay {
  /** Sends a call the page's way (queued with the context's other actor calls). */
  send(call: ActorCallRequest): void;
  /** Sends what is queued for the page now. */
  flush(): void;
}

/** `queued`: still in its lane, not yet sent either way (`left` wake when it goes). */
type Entry = { kind: 'pending'; queued: boolean; waiters: Array<() => void>; left: Array<() => void> } | { kind: 'done'; result: TaskResult } | { kind: 'page' };

interface Lane {
  actorId: string;
  state: 'new' | 'asking' | 'port' | 'page';
  /** Bumped by each ask and each drop: only the answer to the latest ask, with no drop since, is used. */
  epoch: number;
  port: MessagePort | null;
  at: string | null;
  queue: ActorCallRequest[];
  inFlight: Map<string, ActorCallRequest>;
  /** Page-bound or deferred calls not known to be settled: port calls wait for them. */
  barrier: Set<string>;
  settling: boolean;
}

/** How long port calls wait to be told to the page. */
export const PORT_NOTICE_MS = 20;
/** Entries kept for `get` (answered ones dropped first beyond this); a lane's barrier is bounded the same way. */
const KEEP = 10_000;

export class ActorPorts {
  private readonly lanes = new Map<string, Lane>();
  private readonly entries = new Map<string, Entry>();
  private notices: PortCallNotice[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private watching = false;
  private seq = 0;
  /** Calls sent on ports, and answered from their replies (for tests and figures). */
  readonly stats = { sent: 0, answeredHere: 0 };

  constructor(
    private readonly host: TaskHost,
    private readonly page: PageWay,
  ) {}

  /** A task calls an actor (its result will be object `call.callId`). */
  call(call: ActorCallRequest): void {
    const lane = this.lane(call.actorId);
    lane.queue.push(call);
    this.entries.set(call.callId, { kind: 'pending', queued: true, waiters: [], left: [] });
    this.trim();
    this.pump(lane);
  }

  /**
   * The values of `ids` if every one is a port call answered inline (waiting for replies on their way);
   * otherwise `ask()` (the page), once this Web Worker's calls among them have left. Null: none is a port call.
   */
  get(ids: string[], timeoutMs: number | null, ask: () => Promise<HostReply>): Promise<HostReply> | null {
    if (!ids.some((id) => this.entries.get(id)?.kind === 'pending' || this.entries.get(id)?.kind === 'done')) return null;
    const settled = Promise.all(ids.map((id) => this.settled(id))).then((results): Promise<HostReply> | HostReply => {
      if (results.some((result) => result === null)) return ask();
      for (const id of ids) this.entries.delete(id); // read once: a second get asks the page (the coordinator has it too)
      this.stats.answeredHere += ids.length;
      return { ok: true, value: results.map((result) => (result as Extract<TaskResult, { ok: true }>).value) };
    });
    if (timeoutMs === null) return settled;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: new ShoalError('ERR_TIMEOUT', `get() of ${ids.length} ref(s) timed out after ${timeoutMs} ms`).toRemote() }), timeoutMs);
      void settled.then((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /** Resolves once none of `ids` waits in a lane any more (so the page may be asked about them); null if none does. */
  whenSent(ids: string[]): Promise<void> | null {
    const waiting = ids.map((id) => this.entries.get(id)).filter((entry) => entry?.kind === 'pending' && entry.queued) as Array<Extract<Entry, { kind: 'pending' }>>;
    if (waiting.length === 0) return null;
    return Promise.all(waiting.map((entry) => new Promise<void>((resolve) => entry.left.push(resolve)))).then(() => this.flush());
  }

  /** `ids` are settled (a get or wait of them answered): port calls need not wait for them. */
  forget(ids: readonly string[]): void {
    for (const lane of this.lanes.values()) {
      if (lane.barrier.size === 0 || lane.settling) continue;
      for (const id of ids) lane.barrier.delete(id);
    }
  }

  /** Tells the page of the port calls sent since the last time. Called before any other message to the page. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.notices.length === 0) return;
    const notices = this.notices;
    this.notices = [];
    this.host.actorPortCalls?.(notices);
  }

  // ─── lanes ──────────────────────────────────────────────────────────

  private lane(actorId: string): Lane {
    let lane = this.lanes.get(actorId);
    if (!lane) this.lanes.set(actorId, (lane = { actorId, state: 'new', epoch: 0, port: null, at: null, queue: [], inFlight: new Map(), barrier: new Set(), settling: false }));
    return lane;
  }

  private pump(lane: Lane): void {
    while (lane.queue.length > 0) {
      if (lane.state === 'new') this.askPort(lane);
      if (lane.state === 'asking') return; // the answer pumps again
      const head = lane.queue[0]!;
      const onPort = lane.state === 'port' && !hasRefs(head.args);
      if (onPort && lane.barrier.size > 0) return this.settleBarrier(lane, head.parentTaskId);
      if (!onPort && lane.inFlight.size > 0) return; // replies pump again
      lane.queue.shift();
      if (onPort) this.send(lane, head);
      else this.toPage(lane, head);
    }
  }

  private askPort(lane: Lane): void {
    lane.state = 'asking';
    const epoch = ++lane.epoch;
    const answered = (grant: PortGrant | null): void => {
      if (lane.epoch !== epoch) {
        grant?.port.close(); // a route changed meanwhile: whoever changed it asked again (or the next call will)
        return;
      }
      if (grant) {
        if (!this.watching) this.seq = grant.seq; // route events up to the grant are older than the port
        lane.port = grant.port;
        lane.at = grant.at;
        lane.state = 'port';
        grant.port.onmessage = (event: MessageEvent) => this.onReply(lane, grant.port, event.data as PortReply);
        this.watch();
      } else {
        lane.state = 'page';
        this.watch(); // a route change may bring a port later
      }
      this.pump(lane);
    };
    const asked = this.host.actorPort ? this.host.actorPort(lane.actorId) : Promise.resolve(null);
    asked.then(answered, () => answered(null));
  }

  private send(lane: Lane, call: ActorCallRequest): void {
    const message: PortCall = { t: 'call', actorId: call.actorId, callId: call.callId, method: call.method, args: call.args };
    try {
      lane.port!.postMessage(message);
    } catch {
      return this.toPage(lane, call); // not cloneable after all: the page's way reports it as usual
    }
    lane.inFlight.set(call.callId, call);
    this.left(call.callId);
    this.stats.sent += 1;
    this.notices.push({ ...call, at: lane.at! });
    if (this.notices.length >= 500) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), PORT_NOTICE_MS);
  }

  private toPage(lane: Lane, call: ActorCallRequest): void {
    this.settle(call.callId, { kind: 'page' });
    this.block(lane, call.callId);
    this.page.send(call);
  }

  private onReply(lane: Lane, port: MessagePort, reply: PortReply): void {
    if (lane.port !== port || typeof reply !== 'object' || reply === null) return; // an old port's late reply: the call was deferred
    if (reply.t === 'refused') {
      // The far page does not host the actor (it moved): the calls on the port did not run; the coordinator sends them.
      for (const call of lane.inFlight.values()) {
        this.notices.push({ ...call, at: lane.at!, unsent: true });
        this.settle(call.callId, { kind: 'page' });
        this.block(lane, call.callId);
      }
      lane.inFlight.clear();
      this.closePort(lane);
      lane.state = 'page'; // until the route changes
      this.flush();
      return this.pump(lane);
    }
    if (reply.t !== 'result' || !lane.inFlight.delete(reply.callId)) return;
    this.settle(reply.callId, local(reply.result) ? { kind: 'done', result: reply.result } : { kind: 'page' });
    this.pump(lane);
  }

  /** Route changes from the page: lanes they touch drop their ports and defer their calls in flight. */
  private watch(): void {
    if (this.watching || !this.host.actorPortWatch) return;
    this.watching = true;
    const next = (): void => {
      this.host.actorPortWatch!(this.seq).then(
        (events) => {
          this.seq = events.seq;
          this.changed(events);
          next();
        },
        () => {
          this.watching = false;
        },
      );
    };
    next();
  }

  private changed(events: PortEvents): void {
    for (const lane of this.lanes.values()) {
      const hit = events.all || events.actors.includes(lane.actorId) || (lane.at !== null && events.peers.includes(lane.at));
      if (!hit) continue;
      for (const call of lane.inFlight.values()) {
        this.settle(call.callId, { kind: 'page' });
        this.block(lane, call.callId);
      }
      lane.inFlight.clear();
      lane.epoch += 1;
      this.closePort(lane);
      lane.state = 'new';
      this.pump(lane);
    }
  }

  private closePort(lane: Lane): void {
    if (lane.port) {
      lane.port.onmessage = null;
      lane.port.close();
    }
    lane.port = null;
    lane.at = null;
  }

  /** Port calls wait until the lane's page-bound and deferred calls have settled at the coordinator. */
  private settleBarrier(lane: Lane, parentTaskId: string): void {
    if (lane.settling) return;
    lane.settling = true;
    const ids = [...lane.barrier];
    this.page.flush();
    this.flush();
    const done = (): void => {
      lane.settling = false;
      for (const id of ids) lane.barrier.delete(id);
      this.pump(lane);
    };
    const waited = this.host.wait(parentTaskId, ids, ids.length, null);
    waited.then(done, done);
  }

  private block(lane: Lane, callId: string): void {
    lane.barrier.add(callId);
    if (lane.barrier.size > KEEP) lane.barrier.delete(lane.barrier.values().next().value!);
  }

  private settle(callId: string, outcome: Entry): void {
    const entry = this.entries.get(callId);
    if (!entry) return;
    this.entries.set(callId, outcome);
    if (entry.kind !== 'pending') return;
    for (const wake of entry.left) wake();
    for (const wake of entry.waiters) wake();
  }

  private left(callId: string): void {
    const entry = this.entries.get(callId);
    if (entry?.kind !== 'pending' || !entry.queued) return;
    entry.queued = false;
    for (const wake of entry.left.splice(0)) wake();
  }

  /** A call's inline result once it is here; null if it is not this Web Worker's port call, or went the page's way. */
  private settled(callId: string): Promise<TaskResult | null> {
    return settledResult(this.entries, callId);
  }

  private trim(): void {
    trimSettled(this.entries, KEEP);
  }
}
