import { afterEach, describe, expect, it } from 'vitest';
import { BulkEndpoint } from './bulkEndpoint.ts';
import type { BulkChannel } from './bulkChannel.ts';
import { memoryChannelPair } from './bulkMemoryChannel.ts';
import { ByteLinks } from './byteLinks.ts';
import { ColocatedRegistry } from './colocatedRegistry.ts';
import { Emitter } from './emitter.ts';
import type { Mesh } from './mesh.ts';

/** Stands in for one browser's SharedWorker broker: every `new SharedWorker` gets a port to `registry`. */
const registry = new ColocatedRegistry({ watchLock: () => undefined });
const scope = globalThis as { SharedWorker?: unknown };
const hadSharedWorker = 'SharedWorker' in scope;
scope.SharedWorker = class {
  readonly port: MessagePort;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    registry.attach(port2);
    this.port = port1;
  }
};
afterEach(() => {
  if (!hadSharedWorker) delete scope.SharedWorker;
});

/** A PeerLink as ByteLinks sees it: `bulkRequested`, and `bulk()` with the channels given. */
class FakeLink extends Emitter<{ bulkRequested: [] }> {
  constructor(private readonly channels: BulkChannel[]) {
    super();
  }
  bulk(): Promise<BulkChannel[]> {
    return Promise.resolve(this.channels);
  }
  /** The peer started the link's bulk connection. */
  peerStartsBulk(): void {
    this.emit('bulkRequested');
  }
}

/** A mesh with one open link, to `peer`. */
function meshWith(self: string, peer: string, link: FakeLink): Mesh {
  const events = new Emitter<{ peerOpen: [{ peerId: string }]; peerClosed: [{ peerId: string }]; closed: [] }>();
  return Object.assign(events, {
    peerId: self,
    isBusy: () => false,
    touch: () => undefined,
    linkTo: (peerId: string) => (peerId === peer ? link : undefined),
    link: async () => link,
    peers: () => [{ info: { peerId: peer, role: 'worker' }, state: 'open', pinned: false }],
    controlTraffic: () => ({ controlBytesIn: 0, controlBytesOut: 0 }),
  }) as unknown as Mesh;
}

describe('ByteLinks', () => {
  it("serves a peer's fetches over their link's bulk channels even when it already has a co-located endpoint to that peer", async () => {
    // On a starved machine A's co-located connect to B can time out after the broker handed B the port:
    // A then fetches over the WebRTC link, and B must answer there, not only on the co-located port.
    const [atA, atB] = memoryChannelPair();
    const linkAtB = new FakeLink([atB]);
    const object = new Uint8Array([5, 6, 7, 8]).buffer;
    const served: string[] = [];
    const b = new ByteLinks(meshWith('B', 'A', linkAtB), async (id) => (served.push(id), id === 'x' ? object.slice(0) : null));
    const a = new ByteLinks(meshWith('A', 'B', new FakeLink([])), async () => null);
    await new Promise((resolve) => setTimeout(resolve, 20)); // both registered with the broker
    const colocated = await a.fetcher('B'); // A reaches B through the broker: B now has a co-located endpoint to A
    expect(a.paths.get('B')).toBe('colocated');
    expect(new Uint8Array(await colocated.fetch('x'))).toEqual(new Uint8Array([5, 6, 7, 8]));
    // A starts the link's bulk channels and fetches over them.
    linkAtB.peerStartsBulk();
    const overLink = new BulkEndpoint([atA], { peerId: 'B', serve: async () => null });
    expect(new Uint8Array(await overLink.fetch('x'))).toEqual(new Uint8Array([5, 6, 7, 8]));
    expect(served).toEqual(['x', 'x']);
    overLink.close();
    colocated.close();
  });
});
