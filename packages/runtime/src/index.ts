export { WorkerRuntime } from './workerRuntime.ts';
export type { WorkerRuntimeOptions } from './workerRuntime.ts';
export { WorkerPool } from './pool.ts';
export type { PoolTask } from './pool.ts';
export { compileFunction, executeTask, formatLogArgs } from './execute.ts';
export type { TaskFunction, TaskContext, Compiled } from './execute.ts';
export { detectCapabilities, detectGpu } from './capabilities.ts';
