/**
 * The H2O db-benchmark groupby table (G1_<N>_1e2_0_0: N rows, K = 100 groups,
 * no NAs, unsorted) and a 1/K-sized join table for it, written as CSV with a
 * seeded PRNG, so every run (and both systems) read the same bytes.
 *
 * Distributions as h2oai/db-benchmark `_data/groupby-datagen.R` (set.seed(108)):
 *   id1, id2  sprintf("id%03d", sample(K))          string, 100 values
 *   id3       sprintf("id%010d", sample(N/K))       string, N/K values
 *   id4, id5  sample(K)                             int 1..100
 *   id6       sample(N/K)                           int 1..N/K
 *   v1        sample(5)                             int 1..5
 *   v2        sample(15)                            int 1..15
 *   v3        round(runif(0, 100), 6)               float, written as fwrite does (no trailing zeros)
 * The values are not R's (R's Mersenne Twister and sampling are not
 * reproduced), only the distributions and the text format.
 *
 * Join table (J1_<N>_<N/K>_0_0.csv), after db-benchmark's `_data/join-datagen.R`
 * design (each right-side key unique; 90 % of them match the left side, 10 %
 * match nothing): n = N/K rows, columns
 *   id6       0.9 n distinct keys drawn from 1..n (G1's id6 domain) and 0.1 n
 *             keys from n+1..1.1 n, shuffled: int
 *   v4        round(runif(0, 100), 6)
 * so `G1 JOIN J1 USING (id6)` (inner) keeps about 90 % of G1's rows.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const K = 100;
export const SEED = 108;
/** Bump when the bytes a given (rows, seed) produce change. */
const GENERATOR_VERSION = 1;

/** db-benchmark's short form: 1e7 for 10,000,000; other counts as they are. */
export function prettyRows(n: number): string {
  const exp = Math.log10(n);
  return Number.isInteger(exp) ? `1e${exp}` : String(n);
}

export interface BenchData {
  dir: string;
  /** Paths relative to `dir` (what a Shoal job names). */
  groupby: string;
  join: string;
  rows: number;
  joinRows: number;
  bytes: number;
  generatedMs?: number;
}

/** sfc32, a small fast 32-bit PRNG; seeded through splitmix32. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A uniform integer in 1..n (n ≤ 2^32; the modulo-free multiply keeps bias under n / 2^32). */
const sampler = (next: () => number) => (n: number): number => Math.floor((next() / 4294967296) * n) + 1;

/** Writes `n` in decimal at `pos`, left-padded with zeros to `width`; answers the new position. */
function putInt(buf: Buffer, pos: number, n: number, width = 0): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  const len = Math.max(digits, width);
  for (let i = len - 1; i >= 0; i--) {
    buf[pos + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return pos + len;
}

/** round(runif(0,100), 6) as text: u in 0..1e8 is the value in millionths; no trailing zeros, as fwrite. */
function putMillionths(buf: Buffer, pos: number, u: number): number {
  pos = putInt(buf, pos, Math.floor(u / 1_000_000));
  let frac = u % 1_000_000;
  if (frac === 0) return pos;
  let width = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  buf[pos++] = 46; // '.'
  return putInt(buf, pos, frac, width);
}

const uniformMillionths = (next: () => number): number => Math.round((next() / 4294967296) * 100_000_000);

function writeCsv(path: string, header: string, rows: number, rowBytes: number, fill: (buf: Buffer, pos: number) => number): number {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  try {
    const head = Buffer.from(`${header}\n`);
    writeSync(fd, head);
    bytes += head.length;
    const chunkRows = 100_000;
    const buf = Buffer.allocUnsafe(chunkRows * rowBytes);
    for (let done = 0; done < rows; ) {
      const n = Math.min(chunkRows, rows - done);
      let pos = 0;
      for (let i = 0; i < n; i++) pos = fill(buf, pos);
      writeSync(fd, buf, 0, pos);
      bytes += pos;
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return bytes;
}

function generateGroupby(path: string, rows: number): number {
  const sample = sampler(rng(SEED));
  const next = rng(SEED ^ 0x5bd1e995);
  const groups = Math.max(1, Math.floor(rows / K));
  const ID = [105, 100]; // 'id'
  return writeCsv(path, 'id1,id2,id3,id4,id5,id6,v1,v2,v3', rows, 80, (buf, pos) => {
    buf[pos++] = ID[0]!; buf[pos++] = ID[1]!;
    pos = putInt(buf, pos, sample(K), 3);
    buf[pos++] = 44;
    buf[pos++] = ID[0]!; buf[pos++] = ID[1]!;
    pos = putInt(buf, pos, sample(K), 3);
    buf[pos++] = 44;
    buf[pos++] = ID[0]!; buf[pos++] = ID[1]!;
    pos = putInt(buf, pos, sample(groups), 10);
    buf[pos++] = 44;
    pos = putInt(buf, pos, sample(K));
    buf[pos++] = 44;
    pos = putInt(buf, pos, sample(K));
    buf[pos++] = 44;
    pos = putInt(buf, pos, sample(groups));
    buf[pos++] = 44;
    pos = putInt(buf, pos, sample(5));
    buf[pos++] = 44;
    pos = putInt(buf, pos, sample(15));
    buf[pos++] = 44;
    pos = putMillionths(buf, pos, uniformMillionths(next));
    buf[pos++] = 10;
    return pos;
  });
}

/** A random permutation of 1..n (Fisher–Yates). */
function permutation(n: number, sample: (n: number) => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const j = sample(i + 1) - 1;
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

function generateJoin(path: string, n: number): number {
  const sample = sampler(rng(SEED + 1));
  const next = rng((SEED + 1) ^ 0x5bd1e995);
  const matching = Math.round(n * 0.9);
  const domain = permutation(n, sample); // the first 0.9 n of a shuffled 1..n: distinct left-side keys
  const keys = new Int32Array(n);
  for (let i = 0; i < matching; i++) keys[i] = domain[i]!;
  for (let i = matching; i < n; i++) keys[i] = n + 1 + (i - matching); // keys no left row has
  const order = permutation(n, sample);
  let row = 0;
  return writeCsv(path, 'id6,v4', n, 32, (buf, pos) => {
    pos = putInt(buf, pos, keys[order[row++]! - 1]!);
    buf[pos++] = 44;
    pos = putMillionths(buf, pos, uniformMillionths(next));
    buf[pos++] = 10;
    return pos;
  });
}

/**
 * Makes (or reuses) `<dir>/h2o/G1_<N>_1e2_0_0.csv` and `<dir>/h2o/J1_<N>_<N/K>_0_0.csv`.
 * A file is reused when its side file says it was made by this generator with
 * the same rows and seed and its size still matches.
 */
export function ensureBenchData(dir: string, rows: number, log: (line: string) => void = console.log): BenchData {
  if (!Number.isInteger(rows) || rows < K) throw new Error(`--rows must be a whole number ≥ ${K}, got ${rows}`);
  mkdirSync(join(dir, 'h2o'), { recursive: true });
  const joinRows = Math.max(1, Math.floor(rows / K));
  const groupby = `h2o/G1_${prettyRows(rows)}_1e2_0_0.csv`;
  const joinFile = `h2o/J1_${prettyRows(rows)}_${prettyRows(joinRows)}_0_0.csv`;
  let bytes = 0;
  let generatedMs: number | undefined;
  for (const [file, make, count] of [
    [groupby, generateGroupby, rows],
    [joinFile, generateJoin, joinRows],
  ] as const) {
    const path = join(dir, file);
    const metaPath = `${path}.json`;
    const want = { generator: GENERATOR_VERSION, seed: SEED, rows: count };
    if (existsSync(path) && existsSync(metaPath)) {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as typeof want & { bytes: number };
      if (meta.generator === want.generator && meta.seed === want.seed && meta.rows === want.rows && statSync(path).size === meta.bytes) {
        bytes += meta.bytes;
        continue;
      }
    }
    const t0 = performance.now();
    log(`generating ${path} (${count.toLocaleString('en-US')} rows) ...`);
    const size = make(path, count);
    const ms = performance.now() - t0;
    generatedMs = (generatedMs ?? 0) + ms;
    log(`  ${(size / 1e6).toFixed(0)} MB in ${(ms / 1000).toFixed(1)} s`);
    writeFileSync(metaPath, JSON.stringify({ ...want, bytes: size }));
    bytes += size;
  }
  return { dir, groupby, join: joinFile, rows, joinRows, bytes, generatedMs };
}

/**
 * The G1 table as `parts` CSV files of about equal size (split at line ends,
 * each with the header) in `h2o/G1_<N>_1e2_0_0.parts<parts>/`: the same rows,
 * for a reader that gives each file its own partition. Answers `data` with
 * `groupby` set to the parts' glob (`.../*.csv`); `parts` 1 answers `data` as is.
 */
export function splitGroupby(data: BenchData, parts: number, log: (line: string) => void = console.log): BenchData {
  if (parts <= 1) return data;
  const folder = data.groupby.replace(/\.csv$/, `.parts${parts}`);
  const dir = join(data.dir, folder);
  const source = join(data.dir, data.groupby);
  const metaPath = join(dir, '_parts.json');
  const want = { source: statSync(source).size, parts };
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as typeof want;
    if (meta.source === want.source && meta.parts === want.parts) return { ...data, groupby: `${folder}/*.csv` };
  }
  log(`splitting ${source} into ${parts} files ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const text = readFileSync(source);
  const headerEnd = text.indexOf(10) + 1;
  const header = text.subarray(0, headerEnd);
  let start = headerEnd;
  for (let i = 0; i < parts; i++) {
    const target = i === parts - 1 ? text.length : headerEnd + Math.round(((text.length - headerEnd) * (i + 1)) / parts);
    const end = i === parts - 1 ? text.length : text.indexOf(10, target - 1) + 1;
    const fd = openSync(join(dir, `part-${String(i).padStart(5, '0')}.csv`), 'w');
    try {
      writeSync(fd, header);
      writeSync(fd, text, start, end - start);
    } finally {
      closeSync(fd);
    }
    start = end;
  }
  writeFileSync(metaPath, JSON.stringify(want));
  return { ...data, groupby: `${folder}/*.csv` };
}
