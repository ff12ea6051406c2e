export type { Engine, EngineSession, FileFormat, WriteOptions } from './engine.ts';
export { createEngineDatabase, engineError } from './duckEngine.ts';
export type { DuckBindings, EngineDatabase } from './duckEngine.ts';
export { loadEngine, loadDatabase, openEngineSession, engineLoadMs } from './browserEngine.ts';
