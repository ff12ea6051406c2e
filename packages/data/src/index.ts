/** @shoal/data: the signaling server's data folder from the browser (grants, listing, file URLs, ranges, Parquet footers, uploads). */
export { createDataClient, grantExpiresAt } from './dataClient.ts';
export type { DataClient, DataClientOptions, DataFileInfo, GrantOptions, WriteMode } from './dataClient.ts';
export { dataClientForPage } from './pageClient.ts';
export type { PageLocation } from './pageClient.ts';
export { putDataFile } from './putDataFile.ts';
export type { PutResult } from './putDataFile.ts';
export { readParquetSummary, summarizeParquet, statValue, typeName } from './parquetMetadata.ts';
export type { ColumnStats, ParquetColumn, ParquetRowGroup, ParquetSummary, StatValue } from './parquetMetadata.ts';
export { encodeDataPath } from './http.ts';
