/**
 * Workers: what each offers, what it has given out, and placement — the
 * least-loaded worker a shape of task fits now.
 *
 * Present workers sit in `state.byLoad`, a heap keyed by load (in-flight cpu
 * ÷ offered cpu, ties to the earliest join). Placement walks that heap from
 * the top, branch and bound: a worker that fits ends its subtree (everything
 * below is no less loaded), and so does one too loaded for any worker to take
 * the task's cpu within the pipeline bound (load > depth − cpu ÷ maxCpu). With
 * equal workers this is O(1) whether the top fits or all are full; an
 * infeasible shape is answered at once; a task that only a few workers fit
 * (a gpu, say) may visit every worker below the first that fits — which is
 * why a parked shape is searched again only when something it needs frees
 * up (queue.ts).
 */
import { placeWorker } from './order.ts';
import { depthOf } from './pipeline.ts';
import { fitsNow, fitsOther, toOffer, use, type Demand, type Offer } from './resources.ts';
import type { SchedulerState, ShapeRecord, WorkerRecord } from './state.ts';
import type { Resources, WorkerId } from './types.ts';

/** Slack for the pruning bound's float arithmetic; the fit test itself is exact. */
const EPSILON = 1e-9;

/** Records a worker that joined; null if one with that id is already present. */
export function addWorker(state: SchedulerState, workerId: WorkerId, resources: Resources, gpuFallback = false): WorkerRecord | null {
  if (state.workers.has(workerId)) return null;
  const worker: WorkerRecord = {
    workerId,
    joinSeq: state.nextJoinSeq++,
    offer: toOffer(resources),
    paused: false,
    gpuFallback,
    load: 0,
    cpuInFlight: 0,
    gpuUsed: 0,
    memoryUsed: 0,
    customUsed: new Map(),
    assigned: 0,
    blockedCount: 0,
    affinity: null,
    affinityCpu: 0,
    heapIndex: -1,
  };
  state.workers.set(workerId, worker);
  placeWorker(state.byLoad, worker);
  state.maxCpu = Math.max(state.maxCpu, worker.offer.cpu);
  return worker;
}

/** Forgets a worker (its tasks and objects are the caller's to settle). */
export function removeWorker(state: SchedulerState, worker: WorkerRecord): void {
  state.workers.delete(worker.workerId);
  state.byLoad.remove(worker);
  if (worker.offer.cpu >= state.maxCpu) {
    state.maxCpu = 0;
    for (const other of state.workers.values()) state.maxCpu = Math.max(state.maxCpu, other.offer.cpu);
  }
}

/**
 * Applies a `workerUpdated`: a new offer (its load and `state.maxCpu`
 * follow; tasks already placed stay, even if they now exceed it) and the
 * paused flag. Answers whether it may take more work than before (resumed,
 * or offers more), for the caller to wake parked shapes.
 */
export function updateWorker(state: SchedulerState, worker: WorkerRecord, resources: Resources | undefined, paused: boolean | undefined): boolean {
  const before = worker.offer;
  const wasPaused = worker.paused;
  if (paused !== undefined) worker.paused = paused;
  if (resources !== undefined) {
    worker.offer = toOffer(resources);
    worker.load = worker.offer.cpu > 0 ? worker.cpuInFlight / worker.offer.cpu : 0;
    placeWorker(state.byLoad, worker);
    state.maxCpu = 0;
    for (const other of state.workers.values()) state.maxCpu = Math.max(state.maxCpu, other.offer.cpu);
  }
  if (worker.paused) return false;
  return wasPaused || grew(before, worker.offer);
}

function grew(before: Offer, after: Offer): boolean {
  if (after.cpu > before.cpu || after.gpu > before.gpu || after.memory > before.memory) return true;
  for (const [name, value] of after.custom) if (value > (before.custom.get(name) ?? 0)) return true;
  return false;
}

/** Counts a task's demand against its worker (`sign` 1) or stops counting it (-1). */
export function occupy(state: SchedulerState, worker: WorkerRecord, demand: Demand, sign: 1 | -1): void {
  use(worker, demand, sign);
  worker.load = worker.offer.cpu > 0 ? worker.cpuInFlight / worker.offer.cpu : 0;
  placeWorker(state.byLoad, worker);
}

/** Whether a task of `shape` fits `worker` now (never while it is paused). */
export function fits(shape: ShapeRecord, worker: WorkerRecord): boolean {
  return !worker.paused && fitsNow(shape.demand, depthOf(shape), worker.offer, worker);
}

/** Whether a task of `shape` would fit `worker` now with a deep enough pipeline: only the cpu bound stops it, if anything. */
export function fitsDeeper(shape: ShapeRecord, worker: WorkerRecord): boolean {
  return !worker.paused && shape.demand.cpu <= worker.offer.cpu && fitsOther(shape.demand, worker.offer, worker);
}

/**
 * The least-loaded worker (earliest join on ties) that a task of `shape` fits
 * now, or null. On null it also notes on the shape whether a deeper pipeline
 * might have found one (`cpuBound`): some worker lacked only cpu room, or was
 * skipped unseen. An infeasible shape is answered at once.
 */
export function findWorker(state: SchedulerState, shape: ShapeRecord): WorkerRecord | null {
  const byLoad = state.byLoad;
  const items = byLoad.items;
  const count = items.length;
  if (count === 0 || !shape.feasible) {
    shape.cpuBound = false;
    return null;
  }
  if (shape.demand.gpu > 0) return findGpuWorker(state, shape);
  const cpu = shape.demand.cpu;
  const bound = cpu > 0 ? depthOf(shape) - cpu / state.maxCpu + EPSILON : Number.POSITIVE_INFINITY;
  if (byLoad.firstKey(0) > bound) {
    shape.cpuBound = true;
    return null;
  }
  if (fits(shape, items[0]!)) return items[0]!;
  let cpuBound = fitsDeeper(shape, items[0]!);
  let best: WorkerRecord | null = null;
  const stack = [1, 2];
  while (stack.length > 0) {
    const index = stack.pop()!;
    if (index >= count) continue;
    const load = byLoad.firstKey(index);
    if (load > bound) {
      cpuBound = true;
      continue;
    }
    if (best !== null && !(load < best.load || (load === best.load && byLoad.secondKey(index) < best.joinSeq))) continue;
    const worker = items[index]!;
    if (fits(shape, worker)) {
      best = worker;
      continue;
    }
    if (!cpuBound && fitsDeeper(shape, worker)) cpuBound = true;
    stack.push(2 * index + 2, 2 * index + 1);
  }
  if (best === null) shape.cpuBound = cpuBound;
  return best;
}

/**
 * For GPU tasks: a worker with a real GPU before one with a software adapter
 * (SwiftShader counts as a GPU for correctness, but is slow), then the least
 * loaded, then the earliest join. GPU workers are few, so this scans them all.
 */
function findGpuWorker(state: SchedulerState, shape: ShapeRecord): WorkerRecord | null {
  let best: WorkerRecord | null = null;
  let cpuBound = false;
  for (const worker of state.byLoad.items) {
    if (worker.offer.gpu < shape.demand.gpu) continue;
    if (!fits(shape, worker)) {
      if (!cpuBound && fitsDeeper(shape, worker)) cpuBound = true;
      continue;
    }
    if (best === null || betterGpuWorker(worker, best)) best = worker;
  }
  if (best === null) shape.cpuBound = cpuBound;
  return best;
}

function betterGpuWorker(a: WorkerRecord, b: WorkerRecord): boolean {
  if (a.gpuFallback !== b.gpuFallback) return !a.gpuFallback;
  if (a.load !== b.load) return a.load < b.load;
  return a.joinSeq < b.joinSeq;
}
