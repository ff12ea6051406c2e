// A parameter server that survives lost workers: one actor holds a model's
// weights; 200 tasks each compute an update (deterministic, from its shard
// number) and push it to the actor through the handle they were given. Run
// it with `shoal run examples/parameter-server.js --workers 4 --chaos
// kill-worker@2,4` to see it through tabs closing mid-run:
//
// - A task whose tab is closed is run again elsewhere (maxRetries).
// - If the actor's own tab is closed, the actor is re-created on another tab
//   and `restore()` gets the `checkpoint()` taken after its last call, so the
//   weights survive. A push that was running then fails with ERR_ACTOR_DIED;
//   its task retries it (`retryExceptions`).
// - Pushes are idempotent (the actor remembers which shards it applied), so
//   a task run twice, or a push retried after its reply was lost, counts once.
//
// The result is exact whatever fails: the weights are the sum of all updates.
const SHARDS = 200;
const DIM = 64;
const WORK_MS = 100; // busy time per task: about 5 s on 4 tabs, long enough to lose two workers in it

class ParameterServer {
  constructor(dim) {
    this.weights = new Array(dim).fill(0);
    this.applied = [];
  }
  push(shard, update) {
    if (this.applied.includes(shard)) return { applied: false, version: this.applied.length };
    for (let i = 0; i < update.length; i++) this.weights[i] += update[i];
    this.applied.push(shard);
    return { applied: true, version: this.applied.length };
  }
  pull() {
    return { weights: this.weights, version: this.applied.length };
  }
  checkpoint() {
    return { weights: this.weights, applied: this.applied };
  }
  restore(state) {
    this.weights = state.weights;
    this.applied = state.applied;
  }
}

export default async function parameterServer(cluster) {
  const started = performance.now();
  const ps = cluster.actor(ParameterServer, { args: [DIM], name: 'parameter-server', maxRestarts: 5 });
  const train = cluster.remote(
    async (server, shard, dim, ms, ctx) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      // Whole-number updates keep the sum exact in any order.
      const update = Array.from({ length: dim }, (_, i) => ((shard * 31 + i * 7) % 13) - 6);
      const reply = await ctx.get(server.push(shard, update));
      return reply.version;
    },
    { name: 'train', retryExceptions: true, maxRetries: 5 },
  );
  const versions = await cluster.get(Array.from({ length: SHARDS }, (_, shard) => train(ps, shard, DIM, WORK_MS)));
  const { weights, version } = await cluster.get(ps.pull());
  const expected = Array.from({ length: DIM }, (_, i) => {
    let sum = 0;
    for (let shard = 0; shard < SHARDS; shard++) sum += ((shard * 31 + i * 7) % 13) - 6;
    return sum;
  });
  const correct = version === SHARDS && weights.every((w, i) => w === expected[i]);
  return { correct, shardsApplied: version, lastVersionSeen: Math.max(...versions), ms: Math.round(performance.now() - started) };
}
