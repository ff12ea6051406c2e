export type { Engine, EngineSession, FileFormat, WriteOptions } from './engine.ts';
export { createEngineDatabase, engineError } from './duckEngine.ts';
export type { DatabaseOptions, DuckBindings, EngineDatabase } from './duckEngine.ts';
export { loadEngine, loadDatabase, openEngineSession, engineLoadMs, keptKeys } from './browserEngine.ts';
export type { LoadOptions } from './browserEngine.ts';
export { loadParquetCodec, codecOf } from './parquet.ts';
export type { ParquetCodec } from './parquet.ts';
