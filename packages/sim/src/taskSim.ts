/**
 * Scheduling throughput, simulated: the real pure scheduler (`step` from
 * @shoal/scheduler) on a coordinator whose main thread is a FIFO resource,
 * `workers` devices with `slots` each, and a modelled network between them.
 *
 * Every event the coordinator handles costs its main thread `stepMs` plus
 * `coordinatorMsgMs` per control message it receives or sends (a runTask
 * out, a taskDone in, a heartbeat in). Workers run what they are sent in
 * order, `slots` at a time, each task taking `taskMs`, and send one
 * heartbeat every `heartbeatMs` (whether batched or not, one message each:
 * batching them on the way is the coordinator's business, and shows as a
 * smaller `coordinatorMsgMs`).
 *
 * Reported: tasks per second, the coordinator's busy fraction and message
 * rate, and `step`'s own wall time per event on this machine (measured, not
 * modelled: it says how far the pure scheduler is from the model's `stepMs`).
 */
import { createState, step, type SchedulerCommand, type SchedulerEvent, type TaskSpec } from '@shoal/scheduler';
import { Clock, Resource, seeded } from './clock.ts';
import { DEFAULT_NETWORK, draw, type NetworkModel } from './model.ts';

export interface TaskSimOptions {
  workers: number;
  slots?: number;
  tasks: number;
  taskMs: number;
  /** The coordinator's CPU per scheduler event besides messages, ms. Default 0.005. */
  stepMs?: number;
  heartbeatMs?: number;
  network?: Partial<NetworkModel>;
  seed?: number;
}

export interface TaskSimResult {
  workers: number;
  tasks: number;
  taskMs: number;
  makespanMs: number;
  tasksPerSec: number;
  /** What the workers could do if the coordinator cost nothing: workers × slots / taskMs. */
  idealTasksPerSec: number;
  coordinatorBusy: number;
  coordinatorMsgsPerSec: number;
  /** Measured wall time of `step` per event on this machine, µs. */
  stepWallUs: number;
  finished: number;
}

export function simulateTasks(options: TaskSimOptions): TaskSimResult {
  const net: NetworkModel = { ...DEFAULT_NETWORK, ...options.network };
  const slots = options.slots ?? 4;
  const stepMs = options.stepMs ?? 0.005;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const random = seeded(options.seed ?? 7);
  const clock = new Clock();
  const coordinator = new Resource();
  const state = createState();
  const ids = Array.from({ length: options.workers }, (_, w) => `w${w}`);
  const index = new Map(ids.map((id, w) => [id, w]));
  const latency = ids.map(() => draw(net.latencyMs, random));
  const coordinatorLatency = draw(net.latencyMs, random);
  const free = new Int32Array(options.workers).fill(slots);
  const queues: string[][] = ids.map(() => []);
  let messages = 0;
  let finished = 0;
  let lastFinish = 0;
  let stepWall = 0;
  let steps = 0;

  const apply = (event: SchedulerEvent, inbound: number): number => {
    const t0 = performance.now();
    const commands = step(state, event);
    stepWall += performance.now() - t0;
    steps += 1;
    const out = commands.filter((c): c is Extract<SchedulerCommand, { type: 'runTask' }> => c.type === 'runTask');
    messages += inbound + out.length;
    const done = coordinator.serve(clock.now, stepMs + (inbound + out.length) * net.coordinatorMsgMs);
    for (const command of out) {
      const w = index.get(command.workerId)!;
      clock.at(done + coordinatorLatency + latency[w]!, () => arrive(w, command.taskId));
    }
    return done;
  };
  const arrive = (w: number, taskId: string): void => {
    if (free[w]! > 0) start(w, taskId);
    else queues[w]!.push(taskId);
  };
  const start = (w: number, taskId: string): void => {
    free[w]! -= 1;
    clock.after(options.taskMs, () => {
      free[w]! += 1;
      const next = queues[w]!.shift();
      if (next !== undefined) start(w, next);
      clock.after(latency[w]! + coordinatorLatency, () => {
        finished += 1;
        lastFinish = Math.max(lastFinish, apply({ type: 'taskFinished', taskId, workerId: ids[w]!, sizes: [8], durationMs: options.taskMs, inline: [true] }, 1));
      });
    });
  };
  const heartbeat = (w: number): void => {
    if (finished >= options.tasks) return;
    messages += 1;
    coordinator.serve(clock.now, net.coordinatorMsgMs);
    clock.after(heartbeatMs, () => heartbeat(w));
  };

  for (const id of ids) apply({ type: 'workerJoined', workerId: id, resources: { cpu: slots, gpu: 0, memory: 0, custom: {} } }, 1);
  ids.forEach((_, w) => clock.at(heartbeatMs * random(), () => heartbeat(w)));
  for (let i = 0; i < options.tasks; i++) {
    const task: TaskSpec = { taskId: `t${i}`, group: 'sim', outputs: [`t${i}.0`], deps: [], resources: { cpu: 1, gpu: 0, memory: 0, custom: {} }, priority: 0, maxRetries: 3, retryExceptions: false };
    apply({ type: 'taskSubmitted', task }, 0);
  }
  clock.run();
  const makespanMs = Math.max(lastFinish, 1e-9);
  return {
    workers: options.workers,
    tasks: options.tasks,
    taskMs: options.taskMs,
    makespanMs,
    tasksPerSec: (finished / makespanMs) * 1000,
    idealTasksPerSec: ((options.workers * slots) / options.taskMs) * 1000,
    coordinatorBusy: Math.min(1, coordinator.busyMs / makespanMs),
    coordinatorMsgsPerSec: (messages / makespanMs) * 1000,
    stepWallUs: (stepWall / Math.max(1, steps)) * 1000,
    finished,
  };
}
