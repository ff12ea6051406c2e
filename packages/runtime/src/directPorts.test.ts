/**
 * The page's side of direct ports without a browser: grants from the route,
 * numbered route events for watchers, and the broker's relay of a port
 * between two pages (plain MessageChannels in place of the SharedWorker).
 */
import { describe, expect, it } from 'vitest';
import { DirectPorts } from './directPorts.ts';
import { PortRelay, PortRelayRegistry } from './directPortRelay.ts';
import type { DirectCalls, Route, RouteEvent } from './directCalls.ts';

function page(route: Route | null, hosts: string[] = []) {
  const accepted: string[] = [];
  const direct = { onRouteEvent: (_event: RouteEvent) => {}, locate: async () => route, portCalls: () => {}, portServed: () => {} } as unknown as DirectCalls;
  const ports = new DirectPorts({
    self: 'w1',
    direct,
    colocated: false,
    acceptHere: (actorId) => {
      accepted.push(actorId);
      return hosts.includes(actorId);
    },
    keep: () => {},
  });
  return { ports, direct, accepted, fire: (event: RouteEvent) => direct.onRouteEvent(event) };
}

describe('DirectPorts', () => {
  it('grants a port to an actor on this tab, and none to one not alive or on another machine', async () => {
    const here = page({ workerId: 'w1', dead: false, retries: false }, ['a1']);
    const grant = await here.ports.request('a1');
    expect(grant).toMatchObject({ at: 'w1', seq: 0 });
    grant?.port.close();
    expect(here.accepted).toEqual(['a1']);
    expect(await page({ workerId: null, dead: false, retries: false }).ports.request('a1')).toBeNull();
    expect(await page({ workerId: 'w1', dead: true, retries: false }).ports.request('a1')).toBeNull();
    expect(await page({ workerId: 'w9', dead: false, retries: false }).ports.request('a1')).toBeNull(); // not co-located: the page's way
    expect(await page({ workerId: 'w1', dead: false, retries: false }, []).ports.request('a1')).toBeNull(); // it is not here after all
  });

  it('numbers route events; a watcher hears those after the last it saw, and waits while there are none', async () => {
    const { ports, fire } = page(null);
    fire({ actor: 'a1' });
    fire({ peer: 'w2' });
    expect(await ports.watch(0)).toEqual({ seq: 2, all: false, actors: ['a1'], peers: ['w2'] });
    expect(await ports.watch(1)).toEqual({ seq: 2, all: false, actors: [], peers: ['w2'] });
    let heard: unknown = null;
    void ports.watch(2).then((events) => (heard = events));
    await Promise.resolve();
    expect(heard).toBeNull();
    fire({ all: true });
    await Promise.resolve();
    expect(heard).toEqual({ seq: 3, all: true, actors: [], peers: [] });
  });
});

describe('PortRelay through PortRelayRegistry', () => {
  it('passes a port to a registered page (which gets its far end working), and says no for one that is not', async () => {
    const registry = new PortRelayRegistry();
    const toBroker = () => {
      const channel = new MessageChannel();
      registry.attach(channel.port1 as unknown as MessagePort);
      return channel.port2 as unknown as MessagePort;
    };
    const got: Array<{ from: string; actorId: string; port: MessagePort }> = [];
    const a = new PortRelay(toBroker(), 'wA', () => {});
    const b = new PortRelay(toBroker(), 'wB', (from, actorId, port) => got.push({ from, actorId, port }));
    await new Promise((resolve) => setTimeout(resolve, 10)); // both registered
    const channel = new MessageChannel();
    expect(await a.offer('wB', 'a1', channel.port1 as unknown as MessagePort)).toBe(true);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(got.map(({ from, actorId }) => [from, actorId])).toEqual([['wA', 'a1']]);
    const echoed = new Promise((resolve) => (channel.port2.onmessage = (event) => resolve(event.data)));
    got[0]!.port.postMessage('hello');
    expect(await echoed).toBe('hello');
    expect(await a.offer('nobody', 'a1', new MessageChannel().port1 as unknown as MessagePort)).toBe(false);
    a.close();
    b.close();
    channel.port2.close();
    got[0]!.port.close();
  });
});
