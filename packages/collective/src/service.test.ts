import { describe, expect, it } from 'vitest';
import { CollectiveService } from './service.ts';
import { memberGroup } from './member.ts';
import { ShoalRendezvous } from './rendezvous.ts';

/** Pages wired to each other in memory: a push lands in the target's onPushed on a later macrotask, unless the target is closed. */
function pages(ids: string[]) {
  const closed = new Set<string>();
  const services = new Map<string, CollectiveService>();
  for (const self of ids) {
    services.set(
      self,
      new CollectiveService({
        self,
        ring: { chunkBytes: 4096 },
        push: (peer, objectId, data) =>
          new Promise((resolve, reject) =>
            setTimeout(() => {
              if (closed.has(peer) || closed.has(self)) return reject(new Error(`peer ${peer} is gone`));
              services.get(peer)!.onPushed(objectId, data);
              resolve();
            }, 1),
          ),
      }),
    );
  }
  const close = (peer: string) => {
    closed.add(peer);
    for (const [id, service] of services) if (id !== peer) service.peerLost(peer);
  };
  return { services, close };
}

describe('CollectiveService', () => {
  it('runs a group spread over pages, two members on one page, for every op', async () => {
    const { services } = pages(['A', 'B', 'C']);
    const peers = ['A', 'B', 'B', 'C'];
    const groups = peers.map((peer, rank) => memberGroup('g1', rank, peers, (request) => services.get(peer)!.run(request)));
    const sums = await Promise.all(groups.map((g) => g.allreduce(Float32Array.from({ length: 5000 }, (_, i) => (i % 9) + g.rank))));
    for (const sum of sums) expect(Array.from(sum.subarray(0, 3))).toEqual([6, 10, 14]);
    const maxes = await Promise.all(groups.map((g) => g.allreduce(new Float64Array([g.rank, -g.rank - 1]), 'max')));
    for (const max of maxes) expect(Array.from(max)).toEqual([3, -1]);
    const means = await Promise.all(groups.map((g) => g.allreduce(new Float64Array([g.rank * 2]), 'mean')));
    for (const mean of means) expect(Array.from(mean)).toEqual([3]);
    const gathered = await Promise.all(groups.map((g) => g.allgather(new Float64Array([g.rank, 10]))));
    for (const all of gathered) expect(all.map((a) => Array.from(a))).toEqual([[0, 10], [1, 10], [2, 10], [3, 10]]);
    const broadcast = await Promise.all(groups.map((g) => g.broadcast(g.rank === 1 ? new Float32Array([7, 8, 9]) : new Float32Array(3), 1)));
    for (const b of broadcast) expect(Array.from(b)).toEqual([7, 8, 9]);
    const scattered = await Promise.all(groups.map((g) => g.reduceScatter(new Float64Array(8).fill(1))));
    for (const part of scattered) expect(Array.from(part)).toEqual([4, 4]);
    await Promise.all(groups.map((g) => g.barrier()));
  });

  it('the task’s own array is left as it was', async () => {
    const { services } = pages(['A', 'B']);
    const peers = ['A', 'B'];
    const inputs = [new Float64Array([1, 2]), new Float64Array([3, 4])];
    const groups = peers.map((peer, rank) => memberGroup('g2', rank, peers, (request) => services.get(peer)!.run(request)));
    await Promise.all(groups.map((g, r) => g.allreduce(inputs[r]!)));
    expect(Array.from(inputs[0]!)).toEqual([1, 2]);
  });

  it('a tab lost mid-allreduce gives ERR_GROUP_BROKEN on every remaining member; a new group of those left works', async () => {
    const { services, close } = pages(['A', 'B', 'C', 'D']);
    const peers = ['A', 'B', 'C', 'D'];
    const groups = peers.map((peer, rank) => memberGroup('g3', rank, peers, (request) => services.get(peer)!.run(request)));
    const runs = groups.map((g) => g.allreduce(new Float64Array(200_000).fill(1)));
    runs[2]!.catch(() => undefined); // C's own member dies with its tab
    setTimeout(() => close('C'), 5);
    const settled = await Promise.allSettled([runs[0], runs[1], runs[3]]);
    for (const outcome of settled) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason.code).toBe('ERR_GROUP_BROKEN');
    }
    // A later collective on the broken group fails at once.
    await expect(groups[0]!.barrier()).rejects.toMatchObject({ code: 'ERR_GROUP_BROKEN' });
    const left = ['A', 'B', 'D'];
    const again = left.map((peer, rank) => memberGroup('g4', rank, left, (request) => services.get(peer)!.run(request)));
    const sums = await Promise.all(again.map((g) => g.allreduce(new Float64Array([1, 2]))));
    for (const sum of sums) expect(Array.from(sum)).toEqual([3, 6]);
  });

  it('a member whose push fails breaks the group and tells the others (no peerLost needed)', async () => {
    const { services } = pages(['A', 'B', 'C']);
    const peers = ['A', 'B', 'C'];
    // B's chunks to C fail (its aborts still pass): B breaks the group and tells A and C.
    const real = services.get('B')!;
    const failing = new CollectiveService({
      self: 'B',
      push: (peer, objectId, data) => (peer === 'C' && !objectId.includes('/abort/') ? Promise.reject(new Error('link down')) : Promise.resolve(services.get(peer)!.onPushed(objectId, data)).then(() => undefined)),
    });
    services.set('B', failing);
    void real;
    const groups = peers.map((peer, rank) => memberGroup('g5', rank, peers, (request) => services.get(peer)!.run(request)));
    const settled = await Promise.allSettled(groups.map((g) => g.allreduce(new Float64Array(1000).fill(1))));
    for (const outcome of settled) expect((outcome as PromiseRejectedResult).reason?.code).toBe('ERR_GROUP_BROKEN');
  });

  it('says when the page starts and stops running collectives (the heartbeat flags it so the coordinator waits longer)', async () => {
    const busy: Array<[string, boolean]> = [];
    const services = new Map<string, CollectiveService>();
    for (const self of ['A', 'B']) {
      services.set(
        self,
        new CollectiveService({
          self,
          ring: { chunkBytes: 4096 },
          onBusy: (now) => busy.push([self, now]),
          push: (peer, objectId, data) => new Promise((resolve) => setTimeout(() => resolve(void services.get(peer)!.onPushed(objectId, data)), 1)),
        }),
      );
    }
    const peers = ['A', 'B'];
    const groups = peers.map((peer, rank) => memberGroup('g6', rank, peers, (request) => services.get(peer)!.run(request)));
    const first = groups[0]!.allreduce(new Float64Array(10_000).fill(1));
    expect(services.get('A')!.busy).toBe(true);
    expect(services.get('B')!.busy).toBe(false);
    await Promise.all([first, groups[1]!.allreduce(new Float64Array(10_000).fill(1))]);
    expect(services.get('A')!.busy).toBe(false);
    expect(busy.filter(([page]) => page === 'A')).toEqual([['A', true], ['A', false]]);
    expect(busy.filter(([page]) => page === 'B')).toEqual([['B', true], ['B', false]]);
  });
});

describe('CollectiveService: a member whose task fails', () => {
  it('breaks its groups, so the members still waiting for it get ERR_GROUP_BROKEN instead of hanging', async () => {
    const { services } = pages(['A', 'B', 'C']);
    const peers = ['A', 'B', 'C'];
    const groups = peers.map((peer, rank) => memberGroup('g7', rank, peers, (request) => services.get(peer)!.run(request), `task-${rank}`));
    // All three reduce once; then rank 2's task throws before the second allreduce, which ranks 0 and 1 enter.
    await Promise.all(groups.map((g) => g.allreduce(new Float64Array(100).fill(1))));
    const waiting = [groups[0]!.allreduce(new Float64Array(100)), groups[1]!.allreduce(new Float64Array(100))];
    services.get('C')!.taskEnded('task-2', false);
    for (const outcome of await Promise.allSettled(waiting)) expect((outcome as PromiseRejectedResult).reason?.code).toBe('ERR_GROUP_BROKEN');
  });

  it('leaves the group alone when the task ends well, or was no member', async () => {
    const { services } = pages(['A', 'B']);
    const peers = ['A', 'B'];
    const groups = peers.map((peer, rank) => memberGroup('g8', rank, peers, (request) => services.get(peer)!.run(request), `task-${rank}`));
    await Promise.all(groups.map((g) => g.barrier()));
    services.get('B')!.taskEnded('task-1', true);
    services.get('A')!.taskEnded('other', false);
    const sums = await Promise.all(groups.map((g) => g.allreduce(new Float64Array([1, 2]))));
    for (const sum of sums) expect(Array.from(sum)).toEqual([2, 4]);
  });
});

describe('ShoalRendezvous', () => {
  it('answers every member with every rank’s worker once all have joined', async () => {
    const r = new ShoalRendezvous(3);
    const first = r.join(2, 'w2');
    const second = r.join(0, 'w0');
    expect(r.join(1, 'w1')).toEqual(['w0', 'w1', 'w2']);
    expect(await first).toEqual(['w0', 'w1', 'w2']);
    expect(await second).toEqual(['w0', 'w1', 'w2']);
    expect(() => r.join(3, 'x')).toThrow(RangeError);
  });
});
