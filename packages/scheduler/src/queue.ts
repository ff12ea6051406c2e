/**
 * The ready queue: ready tasks grouped by shape (group + demand), each shape
 * a heap of its tasks (priority, retried first, submission order), and the
 * unblocked shapes in a heap by their best task (`state.runnable`).
 *
 * Tasks of one shape fit exactly the same workers. So when a shape's best
 * task fits no worker now, the shape is blocked: parked in `state.blocked`
 * and skipped, while tasks of other shapes behind it still run. It is woken
 * only by a change that can make it fit — a worker it fits freeing room or
 * joining, or its group's pipeline deepening — which keeps the work per event
 * bounded by the number of blocked shapes, not of tasks or workers.
 *
 * Infeasible: a shape no present worker's whole offer fits. Each of its tasks
 * is reported once (`taskInfeasible`) when it becomes ready, or when the last
 * worker it fitted leaves, or when the first worker joins and does not fit
 * it; with no workers at all nothing is reported. It stays queued.
 */
import { PREFETCH_DEPTH, groupOf } from './pipeline.ts';
import { fitsTotals, infeasibleReason, sameDemand, shapeKey, toDemand, type Demand } from './resources.ts';
import { placeShape, pushTask, taskBefore } from './order.ts';
import { KeyedHeap } from './heap.ts';
import type { GroupRecord, SchedulerState, ShapeRecord, TaskRecord, WorkerRecord } from './state.ts';
import type { SchedulerCommand } from './types.ts';
import { fits, fitsDeeper } from './workers.ts';
import { affinityDue, affinityDueAll, markFresh, removeAffinity, wantsLocality } from './locality.ts';

/** Shapes are kept while empty, so a kind of task that comes and goes does not rebuild its shape each time; past this many, empty ones are swept. */
const SHAPES_KEPT = 256;

/**
 * Queues a task whose inputs are all ready (its state becomes 'ready'): in
 * its shape, or, if its inputs are large, as 'fresh' for the next dispatch
 * to place by locality (locality.ts).
 */
export function enqueue(state: SchedulerState, task: TaskRecord, out: SchedulerCommand[]): void {
  task.state = 'ready';
  state.counts.ready += 1;
  if (task.inputs.length > 0 && wantsLocality(state, task)) {
    task.shape = shapeFor(state, task);
    markFresh(state, task);
    return;
  }
  queueInShape(state, task, out);
}

/** Puts a ready (and counted) task in its shape's heap: plain least-loaded placement. */
export function queueInShape(state: SchedulerState, task: TaskRecord, out: SchedulerCommand[]): void {
  const shape = shapeFor(state, task);
  task.shape = shape;
  task.queue = 'shape';
  shape.ready += 1;
  pushTask(shape.tasks, task);
  if (!shape.blocked && shape.tasks.items[0] === task) placeShape(state.runnable, shape);
  if (!shape.feasible && state.workers.size > 0) report(state, shape, [task], out);
}

/**
 * Takes a ready task out of the queue, to run it (it is then the best of its
 * shape or affinity queue, or fresh) or because it failed; the caller then
 * changes its state. Off the top of a shape's heap it is popped; elsewhere
 * there it stays as a stale entry.
 */
export function dequeue(state: SchedulerState, task: TaskRecord): void {
  state.counts.ready -= 1;
  const queue = task.queue;
  task.queue = null;
  if (queue === 'affinity') return removeAffinity(state, task);
  if (queue === 'fresh') return; // dispatch skips it
  const shape = task.shape!;
  shape.ready -= 1;
  if (shape.ready === 0) {
    // Kept (empty, neither runnable nor parked) for the next task of its kind; see `sweep`.
    shape.tasks.clear();
    state.runnable.remove(shape);
    state.blocked.delete(shape);
    shape.blocked = false;
    return;
  }
  const tasks = shape.tasks;
  if (tasks.items[0] !== task) return;
  tasks.pop();
  while (tasks.items[0]!.state !== 'ready') tasks.pop();
  if (!shape.blocked) placeShape(state.runnable, shape);
}

/** Parks a shape whose best task fits no worker now. */
export function park(state: SchedulerState, shape: ShapeRecord): void {
  state.runnable.remove(shape);
  shape.blocked = true;
  state.blocked.add(shape);
}

/**
 * `worker` has more room than before (or just joined): wakes the parked
 * shapes it fits now, and notes on the others whether only its cpu room
 * stops them (then a deeper pipeline could).
 */
export function wake(state: SchedulerState, worker: WorkerRecord): void {
  affinityDue(state, worker);
  for (const shape of state.blocked) {
    if (fits(shape, worker)) unblock(state, shape);
    else if (!shape.cpuBound && fitsDeeper(shape, worker)) shape.cpuBound = true;
  }
}

/**
 * A group's pipeline deepened: its parked shapes that only lacked cpu room
 * somewhere may fit now. (Shapes short of a gpu, say, stay parked: waking
 * them would cost a search of every worker each time the depth moves.)
 */
export function wakeGroup(state: SchedulerState, group: GroupRecord): void {
  affinityDueAll(state);
  for (const shape of state.blocked) if (shape.group === group && shape.cpuBound) unblock(state, shape);
}

/** Updates feasibility for a worker that joined, reporting shapes that stay infeasible if it is the first worker. */
export function joinedWorker(state: SchedulerState, worker: WorkerRecord, out: SchedulerCommand[]): void {
  const first = state.workers.size === 1;
  for (const shape of state.shapes.values()) {
    if (shape.feasible) continue;
    shape.reason = null;
    if (fitsTotals(shape.demand, worker.offer)) shape.feasible = true;
    else if (first) report(state, shape, shape.tasks.items, out);
  }
  wake(state, worker);
}

/** Updates feasibility after a worker left (call once it is removed), reporting shapes that just became infeasible. */
export function leftWorker(state: SchedulerState, worker: WorkerRecord, out: SchedulerCommand[]): void {
  for (const shape of state.shapes.values()) {
    shape.reason = null;
    if (!shape.feasible || !fitsTotals(shape.demand, worker.offer)) continue;
    shape.feasible = feasible(state, shape.demand);
    if (!shape.feasible && state.workers.size > 0) report(state, shape, shape.tasks.items, out);
  }
}

/**
 * After a present worker's offer changed (workers.ts `updateWorker`):
 * feasibility is recomputed, shapes that just became infeasible are
 * reported, and if it may take more work (`more`) the parked shapes it fits wake.
 */
export function changedWorker(state: SchedulerState, worker: WorkerRecord, more: boolean, out: SchedulerCommand[]): void {
  for (const shape of state.shapes.values()) {
    shape.reason = null;
    const was = shape.feasible;
    shape.feasible = feasible(state, shape.demand);
    if (was && !shape.feasible) report(state, shape, shape.tasks.items, out);
  }
  if (more) wake(state, worker);
}

/** Why a ready task of this shape is not running; null if nothing stops it but busy workers. */
export function stuckReason(state: SchedulerState, shape: ShapeRecord): string | null {
  if (state.workers.size === 0) return 'no workers';
  if (!shape.feasible) return reasonOf(state, shape);
  return null;
}

function unblock(state: SchedulerState, shape: ShapeRecord): void {
  shape.blocked = false;
  state.blocked.delete(shape);
  placeShape(state.runnable, shape);
}

/**
 * The shape a task queues in: its earlier one (a retry), its group's latest
 * shape if the demand is the same (the common case: no key to build), or
 * the one under its key, made if missing.
 */
function shapeFor(state: SchedulerState, task: TaskRecord): ShapeRecord {
  const earlier = task.shape;
  if (earlier && !earlier.swept) return earlier;
  const group = earlier ? earlier.group : groupOf(state, task.spec.group);
  const latest = group.latestShape;
  const minDepth = task.spec.prefetch ? PREFETCH_DEPTH : 1;
  if (!earlier && latest && !latest.swept && latest.minDepth === minDepth && sameDemand(latest.demand, task.spec.resources)) return latest;
  const key = earlier ? earlier.key : shapeKey(task.spec.group, task.spec.resources, minDepth);
  let shape = state.shapes.get(key);
  if (!shape) {
    if (state.shapes.size >= SHAPES_KEPT) sweep(state);
    const demand = earlier ? earlier.demand : toDemand(task.spec.resources);
    shape = { key, group, demand, minDepth, tasks: new KeyedHeap(), ready: 0, blocked: false, cpuBound: true, feasible: feasible(state, demand), reason: null, swept: false, heapIndex: -1 };
    state.shapes.set(key, shape);
  }
  group.latestShape = shape;
  return shape;
}

/** Forgets every empty shape (there are at least SHAPES_KEPT shapes): memory stays bounded by the live ones. */
function sweep(state: SchedulerState): void {
  for (const shape of state.shapes.values()) {
    if (shape.ready > 0) continue;
    shape.swept = true;
    state.shapes.delete(shape.key);
  }
}

/** Whether some present worker's whole offer fits `demand`. */
function feasible(state: SchedulerState, demand: Demand): boolean {
  if (state.workers.size === 0) return false;
  if (demand.gpu === 0 && demand.memory === 0 && demand.custom.length === 0) return demand.cpu <= state.maxCpu;
  for (const worker of state.workers.values()) if (fitsTotals(demand, worker.offer)) return true;
  return false;
}

/** Why no present worker could ever run the shape's tasks; computed once per change of workers. */
function reasonOf(state: SchedulerState, shape: ShapeRecord): string {
  shape.reason ??= infeasibleReason(shape.demand, [...state.workers.values()].map((worker) => worker.offer));
  return shape.reason;
}

/** Emits `taskInfeasible` for those of `tasks` still in the shape and not yet reported, best first. */
function report(state: SchedulerState, shape: ShapeRecord, tasks: readonly TaskRecord[], out: SchedulerCommand[]): void {
  const pending = tasks
    .filter((task) => task.state === 'ready' && task.queue === 'shape' && task.shape === shape && !task.reportedInfeasible)
    .sort((a, b) => (taskBefore(a, b) ? -1 : 1));
  if (pending.length === 0) return;
  const reason = reasonOf(state, shape);
  for (const task of pending) {
    task.reportedInfeasible = true;
    out.push({ type: 'taskInfeasible', taskId: task.spec.taskId, reason });
  }
}
