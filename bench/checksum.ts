/**
 * @shoal/objects figures: the checksum's speed on 64 MB (aligned and not),
 * and the codec on a 64 MB Float64Array and a 1M-row, 2-column Arrow table.
 * Each figure is the median of several runs after a warm-up.
 *
 *   npx tsx bench/checksum.ts [--runs N]
 */
import { tableFromArrays } from 'apache-arrow';
import { checksum, decodeValue, encodeValue } from '@shoal/objects';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
const MB = 1e6;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Median milliseconds of `fn` over RUNS runs, after one warm-up. */
function time(fn: () => unknown): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

function line(label: string, ms: number, bytes?: number): void {
  const rate = bytes === undefined ? '' : `  ${((bytes / MB / ms) * 1000).toFixed(0).padStart(6)} MB/s`;
  console.log(`${label.padEnd(44)} ${ms.toFixed(2).padStart(8)} ms${rate}`);
}

const SIZE = 64 * 1024 * 1024;
const backing = new Uint8Array(SIZE + 8);
let seed = 0x12345678;
for (let i = 0; i < backing.length; i += 4) {
  seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
  backing[i] = seed;
  backing[i + 1] = seed >>> 8;
  backing[i + 2] = seed >>> 16;
  backing[i + 3] = seed >>> 24;
}
const aligned = backing.subarray(0, SIZE);
const unaligned = backing.subarray(1, SIZE + 1);

console.log(`@shoal/objects bench (node ${process.version}, median of ${RUNS})`);
line('checksum 64 MiB, aligned', time(() => checksum(aligned)), SIZE);
line('checksum 64 MiB, byteOffset 1 (scratch copy)', time(() => checksum(unaligned)), SIZE);

const floats = new Float64Array(SIZE / 8).map((_, i) => i * 0.5);
line('Float64Array.slice() 64 MiB (one copy, for scale)', time(() => floats.slice()), SIZE);
let blob = encodeValue(floats).buffer;
line('encode Float64Array 64 MiB', time(() => (blob = encodeValue(floats).buffer)), SIZE);
line('decode Float64Array 64 MiB (zero-copy view)', time(() => decodeValue(blob)));
const decoded = decodeValue(blob) as Float64Array;
if (decoded.buffer !== blob || decoded[12345] !== floats[12345]) throw new Error('Float64Array round trip is wrong');

const ROWS = 1_000_000;
const table = tableFromArrays({ id: Int32Array.from({ length: ROWS }, (_, i) => i), value: Float64Array.from({ length: ROWS }, (_, i) => i / 3) });
let tableBlob = encodeValue(table).buffer;
const tableBytes = tableBlob.byteLength;
line(`encode Arrow table 1M rows × 2 (${(tableBytes / MB).toFixed(1)} MB)`, time(() => (tableBlob = encodeValue(table).buffer)), tableBytes);
line('decode Arrow table 1M rows × 2 (tableFromIPC)', time(() => decodeValue(tableBlob)));
line('checksum of that table blob', time(() => checksum(new Uint8Array(tableBlob))), tableBytes);
