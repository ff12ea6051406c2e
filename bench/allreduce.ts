/**
 * Ring allreduce bus bandwidth against the link rate, in one run.
 *
 *   npm run bench:allreduce      (or: npx tsx bench/allreduce.ts [--sizes 1,4,16,64,256] [--ranks 2,4] [--runs 3] [--webrtc])
 *
 * One local cluster of 4 one-slot worker tabs. For each size:
 * 1. link: a group of 2 tabs, rank 0 broadcasts the array to rank 1 (one
 *    hop: chunks pushed page to page over the same path the ring uses,
 *    co-located port or WebRTC bulk channels), timed from a barrier to the
 *    last rank done: the one-way rate a ring link can carry here.
 * 2. allreduce (sum, float32) on 2 and on 4 tabs, timed the same way. Bus
 *    bandwidth = size × 2(n−1)/n ÷ time (NCCL's definition): each rank
 *    sends and receives 2(n−1)/n of the array, so a ring at the link rate
 *    has a bus bandwidth equal to that rate. The ratio to the link rate is
 *    the figure the issue's goal (≥ 80%) is about.
 *
 * The times include handing the array to the page and back (a copy and two
 * transfers), as a user's `allreduce` pays them. The median of `--runs`.
 * `--webrtc` turns the co-located path off (worker link `colocated=0`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { startLocalCluster } from '@shoal/launcher';
import type { Page } from 'playwright-core';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const SIZES = option('--sizes', '1,4,16,64,256').split(',').map(Number);
const RANKS = option('--ranks', '2,4').split(',').map(Number);
const RUNS = Number(option('--runs', '3'));
const WEBRTC = argv.includes('--webrtc');
const PROFILE = argv.includes('--profile');
/** `--cpu`: each op's CPU per MiB of link traffic by process kind (browser, renderer, gpu-process...). */
const CPU_DETAIL = argv.includes('--cpu');
/** `--chunk KiB`: the ring's chunk size (default: the library's). */
const CHUNK = argv.includes('--chunk') ? Number(option('--chunk', '1024')) * 1024 : 0;

type Op = 'link' | 'ring' | 'allreduce';
/** Elements each rank's array has: `ring` moves what one ring link carries in an allreduce of `mib`, 2(n−1)/n of it. */
const elementsFor = (ranks: number, mib: number, op: Op) => (op === 'ring' ? Math.round((mib * 262144 * 2 * (ranks - 1)) / ranks) : mib * 262144);

const JOB = (ranks: number, mib: number, op: Op) => `export default async (cluster) => {
  const group = cluster.collective.group(${ranks});
  const member = cluster.remote(async (spec, rank, elements, runs, op, ctx) => {
    const g = await ctx.collective.join(spec, rank);
    const data = new Float32Array(elements).fill(rank + 1);
    const times = [];
    for (let k = 0; k < runs; k++) {
      await g.barrier();
      const t0 = performance.now();
      const options = ${CHUNK ? `{ chunkBytes: ${CHUNK} }` : 'undefined'};
      if (op === 'link') await g.broadcast(data, 0, options);
      else if (op === 'ring') await g.shift(data, options);
      else await g.allreduce(data, 'sum', options);
      times.push(performance.now() - t0);
    }
    return times;
  }, { maxRetries: 0 });
  const perRank = await cluster.get(Array.from({ length: ${ranks} }, (_, rank) => member(group, rank, ${elementsFor(ranks, mib, op)}, ${RUNS}, '${op}')));
  cluster.kill(group.rendezvous);
  return perRank[0].map((_, run) => Math.max(...perRank.map((times) => times[run])));
};`;

/** `--profile`: a CPU profile of each worker page's main thread (CDP), summed by function: where a collective's page time goes. */
async function startProfiles(pages: Page[]): Promise<() => Promise<string>> {
  const sessions = await Promise.all(pages.map((page) => page.context().newCDPSession(page)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 200 });
    await s.send('Profiler.start');
  }
  return async () => {
    const self = new Map<string, number>();
    let total = 0;
    for (const s of sessions) {
      const { profile } = (await s.send('Profiler.stop')) as { profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      profile.samples.forEach((id, k) => {
        const frame = byId.get(id)!.callFrame;
        const name = `${frame.functionName || '(anon)'} ${frame.url.split('/').pop()}:${frame.lineNumber}`;
        const ms = (profile.timeDeltas[k] ?? 0) / 1000;
        total += ms;
        self.set(name, (self.get(name) ?? 0) + ms);
      });
      await s.detach();
    }
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 18);
    return top.map(([name, ms]) => `  ${ms.toFixed(0).padStart(7)}  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
  };
}

/**
 * CPU seconds (user + system) used so far by this process's descendants that
 * are still running, by kind: the browser's processes (`renderer` for the
 * tabs, `browser`, `gpu-process`, `utility`) and the rest (`other`: the
 * server). Linux /proc only; empty elsewhere.
 */
function descendantsCpu(): Map<string, number> {
  const byKind = new Map<string, number>();
  try {
    const parent = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parent.set(Number(entry), Number(fields[1]));
        cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // gone meanwhile
      }
    }
    for (const [pid, seconds] of cpu) {
      for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
        if (p !== process.pid) continue;
        let kind = 'other';
        try {
          const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (args.includes('chromium') || args.includes('chrome')) kind = /--type=([a-z-]+)/.exec(args)?.[1] ?? 'browser';
          if (kind === 'renderer' && CPU_DETAIL) kind = `renderer ${pid}`;
        } catch {
          // gone meanwhile
        }
        if (kind.startsWith('renderer ') || (CPU_DETAIL && kind === 'browser')) {
          // By thread (CrRendererMain, DedicatedWorker, Chrome_ChildIOThread, ...).
          for (const tid of readdirSync(`/proc/${pid}/task`)) {
            try {
              const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
              const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '');
              const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
              const key = `${kind}/${name}`;
              byKind.set(key, (byKind.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
            } catch {
              // gone meanwhile
            }
          }
        } else byKind.set(kind, (byKind.get(kind) ?? 0) + seconds);
        break;
      }
    }
  } catch {
    // no /proc
  }
  return byKind;
}

/** CPU ms per MiB of link traffic since `before`, in all and by kind. */
function cpuSince(before: Map<string, number>, linkMiB: number): { all: number; byKind: Record<string, number> } {
  const after = descendantsCpu();
  const byKind: Record<string, number> = {};
  let all = 0;
  for (const [kind, seconds] of after) {
    const used = seconds - (before.get(kind) ?? 0);
    all += used;
    if (used > 0) byKind[kind] = Math.round((used * 1000) / linkMiB);
  }
  return { all: Math.round((all * 1000) / linkMiB), byKind };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const local = await startLocalCluster({ workers: Math.max(...RANKS, 2), slotsPerWorker: 1, readyTimeoutMs: 120_000, ...(WEBRTC ? { workerQuery: () => 'colocated=0' } : {}) });
const rows: Array<Record<string, unknown>> = [];
try {
  for (const mib of SIZES) {
    const run = async (ranks: number, op: Op) => {
      const profiler = PROFILE ? await startProfiles(local.workers.slice(0, ranks)) : null;
      const cpuBefore = descendantsCpu();
      const outcome = await local.runJob(JOB(ranks, mib, op), `${op}-${ranks}x${mib}MiB`);
      // Browser CPU per MiB that crossed a link (summed over the links; the job's setup and barriers included).
      const linkMiB = RUNS * (op === 'link' ? mib : 2 * (ranks - 1) * mib);
      const cpu = cpuSince(cpuBefore, linkMiB);
      const cpuMsPerMiB = cpu.all;
      if (CPU_DETAIL) console.log(`cpu ${op} ${ranks}x${mib}MiB: ${cpu.all} ms per link MiB ${JSON.stringify(cpu.byKind)}`);
      if (profiler) console.log(`profile ${op} ${ranks}x${mib}MiB (self ms, all ranks' page main threads):\n${await profiler()}`);
      if (!outcome.ok) return { ms: NaN, cpuMsPerMiB, error: JSON.stringify(outcome).slice(0, 300) };
      return { ms: median((outcome as { result: number[] }).result), cpuMsPerMiB };
    };
    const link = await run(2, 'link');
    const linkMBps = (mib * 1.048576) / (link.ms / 1000);
    console.log(JSON.stringify({ kind: 'link', mib, ms: Math.round(link.ms), MBps: Math.round(linkMBps), cpuMsPerMiB: link.cpuMsPerMiB, ...('error' in link ? { error: link.error } : {}) }));
    for (const ranks of RANKS) {
      // Every link of the ring busy at once (a shift of what each link carries in the allreduce): on one machine the
      // links share its cores, so this, not the one-link rate, is what a ring can reach here.
      const ring = await run(ranks, 'ring');
      const ringMBps = (mib * 1.048576 * (2 * (ranks - 1))) / ranks / (ring.ms / 1000);
      const ar = await run(ranks, 'allreduce');
      const busMBps = (mib * 1.048576 * (2 * (ranks - 1))) / ranks / (ar.ms / 1000);
      const row = {
        kind: 'allreduce',
        ranks,
        mib,
        ms: Math.round(ar.ms),
        busMBps: Math.round(busMBps),
        linkMBps: Math.round(linkMBps),
        ofLink: Number((busMBps / linkMBps).toFixed(2)),
        ringLinkMBps: Math.round(ringMBps),
        ofRingLinks: Number((busMBps / ringMBps).toFixed(2)),
        cpuMsPerLinkMiB: { link: link.cpuMsPerMiB, ring: ring.cpuMsPerMiB, allreduce: ar.cpuMsPerMiB },
        ...('error' in ar ? { error: ar.error } : 'error' in ring ? { error: ring.error } : {}),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await local.close();
}
console.log('\nranks  size MiB  allreduce ms  bus MB/s  link MB/s  bus/link  ring links MB/s  bus/ring links');
const cell = (r: Record<string, unknown>, key: string, width: number) => String(r[key]).padStart(width);
for (const r of rows) console.log(`${cell(r, 'ranks', 5)}  ${cell(r, 'mib', 8)}  ${cell(r, 'ms', 12)}  ${cell(r, 'busMBps', 8)}  ${cell(r, 'linkMBps', 9)}  ${cell(r, 'ofLink', 8)}  ${cell(r, 'ringLinkMBps', 15)}  ${cell(r, 'ofRingLinks', 14)}`);
