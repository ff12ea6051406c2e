/**
 * The pure scheduler at scale: 1,000 simulated workers (cpu 4 each) and
 * 1,000,000 tasks per scenario, events in and commands out, on a simulated
 * clock. Nothing here runs in a browser: it measures `step` itself.
 *
 *   node --expose-gc --import tsx bench/scheduler.ts     (exact memory: a full gc before each heap sample)
 *   npx tsx bench/scheduler.ts                           (no forced gc: heap samples include garbage)
 *
 *   --tasks N        tasks per scenario (default 1,000,000)
 *   --workers N      simulated workers (default 1,000)
 *   --window N       tasks the simulated client keeps submitted and unfinished (default 50,000)
 *   --infeasible N   gpu tasks queued ahead of everything, infeasible until the end (default 10)
 *   --only NAME      run one scenario: independent | chains | trees
 *   --step-time      also time each `step` call alone (two clock reads per event, which the wall time then pays too)
 *   --output-bytes N size each task reports for its output (default 8); at or above the scheduler's
 *                    localityMinBytes (1 MiB) chains and trees go through locality placement
 *
 * Scenarios:
 *   independent  N tasks without deps; the client drops each output once its task finished
 *   chains       N/10 chains of 10 (each task takes the previous one's output); intermediate
 *                outputs are dropped at submission (released by refcount once consumed)
 *   trees        binary reductions of 512 leaves (1,023 tasks each); all outputs but the
 *                root's dropped at submission
 * In each, N infeasible gpu tasks at a higher priority are submitted first and sit at the
 * head of the queue the whole run (they must hold nothing up); a gpu worker joins at the
 * end and runs them.
 *
 * Simulation (bench-side, not in the scheduler): a runTask reaches its worker
 * after half the round trip (1 ms); a worker runs 4 tasks at a time and queues
 * the rest in order; a run takes 0.2–1.8 ms (seeded PRNG, mean 1 ms, so the
 * pipeline settles at depth 1 + floor(2 / ~1) = 2 or 3); taskFinished reaches
 * the scheduler half a round trip later. The client submits as tasks finish.
 *
 * Reported: decisions/s = runTask commands per second of wall time (the whole
 * loop, simulation included; GC included, heap sampling excluded); heap used
 * every 100,000 finished tasks and its spread while the client's window is
 * full; bytes per task held at the peak = (heap − heap before the scenario) ÷
 * tasks the scheduler holds (this counts the client's TaskSpec objects too,
 * which the scheduler keeps). One JSON line per scenario.
 */
import { createState, schedulerStats, step, type SchedulerCommand, type SchedulerEvent, type SchedulerState, type TaskSpec } from '@shoal/scheduler';

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const TASKS = flag('tasks', 1_000_000);
const WORKERS = flag('workers', 1_000);
const WINDOW = flag('window', 50_000);
const STEP_TIME = process.argv.includes('--step-time');
const OUTPUT_BYTES = flag('output-bytes', 8);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const CPU = 4;
/** High-priority gpu tasks queued ahead of everything, infeasible until a gpu worker joins at the end. */
const INFEASIBLE = flag('infeasible', 10);
const HALF_TRIP_MS = 1;
const SAMPLE_EVERY = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 1024 * 1024;

/** A task as the simulated client sees it: the spec, plus what it does with the output. */
interface BenchTask extends TaskSpec {
  /** Drop the output handle right after submitting (a consumer will keep it alive), else once the task finished. */
  dropAtSubmit: boolean;
}

/** Task ids are their index in the scenario, so the simulation finds a task from a `runTask` without a map. */
const benchTask = (index: number, deps: string[], dropAtSubmit: boolean): BenchTask => ({
  taskId: String(index),
  group: 'bench',
  outputs: [`${index}.0`],
  deps,
  resources: { cpu: 1, gpu: 0, memory: 0, custom: {} },
  priority: 0,
  maxRetries: 3,
  retryExceptions: false,
  dropAtSubmit,
});

function* independent(total: number, from = 0): Generator<BenchTask> {
  for (let i = from; i < total; i++) yield benchTask(i, [], false);
}

function* chains(total: number, length = 10): Generator<BenchTask> {
  for (let i = 0; i < total; i++) {
    const position = i % length;
    yield benchTask(i, position === 0 ? [] : [`${i - 1}.0`], position < length - 1);
  }
}

function* trees(total: number, leaves = 512): Generator<BenchTask> {
  const size = 2 * leaves - 1;
  for (let base = 0; base < total; base += size) {
    if (base + size > total) return yield* independent(total, base);
    // Nodes in submission order: leaves first, then each level's parents; node k's inputs are its two children.
    let level: number[] = [];
    let next = base;
    for (let leaf = 0; leaf < leaves; leaf++, next++) {
      level.push(next);
      yield benchTask(next, [], true);
    }
    while (level.length > 1) {
      const parents: number[] = [];
      for (let k = 0; k < level.length; k += 2, next++) {
        parents.push(next);
        yield benchTask(next, [`${level[k]}.0`, `${level[k + 1]}.0`], level.length > 2);
      }
      level = parents;
    }
  }
}

/** mulberry32: the bench's only randomness, seeded, so runs are comparable. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The simulated clock: a calendar queue of 10 µs ticks holding task indices.
 * Delays are whole ticks (at least one); tasks due in the same tick come out
 * in the order they were scheduled; every operation is O(1).
 */
class Clock {
  static readonly TICK_MS = 0.01;
  private readonly ring: number[][] = Array.from({ length: 1024 }, () => []);
  private tick = 0;
  private cursor = 0;
  private count = 0;
  get now(): number {
    return this.tick * Clock.TICK_MS;
  }
  get size(): number {
    return this.count;
  }
  after(delayMs: number, task: number): void {
    const ticks = Math.max(1, Math.round(delayMs / Clock.TICK_MS));
    if (ticks >= this.ring.length) throw new Error(`delay ${delayMs} ms is beyond the clock's horizon`);
    this.ring[(this.tick + ticks) & (this.ring.length - 1)]!.push(task);
    this.count += 1;
  }
  next(): number {
    for (;;) {
      const bucket = this.ring[this.tick & (this.ring.length - 1)]!;
      if (this.cursor < bucket.length) {
        this.count -= 1;
        return bucket[this.cursor++]!;
      }
      bucket.length = 0;
      this.cursor = 0;
      this.tick += 1;
    }
  }
}

/**
 * The simulated workers and runs, as flat arrays indexed by task or worker
 * number (cheap to walk, and their size is fixed up front). A run moves
 * through phases: 0 sent to its worker, 1 ended there, 2 reported.
 */
class Simulation {
  readonly phase: Uint8Array;
  readonly workerOf: Int32Array;
  readonly durationMs: Float64Array;
  readonly free: Int32Array;
  readonly queues: number[][];
  readonly heads: Int32Array;
  constructor(tasks: number, readonly workerIds: string[], cpu: number) {
    this.phase = new Uint8Array(tasks);
    this.workerOf = new Int32Array(tasks);
    this.durationMs = new Float64Array(tasks);
    this.free = new Int32Array(workerIds.length).fill(cpu);
    this.queues = workerIds.map(() => []);
    this.heads = new Int32Array(workerIds.length);
  }
}

type Result = ReturnType<typeof runScenario>;

const heapUsed = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

/**
 * Runs one scenario. `infeasible` tasks needing a gpu, at a higher priority
 * than everything else, are submitted first; no worker has a gpu until the
 * rest is done, so they sit at the head of the queue the whole time (they
 * must not hold up the others), and then a gpu worker joins and runs them.
 */
function runScenario(name: string, tasks: Generator<BenchTask>, total: number, infeasible = 0) {
  const state: SchedulerState = createState();
  const clock = new Clock();
  const next = random(42);
  const workerIds = [...Array.from({ length: WORKERS }, (_, w) => `w${w}`), 'gpu0'];
  const workerIndex = new Map(workerIds.map((id, w) => [id, w]));
  const sim = new Simulation(total + infeasible, workerIds, CPU);
  // Filled, not `new Array(n)`: V8 makes a large `new Array(n)` a slow dictionary.
  const inFlight: Array<BenchTask | undefined> = Array.from({ length: total + infeasible }, () => undefined);
  let reportedInfeasible = 0;
  let decisions = 0;
  /** Runs of tasks with inputs, and those placed on a worker that held one of them (locality at work). */
  let withInputs = 0;
  let onHolder = 0;
  let stepMs = 0;
  let submitted = 0;
  let finished = 0;
  let exhausted = false;

  const apply = (event: SchedulerEvent): void => {
    let commands: SchedulerCommand[];
    if (STEP_TIME) {
      const t0 = performance.now();
      commands = step(state, event);
      stepMs += performance.now() - t0;
    } else {
      commands = step(state, event);
    }
    for (const command of commands) {
      if (command.type === 'taskInfeasible') reportedInfeasible += 1;
      if (command.type !== 'runTask') continue;
      decisions += 1;
      if (command.inputs.length > 0) {
        withInputs += 1;
        if (command.inputs.some((input) => input.locations.includes(command.workerId))) onHolder += 1;
      }
      const task = Number(command.taskId);
      sim.phase[task] = 0;
      sim.workerOf[task] = workerIndex.get(command.workerId)!;
      sim.durationMs[task] = 0.2 + 1.6 * next();
      clock.after(HALF_TRIP_MS, task);
    }
  };
  // The scheduler keeps no reference to an event (only to a submitted event's `task`), so the simulation reuses them.
  const submittedEvent = { type: 'taskSubmitted' as const, task: null as unknown as TaskSpec };
  const finishedEvent = { type: 'taskFinished' as const, taskId: '', workerId: '', sizes: [OUTPUT_BYTES], durationMs: 0 };
  const releasedEvent = { type: 'objectReleased' as const, objectId: '' };
  const release = (objectId: string): void => {
    releasedEvent.objectId = objectId;
    apply(releasedEvent);
  };
  const topUp = (): void => {
    while (!exhausted && submitted - finished < WINDOW) {
      const item = tasks.next();
      if (item.done) {
        exhausted = true;
        return;
      }
      const task = item.value;
      inFlight[Number(task.taskId)] = task;
      submitted += 1;
      submittedEvent.task = task;
      apply(submittedEvent);
      if (task.dropAtSubmit) release(task.outputs[0]!);
    }
  };
  const start = (task: number): void => {
    sim.free[sim.workerOf[task]!]! -= 1;
    sim.phase[task] = 1;
    clock.after(sim.durationMs[task]!, task);
  };

  const baseline = heapUsed();
  const samples: number[] = [];
  /** Samples taken while the client still keeps its window full (the drain at the end is left out of the spread). */
  const steady: number[] = [];
  let peakHeld = 0;
  let peakBytesPerTask = 0;
  let pausedMs = 0;
  const t0 = performance.now();
  for (const workerId of workerIds.slice(0, WORKERS)) apply({ type: 'workerJoined', workerId, resources: { cpu: CPU, gpu: 0, memory: 0, custom: {} } });
  for (let k = 0; k < infeasible; k++) {
    const task: BenchTask = { ...benchTask(total + k, [], false), priority: 1, resources: { cpu: 1, gpu: 1, memory: 0, custom: {} } };
    inFlight[total + k] = task;
    submitted += 1;
    submittedEvent.task = task;
    apply(submittedEvent);
  }
  topUp();
  /** Runs the simulation until nothing is left in flight. */
  const drain = (): void => {
    while (clock.size > 0) {
      const index = clock.next();
      const worker = sim.workerOf[index]!;
      const phase = sim.phase[index];
      if (phase === 0) {
        if (sim.free[worker]! > 0) start(index);
        else sim.queues[worker]!.push(index);
      } else if (phase === 1) {
        sim.free[worker]! += 1;
        sim.phase[index] = 2;
        clock.after(HALF_TRIP_MS, index);
        const queue = sim.queues[worker]!;
        const head = sim.heads[worker]!;
        if (head < queue.length) {
          start(queue[head]!);
          if (head + 1 === queue.length) queue.length = sim.heads[worker] = 0;
          else if (head + 1 >= 64) queue.splice(0, head + 1), (sim.heads[worker] = 0);
          else sim.heads[worker] = head + 1;
        }
      } else {
        const task = inFlight[index]!;
        inFlight[index] = undefined;
        finishedEvent.taskId = task.taskId;
        finishedEvent.workerId = workerIds[worker]!;
        finishedEvent.durationMs = sim.durationMs[index]!;
        apply(finishedEvent);
        finished += 1;
        if (!task.dropAtSubmit) release(task.outputs[0]!);
        topUp();
        if (finished % SAMPLE_EVERY === 0) {
          const p0 = performance.now();
          const held = schedulerStats(state);
          const heap = heapUsed();
          const tasksHeld = held.waiting + held.ready + held.running;
          samples.push(heap);
          if (!exhausted) {
            steady.push(heap);
            peakHeld = Math.max(peakHeld, tasksHeld);
            peakBytesPerTask = Math.max(peakBytesPerTask, (heap - baseline) / tasksHeld);
          }
          console.log(
            `  ${name}: ${String(finished).padStart(9)} done  held ${String(tasksHeld).padStart(6)} tasks ${String(held.objects).padStart(6)} objects  ` +
              `heap ${(heap / MiB).toFixed(1)} MiB${exhausted ? '  (client done submitting: draining)' : ''}`,
          );
          pausedMs += performance.now() - p0;
        }
      }
    }
  };
  for (let round = 0; round < 2; round++) {
    if (round === 1) {
      if (infeasible === 0) break;
      apply({ type: 'workerJoined', workerId: 'gpu0', resources: { cpu: CPU, gpu: 1, memory: 0, custom: {} } });
    }
    drain();
  }
  const wallMs = performance.now() - t0 - pausedMs;
  const after = heapUsed();
  const stats = schedulerStats(state);
  const spread = steady.length > 0 ? Math.max(...steady) - Math.min(...steady) : 0;
  return {
    scenario: name,
    tasks: total,
    workers: WORKERS,
    decisions,
    wallMs: Math.round(wallMs),
    decisionsPerSec: Math.round(decisions / (wallMs / 1000)),
    /** Time inside `step` alone, with --step-time. */
    stepMs: STEP_TIME ? Math.round(stepMs) : null,
    stepDecisionsPerSec: STEP_TIME ? Math.round(decisions / (stepMs / 1000)) : null,
    simulatedMs: Math.round(clock.now),
    forcedGc: gc !== undefined,
    heapBaselineMiB: +(baseline / MiB).toFixed(1),
    heapSamplesMiB: samples.map((bytes) => +(bytes / MiB).toFixed(1)),
    heapSpreadMiB: +(spread / MiB).toFixed(1),
    /** Flat: while the window is full, heap moves by at most 2 MiB or 5% of what the scenario holds, whichever is more. */
    flat: gc !== undefined && spread <= Math.max(2 * MiB, 0.05 * (Math.max(...steady, baseline) - baseline)),
    heapAfterMiB: +(after / MiB).toFixed(1),
    peakTasksHeld: peakHeld,
    peakBytesPerTaskHeld: Math.round(peakBytesPerTask),
    finalTasks: stats.waiting + stats.ready + stats.running,
    finalObjects: stats.objects,
    depth: state.groups.get('bench')?.depth ?? 0,
    /** Gpu tasks queued at the head the whole run, and `taskInfeasible` reports seen for them. */
    infeasibleQueued: infeasible,
    infeasibleReported: reportedInfeasible,
    /** Share of runs of tasks with inputs placed on a worker holding one of them. */
    onHolderShare: withInputs > 0 ? +(onHolder / withInputs).toFixed(3) : null,
  };
}

console.log(
  `Shoal scheduler bench: ${TASKS.toLocaleString('en')} tasks per scenario, ${WORKERS.toLocaleString('en')} workers × cpu ${CPU}, ` +
    `client window ${WINDOW.toLocaleString('en')} tasks, outputs of ${OUTPUT_BYTES.toLocaleString('en')} B${gc ? '' : '  (no --expose-gc: heap figures include uncollected garbage)'}\n`,
);
const scenarios: Array<[string, () => Generator<BenchTask>]> = [
  ['independent', () => independent(TASKS)],
  ['chains', () => chains(TASKS)],
  ['trees', () => trees(TASKS)],
];
const results: Result[] = [];
for (const [name, tasks] of scenarios) {
  if (ONLY && ONLY !== name) continue;
  const result = runScenario(name, tasks(), TASKS, INFEASIBLE);
  results.push(result);
  console.log(
    `${name}: ${result.decisions.toLocaleString('en')} decisions in ${(result.wallMs / 1000).toFixed(2)} s wall → ` +
      `${result.decisionsPerSec.toLocaleString('en')} decisions/s` +
      (result.stepDecisionsPerSec === null ? '; ' : ` (inside step alone: ${result.stepDecisionsPerSec.toLocaleString('en')}/s); `) +
      `pipeline depth ${result.depth}; ` +
      (result.onHolderShare === null ? '' : `${(result.onHolderShare * 100).toFixed(1)}% of runs with inputs on a holder of one; `) +
      `${result.infeasibleQueued} infeasible gpu tasks at the head the whole time ` +
      `(${result.infeasibleReported} reported), run by a gpu worker at the end`,
  );
  console.log(
    `${name}: heap ${result.heapSamplesMiB.join(' → ')} MiB (spread ${result.heapSpreadMiB} MiB, baseline ${result.heapBaselineMiB}, after ${result.heapAfterMiB}); ` +
      `peak ${result.peakTasksHeld.toLocaleString('en')} tasks held, ${result.peakBytesPerTaskHeld} B each; left: ${result.finalTasks} tasks, ${result.finalObjects} objects`,
  );
  console.log(JSON.stringify(result));
  console.log();
}
const worst = Math.min(...results.map((result) => result.decisionsPerSec));
const flat = results.every((result) => result.flat);
console.log(
  `goal ≥ 100,000 decisions/s with flat memory: ${worst >= 100_000 && flat ? 'met' : 'MISSED'} ` +
    `(slowest scenario ${worst.toLocaleString('en')}/s; memory ${flat ? 'flat' : gc ? 'NOT flat' : 'unmeasured without --expose-gc'})`,
);
