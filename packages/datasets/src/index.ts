/** @shoal/datasets: `cluster.data`, streaming datasets over Shoal tasks and actor pools (Ray Data's model). */
export { dataApi, dataNamespace } from './api.ts';
export type { DataApiOptions, DataNamespace, ReadOptions } from './api.ts';
export { Dataset } from './dataset.ts';
export type { IterOptions, MapBatchesOptions, WriteOptions, WriteResult } from './dataset.ts';
export { blockLib } from './blockLib.ts';
export type { BatchFormat, Block, BlockLib, Column } from './blockLib.ts';
export { datasetTaskFunction, poolActorClass } from './blockTask.ts';
export type { BlockMeta, ReadSpec, TaskSpec, TransformStep } from './blockTask.ts';
export { DEFAULT_CONTEXT } from './cluster.ts';
export type { DataCluster, DataContext, DataFolder } from './cluster.ts';
export { execute } from './executor.ts';
export type { Execution, ExecuteOptions } from './executor.ts';
export { explain, fuseTransforms, operatorName, operators } from './plan.ts';
export type { PlanNode, SourceSpec } from './plan.ts';
export { limitCut, operatorWindow, rangeBlockCount, rangeReads, repartitionSlices, splitBlocks } from './partition.ts';
export { addActor, answered, createPool, idleToRetire, missing, pickActor, removeActor, sent, shouldGrow } from './poolPolicy.ts';
export type { PoolActorState, PoolState } from './poolPolicy.ts';
export type { BlockHandle, OperatorStats, Pull } from './streams.ts';
