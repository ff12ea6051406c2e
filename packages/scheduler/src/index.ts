export { step } from './step.ts';
export { createState, DEFAULT_CONFIG } from './state.ts';
export type { SchedulerState } from './state.ts';
export { runsOf } from './runs.ts';
export { findStragglers, median, DEFAULT_SPECULATION } from './speculation.ts';
export type { SpeculationPolicy, GroupTimes } from './speculation.ts';
export { taskInfo, explainPending, schedulerStats, workerLoad, objectInfo } from './queries.ts';
export type {
  WorkerId,
  Resources,
  TaskSpec,
  FailureKind,
  SchedulerEvent,
  SchedulerCommand,
  TaskInput,
  TaskState,
  SchedulerConfig,
  TaskInfo,
  SchedulerStats,
  WorkerLoad,
  ObjectInfo,
} from './types.ts';
