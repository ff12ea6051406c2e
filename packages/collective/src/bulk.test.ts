/**
 * The service over transport's real BulkEndpoint (on in-memory channels):
 * chunk pushes, checksums and acknowledgements as on the worker tabs.
 */
import { describe, expect, it } from 'vitest';
import { BulkEndpoint, memoryChannelPair } from '@shoal/transport';
import { CollectiveService } from './service.ts';
import { memberGroup } from './member.ts';

function mesh(ids: string[]) {
  const services = new Map<string, CollectiveService>();
  const endpoints = new Map<string, BulkEndpoint>();
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const [a, b] = memoryChannelPair();
      const [x, y] = [ids[i]!, ids[j]!];
      endpoints.set(`${x}>${y}`, new BulkEndpoint([a], { peerId: y, onPushed: (id, data) => void services.get(x)!.onPushed(id, data) }));
      endpoints.set(`${y}>${x}`, new BulkEndpoint([b], { peerId: x, onPushed: (id, data) => void services.get(y)!.onPushed(id, data) }));
    }
  }
  for (const self of ids) services.set(self, new CollectiveService({ self, push: (peer, objectId, data) => endpoints.get(`${self}>${peer}`)!.push(objectId, data) }));
  return services;
}

describe('CollectiveService over BulkEndpoints', () => {
  it('allreduces 8 MiB across 4 pages', async () => {
    const services = mesh(['A', 'B', 'C', 'D']);
    const peers = ['A', 'B', 'C', 'D'];
    const groups = peers.map((peer, rank) => memberGroup('g', rank, peers, (request) => services.get(peer)!.run(request)));
    const t0 = performance.now();
    const sums = await Promise.all(groups.map((g) => g.allreduce(new Float32Array(2 * 1024 * 1024).fill(g.rank + 1))));
    const ms = performance.now() - t0;
    for (const sum of sums) {
      expect(sum.length).toBe(2 * 1024 * 1024);
      expect(sum.every((v) => v === 10)).toBe(true);
    }
    console.log(`8 MiB allreduce over in-memory bulk endpoints: ${ms.toFixed(0)} ms`);
  }, 60_000);
});
