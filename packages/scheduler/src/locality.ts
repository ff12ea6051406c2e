/**
 * Locality: run a task where its large inputs already are, when moving them
 * would cost more than waiting (Ray prefers the node holding the most input
 * bytes; Dask weighs each worker's queue against the bytes it lacks).
 *
 * The rule, for a task that becomes ready:
 *
 *   1. Fast path. Its inputs total fewer than `localityMinBytes` (1 MiB by
 *      default; tasks without inputs are never looked at): it queues in its
 *      shape and goes to the least-loaded worker it fits, as before.
 *   2. Otherwise it is 'fresh', and the next dispatch (taking it in
 *      priority order among all ready tasks) prices each worker h that holds
 *      at least `localityMinBytes` of its inputs and whose whole offer fits
 *      it (copies on the coordinator attract nothing):
 *
 *        cost(h)    = wait(h) + (total − held(h)) / transferBytesPerMs
 *        wait(h)    = 0 if the task fits h now, else
 *                     avgMs × max(1, ahead) / max(1, h.cpu)
 *        ahead      = h's cpu in flight + cpu of h's affinity queue + the
 *                     task's cpu − h.cpu × depth  (cpu that must finish first)
 *        elsewhere  = total / transferBytesPerMs   (some other worker, taking
 *                     every byte at once: optimistic if all are busy)
 *
 *      `avgMs` is the task's group's average run (500 ms, Dask's default
 *      task duration, before the first sample). The cheapest holder wins;
 *      ties go to one with room now, then more bytes held, then the less
 *      loaded, then the earlier join. With room now it runs there at once
 *      (the pipeline bound still applies, so a holder is never overloaded).
 *      Without room, if it still costs no more than `elsewhere` (the wait
 *      is shorter than moving its bytes), the task waits in that worker's
 *      affinity queue; else it queues in its shape like any task.
 *
 * Affinity queues: one heap per worker, (priority, rank) order like a
 * shape's. When a worker with affinity tasks gains room (a run ends or
 * blocks, its group's pipeline deepens) it is marked due, and dispatch
 * places its affinity tasks on it before anything else, while the best one
 * fits. Only the best is tried: one that waits for a busy gpu holds those
 * behind it until the gpu frees (they all fit this worker's whole offer);
 * and, as with a big task in a shape, one that needs more cpu than frees at
 * a time can be overtaken on its worker by smaller plain tasks. The
 * decision is made once: a waiting task is priced again only when its
 * worker is lost (it may then fail if its input had no other copy, see
 * copies.ts) or drops a copy of one of its inputs — not when a copy appears
 * elsewhere. A task never waits for a worker that is not present.
 */
import { IndexedHeap } from './heap.ts';
import { depthOf } from './pipeline.ts';
import { fitsTotals } from './resources.ts';
import type { SchedulerState, ShapeRecord, TaskRecord, WorkerRecord } from './state.ts';
import { fits } from './workers.ts';

/** The wait estimate's run time for a group with no finished runs yet (Dask's default task duration). */
export const UNKNOWN_DURATION_MS = 500;

/** Where a fresh task should go: a holder (`now`: it fits there now), or null for plain placement. */
export interface HolderChoice {
  readonly worker: WorkerRecord;
  readonly now: boolean;
}

/** Whether a ready task's inputs are large enough to be placed by locality (step 1 of the rule). */
export function wantsLocality(state: SchedulerState, task: TaskRecord): boolean {
  const inputs = task.inputs;
  if (inputs.length === 0 || (task.spec.verify ?? 1) > 1) return false; // verify tasks run on several workers (verify.ts)
  let total = 0;
  for (let i = 0; i < inputs.length; i++) total += inputs[i]!.size;
  return total >= state.config.localityMinBytes;
}

/** Bytes of the task's inputs each present worker holds (coordinator copies left out), in input order. */
export function heldBytes(state: SchedulerState, task: TaskRecord): Map<WorkerRecord, number> {
  const held = new Map<WorkerRecord, number>();
  for (const input of task.inputs) {
    if (input.size === 0) continue;
    for (const location of input.locations) {
      const worker = location === null ? undefined : state.workers.get(location);
      if (worker) held.set(worker, (held.get(worker) ?? 0) + input.size);
    }
  }
  return held;
}

/** Scratch space for `chooseHolder` (holders and the bytes each holds), reused: it runs once per fresh task. */
const holders: WorkerRecord[] = [];
const holdings: number[] = [];

/** Step 2 of the rule: the holder a fresh task should run on or wait for, or null. */
export function chooseHolder(state: SchedulerState, task: TaskRecord): HolderChoice | null {
  const shape = task.shape!;
  const { localityMinBytes, transferBytesPerMs } = state.config;
  let total = 0;
  holders.length = 0;
  holdings.length = 0;
  for (const input of task.inputs) {
    const size = input.size;
    total += size;
    if (size === 0) continue;
    for (const location of input.locations) {
      const worker = location === null ? undefined : state.workers.get(location);
      if (!worker) continue;
      const at = holders.indexOf(worker);
      if (at >= 0) holdings[at]! += size;
      else {
        holders.push(worker);
        holdings.push(size);
      }
    }
  }
  let best: WorkerRecord | null = null;
  let bestCost = transferMs(total, transferBytesPerMs);
  let bestNow = false;
  let bestBytes = 0;
  for (let i = 0; i < holders.length; i++) {
    const worker = holders[i]!;
    const bytes = holdings[i]!;
    if (bytes < localityMinBytes || worker.paused || !fitsTotals(shape.demand, worker.offer)) continue;
    const now = fits(shape, worker);
    const cost = (now ? 0 : waitMs(shape, worker)) + transferMs(total - bytes, transferBytesPerMs);
    if (best === null ? cost <= bestCost : better(cost, now, bytes, worker, bestCost, bestNow, bestBytes, best)) {
      best = worker;
      bestCost = cost;
      bestNow = now;
      bestBytes = bytes;
    }
  }
  holders.length = 0; // hold no worker past the call
  return best === null ? null : { worker: best, now: bestNow };
}

/** Estimated ms until `worker` has room for a task of `shape` (see the rule above). */
export function waitMs(shape: ShapeRecord, worker: WorkerRecord): number {
  const avgMs = shape.group.avgMs ?? UNKNOWN_DURATION_MS;
  const cpu = worker.offer.cpu;
  const ahead = worker.cpuInFlight + worker.affinityCpu + shape.demand.cpu - cpu * depthOf(shape);
  return (avgMs * Math.max(1, ahead)) / Math.max(1, cpu);
}

/** Puts a ready task in `worker`'s affinity queue (the caller has set it ready and counted it). */
export function pushAffinity(state: SchedulerState, task: TaskRecord, worker: WorkerRecord): void {
  const heap = (worker.affinity ??= new IndexedHeap<TaskRecord>());
  heap.push(task, -task.priority, task.rank);
  if (heap.size === 1) state.affine.add(worker);
  task.queue = 'affinity';
  task.affinity = worker;
  worker.affinityCpu += task.shape!.demand.cpu;
  state.affinityTasks += 1;
}

/**
 * Takes a task out of its worker's affinity queue (it stays ready; the
 * caller says where it goes). The task behind it may fit where it did not,
 * so the worker is due again.
 */
export function removeAffinity(state: SchedulerState, task: TaskRecord): void {
  const worker = task.affinity!;
  const heap = worker.affinity!;
  heap.remove(task);
  worker.affinityCpu = heap.size === 0 ? 0 : worker.affinityCpu - task.shape!.demand.cpu;
  task.affinity = null;
  task.queue = null;
  state.affinityTasks -= 1;
  if (heap.size > 0) state.due.add(worker);
  else state.affine.delete(worker);
}

/** Lists a ready task for the next dispatch to place by locality. */
export function markFresh(state: SchedulerState, task: TaskRecord): void {
  task.queue = 'fresh';
  state.fresh.push(task);
}

/**
 * Sends `worker`'s affinity tasks (those `which` picks, or all) back to be
 * priced again at the next dispatch: the worker was lost or dropped a copy.
 */
export function rehome(state: SchedulerState, worker: WorkerRecord, which: ((task: TaskRecord) => boolean) | null): void {
  const heap = worker.affinity;
  if (heap === null || heap.size === 0) return;
  for (const task of [...heap.items]) {
    if (which !== null && !which(task)) continue;
    removeAffinity(state, task);
    markFresh(state, task);
  }
}

/** `worker` gained room: if tasks wait for it, the next dispatch looks at it first. */
export function affinityDue(state: SchedulerState, worker: WorkerRecord): void {
  if (worker.affinity !== null && worker.affinity.size > 0) state.due.add(worker);
}

/** A group's pipeline deepened: every worker with affinity tasks may have room for them now. */
export function affinityDueAll(state: SchedulerState): void {
  for (const worker of state.affine) state.due.add(worker);
}

function transferMs(bytes: number, bytesPerMs: number): number {
  return bytes <= 0 ? 0 : bytes / bytesPerMs;
}

/** Whether holder (cost, now, bytes, worker) beats the best so far: cheaper, then room now, more bytes, less loaded, earlier join. */
function better(
  cost: number,
  now: boolean,
  bytes: number,
  worker: WorkerRecord,
  bestCost: number,
  bestNow: boolean,
  bestBytes: number,
  best: WorkerRecord,
): boolean {
  if (cost !== bestCost) return cost < bestCost;
  if (now !== bestNow) return now;
  if (bytes !== bestBytes) return bytes > bestBytes;
  if (worker.load !== best.load) return worker.load < best.load;
  return worker.joinSeq < best.joinSeq;
}
