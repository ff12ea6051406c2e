/**
 * `bench/transfer-raw.ts --diag`: where a control round trip's time goes while bulk bytes flow between the two
 * tabs. Raw pings' two legs (timed from both tabs' timeOrigin + now), each tab's main-thread queue delay, and the
 * cores this bench's Chromium used, idle, under CPU contention alone (a Web Worker burning a core in each tab),
 * during a raw transfer and during each lane's fetch.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Lanes, TransferResult } from '../apps/bench-transfer-api.ts';

const MiB = 1024 * 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * CPU seconds used so far by this bench's Chromium (the processes under this one; utime + stime of every
 * thread, from /proc), by kind: browser, renderer (both tabs), utility (the network service), gpu-process.
 */
function chromiumCpu(): Record<string, number> {
  const stats = new Map<number, { ppid: number; seconds: number; kind: string }>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      stats.set(Number(pid), { ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / 100, kind: /--type=(\w[\w-]*)/.exec(cmdline)?.[1] ?? 'browser' });
    } catch {
      // gone meanwhile
    }
  }
  // This bench's own browser: the descendants of this process.
  const ours = new Set<number>([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) if (!ours.has(pid) && ours.has(stat.ppid)) grew = ours.add(pid) !== null;
  }
  const totals: Record<string, number> = {};
  for (const pid of ours) {
    const stat = stats.get(pid);
    if (!stat || pid === process.pid || !/chrom|headless|browser|renderer|utility|gpu/.test(stat.kind + readFileSafe(pid))) continue;
    totals[stat.kind] = (totals[stat.kind] ?? 0) + stat.seconds;
  }
  return totals;
}

function readFileSafe(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8');
  } catch {
    return '';
  }
}

/** Percentiles of a sample set, for the diagnosis lines. */
function spread(xs: number[]): { p50: number; p90: number; max: number; n: number } {
  return xs.length ? { p50: round(median(xs), 2), p90: round(quantile(xs, 0.9), 2), max: round(Math.max(...xs), 1), n: xs.length } : { p50: NaN, p90: NaN, max: NaN, n: 0 };
}

/**
 * Where a round trip's time goes: the raw pings' legs (fetcher → holder's handler, and back, the way bulk
 * bytes flow), each tab's main-thread queue delay, idle, while both tabs burn a core each in Web Workers
 * (CPU contention with no network), and during paced and unpaced fetches.
 */
export async function diagnose(holder: Page, fetcher: Page, options: { runs: number; lanes: Lanes[]; rawBytes: number; name: (lanes: Lanes) => string }): Promise<void> {
  const { runs: RUNS, rawBytes: RAW_BYTES } = options;
  const cases: Array<[string, (() => Promise<unknown>) | null, Lanes | null]> = [
    ['idle', null, null],
    ['burn 1+1 workers', () => Promise.all([holder.evaluate(() => window.shoalBench!.burn(3000, 1)), fetcher.evaluate(() => window.shoalBench!.burn(3000, 1))]), null],
    ['raw channel 64 MiB', () => holder.evaluate((bytes) => window.shoalBench!.raw(bytes), RAW_BYTES), null],
    ...options.lanes.map((l) => [`fetch ${options.name(l)}`, null, l] as [string, null, Lanes]),
  ];
  const merged = new Map<string, { rtt: number[]; control: number[]; there: number[]; back: number[]; holderLag: number[]; fetcherLag: number[]; mbPerSec: number[] }>();
  for (let run = 0; run < RUNS; run++) {
    for (const [name, load, lanes] of cases) {
      await holder.evaluate(() => window.shoalBench!.lagStart());
      await fetcher.evaluate(() => window.shoalBench!.lagStart());
      const cpuBefore = chromiumCpu();
      const started = performance.now();
      const loading = load?.();
      const pings = lanes
        ? await fetcher.evaluate(([l, s]) => window.shoalBench!.pings(4000, { lanes: l, size: s }), [lanes, 64 * MiB] as const)
        : await fetcher.evaluate((n) => window.shoalBench!.pings(n), load ? 200 : 100);
      const loaded = await loading;
      const ms = performance.now() - started;
      const cpuAfter = chromiumCpu();
      const cores = Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, round((v - (cpuBefore[k] ?? 0)) / (ms / 1000), 2)]));
      if (loaded && typeof loaded === 'object' && 'mbPerSec' in loaded) console.log(JSON.stringify({ path: 'diag-raw', mbPerSec: round((loaded as TransferResult).mbPerSec) }));
      console.log(JSON.stringify({ path: 'diag-cpu', during: name, cores }));
      const holderLag = await holder.evaluate(() => window.shoalBench!.lagStop());
      const fetcherLag = await fetcher.evaluate(() => window.shoalBench!.lagStop());
      const into = merged.get(name) ?? { rtt: [], control: [], there: [], back: [], holderLag: [], fetcherLag: [], mbPerSec: [] };
      into.rtt.push(...pings.raw);
      into.control.push(...pings.control);
      into.there.push(...(pings.there ?? []));
      into.back.push(...(pings.back ?? []));
      into.holderLag.push(...holderLag);
      into.fetcherLag.push(...fetcherLag);
      if (lanes) into.mbPerSec.push(round((64 * MiB) / 1e6 / (ms / 1000)));
      merged.set(name, into);
    }
  }
  for (const [name, m] of merged) {
    console.log(JSON.stringify({ path: 'diag', during: name, mbPerSec: m.mbPerSec, rawRtt: spread(m.rtt), control: spread(m.control), there: spread(m.there), back: spread(m.back), holderLag: spread(m.holderLag), fetcherLag: spread(m.fetcherLag) }));
  }
  const pacer = (await holder.evaluate(() => window.shoalBench!.endpointStats(1))).pacing;
  if (pacer) console.log(JSON.stringify({ path: 'pacer', window: round(pacer.window / 1024), baseRtt: round(pacer.baseRtt, 2), currentRtt: round(pacer.currentRtt, 2) }));
}

