// Actor calls from inside a task: one task takes the counter actor's handle as
// an argument and makes 100 sequential `ctx.get(handle.add(1))` calls. ms per
// call = the task's own timing of those calls / 100 (performance.now() in the
// task's Web Worker); the job's submit -> result wall time is returned beside
// it. A 10-call task warms up first. `sameTab`: whether the task ran on the
// actor's tab (the scheduler places both; a call across tabs takes two more
// thread hops each way). Used by bench/actors.ts and bench/data.ts.
export default async (cluster) => {
  class Counter {
    constructor(start) { this.n = start; }
    add(k) { this.n += k; return this.n; }
    where(ctx) { return ctx.workerId; }
  }
  const counter = cluster.actor(Counter, { args: [0] });
  const fanIn = cluster.remote(
    async (handle, calls, ctx) => {
      const t0 = performance.now();
      let last = null;
      for (let i = 0; i < calls; i++) last = await ctx.get(handle.add(1));
      return { last, innerMs: performance.now() - t0, workerId: ctx.workerId };
    },
    { name: 'fan-in' },
  );
  const WARMUP = 10;
  const CALLS = 100;

  const warm = await cluster.get(fanIn(counter, WARMUP));
  if (warm.last !== WARMUP) throw new Error(`warm-up task ended at ${warm.last}, expected ${WARMUP}`);

  const t0 = performance.now();
  const out = await cluster.get(fanIn(counter, CALLS));
  const wallMs = performance.now() - t0;
  if (out.last !== WARMUP + CALLS) throw new Error(`task ended at ${out.last}, expected ${WARMUP + CALLS}`);
  const actorAt = await cluster.get(counter.where());
  cluster.kill(counter);
  return { calls: CALLS, wallMs, innerMs: out.innerMs, msPerCall: out.innerMs / CALLS, finalValue: out.last, sameTab: out.workerId === actorAt };
};
