/**
 * GPU matmul against plain JS, in headless Chromium (WebGPU on SwiftShader
 * here, a real GPU where Chromium has one).
 *
 *   npx tsx bench/gpu.ts [--sizes 256,512,1024,2048] [--budget 180] [--where worker|page]
 *
 * It builds apps/bench-gpu.html into a temp dir, serves it on localhost and
 * opens it with Shoal's Chromium flags (bench/gpu-page.ts). For each size n
 * it times @shoal/gpu's matmul of n×n by n×n in the page's Web Worker (where
 * tasks run; upload and readback included, after one untimed warm-up) and
 * the plain JS i-k-j loop in the page, and prints GFLOP/s (2n³ per product)
 * for both: one JSON line per size, then a table. Figures are medians.
 * Fewer repetitions for big sizes; a size whose single repetition is
 * estimated (from the size before, ×8) to take over 60 s, or that would
 * overrun the time budget (default 180 s), is skipped with a note.
 */
import { openGpuPage } from './gpu-page.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const SIZES = option('--sizes', '256,512,1024,2048').split(',').map(Number);
const BUDGET_S = Number(option('--budget', '180'));
const WHERE = option('--where', 'worker') as 'worker' | 'page';
const MAX_REP_S = 60;
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !(BUDGET_S > 0) || !['worker', 'page'].includes(WHERE)) {
  console.error('usage: npx tsx bench/gpu.ts [--sizes 256,512,1024,2048] [--budget 180] [--where worker|page]');
  process.exit(2);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const gflops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);
const repsFor = (n: number): number => (n <= 256 ? 5 : n <= 512 ? 3 : n <= 1024 ? 2 : 1);

interface Line {
  size: number;
  where: string;
  gpuMs: number;
  gpuGflops: number;
  cpuMs: number | null;
  cpuGflops: number | null;
  gpuReps: number;
  cpuReps: number;
  warmMs: number;
  speedup: number | null;
}

async function main(): Promise<void> {
  const started = performance.now();
  const elapsedS = (): number => (performance.now() - started) / 1000;
  const page = await openGpuPage();
  const value = async <T>(where: 'page' | 'worker', op: string, args: unknown = {}): Promise<T> => {
    const reply = await page.run(where, op, args);
    if (!reply.ok) throw new Error(`${op}: ${reply.error.code}: ${reply.error.message}`);
    return reply.value as T;
  };
  try {
    const { info } = await value<{ info: Record<string, unknown> }>(WHERE, 'info');
    console.log(`adapter ${JSON.stringify(info)}; page built in ${(page.buildMs / 1000).toFixed(1)} s; budget ${BUDGET_S} s`);
    const measured = await value<Record<string, number>>(WHERE, 'measure');
    console.log(JSON.stringify({ measureDevice: Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, round(v)])) }));

    const lines: Line[] = [];
    let lastGpuMs: { n: number; ms: number } | null = null;
    let lastCpuMs: { n: number; ms: number } | null = null;
    for (const n of SIZES) {
      const scale = (last: { n: number; ms: number } | null): number | null => (last ? last.ms * (n / last.n) ** 3 : null);
      const gpuGuess = scale(lastGpuMs);
      const cpuGuess = scale(lastCpuMs);
      // One warm-up and one timed run at least, on both sides.
      const needS = ((gpuGuess ?? 0) * 2 + (cpuGuess ?? 0)) / 1000;
      if (gpuGuess !== null && gpuGuess / 1000 > MAX_REP_S) {
        console.log(`note: skipping ${n}: one GPU repetition would take about ${(gpuGuess / 1000).toFixed(0)} s (over ${MAX_REP_S} s) on this adapter`);
        continue;
      }
      if (elapsedS() + needS > BUDGET_S) {
        console.log(`note: skipping ${n}: it needs about ${needS.toFixed(0)} s and ${(BUDGET_S - elapsedS()).toFixed(0)} s of the budget are left`);
        continue;
      }
      const left = BUDGET_S - elapsedS();
      const gpuReps = Math.max(1, Math.min(repsFor(n), gpuGuess ? Math.floor((left * 1000) / 2 / gpuGuess) - 1 : repsFor(n)));
      const gpu = await value<{ warmMs: number; times: number[] }>(WHERE, 'benchMatmul', { size: n, reps: gpuReps });
      const gpuMs = median(gpu.times);
      lastGpuMs = { n, ms: gpuMs };
      const cpuEstimate = cpuGuess ?? 0;
      let cpu: { times: number[] } | null = null;
      if (cpuEstimate / 1000 > MAX_REP_S || elapsedS() + cpuEstimate / 1000 > BUDGET_S) {
        console.log(`note: no CPU figure for ${n}: one JS repetition would take about ${(cpuEstimate / 1000).toFixed(0)} s`);
      } else {
        const cpuReps = Math.max(1, Math.min(repsFor(n), cpuEstimate > 0 ? Math.floor(((BUDGET_S - elapsedS()) * 1000) / 2 / cpuEstimate) : repsFor(n)));
        cpu = await value<{ times: number[] }>('page', 'cpuMatmul', { size: n, reps: cpuReps });
        lastCpuMs = { n, ms: median(cpu.times) };
      }
      const cpuMs = cpu ? median(cpu.times) : null;
      const line: Line = {
        size: n,
        where: WHERE,
        gpuMs: round(gpuMs, 1),
        gpuGflops: round(gflops(n, gpuMs), 3),
        cpuMs: cpuMs === null ? null : round(cpuMs, 1),
        cpuGflops: cpuMs === null ? null : round(gflops(n, cpuMs), 3),
        gpuReps: gpu.times.length,
        cpuReps: cpu?.times.length ?? 0,
        warmMs: round(gpu.warmMs, 1),
        speedup: cpuMs === null ? null : round(cpuMs / gpuMs, 2),
      };
      lines.push(line);
      console.log(JSON.stringify(line));
    }

    console.log(`\nmatmul n×n×n, GFLOP/s (2n³ / median time; GPU in the ${WHERE}, upload and readback included; JS i-k-j in the page)`);
    console.log('   n │ GPU ms   GPU GFLOP/s │ JS ms    JS GFLOP/s │ GPU/JS');
    console.log('─────┼──────────────────────┼─────────────────────┼───────');
    for (const l of lines) {
      const cpu = l.cpuMs === null ? `${'—'.padStart(8)} ${'—'.padStart(10)}` : `${l.cpuMs.toFixed(1).padStart(8)} ${l.cpuGflops!.toFixed(3).padStart(10)}`;
      console.log(`${String(l.size).padStart(4)} │ ${l.gpuMs.toFixed(1).padStart(8)} ${l.gpuGflops.toFixed(3).padStart(12)} │ ${cpu} │ ${l.speedup === null ? '—' : `${l.speedup.toFixed(2)}×`}`);
    }
    console.log(`\ntotal ${elapsedS().toFixed(0)} s`);
    if (page.errors.length > 0) console.log(`page errors: ${page.errors.join(' | ')}`);
  } finally {
    await page.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
