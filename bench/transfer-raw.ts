/**
 * Bulk transfer between two tabs: Shoal's BulkEndpoint against a raw
 * RTCDataChannel on the same connection, in the same run.
 *
 *   npx tsx bench/transfer-raw.ts [--runs N] [--sizes 16,64,256] [--lanes 1,2,4] [--no-colocated] [--no-before] [--high-water MiB] [--chunk KiB] [--burst KiB] [--pacing JSON] [--compare JSON|[JSON,...]] [--raw-chunks 256,32] [--sweep WxC,...] [--colocated-chunk MiB] [--diag]
 *
 * It builds apps/bench-transfer.html into a temp dir (Vite, with the repo's
 * config, so dist/ is left alone), starts the signaling server on it, opens
 * two tabs of one headless Chromium in one room, and measures, receiver-side
 * with performance.now():
 *
 *   raw        64 MiB over a plain negotiated data channel: 256 KiB messages
 *              (--raw-chunks: other sizes too; the first is what ratios are to),
 *              pause above 8 MiB bufferedAmount, resume on bufferedamountlow
 *              (1 MiB); timed from the first send to the receiver's "done";
 *              measured once per run, before that run's fetches, so a ratio
 *              compares the same minutes of a machine whose load moves
 *   bulk       BulkEndpoint.fetch of each size over 1, 2 and 4 of PeerLink's
 *              bulk channels (request → header → chunks → checksum verified);
 *              they live on an RTCPeerConnection of their own (PeerLink's
 *              default), apart from the raw and control channels, and are
 *              paced (BulkEndpoint's default; `--pacing '{"targetMs":2}'`
 *              tunes the pacer, `--chunk` their frame size)
 *   compare    (--compare JSON) the same fetch, paced with these pacer options
 *              (a same-run A/B of a pacer setting; `chunkBytes` sets the frame
 *              size); a JSON array gives up to 3 such lanes
 *   (--no-before leaves out the two layouts below, for quicker A/Bs)
 *   unpaced    the same fetch over one more channel of that connection with
 *              `pacing: false` and 256 KiB frames: only the 8 MiB high-water
 *              mark bounds the sender (the layout before pacing: "before")
 *   shared     the same fetch over one bulk channel on the link's main
 *              connection, beside the control channel, with no burst limit
 *              unless --burst is given (the layout before: "before" figures)
 *   colocated  the same fetch over the co-located MessagePort path (SharedWorker broker)
 *   ping       round trips of small messages every 10 ms, on the raw channel
 *              and on the link's control channel (a heartbeat echoed), idle
 *              and while a 64 MiB fetch runs over each lane set, unpaced and
 *              shared (--runs rounds, in alternating order; percentiles over
 *              all); then the paced sender's window and round trips, and what
 *              a sender keeps in bufferedAmount (sampled every 5 ms)
 *   diag       (--diag, instead of all the rest) where a round trip's time
 *              goes: raw pings' two legs (both tabs' timeOrigin + now), each
 *              tab's main-thread queue delay (a MessageChannel message every
 *              2 ms), and the cores this bench's Chromium used (/proc), idle,
 *              while both tabs burn a core in a Web Worker (CPU contention
 *              without network), during a raw transfer and during each fetch
 *   sweep      (--sweep 8192x256,32x16: window KiB x message KiB) pings while
 *              the holder sends 32 MiB of plain messages on an idle bulk
 *              channel, at most `window` bytes unacknowledged by the
 *              receiving tab: how control latency follows the bytes in flight
 *
 * Each figure is the median of --runs (default 3); the lane counts take turns
 * within each run so they share the machine's state. Sizes are MiB; speeds
 * are MB/s (10^6 bytes a second). Output: one JSON line per measurement, then
 * a table with each bulk figure's ratio to the raw one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser } from '@shoal/launcher';
import { startSignalingServer } from '@shoal/signaling-server';
import { COMPARE_LANES, type BenchTransferApi, type CompareLane, type LaneCount, type Lanes, type TransferResult } from '../apps/bench-transfer-api.ts';
import { diagnose } from './transfer-raw-diag.ts';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const RUNS = Number(option('--runs', '3'));
const SIZES = option('--sizes', '16,64,256').split(',').map(Number);
const LANE_COUNTS = option('--lanes', '1,2,4').split(',').map(Number) as LaneCount[];
/** PeerLink's lane sets, then one bulk channel on the link's main connection. */
/** `--compare JSON`: one more paced lane with these pacer options (an array: up to 3 lanes), for a same-run A/B. */
const COMPARE = option('--compare', '');
const COMPARE_JSON: unknown[] = COMPARE ? [JSON.parse(COMPARE) as unknown].flat() : [];
const COMPARING = COMPARE_LANES.slice(0, COMPARE_JSON.length);
const compareName = (lane: Lanes): string => JSON.stringify(COMPARE_JSON[COMPARE_LANES.indexOf(lane as CompareLane)]);
/** `--no-before`: leave out the layouts before (unpaced, shared), for a quicker A/B of paced settings. */
const BEFORE = !argv.includes('--no-before');
const LANES: Lanes[] = [...LANE_COUNTS, ...COMPARING, ...(BEFORE ? (['unpaced', 'shared'] as const) : [])];
const COLOCATED = !argv.includes('--no-colocated');
/** The bulk endpoints' high-water mark in MiB; 0: BulkEndpoint's default. */
const HIGH_WATER = Number(option('--high-water', '0'));
/** Co-located chunk size in MiB ('Infinity': whole objects); '': Colocated's default. */
const COLOCATED_CHUNK = option('--colocated-chunk', '');
/** The bulk endpoints' largest frame in KiB; 0: BulkEndpoint's default (256). */
const CHUNK_KIB = Number(option('--chunk', '0'));
/** Most KiB the bulk sender sends per task before it yields ('Infinity': no limit); 0: BulkEndpoint's default. */
const BURST_KIB = Number(option('--burst', '0'));
/** The paced endpoints' pacer options as JSON, e.g. '{"targetMs":2}'; '': BulkEndpoint's defaults. */
const PACING = option('--pacing', '');
/** `--sweep 8192x256,256x64`: also pings during a plain acked-window transfer, per `windowKiBxchunkKiB` (experiment). */
const SWEEP = option('--sweep', '')
  .split(',')
  .filter(Boolean)
  .map((pair) => pair.split('x').map(Number) as [number, number]);
/** `--raw-chunks 256,32`: the raw channel's message sizes in KiB, each measured every run; the first is the one ratios are to. */
const RAW_CHUNKS = option('--raw-chunks', '256').split(',').map(Number);
/** `--diag`: only where a control round trip's time goes during a fetch (legs, each tab's main-thread queue delay, CPU contention alone). */
const DIAG = argv.includes('--diag');
const MiB = 1024 * 1024;
const RAW_BYTES = 64 * MiB;
if (!Number.isInteger(RUNS) || RUNS < 1 || SIZES.some((s) => !(s > 0)) || LANE_COUNTS.some((l) => ![1, 2, 4].includes(l))) {
  console.error('usage: npx tsx bench/transfer-raw.ts [--runs N] [--sizes 16,64,256] [--lanes 1,2,4] [--no-colocated] [--no-before] [--high-water MiB] [--chunk KiB] [--burst KiB] [--pacing JSON] [--compare JSON|[JSON,...]] [--raw-chunks 256,32] [--sweep WxC,...] [--colocated-chunk MiB] [--diag]');
  process.exit(2);
}

declare global {
  interface Window {
    shoalBench?: BenchTransferApi;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function buildPage(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const { default: config } = await import('../vite.config.ts');
  const started = performance.now();
  await build({
    ...config,
    configFile: false,
    logLevel: 'warn',
    build: { ...config.build, outDir, emptyOutDir: true, sourcemap: false, rollupOptions: { input: { bench: join(root, 'apps', 'bench-transfer.html') } } },
  });
  console.log(`built the bench page in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function waitFor<T>(page: Page, what: string, probe: () => T | null, timeoutMs = 30_000): Promise<T> {
  const handle = await page.waitForFunction(probe, undefined, { timeout: timeoutMs, polling: 50 }).catch((error: unknown) => {
    throw new Error(`${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  });
  return (await handle.jsonValue()) as T;
}

interface Line {
  path: 'raw' | 'bulk' | 'colocated';
  lanes?: Lanes;
  sizeMiB: number;
  mbPerSec: number;
  ms: number;
  runs: number[];
  ratioToRaw?: number;
  [key: string]: unknown;
}

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'shoal-bench-transfer-'));
  await buildPage(outDir);
  // The bench page joins without a token: a loopback-only server in open mode.
  const server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: outDir, quiet: true, open: true });
  const browser = await launchBrowser({ headless: true });
  try {
    const context = await browser.newContext();
    const room = `bench${Date.now().toString(36)}`;
    const open = async (name: string): Promise<Page> => {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.log(`[${name}] uncaught ${error.message}`));
      page.on('console', (message) => message.type() === 'error' && console.log(`[${name}] ${message.text()}`));
      await page.goto(`${server.url}/bench-transfer.html?room=${room}&name=${name}&highWater=${HIGH_WATER}&chunk=${CHUNK_KIB}&burst=${BURST_KIB}${PACING ? `&pacing=${encodeURIComponent(PACING)}` : ''}${COMPARE ? `&compare=${encodeURIComponent(COMPARE)}` : ''}${COLOCATED_CHUNK ? `&colocatedChunk=${COLOCATED_CHUNK}` : ''}`);
      await waitFor(page, `${name} joining`, () => window.shoalBench?.peerId() ?? null);
      return page;
    };
    // `holder` serves; `fetcher` fetches (bytes flow holder → fetcher in every measurement).
    const holder = await open('holder');
    const fetcher = await open('fetcher');
    const holderId = await waitFor(fetcher, 'linking', () => window.shoalBench?.readyPeer() ?? null);
    await waitFor(holder, 'linking', () => window.shoalBench?.readyPeer() ?? null);
    console.log(`two tabs linked (${holderId} serves); runs=${RUNS}\n`);

    await holder.evaluate((sizes) => window.shoalBench!.prepare(sizes), [4 * MiB, ...SIZES.map((s) => s * MiB), ...(COLOCATED ? [64 * MiB, 256 * MiB] : [])]);
    // Warm-up: every path once, untimed.
    await holder.evaluate((bytes) => window.shoalBench!.raw(bytes), 8 * MiB);
    for (const lanes of LANES) await fetcher.evaluate(([l, s]) => window.shoalBench!.fetch(l, s), [lanes, 4 * MiB] as const);
    if (COLOCATED) await fetcher.evaluate((s) => window.shoalBench!.colocated(s), 4 * MiB);

    if (DIAG) {
      await diagnose(holder, fetcher, { runs: RUNS, lanes: LANES.filter((l) => l !== 'shared'), rawBytes: RAW_BYTES, name: (l) => (COMPARING.includes(l as CompareLane) ? compareName(l) : String(l)) });
      return;
    }
    const lines: Line[] = [];
    const emit = (line: Line): void => {
      lines.push(line);
      console.log(JSON.stringify(line));
    };

    // The raw channel is measured in every run, between the lanes' fetches, so that the ratios compare the same moments
    // of a machine whose load moves (measured all first, a raw figure from a quiet minute once made every ratio look bad).
    const raw = new Map<number, TransferResult[]>();
    const measureRaw = async (): Promise<void> => {
      for (const chunkKiB of RAW_CHUNKS) {
        const r = await holder.evaluate(([bytes, chunk]) => window.shoalBench!.raw(bytes, chunk), [RAW_BYTES, chunkKiB * 1024] as const);
        raw.set(chunkKiB, [...(raw.get(chunkKiB) ?? []), r]);
      }
    };
    const bySize = new Map<number, Map<Lanes, Awaited<ReturnType<BenchTransferApi['fetch']>>[]>>();
    for (let run = 0; run < RUNS; run++) {
      for (const sizeMiB of SIZES) {
        if (sizeMiB === SIZES[0]) await measureRaw();
        const byLanes = bySize.get(sizeMiB) ?? new Map<Lanes, Awaited<ReturnType<BenchTransferApi['fetch']>>[]>();
        bySize.set(sizeMiB, byLanes);
        for (const lanes of run % 2 === 0 ? LANES : [...LANES].reverse()) {
          const r = await fetcher.evaluate(([l, s]) => window.shoalBench!.fetch(l, s), [lanes, sizeMiB * MiB] as const);
          byLanes.set(lanes, [...(byLanes.get(lanes) ?? []), r]);
        }
      }
    }
    const rawMBps = median(raw.get(RAW_CHUNKS[0]!)!.map((r) => r.mbPerSec));
    for (const [chunkKiB, results] of raw) {
      const mbPerSec = median(results.map((r) => r.mbPerSec));
      emit({ path: 'raw', chunkKiB, sizeMiB: RAW_BYTES / MiB, mbPerSec: round(mbPerSec), ms: round(median(results.map((r) => r.ms))), runs: results.map((r) => round(r.mbPerSec)), ...(chunkKiB === RAW_CHUNKS[0] ? {} : { ratioToRaw: round(mbPerSec / rawMBps, 2) }) });
    }

    for (const [sizeMiB, byLanes] of bySize) {
      for (const [lanes, results] of byLanes) {
        const mbPerSec = median(results.map((r) => r.mbPerSec));
        const last = results.at(-1)!.stats;
        emit({
          path: 'bulk',
          lanes,
          sizeMiB,
          mbPerSec: round(mbPerSec),
          ms: round(median(results.map((r) => r.ms))),
          runs: results.map((r) => round(r.mbPerSec)),
          ratioToRaw: round(mbPerSec / rawMBps, 2),
          retries: last.retries,
          corruptTransfers: last.corruptTransfers,
        });
      }
    }

    if (COLOCATED) {
      for (const sizeMiB of [64, 256]) {
        const results: TransferResult[] = [];
        for (let run = 0; run < RUNS; run++) {
          const r = await fetcher.evaluate((s) => window.shoalBench!.colocated(s), sizeMiB * MiB);
          if (!r) throw new Error('the co-located broker did not connect the two tabs');
          results.push(r);
        }
        const mbPerSec = median(results.map((r) => r.mbPerSec));
        emit({ path: 'colocated', sizeMiB, mbPerSec: round(mbPerSec), ms: round(median(results.map((r) => r.ms))), runs: results.map((r) => round(r.mbPerSec)) });
      }
    }
    // Control-message latency: small messages on the main connection, idle and while a 64 MiB fetch runs.
    const pingLines: string[] = [];
    const pingLine = (during: string, result: { raw: number[]; control: number[] }): void => {
      for (const via of ['raw', 'control'] as const) {
        const xs = result[via];
        const line = { path: 'ping', via, during, medianMs: round(median(xs), 2), p90Ms: round(quantile(xs, 0.9), 2), count: xs.length };
        console.log(JSON.stringify(line));
        pingLines.push(`${via.padEnd(8)}  ${during.padEnd(34)}  ${line.medianMs.toFixed(2).padStart(7)}  ${line.p90Ms.toFixed(2).padStart(7)}  ${String(xs.length).padStart(5)}`);
      }
    };
    // --runs rounds; the lane sets take turns in alternating order, so neither always goes first.
    const merged = new Map<string, { raw: number[]; control: number[] }>();
    const add = (during: string, result: { raw: number[]; control: number[] }): void => {
      const into = merged.get(during) ?? { raw: [], control: [] };
      into.raw.push(...result.raw);
      into.control.push(...result.control);
      merged.set(during, into);
    };
    for (let run = 0; run < RUNS; run++) {
      add('idle', await fetcher.evaluate(() => window.shoalBench!.pings(100)));
      for (const lanes of run % 2 === 0 ? LANES : [...LANES].reverse()) {
        const busy = await fetcher.evaluate(([l, s]) => window.shoalBench!.pings(2000, { lanes: l, size: s }), [lanes, 64 * MiB] as const);
        add(lanes === 'shared' ? 'fetch, 1 lane on the main connection' : lanes === 'unpaced' ? 'fetch, 1 lane, unpaced' : COMPARING.includes(lanes as CompareLane) ? `fetch, 1 lane, ${compareName(lanes)}` : `fetch, ${lanes} lane(s)`, busy);
      }
    }
    for (const [during, result] of merged) pingLine(during, result);
    for (const lanes of [LANE_COUNTS[0]!, ...COMPARING]) {
      const pacer = (await holder.evaluate((l) => window.shoalBench!.endpointStats(l), lanes)).pacing;
      if (pacer) console.log(JSON.stringify({ path: 'pacer', lanes, ...pacer, window: round(pacer.window / 1024), baseRtt: round(pacer.baseRtt, 2), currentRtt: round(pacer.currentRtt, 2), queueingDelay: round(pacer.queueingDelay, 2) }));
    }
    if (SWEEP.length > 0) {
      await holder.evaluate(() => window.shoalBench!.queueSamples());
      for (let run = 0; run < RUNS; run++) {
        for (const [windowKiB, chunkKiB] of run % 2 === 0 ? SWEEP : [...SWEEP].reverse()) {
          const r = await fetcher.evaluate(([w, c, b]) => window.shoalBench!.windowed(b, w * 1024, c * 1024, 4000), [windowKiB, chunkKiB, 32 * MiB] as const);
          const q = await holder.evaluate(() => window.shoalBench!.queueSamples());
          console.log(
            JSON.stringify({
              path: 'sweep',
              windowKiB,
              chunkKiB,
              mbPerSec: round(r.mbPerSec),
              rawP50: round(median(r.raw), 2),
              rawP90: round(quantile(r.raw, 0.9), 2),
              controlP50: round(median(r.control), 2),
              controlP90: round(quantile(r.control, 0.9), 2),
              queuedKiBMean: round(q.mean / 1024),
              queuedKiBMax: round(q.max / 1024),
            }),
          );
        }
      }
    }
    // What each sender keeps in bufferedAmount during a 64 MiB fetch (sampled in the holder every 5 ms).
    for (const lanes of [LANE_COUNTS[0]!, ...(BEFORE ? (['unpaced'] as const) : [])]) {
      await holder.evaluate(() => window.shoalBench!.queueSamples());
      const busy = await fetcher.evaluate(([l, s]) => window.shoalBench!.pings(2000, { lanes: l, size: s }), [lanes, 64 * MiB] as const);
      const q = await holder.evaluate(() => window.shoalBench!.queueSamples());
      console.log(JSON.stringify({ path: 'queue', lanes, bufferedKiBMean: round(q.mean / 1024), bufferedKiBMax: round(q.max / 1024), controlP50: round(median(busy.control), 2), controlP90: round(quantile(busy.control, 0.9), 2) }));
    }
    const checksumMs = await fetcher.evaluate((s) => window.shoalBench!.checksumMs(s), 256 * MiB);
    console.log(JSON.stringify({ path: 'checksum', sizeMiB: 256, ms: round(checksumMs), mbPerSec: round((256 * MiB) / 1e6 / (checksumMs / 1000)) }));

    // Failure check in the real browser: the holder tab closes in the middle of a fetch.
    await fetcher.evaluate((s) => window.shoalBench!.startFetch(1, s), 256 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const closedAt = Date.now();
    await holder.close();
    const outcome = await fetcher.evaluate(() => window.shoalBench!.fetchOutcome());
    const colocatedAfter = await fetcher.evaluate(() => window.shoalBench!.colocatedState());
    const check = { path: 'holderClosed', fetch: outcome.code ?? 'ok', rejectedAfterMs: outcome.at - closedAt, colocatedEndpoint: colocatedAfter.endpoint, brokerStillConnects: colocatedAfter.reconnects };
    console.log(JSON.stringify(check));

    console.log('\npath        lanes   size     MB/s   ms        × raw');
    for (const line of lines) {
      const cells = [
        (line.path + (line.path === 'raw' ? ` ${String(line['chunkKiB'])}K` : '')).padEnd(10),
        String(line.lanes ?? '').padStart(5),
        `${line.sizeMiB} MiB`.padStart(8),
        line.mbPerSec.toFixed(1).padStart(8),
        line.ms.toFixed(0).padStart(8),
        line.ratioToRaw === undefined ? '' : line.ratioToRaw.toFixed(2).padStart(8),
      ];
      console.log(cells.join('  '));
    }
    console.log('\nping via  during                              p50 ms   p90 ms  count');
    for (const line of pingLines) console.log(line);
  } finally {
    await browser.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
