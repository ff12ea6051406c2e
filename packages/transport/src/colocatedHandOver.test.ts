import { afterEach, describe, expect, it } from 'vitest';
import { BulkEndpoint } from './bulkEndpoint.ts';
import { Colocated } from './colocated.ts';
import { ColocatedRegistry } from './colocatedRegistry.ts';

const open: Colocated[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function page(registry: ColocatedRegistry, peerId: string): Colocated {
  const { port1, port2 } = new MessageChannel();
  registry.attach(port2);
  const client = new Colocated(peerId, port1, { useLock: false, connectTimeoutMs: 5000 });
  open.push(client);
  return client;
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('co-located pushes handed over (collectives)', () => {
  it('transfers a push handed over (the sender’s buffer is detached) and clones one that is not', async () => {
    const registry = new ColocatedRegistry({ watchLock: () => undefined });
    const a = page(registry, 'A');
    const b = page(registry, 'B');
    const got = new Map<string, Uint8Array>();
    b.on('incoming', (peerId, channel) => new BulkEndpoint([channel], { peerId, serve: () => null, onPushed: (id, buffer) => void got.set(id, new Uint8Array(buffer)) }));
    await tick();
    const endpoint = new BulkEndpoint([(await a.connect('B'))!], { peerId: 'B' });
    const kept = Uint8Array.from({ length: 300_000 }, (_, i) => i & 0xff);
    await endpoint.push('kept', kept.buffer);
    expect(kept.byteLength).toBe(300_000); // cloned: still the sender's
    const given = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 3) & 0xff);
    const expected = given.slice();
    await endpoint.push('given', given.buffer, { handOver: true });
    expect(given.byteLength).toBe(0); // transferred: detached here
    expect(endpoint.stats()).toMatchObject({ bytesSent: 600_000, transfersOut: 2, activeOut: 0 });
    expect(Buffer.compare(got.get('kept')!, kept)).toBe(0);
    expect(Buffer.compare(got.get('given')!, expected)).toBe(0);
  });
});
