/** The Parquet codec in Node (tests, benches): parquet-wasm's Node build, which loads its wasm itself. */
import { codecOf, type ParquetCodec } from './parquet.ts';

export async function loadNodeParquetCodec(): Promise<ParquetCodec> {
  const mod = await import('parquet-wasm');
  return codecOf(mod as never);
}
