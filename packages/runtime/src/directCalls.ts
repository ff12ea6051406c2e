/**
 * Direct actor calls: a task (or actor) calling an actor sends the call peer
 * to peer to the actor's worker, and gets the result back the same way; the
 * coordinator is told afterwards, in batches, off the critical path.
 *
 * One instance per worker page plays both sides.
 *
 * Caller side (`call`, `get`):
 * - Route: the first call to an actor asks the coordinator where it lives
 *   (`actorLocate`); the coordinator answers `actorRoute` and sends it again
 *   whenever that changes (restart, death). Calls wait here, in order, for
 *   the first answer.
 * - Each actor has a lane: its calls leave in the order they were made. A
 *   call goes direct when the actor is alive at a known worker and its
 *   arguments are inline (no refs: those wait for their inputs at the
 *   coordinator, as before); otherwise it is relayed through the coordinator
 *   (`nestedActorCall`, the old path). Calls of one kind never overtake the
 *   other: a lane switching kinds first waits for the calls of the other
 *   kind to settle (relayed ones by asking the coordinator: `waitSettled`).
 * - A sent direct call is announced to the coordinator (`actorCallsSent`,
 *   batched), which then holds it as running at that worker, as if it had
 *   sent it: lineage, the dashboard, and what happens when the worker is lost
 *   (ERR_ACTOR_DIED, or a retry under maxTaskRetries) stay the coordinator's.
 *   Announcements go out before any other message to the coordinator
 *   (`flush`, called by the page), so it knows a call's id before anything
 *   that names it.
 * - `get` answers from the direct result when every id asked is a direct
 *   call whose inline result arrived here. A call whose worker link closed,
 *   whose route changed, that bounced, or whose result is stored or holds
 *   refs is deferred: `get` asks the coordinator, whose verdict rules.
 *
 * Actor side (`receive` of `actorDirectCall`): runs the call on the hosted
 * actor in arrival order (ActorHost hands calls over in order, whichever
 * path they came by), answers the caller, and reports the outcome to the
 * coordinator (`actorResults`, batched; with its checkpoint, if any).
 */
import type { ControlMessage, TaskResult } from '@shoal/protocol';
import { ShoalError } from '@shoal/protocol';
import type { HostReply, PortCallNotice, PortReport } from './host.ts';
import type { ActorCallOutcome } from './actorHost.ts';
import { hasRefs, local, settledResult, trimSettled, wireBytes } from './directValues.ts';

export { hasRefs, local } from './directValues.ts';

export type Route = { workerId: string | null; dead: boolean; retries: boolean };
/** A route change the page's direct ports follow (directPorts.ts): an actor moved, a worker's link closed, or everything (the coordinator changed). */
export type RouteEvent = { actor: string } | { peer: string } | { all: true };
type DirectCall = Extract<ControlMessage, { type: 'actorDirectCall' }>;
type Announcement = Extract<ControlMessage, { type: 'actorCallsSent' }>['calls'][number];
type Report = Extract<ControlMessage, { type: 'actorResults' }>['results'][number];

/** What direct calls need of their page. */
export interface DirectPort {
  readonly self: string;
  /** Sends to the coordinator (not flushing: see DirectCalls.flush); false if there is none. */
  toCoordinator(message: ControlMessage): boolean;
  /** Sends to a worker, opening a link on demand; rejects if the message could not be sent. Sends to one peer keep their order. */
  toPeer(peerId: string, message: ControlMessage): Promise<void>;
  /** Resolves once every id is settled at the coordinator (done or failed). */
  waitSettled(ids: string[]): Promise<void>;
  /** Whether actor `actorId` lives on this worker. */
  hosts(actorId: string): boolean;
  /** Runs a call on an actor living here (its stored output kept in this worker's store). */
  run(call: { actorId: string; callId: string; method: string; args: unknown[] }): Promise<ActorCallOutcome>;
}

interface Call {
  parentTaskId: string;
  callId: string;
  actorId: string;
  method: string;
  args: unknown[];
  /** Named to the coordinator while it waited here (see `flush`). */
  named?: boolean;
}

interface Lane {
  route: Route | null;
  located: boolean;
  /** Calls not yet sent, in order. */
  queue: Call[];
  /** Direct calls sent and not answered, by call id, with the worker they went to. */
  direct: Map<string, { at: string; call: Call }>;
  /** Relayed (or deferred) calls not known to be settled at the coordinator. */
  relayed: Set<string>;
  settling: boolean;
  /** A worker whose link failed: calls are relayed until the route changes. */
  unreachable: string | null;
}

/** `at`: where a direct call went; null while it waits here to be sent. */
type Local = { kind: 'pending'; at: string | null; waiters: Array<() => void> } | { kind: 'done'; result: TaskResult } | { kind: 'deferred' };

/** How long notices wait to be batched. */
export const DIRECT_BATCH_MS = 20;
/** Results kept here for `get` (each dropped when read); older ones go first beyond this. */
const KEEP_RESULTS = 10_000;
/** A batch is sent once it holds this many notices, or about this many bytes. */
const BATCH_COUNT = 500;
const BATCH_BYTES = 96 * 1024;

export interface DirectStats {
  /** Calls this worker's tasks sent direct, and relayed through the coordinator. */
  sent: number;
  relayed: number;
  /** Direct calls this worker's actors ran. */
  served: number;
  /** Direct calls answered from here without asking the coordinator. */
  answeredHere: number;
}

export class DirectCalls {
  private readonly lanes = new Map<string, Lane>();
  private readonly local = new Map<string, Local>();
  private announcements: Announcement[] = [];
  private reports: Report[] = [];
  private reportBytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  readonly stats: DirectStats = { sent: 0, relayed: 0, served: 0, answeredHere: 0 };
  /** Waiting for an actor's first route (`locate`). */
  private readonly routeWaiters = new Map<string, Array<(route: Route | null) => void>>();
  /** Told of every route change (directPorts.ts). */
  onRouteEvent: (event: RouteEvent) => void = () => {};

  constructor(private readonly port: DirectPort) {}

  /** A task calls an actor (its result will be object `callId`). */
  call(parentTaskId: string, callId: string, actorId: string, method: string, args: unknown[]): void {
    const lane = this.lane(actorId);
    lane.queue.push({ parentTaskId, callId, actorId, method, args });
    this.local.set(callId, { kind: 'pending', at: null, waiters: [] });
    this.trim();
    this.pump(actorId, lane);
  }

  /**
   * The values of `ids` if every one is a direct call of this worker's (waiting for
   * results still on their way); otherwise, or once one is deferred, `ask()`
   * (the coordinator). Null: not direct calls, ask the coordinator now.
   */
  get(ids: string[], timeoutMs: number | null, ask: () => Promise<HostReply>): Promise<HostReply> | null {
    const mine = ids.filter((id) => this.local.has(id) && this.local.get(id)!.kind !== 'deferred');
    if (mine.length === 0) return null;
    // Some are not: the coordinator answers, once this worker's calls among them are sent and it knows them.
    if (mine.length < ids.length) return Promise.all(mine.map((id) => this.settled(id))).then(ask);
    const settled = Promise.all(ids.map((id) => this.settled(id))).then((results): Promise<HostReply> | HostReply => {
      if (results.some((result) => result === null)) return ask();
      const failed = results.find((result) => !result!.ok);
      for (const id of ids) this.local.delete(id); // read once; a second get asks the coordinator, which has it too
      this.stats.answeredHere += ids.length;
      if (failed && !failed.ok) return { ok: false, error: failed.error };
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

  /** Handles a direct-call message; false if it is not one (the page handles it). */
  receive(from: string, fromCoordinator: boolean, message: ControlMessage): boolean {
    switch (message.type) {
      case 'actorRoute':
        if (!fromCoordinator) return false;
        this.route(message.actorId, { workerId: message.workerId, dead: message.dead === true, retries: message.retries === true });
        return true;
      case 'actorDirectCall':
        if (fromCoordinator || !message.callId.startsWith(`${from}.`)) return false;
        void this.serve(from, message);
        return true;
      case 'actorDirectResult': {
        if (fromCoordinator) return false;
        const entry = this.local.get(message.callId);
        const lane = this.lanes.get(message.actorId);
        const sent = lane?.direct.get(message.callId);
        if (entry?.kind !== 'pending' || entry.at !== from || !lane || !sent) return true; // late (deferred meanwhile): the coordinator has it
        lane.direct.delete(message.callId);
        const { result } = message;
        if (message.bounced) {
          // It did not run (the actor is not there): the coordinator sends it where the actor is.
          this.announce({ callId: sent.call.callId, actorId: sent.call.actorId, method: sent.call.method, parentTaskId: sent.call.parentTaskId, at: from, args: sent.call.args, unsent: true });
          this.defer(message.actorId, message.callId);
        } else if (local(result)) this.settle(message.callId, { kind: 'done', result });
        else this.defer(message.actorId, message.callId);
        this.pump(message.actorId, lane);
        return true;
      }
      default:
        return false;
    }
  }

  /** A link closed (the peer may be gone): direct calls still out to it are left to the coordinator. */
  peerLost(peerId: string): void {
    this.onRouteEvent({ peer: peerId });
    for (const [actorId, lane] of this.lanes) {
      let touched = false;
      for (const [callId, { at }] of lane.direct) {
        if (at !== peerId) continue;
        this.defer(actorId, callId);
        touched = true;
      }
      if (touched) this.pump(actorId, lane);
    }
  }

  /** The coordinator changed (or went): routes are unknown again, and every call waiting here is left to the new one. */
  reset(): void {
    for (const [actorId, lane] of this.lanes) {
      for (const callId of lane.direct.keys()) this.defer(actorId, callId);
      for (const call of lane.queue) this.settle(call.callId, { kind: 'deferred' }); // never sent: a get asks the new coordinator, which says so
    }
    this.lanes.clear();
    for (const waiters of this.routeWaiters.values()) for (const wake of waiters) wake(null);
    this.routeWaiters.clear();
    this.onRouteEvent({ all: true });
    this.announcements = [];
    this.reports = [];
    this.reportBytes = 0;
  }

  /** Where actor `actorId` lives, asking the coordinator if this page does not know yet; null without a coordinator. */
  locate(actorId: string): Promise<Route | null> {
    const lane = this.lane(actorId);
    if (lane.route) return Promise.resolve(lane.route);
    if (!lane.located) {
      if (!this.port.toCoordinator({ type: 'actorLocate', actorId })) return Promise.resolve(null);
      lane.located = true;
    }
    return new Promise((resolve) => {
      const waiters = this.routeWaiters.get(actorId);
      if (waiters) waiters.push(resolve);
      else this.routeWaiters.set(actorId, [resolve]);
    });
  }

  /**
   * Calls this page's Web Workers sent on direct ports (actorPorts.ts): announced like the page's own direct
   * calls (with their arguments where the actor retries lost calls); `unsent` ones bounced and are the coordinator's to send.
   */
  portCalls(notices: PortCallNotice[]): void {
    for (const notice of notices) {
      const retries = this.lanes.get(notice.actorId)?.route?.retries !== false;
      if (notice.unsent) {
        this.stats.sent -= 1;
        this.stats.relayed += 1;
      } else this.stats.sent += 1;
      const base: Announcement = { callId: notice.callId, actorId: notice.actorId, method: notice.method, parentTaskId: notice.parentTaskId, at: notice.at };
      this.announcements.push(notice.unsent ? { ...base, args: notice.args, unsent: true } : retries ? { ...base, args: notice.args } : base);
    }
    if (notices.some((notice) => notice.unsent) || this.announcements.length >= BATCH_COUNT) this.flush();
    else this.later();
  }

  /** Outcomes of calls this page's actors ran from direct ports: reported like `serve`'s. */
  portServed(reports: PortReport[]): void {
    let now = false;
    for (const { buffers: _buffers, ...report } of reports) {
      this.stats.served += 1;
      this.reports.push(report);
      this.reportBytes += wireBytes(report);
      if (!local(report.result)) now = true;
    }
    if (now || this.reports.length >= BATCH_COUNT || this.reportBytes >= BATCH_BYTES) this.flush();
    else this.later();
  }

  /** Sends the batched notices now. The page calls this before any other message to the coordinator. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Calls still waiting here are named, so what follows may use their ids.
    for (const lane of this.lanes.values()) {
      for (const call of lane.queue) {
        if (call.named) continue;
        call.named = true;
        this.announcements.push({ callId: call.callId, actorId: call.actorId, method: call.method, parentTaskId: call.parentTaskId });
      }
    }
    // In messages well inside a control frame (256 KiB) and the wire's count limit.
    let calls: Announcement[] = [];
    let bytes = 0;
    for (const announcement of this.announcements) {
      const size = 200 + (announcement.args ? wireBytes(announcement.args) : 0);
      if (calls.length > 0 && (calls.length >= BATCH_COUNT || bytes + size > BATCH_BYTES)) {
        this.port.toCoordinator({ type: 'actorCallsSent', calls });
        calls = [];
        bytes = 0;
      }
      calls.push(announcement);
      bytes += size;
    }
    this.announcements = [];
    if (calls.length > 0) this.port.toCoordinator({ type: 'actorCallsSent', calls });
    if (this.reports.length > 0) {
      const results = this.reports;
      this.reports = [];
      this.reportBytes = 0;
      this.port.toCoordinator({ type: 'actorResults', results });
    }
  }

  // ─── caller side ────────────────────────────────────────────────────

  private lane(actorId: string): Lane {
    let lane = this.lanes.get(actorId);
    if (!lane) this.lanes.set(actorId, (lane = { route: null, located: false, queue: [], direct: new Map(), relayed: new Set(), settling: false, unreachable: null }));
    return lane;
  }

  private route(actorId: string, route: Route): void {
    const lane = this.lane(actorId);
    const previous = lane.route;
    const moved = previous?.workerId !== route.workerId || route.dead;
    lane.route = route;
    if (moved) {
      lane.unreachable = null;
      for (const callId of [...lane.direct.keys()]) this.defer(actorId, callId);
      if (previous) this.onRouteEvent({ actor: actorId }); // a first answer changes nothing a port was granted on
    }
    const waiters = this.routeWaiters.get(actorId);
    this.routeWaiters.delete(actorId);
    for (const wake of waiters ?? []) wake(route);
    this.pump(actorId, lane);
  }

  /** Sends the lane's calls in order while their kind allows (see the header). */
  private pump(actorId: string, lane: Lane): void {
    while (lane.queue.length > 0) {
      if (!lane.route) {
        if (!lane.located && this.port.toCoordinator({ type: 'actorLocate', actorId })) lane.located = true;
        if (lane.located) return; // the answer pumps again
        lane.route = { workerId: null, dead: false, retries: false }; // no coordinator: relay, which answers with its usual error
      }
      const head = lane.queue[0]!;
      const at = lane.route.workerId;
      const direct = at !== null && !lane.route.dead && at !== lane.unreachable && !hasRefs(head.args);
      if (direct && lane.relayed.size > 0) return this.settleRelayed(actorId, lane);
      if (!direct && lane.direct.size > 0) return; // answers pump again
      lane.queue.shift();
      if (direct) this.sendDirect(lane, head, at);
      else this.relay(lane, head);
    }
  }

  private sendDirect(lane: Lane, call: Call, at: string): void {
    lane.direct.set(call.callId, { at, call });
    const entry = this.local.get(call.callId);
    if (entry?.kind === 'pending') entry.at = at;
    else this.local.set(call.callId, { kind: 'pending', at, waiters: [] });
    this.stats.sent += 1;
    // Announced at once (sent in the next batch, or before anything else this page tells the coordinator), so it can name the call.
    const notice: Announcement = { callId: call.callId, actorId: call.actorId, method: call.method, parentTaskId: call.parentTaskId, at };
    this.announce(lane.route?.retries ? { ...notice, args: call.args } : notice);
    const message: DirectCall = { type: 'actorDirectCall', actorId: call.actorId, callId: call.callId, method: call.method, args: call.args };
    if (at === this.port.self) {
      queueMicrotask(() => void this.serve(at, message));
      return;
    }
    this.port.toPeer(at, message).catch(() => {
      // Never sent: the coordinator relays it, and the lane's next calls go its way until the route changes.
      this.stats.sent -= 1;
      this.stats.relayed += 1;
      if (lane.route?.workerId === at) lane.unreachable = at;
      this.announce({ ...notice, args: call.args, unsent: true });
      this.defer(call.actorId, call.callId);
      this.pump(call.actorId, lane);
    });
  }

  private relay(lane: Lane, call: Call): void {
    this.stats.relayed += 1;
    lane.relayed.add(call.callId);
    this.settle(call.callId, { kind: 'deferred' });
    this.flush(); // announcements first: the coordinator must not see this call before those it follows
    this.port.toCoordinator({ type: 'nestedActorCall', parentTaskId: call.parentTaskId, callId: call.callId, actorId: call.actorId, method: call.method, args: call.args });
  }

  /** Waits for the lane's relayed calls to settle at the coordinator, then goes on. */
  private settleRelayed(actorId: string, lane: Lane): void {
    if (lane.settling) return;
    lane.settling = true;
    const ids = [...lane.relayed];
    this.flush();
    const done = () => {
      lane.settling = false;
      for (const id of ids) lane.relayed.delete(id);
      this.pump(actorId, lane);
    };
    this.port.waitSettled(ids).then(done, done);
  }

  /** Leaves a direct call to the coordinator (it is announced, so it holds it as running there). */
  private defer(actorId: string, callId: string): void {
    const lane = this.lanes.get(actorId);
    lane?.direct.delete(callId);
    lane?.relayed.add(callId);
    this.settle(callId, { kind: 'deferred' });
  }

  private settle(callId: string, outcome: Local): void {
    const entry = this.local.get(callId);
    if (!entry) return;
    this.local.set(callId, outcome);
    if (entry.kind === 'pending') for (const wake of entry.waiters) wake();
  }

  /** A call's result once it is here, or null if it was deferred. */
  private settled(callId: string): Promise<TaskResult | null> {
    return settledResult(this.local, callId);
  }

  private trim(): void {
    trimSettled(this.local, KEEP_RESULTS);
  }

  private announce(announcement: Announcement): void {
    this.announcements.push(announcement);
    if (this.announcements.length >= BATCH_COUNT) this.flush();
    else this.later();
  }

  // ─── actor side ─────────────────────────────────────────────────────

  private async serve(from: string, message: DirectCall): Promise<void> {
    const reply = (result: TaskResult, bounced?: true) => {
      const answer: ControlMessage = { type: 'actorDirectResult', actorId: message.actorId, callId: message.callId, result, ...(bounced ? { bounced } : {}) };
      if (from === this.port.self) queueMicrotask(() => this.receive(from, false, answer));
      else this.port.toPeer(from, answer).catch(() => undefined); // the caller left it to the coordinator, which gets the outcome below
    };
    if (!this.port.hosts(message.actorId)) {
      // Not here (it moved): the call did not run; the caller leaves it to the coordinator, which knows where it is.
      return reply({ ok: false, error: { name: 'ShoalError', code: 'ERR_ACTOR_DIED', message: `actor ${message.actorId} does not live on worker ${this.port.self}` } }, true);
    }
    this.stats.served += 1;
    const outcome = await this.port.run(message);
    reply(outcome.result);
    const report: Report = { actorId: message.actorId, callId: message.callId, result: outcome.result, durationMs: outcome.durationMs, ...(outcome.checkpoint !== undefined ? { checkpoint: outcome.checkpoint } : {}) };
    this.reports.push(report);
    this.reportBytes += wireBytes(report);
    // Results the caller leaves to the coordinator: do not make it wait for the batch.
    if (!local(outcome.result) || this.reports.length >= BATCH_COUNT || this.reportBytes >= BATCH_BYTES) this.flush();
    else this.later();
  }

  private later(): void {
    this.timer ??= setTimeout(() => this.flush(), DIRECT_BATCH_MS);
  }
}
