import { afterEach, describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { BulkEndpoint } from './bulkEndpoint.ts';
import type { BulkChannel } from './bulkChannel.ts';
import { Colocated } from './colocated.ts';
import { ColocatedRegistry } from './colocatedRegistry.ts';

/** Stands in for navigator.locks: the test says when a page's lock is released (the tab died). */
class FakeLocks {
  readonly watchers = new Map<string, () => void>();
  watch = (name: string, onReleased: () => void): void => void this.watchers.set(name, onReleased);
}

const open: Colocated[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** A page: a Colocated client attached to `registry` over a MessageChannel. */
function page(registry: ColocatedRegistry, peerId: string, timeoutMs = 5000, chunkBytes?: number): Colocated {
  const { port1, port2 } = new MessageChannel();
  registry.attach(port2);
  const client = new Colocated(peerId, port1, { useLock: false, connectTimeoutMs: timeoutMs, ...(chunkBytes ? { chunkBytes } : {}) });
  open.push(client);
  return client;
}

function bytesOf(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 9)) & 0xff;
  return out;
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('co-located path', () => {
  it('connects two tabs through the broker and fetches an object as one buffer', async () => {
    const registry = new ColocatedRegistry({ watchLock: new FakeLocks().watch });
    const a = page(registry, 'A');
    const b = page(registry, 'B');
    const data = bytesOf(3_000_000);
    const incoming: Array<[string, BulkChannel]> = [];
    b.on('incoming', (peerId, channel) => {
      incoming.push([peerId, channel]);
      new BulkEndpoint([channel], { peerId, serve: (id) => (id === 'obj' ? data.slice().buffer : null) });
    });
    await tick(); // both registered
    const channel = await a.connect('B');
    expect(channel).not.toBeNull();
    expect(channel!.maxMessage).toBe(4 * 1024 * 1024);
    const endpoint = new BulkEndpoint([channel!], { peerId: 'B' });
    const bodies: number[] = [];
    channel!.subscribe({ message: (_frame, body) => void (body && bodies.push(body.byteLength)) });
    const got = new Uint8Array(await endpoint.fetch('obj'));
    expect(bodies).toEqual([3_000_000]); // one chunk, its payload a buffer of its own (adopted, not copied)
    expect(Buffer.compare(got, data)).toBe(0);
    expect(incoming.map(([id]) => id)).toEqual(['A']);
    expect(endpoint.stats()).toMatchObject({ bytesReceived: 3_000_000, transfersIn: 1, corruptTransfers: 0 });
    await expect(endpoint.fetch('missing')).rejects.toMatchObject({ code: 'ERR_OBJECT_LOST' });
  });

  it('cuts objects bigger than the chunk size into body chunks', async () => {
    const registry = new ColocatedRegistry({ watchLock: new FakeLocks().watch });
    const a = page(registry, 'A');
    const b = page(registry, 'B', 5000, 1_000_000); // B sends in chunks of 1 MB
    const data = bytesOf(2_500_000);
    b.on('incoming', (peerId, channel) => new BulkEndpoint([channel], { peerId, serve: () => data.slice().buffer }));
    await tick();
    const channel = (await a.connect('B'))!;
    const bodies: number[] = [];
    channel.subscribe({ message: (_frame, body) => void (body && bodies.push(body.byteLength)) });
    const got = new Uint8Array(await new BulkEndpoint([channel], { peerId: 'B' }).fetch('any'));
    expect(Buffer.compare(got, data)).toBe(0);
    expect(bodies).toEqual([1_000_000, 1_000_000, 500_000]);
  });

  it('answers null quickly for a peer that is not in this browser, or for itself', async () => {
    const registry = new ColocatedRegistry({ watchLock: new FakeLocks().watch });
    const a = page(registry, 'A');
    const started = Date.now();
    expect(await a.connect('elsewhere')).toBeNull();
    expect(await a.connect('A')).toBeNull();
    expect(Date.now() - started).toBeLessThan(150);
  });

  it('answers null without a broker, and within the timeout when the broker is silent', async () => {
    expect(await new Colocated('A', null).connect('B')).toBeNull();
    const { port1 } = new MessageChannel(); // nobody on the other end
    const silent = new Colocated('A', port1, { useLock: false, connectTimeoutMs: 50 });
    open.push(silent);
    const started = Date.now();
    expect(await silent.connect('B')).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('drops a tab that unregisters, and closes the links to it so fetches fail with ERR_OBJECT_LOST', async () => {
    const registry = new ColocatedRegistry({ watchLock: new FakeLocks().watch });
    const a = page(registry, 'A');
    const b = page(registry, 'B');
    b.on('incoming', (peerId, channel) => new BulkEndpoint([channel], { peerId, serve: () => new Promise<never>(() => undefined) }));
    await tick();
    const endpoint = new BulkEndpoint([(await a.connect('B'))!], { peerId: 'B' });
    const fetching = endpoint.fetch('slow');
    b.close(); // pagehide / tab closed cleanly
    const error = await fetching.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShoalError);
    expect((error as ShoalError).code).toBe('ERR_OBJECT_LOST');
    await tick();
    expect(registry.peers()).toEqual(['A']);
    expect(await a.connect('B')).toBeNull();
  });

  it('drops a tab whose lock is released (it crashed) and tells its peers', async () => {
    const locks = new FakeLocks();
    const registry = new ColocatedRegistry({ watchLock: locks.watch });
    const a = page(registry, 'A');
    // A page that registers with a lock, written by hand (the Colocated client would need navigator.locks).
    const { port1, port2 } = new MessageChannel();
    registry.attach(port2);
    port1.start();
    port1.postMessage({ type: 'register', peerId: 'C', lock: 'lock-C' });
    port1.addEventListener('message', (event: MessageEvent) => {
      if (event.data?.type === 'incoming') (event.data.port as MessagePort).start(); // keep it, say nothing
    });
    await tick();
    const channel = await a.connect('C');
    expect(channel).not.toBeNull();
    const closed = new Promise<void>((resolve) => channel!.subscribe({ close: resolve }));
    locks.watchers.get('lock-C')!(); // the tab is gone
    await closed;
    expect(channel!.readyState).toBe('closed');
    expect(registry.peers()).toEqual(['A']);
    port1.close();
  });

  it('lets a re-registered peer id replace the old one', async () => {
    const registry = new ColocatedRegistry({ watchLock: new FakeLocks().watch });
    page(registry, 'A');
    page(registry, 'A');
    await tick();
    expect(registry.peers()).toEqual(['A']);
  });
});
