import { describe, expect, it } from 'vitest';
import { controlMessageSchema, type ControlMessage, type TaskResult } from '@shoal/protocol';
import { DirectCalls, hasRefs, type DirectPort } from './directCalls.ts';
import type { HostReply } from './host.ts';

/**
 * An in-memory room: worker pages with a DirectCalls each, links between
 * them (messages delivered a tick later, in order, checked against the wire
 * schema), and a coordinator that only records what it is told and answers
 * what the test says.
 */
class Room {
  readonly pages = new Map<string, Page>();
  readonly toCoordinator: Array<{ from: string; message: ControlMessage }> = [];
  /** Links that fail: a send to one of these peers rejects. */
  readonly broken = new Set<string>();
  /** Answers waitSettled (the test resolves them). */
  readonly settleWaits: Array<{ ids: string[]; resolve: () => void }> = [];

  page(self: string, actors: Record<string, (method: string, args: unknown[]) => unknown> = {}): Page {
    const page = new Page(this, self, actors);
    this.pages.set(self, page);
    return page;
  }

  sent(type: ControlMessage['type']): ControlMessage[] {
    return this.toCoordinator.filter((entry) => entry.message.type === type).map((entry) => entry.message);
  }

  deliver(from: string, to: string, message: ControlMessage): Promise<void> {
    if (this.broken.has(to)) return Promise.reject(new Error(`no link to ${to}`));
    const parsed = controlMessageSchema.parse(JSON.parse(JSON.stringify(message)));
    setTimeout(() => this.pages.get(to)?.direct.receive(from, false, parsed), 0);
    return Promise.resolve();
  }

  /** The coordinator tells `to` where an actor lives. */
  route(to: string, actorId: string, workerId: string | null, extra: { dead?: true; retries?: true } = {}): void {
    this.pages.get(to)!.direct.receive('coordinator', true, { type: 'actorRoute', actorId, workerId, ...extra });
  }
}

class Page {
  readonly direct: DirectCalls;
  /** Calls the actors here ran, in order: `actorId.method(args)`. */
  readonly ran: string[] = [];

  constructor(
    room: Room,
    readonly self: string,
    actors: Record<string, (method: string, args: unknown[]) => unknown>,
  ) {
    const port: DirectPort = {
      self,
      toCoordinator: (message) => {
        room.toCoordinator.push({ from: self, message: controlMessageSchema.parse(message) });
        return true;
      },
      toPeer: (peerId, message) => room.deliver(self, peerId, message),
      waitSettled: (ids) => new Promise((resolve) => room.settleWaits.push({ ids, resolve })),
      hosts: (actorId) => actorId in actors,
      run: async (call) => {
        this.ran.push(`${call.actorId}.${call.method}(${call.args.join(',')})`);
        const value = await actors[call.actorId]!(call.method, call.args);
        const result: TaskResult = value instanceof Error ? { ok: false, error: { name: 'Error', code: 'ERR_TASK_FAILED', message: value.message } } : { ok: true, value };
        return { result, durationMs: 1 };
      },
    };
    this.direct = new DirectCalls(port);
  }

  /** A get through DirectCalls, or the coordinator's answer (`asked`) when it defers. */
  get(ids: string[], asked: HostReply = { ok: true, value: 'asked the coordinator' }, timeoutMs: number | null = null): Promise<HostReply | 'not mine'> {
    return this.direct.get(ids, timeoutMs, () => Promise.resolve(asked)) ?? Promise.resolve('not mine' as const);
  }
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `done()` holds (a loaded machine runs the room's hops late), for at most `ms`. */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await tick(2);
}

function counter(): (method: string, args: unknown[]) => unknown {
  let n = 0;
  return (method, args) => (method === 'add' ? (n += args[0] as number) : method === 'fail' ? new Error('nope') : n);
}

describe('DirectCalls', () => {
  it('locates the actor once, then calls it peer to peer; the coordinator is told after, in batches, and never sees the call', async () => {
    const room = new Room();
    const caller = room.page('w1');
    const host = room.page('w2', { a1: counter() });
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    caller.direct.call('w1.t', 'w1.2', 'a1', 'add', [2]);
    expect(room.sent('actorLocate')).toEqual([{ type: 'actorLocate', actorId: 'a1' }]);
    room.route('w1', 'a1', 'w2');
    expect(await caller.get(['w1.1', 'w1.2'])).toEqual({ ok: true, value: [1, 3] });
    caller.direct.call('w1.t', 'w1.3', 'a1', 'add', [3]);
    expect(await caller.get(['w1.3'])).toEqual({ ok: true, value: [6] });
    expect(host.ran).toEqual(['a1.add(1)', 'a1.add(2)', 'a1.add(3)']);
    expect(room.sent('actorLocate')).toHaveLength(1);
    expect(room.sent('nestedActorCall')).toEqual([]);
    // The batch timer (20 ms; later on a loaded machine).
    await until(() => room.sent('actorCallsSent').flatMap((m) => (m as Extract<ControlMessage, { type: 'actorCallsSent' }>).calls).length >= 3 && room.toCoordinator.some((entry) => entry.message.type === 'actorResults'));
    await tick(40);
    const announced = room.sent('actorCallsSent').flatMap((m) => (m as Extract<ControlMessage, { type: 'actorCallsSent' }>).calls);
    expect(announced.map((call) => [call.callId, call.at, call.args])).toEqual([
      ['w1.1', 'w2', undefined],
      ['w1.2', 'w2', undefined],
      ['w1.3', 'w2', undefined],
    ]);
    const reports = room.toCoordinator.filter((entry) => entry.message.type === 'actorResults');
    expect(reports.every((entry) => entry.from === 'w2')).toBe(true);
    expect(reports.flatMap((entry) => (entry.message as Extract<ControlMessage, { type: 'actorResults' }>).results.map((r) => r.callId))).toEqual(['w1.1', 'w1.2', 'w1.3']);
    expect(caller.direct.stats).toMatchObject({ sent: 3, relayed: 0, answeredHere: 3 });
    expect(host.direct.stats.served).toBe(3);
    // Read once: a second get of the same id asks the coordinator (which has it too).
    expect(await caller.get(['w1.1'])).toBe('not mine');
  });

  it('names calls still waiting here before anything else reaches the coordinator', () => {
    const room = new Room();
    const caller = room.page('w1');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    caller.direct.flush(); // what the page does before, say, a nestedSubmit that passes the ref on
    const named = room.sent('actorCallsSent')[0] as Extract<ControlMessage, { type: 'actorCallsSent' }>;
    expect(named.calls).toEqual([{ callId: 'w1.1', actorId: 'a1', method: 'add', parentTaskId: 'w1.t' }]);
    caller.direct.flush();
    expect(room.sent('actorCallsSent')).toHaveLength(1); // named once
    for (let i = 2; i <= 1200; i++) caller.direct.call('w1.t', `w1.${i}`, 'a1', 'add', [i]);
    caller.direct.flush();
    const sizes = (room.sent('actorCallsSent') as Array<Extract<ControlMessage, { type: 'actorCallsSent' }>>).map((m) => m.calls.length);
    // In several messages, each well inside a control frame.
    expect(sizes.length).toBeGreaterThan(3);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(1200);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    for (const message of room.sent('actorCallsSent')) expect(JSON.stringify(message).length).toBeLessThan(128 * 1024);
  });

  it('keeps one caller’s order when calls switch between the direct and the relayed path', async () => {
    const room = new Room();
    const caller = room.page('w1');
    const host = room.page('w2', { a1: counter() });
    room.route('w1', 'a1', 'w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    caller.direct.call('w1.t', 'w1.2', 'a1', 'add', [{ $shoalRef: 'x' }]); // refs: through the coordinator
    caller.direct.call('w1.t', 'w1.3', 'a1', 'add', [3]);
    expect(room.sent('nestedActorCall')).toEqual([]); // waits for the direct call before it
    await until(() => room.sent('nestedActorCall').length > 0);
    expect(host.ran).toEqual(['a1.add(1)']);
    const relayed = room.sent('nestedActorCall');
    expect(relayed.map((m) => (m as { callId: string }).callId)).toEqual(['w1.2']);
    expect(host.ran).toHaveLength(1); // w1.3 waits until the relayed call settles
    expect(room.settleWaits.map((wait) => wait.ids)).toEqual([['w1.2']]);
    // The relayed call's get is the coordinator's.
    expect(await caller.get(['w1.2'])).toBe('not mine');
    host.ran.push('a1.add(x) via the coordinator');
    room.settleWaits[0]!.resolve();
    await until(() => host.ran.length >= 3);
    expect(host.ran).toEqual(['a1.add(1)', 'a1.add(x) via the coordinator', 'a1.add(3)']);
    expect(await caller.get(['w1.3'])).toEqual({ ok: true, value: [4] });
  });

  it('leaves calls out to a lost worker to the coordinator: a get asks it instead of hanging', async () => {
    const room = new Room();
    const caller = room.page('w1');
    room.page('w2', { a1: () => new Promise(() => {}) }); // never answers
    room.route('w1', 'a1', 'w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'slow', []);
    const dead: HostReply = { ok: false, error: { name: 'ShoalError', code: 'ERR_ACTOR_DIED', message: 'its worker w2 was lost' } };
    const got = caller.get(['w1.1'], dead);
    await tick();
    caller.direct.peerLost('w2');
    expect(await got).toEqual(dead);
    // The announcement went before the coordinator was asked (the page flushes before every message to it).
    caller.direct.flush();
    const announced = room.sent('actorCallsSent') as Array<Extract<ControlMessage, { type: 'actorCallsSent' }>>;
    expect(announced.flatMap((m) => m.calls.map((call) => call.at))).toEqual(['w2']);
  });

  it('a route change or death defers the calls out to the old worker; later calls follow the new route', async () => {
    const room = new Room();
    const caller = room.page('w1');
    room.page('w2', { a1: () => new Promise(() => {}) });
    const w3 = room.page('w3', { a1: counter() });
    room.route('w1', 'a1', 'w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    const first = caller.get(['w1.1']);
    await tick();
    room.route('w1', 'a1', null); // restarting
    expect(await first).toEqual({ ok: true, value: 'asked the coordinator' });
    caller.direct.call('w1.t', 'w1.2', 'a1', 'add', [2]);
    expect(room.sent('nestedActorCall').map((m) => (m as { callId: string }).callId)).toEqual(['w1.2']);
    room.route('w1', 'a1', 'w3');
    caller.direct.call('w1.t', 'w1.3', 'a1', 'add', [5]);
    await tick();
    expect(w3.ran).toEqual([]); // the deferred and relayed calls settle first
    expect(room.settleWaits[0]!.ids.sort()).toEqual(['w1.1', 'w1.2']);
    room.settleWaits[0]!.resolve();
    await until(() => w3.ran.length > 0);
    expect(w3.ran).toEqual(['a1.add(5)']);
    room.route('w1', 'a1', null, { dead: true });
    caller.direct.call('w1.t', 'w1.4', 'a1', 'add', [1]);
    expect(room.sent('nestedActorCall').map((m) => (m as { callId: string }).callId)).toEqual(['w1.2', 'w1.4']); // the coordinator fails it with the death's error
  });

  it('falls back to the coordinator when the direct link cannot be opened, telling it the call never left', async () => {
    const room = new Room();
    const caller = room.page('w1');
    room.route('w1', 'a1', 'w2', { retries: true });
    room.broken.add('w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    const got = caller.get(['w1.1']);
    await tick();
    expect(await got).toEqual({ ok: true, value: 'asked the coordinator' });
    caller.direct.call('w1.t', 'w1.2', 'a1', 'add', [2]);
    caller.direct.flush();
    const calls = (room.sent('actorCallsSent') as Array<Extract<ControlMessage, { type: 'actorCallsSent' }>>).flatMap((m) => m.calls);
    expect(calls).toEqual([
      { callId: 'w1.1', actorId: 'a1', method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [1] },
      { callId: 'w1.1', actorId: 'a1', method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [1], unsent: true },
    ]);
    await tick();
    expect(room.settleWaits.map((wait) => wait.ids)).toEqual([]);
    expect(room.sent('nestedActorCall').map((m) => (m as { callId: string }).callId)).toEqual(['w1.2']); // relayed until the route changes
    expect(caller.direct.stats).toMatchObject({ sent: 0, relayed: 2 });
  });

  it('calls an actor on its own worker without the network; a failure is the coordinator’s to word, reported at once', async () => {
    const room = new Room();
    const page = room.page('w1', { a1: counter() });
    room.route('w1', 'a1', 'w1');
    page.direct.call('w1.t', 'w1.1', 'a1', 'add', [7]);
    page.direct.call('w1.t', 'w1.2', 'a1', 'fail', []);
    expect(await page.get(['w1.1'])).toEqual({ ok: true, value: [7] });
    expect(await page.get(['w1.2'])).toBe('not mine'); // deferred already: the page asks the coordinator
    const reports = room.sent('actorResults') as Array<Extract<ControlMessage, { type: 'actorResults' }>>;
    expect(reports.flatMap((m) => m.results.map((r) => [r.callId, r.result.ok]))).toEqual([
      ['w1.1', true],
      ['w1.2', false],
    ]); // flushed without waiting for the batch timer
  });

  it('a call that bounces (the actor moved) is left to the coordinator; results holding refs too', async () => {
    const room = new Room();
    const caller = room.page('w1');
    room.page('w2', { a2: () => ({ $shoalRef: 'w2.9' }) });
    room.route('w1', 'a1', 'w2');
    room.route('w1', 'a2', 'w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'add', [1]);
    caller.direct.call('w1.t', 'w1.2', 'a2', 'make', []);
    expect(await caller.get(['w1.1'])).toEqual({ ok: true, value: 'asked the coordinator' });
    expect(await caller.get(['w1.2'])).toEqual({ ok: true, value: 'asked the coordinator' });
    caller.direct.flush();
    const calls = (room.sent('actorCallsSent') as Array<Extract<ControlMessage, { type: 'actorCallsSent' }>>).flatMap((m) => m.calls);
    // The bounced call never ran: the coordinator is given it to send where the actor is.
    expect(calls.filter((call) => call.unsent)).toEqual([{ callId: 'w1.1', actorId: 'a1', method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [1], unsent: true }]);
  });

  it('times a get out like the coordinator does', async () => {
    const room = new Room();
    const caller = room.page('w1');
    room.page('w2', { a1: () => new Promise(() => {}) });
    room.route('w1', 'a1', 'w2');
    caller.direct.call('w1.t', 'w1.1', 'a1', 'slow', []);
    const reply = (await caller.get(['w1.1'], undefined, 20)) as HostReply;
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error.code).toBe('ERR_TIMEOUT');
  });

  it('finds refs anywhere in a wire value', () => {
    expect(hasRefs([1, 'a', { b: [{ $shoalRef: 'x' }] }])).toBe(true);
    expect(hasRefs([1, { $shoalActor: 'a' }, null])).toBe(false);
  });
});

describe('DirectCalls: the Web Workers’ port calls', () => {
  it('announces port calls (with their arguments where the actor retries), reports their outcomes, and hands bounced ones to the coordinator at once', async () => {
    const room = new Room();
    const caller = room.page('w1');
    const events: unknown[] = [];
    caller.direct.onRouteEvent = (event) => events.push(event);
    const located = caller.direct.locate('a1');
    expect(room.sent('actorLocate')).toEqual([{ type: 'actorLocate', actorId: 'a1' }]);
    room.route('w1', 'a1', 'w2', { retries: true });
    expect(await located).toEqual({ workerId: 'w2', dead: false, retries: true });
    expect(events).toEqual([]); // a first answer changes nothing a port was granted on
    caller.direct.portCalls([{ parentTaskId: 't1', callId: 'w1.1.1', actorId: 'a1', method: 'add', args: [1], at: 'w2' }]);
    expect(room.sent('actorCallsSent')).toEqual([]); // batched
    caller.direct.portCalls([{ parentTaskId: 't1', callId: 'w1.1.2', actorId: 'a1', method: 'add', args: [2], at: 'w2', unsent: true }]);
    expect(room.sent('actorCallsSent')).toEqual([
      {
        type: 'actorCallsSent',
        calls: [
          { callId: 'w1.1.1', actorId: 'a1', method: 'add', parentTaskId: 't1', at: 'w2', args: [1] },
          { callId: 'w1.1.2', actorId: 'a1', method: 'add', parentTaskId: 't1', at: 'w2', args: [2], unsent: true },
        ],
      },
    ]);
    const host = room.page('w2');
    host.direct.portServed([{ actorId: 'a1', callId: 'w1.1.1', result: { ok: true, value: 1 }, durationMs: 0.1, checkpoint: { n: 1 } }]);
    host.direct.flush();
    expect(room.sent('actorResults')).toEqual([{ type: 'actorResults', results: [{ actorId: 'a1', callId: 'w1.1.1', result: { ok: true, value: 1 }, durationMs: 0.1, checkpoint: { n: 1 } }] }]);
    room.route('w1', 'a1', 'w3');
    caller.direct.peerLost('w3');
    expect(events).toEqual([{ actor: 'a1' }, { peer: 'w3' }]);
  });
});
