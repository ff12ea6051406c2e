/**
 * Direct ports without a browser: a caller's ActorPorts and an actor's
 * ActorPortServer joined by a real MessageChannel (Node's), with the page
 * played by a fake TaskHost that records what it is told.
 */
import { describe, expect, it } from 'vitest';
import type { TaskResult } from '@shoal/protocol';
import { ActorPorts } from './actorPorts.ts';
import { ActorPortServer } from './actorPortServer.ts';
import type { ActorCallRequest, HostReply, PortCallNotice, PortEvents, PortGrant, PortReport, TaskHost } from './host.ts';

function rig(options: { grant?: boolean; slowMs?: number; refuse?: boolean; grantMs?: number } = {}) {
  const seen: number[] = [];
  let n = 0;
  const notices: PortCallNotice[] = [];
  const reports: PortReport[] = [];
  const viaPage: ActorCallRequest[] = [];
  const waited: string[][] = [];
  let watcher: ((events: PortEvents) => void) | null = null;
  let grants = 0;
  const actorHost = { actorPortServed: (batch: PortReport[]) => reports.push(...batch) } as unknown as TaskHost;
  const server = new ActorPortServer(
    () => actorHost,
    async (call) => {
      if (options.slowMs) await new Promise((resolve) => setTimeout(resolve, options.slowMs));
      const k = call.args[0] as number;
      seen.push(k);
      if (k < 0) return { ok: false, error: { name: 'Error', message: 'negative' }, durationMs: 0 };
      n += k;
      return { ok: true, value: n, durationMs: 0.1 };
    },
  );
  const host = {
    actorPort: async (actorId: string): Promise<PortGrant | null> => {
      if (options.grant === false) return null;
      grants += 1;
      if (options.grantMs) await new Promise((resolve) => setTimeout(resolve, options.grantMs));
      const channel = new MessageChannel();
      if (options.refuse) channel.port1.postMessage({ t: 'refused' });
      else server.accept(actorId, channel.port1 as unknown as MessagePort);
      return { port: channel.port2 as unknown as MessagePort, at: 'w2', seq: 0 };
    },
    actorPortWatch: (since: number) => new Promise<PortEvents>((resolve) => (watcher = resolve)).then((events) => ({ ...events, seq: since + 1 })),
    actorPortCalls: (batch: PortCallNotice[]) => notices.push(...batch),
    wait: async (_parent: string, ids: string[]) => {
      waited.push(ids);
      return { ok: true, value: ids } as HostReply;
    },
  } as unknown as TaskHost;
  const ports = new ActorPorts(host, { send: (call) => viaPage.push(call), flush: () => {} });
  let minted = 0;
  const call = (k: unknown, actorId = 'a1'): string => {
    const callId = `w1.1.${++minted}`;
    ports.call({ parentTaskId: 't1', callId, actorId, method: 'add', args: [k] });
    return callId;
  };
  const asked: string[][] = [];
  const get = (ids: string[], timeoutMs: number | null = null) =>
    ports.get(ids, timeoutMs, async () => {
      asked.push(ids);
      return { ok: true, value: ids.map(() => 'from the page') };
    });
  return { ports, server, call, get, seen, notices, reports, viaPage, waited, asked, fire: (events: Omit<PortEvents, 'seq'>) => watcher?.({ ...events, seq: 0 }), grants: () => grants };
}

/** Waits (up to 2 s, for a loaded machine) until `ready()`. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('ActorPorts and ActorPortServer', () => {
  it('sends calls on the port in order and answers gets from the replies; the page is told of every call and outcome', async () => {
    const r = rig();
    const ids = [1, 2, 3, 4].map((k) => r.call(k));
    expect(await r.get(ids)).toEqual({ ok: true, value: [1, 3, 6, 10] });
    expect(r.seen).toEqual([1, 2, 3, 4]);
    expect(r.asked).toEqual([]);
    expect(r.viaPage).toEqual([]);
    r.ports.flush();
    expect(r.notices.map((notice) => [notice.callId, notice.at])).toEqual(ids.map((id) => [id, 'w2']));
    r.server.flush();
    expect(r.reports.map((report) => [report.callId, (report.result as Extract<TaskResult, { ok: true }>).value])).toEqual(ids.map((id, i) => [id, [1, 3, 6, 10][i]]));
    expect(r.grants()).toBe(1);
    // read once: a second get of the same id is the page's
    expect(r.get([ids[0]!])).toBeNull();
  });

  it('leaves failures to the page (the coordinator words them), and reports them to the page at once', async () => {
    const r = rig();
    const id = r.call(-1);
    expect(await r.get([id])).toEqual({ ok: true, value: ['from the page'] });
    expect(r.asked).toEqual([[id]]);
    expect(r.reports).toHaveLength(1); // flushed without waiting for the batch
  });

  it('without a port, calls go the page way in order', async () => {
    const r = rig({ grant: false });
    const ids = [1, 2].map((k) => r.call(k));
    await until(() => r.viaPage.length === 2);
    expect(r.viaPage.map((call) => call.callId)).toEqual(ids);
    expect(r.get(ids)).toBeNull(); // not port calls: the context asks the page
  });

  it('a call with refs goes the page way once the port calls before it are answered, and the next port call waits for it to settle', async () => {
    const r = rig({ slowMs: 5 });
    const first = r.call(1);
    const withRef = r.call({ $shoalRef: 'x' });
    const after = r.call(2);
    await until(() => r.waited.length > 0);
    expect(r.viaPage.map((call) => call.callId)).toEqual([withRef]);
    expect(r.waited).toEqual([[withRef]]);
    expect(await r.get([first, after])).toEqual({ ok: true, value: [1, 3] });
  });

  it('a route change defers the calls in flight (their get asks the page) and the next call gets a new port', async () => {
    const r = rig({ slowMs: 20 });
    const inFlight = r.call(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    r.fire({ all: false, actors: ['a1'], peers: [] });
    expect(await r.get([inFlight])).toEqual({ ok: true, value: ['from the page'] });
    const next = r.call(2);
    await until(() => r.waited.length > 0);
    expect(r.waited).toEqual([[inFlight]]); // the deferred call settles before the new port is used
    expect(await r.get([next])).toEqual({ ok: true, value: [3] });
    expect(r.grants()).toBe(2);
  });

  it('a route change while the port is asked for: the stale grant is dropped, the new one used, and no call is lost', async () => {
    const r = rig({ grantMs: 15 });
    const first = r.call(1);
    await new Promise((resolve) => setTimeout(resolve, 2));
    r.fire({ all: false, actors: ['a1'], peers: [] }); // no watcher yet (it starts with the first grant): nothing happens
    const second = r.call(2);
    expect(await r.get([first, second])).toEqual({ ok: true, value: [1, 3] });
    // With a watcher: a change while a new lane asks.
    const third = r.call(3, 'a2');
    await new Promise((resolve) => setTimeout(resolve, 2));
    r.fire({ all: true, actors: [], peers: [] });
    const fourth = r.call(4, 'a2');
    expect(await r.get([third, fourth])).toEqual({ ok: true, value: [6, 10] });
    expect(r.grants()).toBe(3); // a1 once; a2 twice (the first grant came after the change)
  });

  it('a refused port bounces its calls to the coordinator (unsent, with their arguments)', async () => {
    const r = rig({ refuse: true });
    const id = r.call(7);
    expect(await r.get([id])).toEqual({ ok: true, value: ['from the page'] });
    expect(r.notices.filter((notice) => notice.unsent).map((notice) => [notice.callId, notice.args])).toEqual([[id, [7]]]);
  });

  it('a get with a timeout gives ERR_TIMEOUT when no reply comes', async () => {
    const r = rig({ slowMs: 200 });
    const id = r.call(1);
    const reply = await r.get([id], 10);
    expect(reply).toMatchObject({ ok: false, error: { code: 'ERR_TIMEOUT' } });
  });
});
