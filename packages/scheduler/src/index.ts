export { step } from './step.ts';
export { createState, capacity, DEFAULT_CONFIG } from './state.ts';
export type { SchedulerState } from './state.ts';
export type {
  WorkerId,
  TaskSpec,
  SchedulerEvent,
  SchedulerCommand,
  TaskState,
  TaskRecord,
  ObjectState,
  ObjectRecord,
  WorkerRecord,
  SchedulerConfig,
} from './types.ts';
