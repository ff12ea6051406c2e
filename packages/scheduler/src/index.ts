export { step } from './step.ts';
export { createState, DEFAULT_CONFIG } from './state.ts';
export type { SchedulerState } from './state.ts';
export { taskInfo, explainPending, schedulerStats, workerLoad } from './queries.ts';
export type {
  WorkerId,
  Resources,
  TaskSpec,
  FailureKind,
  SchedulerEvent,
  SchedulerCommand,
  TaskState,
  SchedulerConfig,
  TaskInfo,
  SchedulerStats,
  WorkerLoad,
} from './types.ts';
