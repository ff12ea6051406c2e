import { describe, expect, test } from 'vitest';
import * as arrow from 'apache-arrow';
import { dataNamespace } from './api.ts';
import { blockLib } from './blockLib.ts';
import { fuseTransforms, explain } from './plan.ts';
import { limitCut, operatorWindow, rangeBlockCount, rangeReads, repartitionSlices, splitBlocks } from './partition.ts';
import { addActor, answered, createPool, idleToRetire, pickActor, sent, shouldGrow } from './poolPolicy.ts';
import { testCluster } from './testCluster.ts';

const lib = blockLib();

describe('partition (pure)', () => {
  test.each([
    [10, 3, [[0, 4], [4, 7], [7, 10]]],
    [2, 5, [[0, 1], [1, 2]]],
    [0, 4, [[0, 0]]],
  ])('rangeReads(%i, %i)', (n, blocks, want) => {
    expect(rangeReads(n, blocks).map((r) => (r.kind === 'range' ? [r.start, r.end] : null))).toEqual(want);
  });
  test.each([
    [1_000_000, 8 * 1024 * 1024, 2, 2],
    [100_000_000, 8 * 1024 * 1024, 2, 96],
    [3, 8, 10, 3],
  ])('rangeBlockCount(%i, %i, %i) = %i', (n, bytes, min, want) => expect(rangeBlockCount(n, bytes, min)).toBe(want));
  test('repartitionSlices covers every row once, outputs within one row', () => {
    const rows = [5, 0, 7, 3];
    for (const n of [1, 2, 3, 7, 20]) {
      const out = repartitionSlices(rows, n);
      expect(out).toHaveLength(n);
      const sizes = out.map((s) => s.reduce((a, x) => a + x.end - x.start, 0));
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const seen = rows.map((r) => new Array(r).fill(0));
      for (const s of out) for (const x of s) for (let i = x.start; i < x.end; i++) seen[x.block]![i]++;
      expect(seen.flat().every((c) => c === 1)).toBe(true);
    }
  });
  test.each([
    [512 << 20, 8 << 20, 3, 8, 8],
    [256 << 20, 16 << 20, 3, 8, 2],
    [1, 16 << 20, 3, 8, 1],
  ])('operatorWindow(%i, %i, %i, %i) = %i', (budget, block, ops, max, want) => expect(operatorWindow(budget, block, ops, max)).toBe(want));
  test('limitCut and splitBlocks', () => {
    expect([limitCut(0, 10, 25), limitCut(20, 10, 25), limitCut(25, 10, 25)]).toEqual([10, 5, 0]);
    expect(splitBlocks([10, 1, 1, 10], 2)).toEqual([[0], [1, 2, 3]]);
    expect(splitBlocks([5, 5, 5, 5], 2)).toEqual([[0, 2], [1, 3]]);
  });
});

describe('pool policy (pure)', () => {
  test('least loaded, grow when all busy, retire idle above min', () => {
    const pool = createPool(1, 3, { perActor: 2, idleMs: 100 });
    addActor(pool, 0);
    expect(shouldGrow(pool)).toBe(false);
    sent(pickActor(pool)!);
    expect(shouldGrow(pool)).toBe(true);
    addActor(pool, 0);
    expect(pickActor(pool)!.id).toBe(1);
    sent(pool.actors[1]!);
    sent(pool.actors[0]!);
    expect(pickActor(pool)!.id).toBe(1);
    sent(pool.actors[1]!);
    expect(pickActor(pool)).toBeNull();
    addActor(pool, 0);
    expect(shouldGrow(pool)).toBe(false); // actor 2 is idle
    expect(pool.peak).toBe(3);
    answered(pool.actors[0]!, 10);
    answered(pool.actors[0]!, 20);
    pool.actors[2]!.idleSince = 5;
    expect(idleToRetire(pool, 50)).toEqual([]);
    expect(idleToRetire(pool, 150)).toEqual([2, 0]);
    pool.actors[1]!.inFlight = 0;
    pool.actors[1]!.idleSince = 0;
    expect(idleToRetire(pool, 150)).toEqual([1, 2]); // keeps min = 1
  });
});

describe('blockLib', () => {
  test('rows, columns and arrow round trips', () => {
    const b = lib.fromRows([{ a: 1, s: 'x' }, { a: 2, s: 'y' }, { a: 3 }]);
    expect(b.cols['a']).toBeInstanceOf(Float64Array);
    expect(lib.toRows(b)).toEqual([{ a: 1, s: 'x' }, { a: 2, s: 'y' }, { a: 3, s: null }]);
    const t = lib.toArrow(b, arrow);
    expect(lib.toRows(lib.fromArrow(t))).toEqual(lib.toRows(b));
    expect(lib.concat([lib.slice(b, 0, 1), lib.slice(b, 1, 3)])).toEqual(b);
    expect(() => lib.normalize(5)).toThrow(/number/);
    expect(() => lib.normalize({ a: [1, 2], b: [1] })).toThrow(/has 1 values/);
  });
});

describe('datasets on an in-process cluster', () => {
  const setup = (slots = 2) => {
    const cluster = testCluster(slots);
    return { cluster, data: dataNamespace(cluster, undefined, arrow) };
  };

  test('map, filter, flatMap, mapBatches, count and take', async () => {
    const { data } = setup();
    const ds = data.range(100, { blocks: 7 }).map((r) => ({ id: r.id, sq: r.id * r.id })).filter((r) => r.id % 3 === 0).flatMap((r) => [r, { id: -r.id, sq: 0 }]);
    expect(await ds.count()).toBe(68);
    const first = await ds.take(4);
    expect(first).toEqual([{ id: 0, sq: 0 }, { id: -0, sq: 0 }, { id: 3, sq: 9 }, { id: -3, sq: 0 }]);
    const doubled = data.range(10).mapBatches((b: { id: Float64Array }) => ({ x: b.id.map((v) => v * 2) }), { batchSize: 3 });
    expect((await doubled.takeAll()).map((r) => r['x'])).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    const arrowed = data.range(5).mapBatches((t: any) => t.numRows && [{ n: t.numRows }], { batchFormat: 'arrow' });
    expect(await arrowed.takeAll()).toEqual([{ n: 3 }, { n: 2 }]);
    expect(ds.explain()).toBe('Range(100)\nMap(<lambda>)\nFilter(<lambda>)\nFlatMap(<lambda>)');
  });

  test('limit stops early; repartition, union, randomShuffle, split keep every row once', async () => {
    const { data } = setup();
    expect((await data.range(1000, { blocks: 10 }).limit(25).takeAll()).map((r) => r['id'])).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const rep = data.range(23, { blocks: 3 }).repartition(5);
    const rows = await rep.takeAll();
    expect(rows.map((r) => r['id'])).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(rep.lastStats.at(-1)!.blocksOut).toBe(5);
    const u = data.range(3).union(data.fromItems([{ id: 10 }, { id: 11 }]));
    expect((await u.takeAll()).map((r) => r['id'])).toEqual([0, 1, 2, 10, 11]);
    const shuffled = (await data.range(200, { blocks: 4 }).randomShuffle({ seed: 7 }).takeAll()).map((r) => r['id'] as number);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({ length: 200 }, (_, i) => i));
    const parts = await data.range(50, { blocks: 5 }).split(2);
    const counts = await Promise.all(parts.map((p) => p.count()));
    expect(counts[0]! + counts[1]!).toBe(50);
  });

  test('iterBatches re-batches across blocks; fromArrow', async () => {
    const { data } = setup();
    const sizes: number[] = [];
    for await (const batch of data.range(25, { blocks: 4 }).iterBatches({ batchSize: 10, batchFormat: 'rows' })) sizes.push((batch as unknown[]).length);
    expect(sizes).toEqual([10, 10, 5]);
    const table = arrow.tableFromArrays({ a: Float64Array.from([1, 2, 3]), b: ['x', 'y', 'z'] });
    expect(await data.fromArrow(table).filter((r) => r.a > 1).takeAll()).toEqual([{ a: 2, b: 'y' }, { a: 3, b: 'z' }]);
  });

  test('backpressure: objects held stay bounded however long the stream', async () => {
    const { cluster, data } = setup(2);
    data.context.maxBlocksPerOperator = 2;
    const ds = data.range(4000, { blocks: 200 }).mapBatches((b: { id: Float64Array }) => ({ id: b.id.map((v) => v + 1) })).mapBatches((b: { id: Float64Array }) => ({ s: [b.id.reduce((a, v) => a + v, 0)] }));
    let sum = 0;
    for await (const batch of ds.iterBatches({ batchFormat: 'columns' })) sum += (batch as { s: Float64Array }).s[0]!;
    expect(sum).toBe((4000 * 4001) / 2);
    // 3 operators × 2 blocks × (block + meta), plus inputs held by running tasks.
    expect(cluster.peakHeld()).toBeLessThanOrEqual(30);
    expect(cluster.held()).toBe(0);
  });

  test('an actor pool grows to max under load, loses an actor without losing or doubling a batch', async () => {
    const { cluster, data } = setup(2);
    cluster.delayMs = 5;
    class AddOffset {
      offset: number;
      constructor(offset: number) {
        this.offset = offset;
      }
      call(batch: { id: Float64Array }) {
        return { id: batch.id, v: batch.id.map((x) => x + this.offset) };
      }
    }
    const ds = data.range(300, { blocks: 30 }).mapBatches(AddOffset, { concurrency: [1, 3], constructorArgs: [1000] });
    let killed = false;
    const ids: number[] = [];
    for await (const batch of ds.iterBatches({ batchFormat: 'rows' })) {
      if (!killed) {
        cluster.killNextCall();
        killed = true;
      }
      for (const r of batch as { id: number; v: number }[]) {
        expect(r.v).toBe(r.id + 1000);
        ids.push(r.id);
      }
    }
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const pool = ds.lastStats.at(-1)!.actors!;
    expect(pool.peak).toBe(3);
    expect(cluster.actorsAlive()).toBe(0);
    expect(cluster.actorsCreated()).toBeGreaterThanOrEqual(4);
  });

  test('a pool shrinks to min when idle', async () => {
    const { cluster, data } = setup(2);
    cluster.delayMs = 2;
    class Slow {
      call(batch: { id: Float64Array }) {
        return batch;
      }
    }
    // The source is slow at the end (a filter that waits), so the pool idles mid-stream.
    const ds = data
      .range(40, { blocks: 40 })
      .map(async (r) => {
        if (r.id >= 30) await new Promise((res) => setTimeout(res, 60));
        return r;
      })
      .mapBatches(Slow, { concurrency: [1, 3], idleTimeoutMs: 100 });
    expect(await ds.count()).toBe(40);
    const history = ds.lastStats.at(-1)!.actors!.history.map((h) => h.alive);
    expect(Math.max(...history)).toBe(3);
    const peakAt = history.indexOf(3);
    expect(history.slice(peakAt).some((n) => n === 1)).toBe(true);
  });

  test('bad batches fail the dataset with ERR_BAD_BATCH naming the operator and block', async () => {
    const { data } = setup();
    const bad = data.range(10, { blocks: 2 }).mapBatches(function wrongShape() {
      return { a: [1, 2], b: [1] };
    });
    await expect(bad.count()).rejects.toMatchObject({ code: 'ERR_BAD_BATCH', message: expect.stringMatching(/MapBatches\(wrongShape\), block 0:0.*has 1 values/) });
    await expect(data.range(4).map(() => 5 as never).count()).rejects.toMatchObject({ code: 'ERR_BAD_BATCH' });
    class Bad {
      call() {
        return 'nope';
      }
    }
    await expect(data.range(4).mapBatches(Bad, { concurrency: 1 }).count()).rejects.toMatchObject({ code: 'ERR_BAD_BATCH', message: expect.stringMatching(/MapBatches\(Bad\)/) });
    expect(() => data.range(4).mapBatches(Bad, { concurrency: [3, 1] })).toThrow(/concurrency/);
    expect(() => data.range(4).mapBatches(Bad, { wat: 1 } as never)).toThrow(/valid ones are/);
  });
});

describe('fuseTransforms (pure)', () => {
  test('consecutive function transforms fuse; pools, barriers and unions stay apart', () => {
    const { data } = { data: dataNamespace(testCluster(), undefined, arrow) };
    class P {
      call(b: unknown) {
        return b;
      }
    }
    const plan = data.range(10).map((r) => r).filter(function keep() { return true; }).mapBatches(P).mapBatches(function a(b: unknown) { return b; }).mapBatches(function b(x: unknown) { return x; }).repartition(2).plan;
    expect(explain(fuseTransforms(plan))).toBe('Range(10)->Map(<lambda>)->Filter(keep)\nMapBatches(P)\nMapBatches(a)->MapBatches(b)\nRepartition(2)');
    // Blocks the job holds are stored already: the transforms after them stay an operator of their own.
    const held = data.fromItems([{ a: 1 }]).map((r) => r).filter(function keep() { return true; }).plan;
    expect(explain(fuseTransforms(held))).toBe('FromItems\nMap(<lambda>)->Filter(keep)');
  });
  test('a fused pipeline gives the same rows', async () => {
    const cluster = testCluster();
    const data = dataNamespace(cluster, undefined, arrow);
    expect(data.context.fuseTransforms).toBe(true); // Ray's default
    const ds = data.range(50, { blocks: 4 }).map((r) => ({ id: r.id * 2 })).filter((r) => r.id % 3 === 0).mapBatches((b: { id: Float64Array }) => ({ v: b.id.map((x) => x + 1) }));
    const want = Array.from({ length: 50 }, (_, i) => i * 2).filter((x) => x % 3 === 0).map((x) => x + 1);
    expect((await ds.takeAll()).map((r) => r['v'])).toEqual(want);
    expect(ds.lastStats.map((s) => s.name)).toEqual(['Range(50)->Map(<lambda>)->Filter(<lambda>)->MapBatches(<lambda>)']);
    data.context.fuseTransforms = false;
    expect((await ds.takeAll()).map((r) => r['v'])).toEqual(want);
    expect(ds.lastStats.map((s) => s.name)).toEqual(['Range(50)', 'Map(<lambda>)', 'Filter(<lambda>)', 'MapBatches(<lambda>)']);
  });
});
