export { createCluster } from './cluster.ts';
export type { Cluster, GetOptions } from './cluster.ts';
export { Coordinator } from './coordinator.ts';
export type { CoordinatorEvents, TaskLog } from './coordinator.ts';
export { ObjectRef, isObjectRef } from './objectRef.ts';
export { validateOptions, DEFAULT_OPTIONS } from './options.ts';
export type { RemoteOptions } from './options.ts';
export type { RemoteFunction, AnyFunction } from './remoteFunction.ts';
export { runJob, importJob } from './job.ts';
