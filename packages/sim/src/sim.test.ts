import { describe, expect, it } from 'vitest';
import { Clock, Resource, seeded } from './clock.ts';
import { fullMeshCost, simulateJoin } from './joinSim.ts';
import { simulateTasks } from './taskSim.ts';

describe('Clock and Resource', () => {
  it('runs timers in time order, ties in scheduling order', () => {
    const clock = new Clock();
    const seen: string[] = [];
    clock.at(5, () => seen.push('b'));
    clock.at(1, () => {
      seen.push('a');
      clock.after(4, () => seen.push('c'));
    });
    clock.at(9, () => seen.push('d'));
    expect(clock.run()).toBe(9);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('serves one job at a time, first come first served', () => {
    const r = new Resource();
    expect(r.serve(0, 2)).toBe(2);
    expect(r.serve(1, 2)).toBe(4);
    expect(r.serve(10, 1)).toBe(11);
    expect(r.busyMs).toBe(5);
  });

  it('repeats its randomness from a seed', () => {
    const a = seeded(3);
    const b = seeded(3);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('join storms', () => {
  it('costs O(1) signaling messages per join in the star, whatever the size', () => {
    const small = simulateJoin({ workers: 50, arrivalWindowMs: 1000 });
    const big = simulateJoin({ workers: 500, arrivalWindowMs: 1000 });
    expect(small.signalingPerJoin).toBe(big.signalingPerJoin);
    expect(big.linksPerWorker).toBe(1);
    expect(big.allReadyMs).toBeGreaterThan(0);
    // A full mesh grows with the room.
    expect(fullMeshCost(500).signalingPerJoin).toBeGreaterThan(50 * fullMeshCost(5).signalingPerJoin);
  });

  it('queues joins on the coordinator once connection setup outruns it', () => {
    // 2,000 joins in 1 s at 4 ms of coordinator CPU each cannot finish before 8 s.
    const storm = simulateJoin({ workers: 2000, arrivalWindowMs: 1000 });
    expect(storm.allReadyMs).toBeGreaterThan(8000);
    expect(storm.coordinatorBusy).toBeGreaterThan(0.9);
    const trickle = simulateJoin({ workers: 100, arrivalWindowMs: 10_000 });
    expect(trickle.medianJoinMs).toBeLessThan(100);
  });
});

describe('scheduling throughput', () => {
  it('runs every task through the real scheduler, bounded by the workers when tasks are long', () => {
    const r = simulateTasks({ workers: 20, slots: 2, tasks: 400, taskMs: 100 });
    expect(r.finished).toBe(400);
    expect(r.tasksPerSec).toBeLessThanOrEqual(r.idealTasksPerSec * 1.01);
    expect(r.tasksPerSec).toBeGreaterThan(r.idealTasksPerSec * 0.5);
    expect(r.coordinatorBusy).toBeLessThan(0.5);
  });

  it('is bounded by the coordinator when tasks are trivial', () => {
    const r = simulateTasks({ workers: 50, tasks: 2000, taskMs: 0.1, network: { coordinatorMsgMs: 0.05 } });
    expect(r.finished).toBe(2000);
    expect(r.coordinatorBusy).toBeGreaterThan(0.8);
    // about 2 messages (runTask, taskDone) of 0.05 ms per task, plus the step: at most ~10k tasks/s
    expect(r.tasksPerSec).toBeLessThan(10_500);
  });
});
