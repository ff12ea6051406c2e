/**
 * A seeded random walk through every event type, checking after each step
 * that the state's redundant parts agree (counts, usage, refcounts, heaps,
 * affinity queues, locations) and that no parked shape or affinity task
 * could in fact run now. Outputs are small or large (above
 * `localityMinBytes`), copies are stored and dropped, so locality placement
 * and lost objects are exercised too. Then a drain: everything finishes,
 * every handle is dropped, and the state must be empty again.
 */
import { describe, expect, it } from 'vitest';
import type { KeyedHeap } from './heap.ts';
import { heldBytes } from './locality.ts';
import { fitsTotals } from './resources.ts';
import { createState, type SchedulerState } from './state.ts';
import { step } from './step.ts';
import { ev } from './testTable.ts';
import type { SchedulerCommand, SchedulerEvent } from './types.ts';
import { fits, fitsDeeper } from './workers.ts';

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every entry's keys are no lower than its parent's, and (for indexed heaps) every item knows its place. */
function heapOrdered<T>(heap: KeyedHeap<T>, indexed: boolean): boolean {
  return heap.items.every((item, i) => {
    if (indexed && (item as { heapIndex: number }).heapIndex !== i) return false;
    if (i === 0) return true;
    const parent = (i - 1) >> 1;
    const [a, b, pa, pb] = [heap.firstKey(i), heap.secondKey(i), heap.firstKey(parent), heap.secondKey(parent)];
    return !(a < pa || (a === pa && b < pb));
  });
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`invariant broken: ${what}`);
}

function check(state: SchedulerState): void {
  const tally = { waiting: 0, ready: 0, running: 0 };
  const consumers = new Map<string, number>();
  for (const task of state.tasks.values()) {
    if (task.state === 'waiting' || task.state === 'ready' || task.state === 'running') tally[task.state] += 1;
    if (task.state !== 'failed') for (const id of task.spec.deps) consumers.set(id, (consumers.get(id) ?? 0) + 1);
    if (task.state === 'ready' && task.queue === 'shape') assert(task.shape?.tasks.items.includes(task) === true, `ready ${task.spec.taskId} queued`);
    if (task.state === 'ready' && task.queue === 'affinity') {
      const holder = task.affinity!;
      assert(state.workers.get(holder.workerId) === holder && holder.affinity?.items[task.heapIndex] === task, `${task.spec.taskId} in a present worker's affinity queue`);
      assert(fitsTotals(task.shape!.demand, holder.offer), `${task.spec.taskId} waits for a worker it fits`);
      assert((heldBytes(state, task).get(holder) ?? 0) >= state.config.localityMinBytes, `${task.spec.taskId} waits for a worker that holds its inputs`);
    }
    assert((task.state === 'ready') === (task.queue === 'shape' || task.queue === 'affinity'), `${task.spec.taskId}: ready iff queued (none fresh between steps)`);
    assert((task.queue === 'affinity') === (task.affinity !== null), `${task.spec.taskId}: affinity set iff in an affinity queue`);
    if (task.state === 'waiting' || task.state === 'ready') {
      assert(task.inputs.every((input) => input.state !== 'lost' && input.state !== 'failed'), `${task.spec.taskId} needs no lost or failed input`);
    }
    if (task.worker) assert(state.workers.get(task.worker.workerId) === task.worker, `${task.spec.taskId} on a present worker`);
    if (task.state === 'waiting') {
      const pending = task.spec.deps.filter((id) => state.objects.get(id)?.state === 'pending').length;
      assert(task.waitingOn === pending, `${task.spec.taskId} waits on ${pending}`);
    }
  }
  assert(JSON.stringify(state.counts) === JSON.stringify(tally), 'counts');
  assert(state.runnable.size === 0, 'dispatch drains runnable');
  for (const shape of state.shapes.values()) {
    assert(!shape.swept && shape.blocked === shape.tasks.size > 0 && state.blocked.has(shape) === shape.blocked, `shape ${shape.key} parked iff not empty`);
    assert(heapOrdered(shape.tasks, false), 'task heap');
    const live = shape.tasks.items.filter((task) => task.state === 'ready' && task.queue === 'shape' && task.shape === shape).length;
    assert(shape.ready === live && (live === 0 ? shape.tasks.size === 0 : shape.tasks.items[0]!.state === 'ready'), `shape ${shape.key}: live count, live top`);
    const best = shape.tasks.items[0];
    if (best) assert(shape.tasks.firstKey(0) === -best.priority && shape.tasks.secondKey(0) === best.rank, 'task keys');
    if (shape.blocked) for (const worker of state.workers.values()) assert(!fits(shape, worker), `parked shape ${shape.key} fits ${worker.workerId}`);
    if (shape.blocked && !shape.cpuBound) {
      for (const worker of state.workers.values()) assert(!fitsDeeper(shape, worker), `parked shape ${shape.key} waits only for cpu on ${worker.workerId}`);
    }
  }
  assert([...state.blocked].every((shape) => state.shapes.get(shape.key) === shape), 'parked shapes are kept');
  assert(heapOrdered(state.runnable, true) && heapOrdered(state.byLoad, true), 'heaps');
  assert(state.fresh.length === 0 && state.due.size === 0, 'dispatch drains fresh and due');
  let affinityTasks = 0;
  for (const worker of state.workers.values()) {
    const heap = worker.affinity;
    if (!heap) continue;
    affinityTasks += heap.size;
    assert(heapOrdered(heap, true), `affinity heap of ${worker.workerId}`);
    assert(heap.items.every((task) => task.state === 'ready' && task.affinity === worker), `affinity queue of ${worker.workerId} holds live tasks only`);
    const cpu = heap.items.reduce((sum, task) => sum + task.shape!.demand.cpu, 0);
    assert(Math.abs(worker.affinityCpu - cpu) < 1e-9, `affinity cpu of ${worker.workerId}`);
    if (heap.size > 0) assert(!fits(heap.items[0]!.shape!, worker), `best affinity task of ${worker.workerId} would fit it now`);
  }
  assert(state.affinityTasks === affinityTasks, 'affinity task count');
  assert([...state.affine].every((worker) => state.workers.get(worker.workerId) === worker && worker.affinity!.size > 0), 'affine: present workers with affinity tasks');
  assert([...state.workers.values()].every((worker) => state.affine.has(worker) === (worker.affinity !== null && worker.affinity.size > 0)), 'affine: all of them');
  state.byLoad.items.forEach((worker, i) => assert(state.byLoad.firstKey(i) === worker.load && state.byLoad.secondKey(i) === worker.joinSeq, 'worker keys'));
  let maxCpu = 0;
  for (const worker of state.workers.values()) {
    maxCpu = Math.max(maxCpu, worker.offer.cpu);
    let cpu = 0;
    let gpu = 0;
    let blocked = 0;
    const assigned = [...state.tasks.values()].filter((task) => task.worker === worker);
    assert(worker.assigned === assigned.length, `assigned to ${worker.workerId}`);
    for (const task of assigned) {
      if (task.blocked) blocked += 1;
      else {
        cpu += task.shape!.demand.cpu;
        gpu += task.shape!.demand.gpu;
      }
    }
    assert(Math.abs(worker.cpuInFlight - cpu) < 1e-9 && worker.gpuUsed === gpu && worker.blockedCount === blocked, `usage of ${worker.workerId}`);
  }
  assert(state.maxCpu === maxCpu, 'maxCpu');
  for (const object of state.objects.values()) {
    assert(object.consumers === (consumers.get(object.objectId) ?? 0), `consumers of ${object.objectId}`);
    assert(object.held || object.consumers > 0 || object.state === 'pending' || (object.state === 'evicted' && object.dependents > 0), `${object.objectId} should have been released`);
    if (object.state === 'evicted') assert(object.lineage !== null, `${object.objectId}: evicted only with lineage`);
    assert((object.state === 'ready') === (object.locations.length > 0), `${object.objectId}: ready iff it has a copy`);
    assert(new Set(object.locations).size === object.locations.length, `${object.objectId}: no location twice`);
    assert(object.locations.every((at) => at === null || state.workers.has(at)), `${object.objectId}: copies on present workers only`);
    if (object.state === 'lost') assert(object.error?.code === 'ERR_OBJECT_LOST', `${object.objectId}: lost with ERR_OBJECT_LOST`);
  }
}

/**
 * How a walk draws its events. 'mixed': every kind of event, half the
 * outputs large. 'locality': few workers, most outputs large and most tasks
 * consuming ready ones (no long chains to fail together), fewer losses (`losses`: the share of lost-worker and
 * dropped-copy draws that happen), so tasks often wait for a busy holder.
 */
const MIXES = {
  mixed: { maxWorkers: 8, bigShare: 0.5, depChance: 0.5, readyDeps: false, losses: 1 },
  locality: { maxWorkers: 4, bigShare: 0.9, depChance: 0.9, readyDeps: true, losses: 0.25 },
};

function walk(seed: number, mix: (typeof MIXES)[keyof typeof MIXES]): { lost: number; waited: number } {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(next() * items.length)];
  const state = createState({ roundTripMs: 2, maxInFlightPerSlot: 4 });
  const running = new Map<string, string>(); // taskId → workerId, as the driver sees it
  const workers: string[] = [];
  const outputs: string[] = [];
  let ids = 0;
  let lost = 0;
  let waited = 0; // the most tasks waiting for their inputs' holder at once
  const size = (): number => (next() < mix.bigShare ? 2 * 1024 * 1024 : 8);
  const dep = (): string | undefined => pick(mix.readyDeps ? outputs.filter((id) => state.objects.get(id)?.state === 'ready') : outputs);
  const apply = (event: SchedulerEvent): SchedulerCommand[] => {
    const commands = step(state, event);
    for (const command of commands) {
      if (command.type === 'runTask') running.set(command.taskId, command.workerId);
      if (command.type === 'releaseObject') outputs.splice(outputs.indexOf(command.objectId) >>> 0, 1);
      if (command.type === 'objectLost') lost += 1;
      if (command.type === 'runTask') for (const input of command.inputs) assert(input.locations.length > 0, `${command.taskId} runs with input ${input.objectId} held somewhere`);
    }
    check(state);
    waited = Math.max(waited, state.affinityTasks);
    return commands;
  };
  for (let i = 0; i < 1500; i++) {
    const roll = next();
    const busy = [...running];
    if ((roll < 0.05 && workers.length < mix.maxWorkers) || workers.length === 0) {
      const id = `w${ids++}`;
      workers.push(id);
      apply(ev.join(id, { cpu: 1 + Math.floor(next() * 3), gpu: next() < 0.3 ? 1 : 0, custom: next() < 0.2 ? { db: 1 } : {} }));
    } else if (roll < 0.07) {
      if (next() >= mix.losses) continue;
      const id = workers.splice(Math.floor(next() * workers.length), 1)[0]!;
      for (const [taskId, workerId] of busy) if (workerId === id) running.delete(taskId);
      apply(ev.lost(id));
    } else if (roll < 0.4) {
      const id = `t${ids++}`;
      const deps = [...new Set([dep(), dep(), next() < 0.05 ? `p${ids}` : undefined].filter((x): x is string => x !== undefined && next() < mix.depChance))];
      outputs.push(`${id}.0`);
      const resources = { cpu: Math.floor(next() * 3), gpu: next() < 0.15 ? 1 : 0, custom: next() < 0.05 ? { db: 1 } : ({} as Record<string, number>) };
      apply(ev.submit(id, { deps, group: pick(['f', 'g', 'h']), priority: Math.floor(next() * 3), maxRetries: Math.floor(next() * 2), retryExceptions: next() < 0.5, resources }));
    } else if (roll < 0.7 && busy.length > 0) {
      const [taskId, workerId] = pick(busy)!;
      running.delete(taskId);
      apply(ev.finish(taskId, workerId, next() < 0.5 ? next() * 3 : 5 + next() * 50, [size()]));
    } else if (roll < 0.74 && busy.length > 0) {
      const [taskId, workerId] = pick(busy)!;
      running.delete(taskId);
      apply(ev.fail(taskId, workerId, pick(['exception', 'timeout', 'cancelled'] as const)));
    } else if (roll < 0.8 && busy.length > 0) {
      const [taskId, workerId] = pick(busy)!;
      apply(next() < 0.5 ? ev.block(taskId, workerId) : ev.unblock(taskId, workerId));
    } else if (roll < 0.82) {
      const target = busy.length > 0 && next() < 0.5 ? pick(busy)![0] : `t${Math.floor(next() * ids)}`;
      apply(ev.cancel(target, next() < 0.5));
    } else if (roll < 0.9 && outputs.length > 0) {
      apply(ev.release(pick(outputs)!));
    } else if (roll < 0.93 && outputs.length > 0) {
      apply(ev.store(pick(outputs)!, pick([...workers, null])!, size())); // a copy (or a late store)
    } else if (roll < 0.96 && outputs.length > 0) {
      if (next() >= mix.losses) continue;
      const id = pick(outputs)!;
      apply(ev.drop(id, pick([...(state.objects.get(id)?.locations ?? []), ...workers, null])!));
    } else {
      apply(next() < 0.5 ? ev.store(`p${Math.floor(next() * ids)}`, pick([...workers, null])!, size()) : ev.finish(`t${Math.floor(next() * ids)}`, 'w-none'));
    }
  }
  // Drain: a worker that fits everything, every put stored, every run answered, every handle dropped.
  apply(ev.join('big', { cpu: 3, gpu: 1, custom: { db: 1 } }));
  for (const id of [...state.objects.keys()]) if (id.startsWith('p')) apply(ev.store(id, null));
  for (let guard = 0; running.size > 0 && guard < 100_000; guard++) {
    const [taskId, workerId] = running.entries().next().value!;
    running.delete(taskId);
    apply(ev.unblock(taskId, workerId));
    apply(ev.finish(taskId, workerId, 1));
  }
  for (const id of [...state.objects.keys()]) apply(ev.release(id));
  expect([state.tasks.size, state.objects.size, state.blocked.size, state.runnable.size, state.affinityTasks]).toEqual([0, 0, 0, 0, 0]);
  expect([...state.shapes.values()].every((shape) => shape.tasks.size === 0)).toBe(true);
  expect(state.counts).toEqual({ waiting: 0, ready: 0, running: 0 });
  return { lost, waited };
}

describe('invariants under a random walk', () => {
  it.each([1, 2, 3, 4, 5])('mixed events, seed %i', (seed) => {
    expect(walk(seed, MIXES.mixed).lost).toBeGreaterThan(0);
  });

  it.each([1, 2, 3, 4, 5])('locality-heavy, seed %i', (seed) => {
    const { lost, waited } = walk(seed, MIXES.locality);
    expect([lost > 0, waited > 0]).toEqual([true, true]); // objects were lost, and tasks waited for their holder
  });
});
