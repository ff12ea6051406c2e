export { Clock, Resource, seeded } from './clock.ts';
export { DEFAULT_NETWORK } from './model.ts';
export type { NetworkModel } from './model.ts';
export { simulateJoin, fullMeshCost } from './joinSim.ts';
export type { JoinOptions, JoinResult, FullMeshCost } from './joinSim.ts';
export { simulateTasks } from './taskSim.ts';
export type { TaskSimOptions, TaskSimResult } from './taskSim.ts';
