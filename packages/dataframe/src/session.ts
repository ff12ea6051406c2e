/**
 * A job's DataFrame session (Spark's SparkSession): the cluster it runs on,
 * its conf, the temp views `cluster.sql` sees, the data folder, and the path
 * from a plan to rows: resolve file sources → analyze → optimize → physical
 * plan → execute → blocks.
 */
import type { DataClient, WriteMode } from '@shoal/data';
import { ShoalError } from '@shoal/protocol';
import { analyze } from './analyze.ts';
import { execute, type ExecCluster, type Execution, type StageReport } from './executor.ts';
import { explainString } from './explain.ts';
import { optimize } from './optimizer.ts';
import { physicalPlan } from './physical.ts';
import { transformUp, type Plan, type Schema } from './plan.ts';
import { resolveSource, type PendingSource } from './sources.ts';
import { DEFAULT_CONF, type DataFrameConf, type PhysicalPlan, type StageRead } from './stages.ts';

/** What the session needs of the job's cluster. */
export interface SessionCluster extends ExecCluster {
  /** Task slots present now (sizes the default shuffle). */
  slots(): number;
}

/** One action's record, for the dashboard's Queries view. */
export interface QueryRecord {
  readonly id: number;
  readonly action: string;
  readonly explain: string;
  readonly stages: StageReport[];
  state: 'running' | 'done' | 'failed';
  error?: { code: string; message: string; stage?: number };
  ms: number;
  /** The physical plan's stage graph as data (which stage reads which, and how), for the Queries view. */
  graph?: QueryGraph;
}

/** A physical plan's stages and their reads (stage ids index `stages`). */
export interface QueryGraph {
  readonly root: number;
  readonly stages: readonly { readonly id: number; readonly name: string; readonly reads: readonly StageRead[]; readonly output: string }[];
}

function graphOf(physical: PhysicalPlan): QueryGraph {
  return { root: physical.root, stages: physical.stages.map((s) => ({ id: s.id, name: s.name, reads: s.reads.map((r) => ({ stage: r.stage, mode: r.mode })), output: s.output.kind })) };
}

export interface SessionHooks {
  onQuery?(record: QueryRecord): void;
}

export interface Prepared {
  readonly logical: Plan;
  readonly analyzed: Plan;
  readonly optimized: Plan;
  readonly rules: readonly string[];
  readonly physical: PhysicalPlan;
}

export class Session {
  readonly conf: DataFrameConf;
  readonly views = new Map<string, Plan>();
  /** Refs of blocks that `blocks` sources name (created data, caches). */
  readonly blockRefs = new Map<string, unknown>();
  private readonly pending = new Map<number, PendingSource>();
  private readonly resolved = new Map<number, Promise<Plan>>();
  private queries = 0;
  /** Every action run, oldest first (what ran, e.g. 'collect' or 'cache'). */
  readonly history: { id: number; action: string; stages: number; tasks: number; ms: number; detail: { name: string; tasks: number; ms: number; taskMs: number; bytesIn: number; bytesOut: number; notes: string[] }[] }[] = [];
  private readonly caches = new Map<number, { plan: Plan; kept: Promise<Plan> | null }>();

  constructor(
    readonly cluster: SessionCluster,
    readonly data: DataClient | undefined,
    readonly hooks: SessionHooks = {},
    conf: Partial<DataFrameConf> = {},
  ) {
    this.conf = { ...DEFAULT_CONF, shufflePartitions: Math.max(4, 2 * cluster.slots()), filesMinPartitions: Math.max(1, cluster.slots()), ...conf };
  }

  addPending(source: PendingSource): Plan {
    const id = this.pending.size + 1;
    this.pending.set(id, source);
    const what = `${source.format} ${source.paths.join(', ')}`;
    return { kind: 'source', source: { kind: 'pending', id, what }, schema: [], columns: null, filters: [] };
  }

  /** A cache of `plan`'s result (computed at the first action that reads it). */
  addCache(plan: Plan, schema: Schema): Plan {
    const id = this.caches.size + 1;
    this.caches.set(id, { plan, kept: null });
    return { kind: 'source', source: { kind: 'cached', id }, schema, columns: null, filters: [] };
  }

  /** Frees a cache's blocks; returns the plan it cached (null if `plan` is no cache). */
  dropCache(plan: Plan): Plan | null {
    if (plan.kind !== 'source' || plan.source.kind !== 'cached') return null;
    const entry = this.caches.get(plan.source.id);
    if (!entry) return null;
    void entry.kept?.then((kept) => {
      if (kept.kind !== 'source' || kept.source.kind !== 'blocks') return;
      const refs = kept.source.blocks.map((id) => this.blockRefs.get(id));
      kept.source.blocks.forEach((id) => this.blockRefs.delete(id));
      this.cluster.free(refs);
    }, () => undefined);
    entry.kept = null;
    return entry.plan;
  }

  /** True if the plan still has file sources to list (its analysis waits for the action). */
  static hasPending(plan: Plan): boolean {
    let found = false;
    transformUp(plan, (p) => {
      if (p.kind === 'source' && (p.source.kind === 'pending' || (p.source.kind === 'cached' && p.schema.length === 0))) found = true;
      return p;
    });
    return found;
  }

  /** Replaces pending sources by listed ones (each listed once per session) and caches by their kept blocks. */
  async resolve(plan: Plan): Promise<Plan> {
    const pending: number[] = [];
    const cached: number[] = [];
    transformUp(plan, (p) => {
      if (p.kind === 'source' && p.source.kind === 'pending') pending.push(p.source.id);
      if (p.kind === 'source' && p.source.kind === 'cached') cached.push(p.source.id);
      return p;
    });
    for (const id of pending) if (!this.resolved.has(id)) this.resolved.set(id, resolveSource(this.pending.get(id)!, this.data));
    for (const id of cached) {
      const entry = this.caches.get(id)!;
      entry.kept ??= this.materialize(entry.plan);
      entry.kept.catch(() => (entry.kept = null));
    }
    const done = new Map<string, Plan>();
    for (const id of pending) done.set(`p${id}`, await this.resolved.get(id)!);
    for (const id of cached) done.set(`c${id}`, await this.caches.get(id)!.kept!);
    return transformUp(plan, (p) => (p.kind === 'source' && (p.source.kind === 'pending' || p.source.kind === 'cached') ? done.get(`${p.source.kind === 'pending' ? 'p' : 'c'}${p.source.id}`)! : p));
  }

  private async materialize(plan: Plan): Promise<Plan> {
    const run = await this.run(plan, 'cache');
    const blocks = run.result.tasks.flatMap((t) => t.blocks);
    for (const id of blocks) this.blockRefs.set(id, run.refs.get(id));
    const rows = run.result.tasks.reduce((s, t) => s + t.rows.reduce((a, b) => a + b, 0), 0);
    const bytes = run.result.tasks.reduce((s, t) => s + t.bytes.reduce((a, b) => a + b, 0), 0);
    const schema = run.prepared.physical.stages[run.prepared.physical.root]!.schema;
    const holders = run.result.tasks.flatMap((t) => t.blocks.map(() => t.worker ?? ''));
    const blockRows = run.result.tasks.flatMap((t) => t.blocks.map((_, j) => t.rows[j] ?? 0));
    return { kind: 'source', source: { kind: 'blocks', blocks, rows, bytes, blockRows, ...(holders.some(Boolean) ? { holders } : {}) }, schema, columns: null, filters: [] };
  }

  async prepare(plan: Plan): Promise<Prepared> {
    const logical = await this.resolve(plan);
    const analyzed = analyze(logical).plan;
    const { plan: optimized, fired } = optimize(analyzed);
    return { logical, analyzed, optimized, rules: fired, physical: physicalPlan(optimized, this.conf) };
  }

  explain(prepared: Prepared): string {
    return explainString(prepared);
  }

  /** Runs an action's plan; the caller frees the result's refs (execution.refs) when done with them. */
  async run(plan: Plan, action: string, write?: { dir: string; format: 'parquet' | 'csv'; mode: WriteMode }): Promise<Execution & { prepared: Prepared }> {
    try {
      return await this.runOnce(plan, action, write);
    } catch (error) {
      // A cached partition lost with its tab cannot always be remade from lineage (its inputs were
      // released after the cache was built): remake the caches this plan reads, once, and run again.
      const code = (error as { code?: string }).code;
      const lost = code === 'ERR_OBJECT_LOST' || code === 'ERR_DEPENDENCY_FAILED' || code === 'ERR_WORKER_LOST';
      const caches = this.cachesIn(plan);
      if (!lost || caches.length === 0) throw error;
      for (const id of caches) this.forget(id);
      return this.runOnce(plan, action, write);
    }
  }

  private cachesIn(plan: Plan): number[] {
    const ids: number[] = [];
    transformUp(plan, (p) => (p.kind === 'source' && p.source.kind === 'cached' && ids.push(p.source.id), p));
    return ids;
  }

  /** Drops a cache's kept blocks (without freeing: they are lost already) so the next action remakes it. */
  private forget(id: number): void {
    const entry = this.caches.get(id);
    if (entry) entry.kept = null;
  }

  private async runOnce(plan: Plan, action: string, write?: { dir: string; format: 'parquet' | 'csv'; mode: WriteMode }): Promise<Execution & { prepared: Prepared }> {
    const started = performance.now();
    const id = ++this.queries;
    let prepared = await this.prepare(plan);
    const record: QueryRecord = { id, action, explain: this.explain(prepared), stages: [], state: 'running', ms: 0, graph: graphOf(prepared.physical) };
    const publish = (): void => this.hooks.onQuery?.({ ...record, stages: record.stages.map((s) => ({ ...s })) });
    const data = this.data;
    let writeUrl: ((part: number) => string) | undefined;
    let writeGrant = '';
    if (write) {
      if (!data) throw new ShoalError('ERR_BAD_OPTION', 'this cluster has no data folder to write to');
      writeGrant = await data.grantWrite(write.dir, write.mode);
      const root = prepared.physical.stages[prepared.physical.root]!;
      const stages = prepared.physical.stages.map((s) => (s.id === root.id ? { ...s, output: { kind: 'write' as const, format: write.format, dir: write.dir } } : s));
      prepared = { ...prepared, physical: { ...prepared.physical, stages } };
      record.graph = graphOf(prepared.physical);
      const ext = write.format === 'parquet' ? 'parquet' : 'csv';
      const stamp = Date.now().toString(36);
      writeUrl = (part) => data.fileUrl(`${write.dir}/part-${String(part).padStart(5, '0')}-${stamp}.${ext}`, writeGrant);
    }
    if (action === 'cache') {
      const root = prepared.physical.root;
      const stages = prepared.physical.stages.map((s) => (s.id === root ? { ...s, keepOutput: true } : s));
      prepared = { ...prepared, physical: { ...prepared.physical, stages } };
    }
    publish();
    try {
      const readGrant = data && planReadsFiles(prepared.optimized) ? await data.readGrant() : '';
      const execution = await execute(prepared.physical, this.cluster, {
        conf: this.conf,
        query: id,
        fileUrl: (path) => data!.fileUrl(path, readGrant),
        ...(writeUrl ? { writeUrl } : {}),
        blockRefs: this.blockRefs,
        hooks: {
          onStage: (report) => {
            record.stages[report.stage] = report;
            publish();
          },
        },
      });
      if (write && data) await data.putFile(`${write.dir}/_SUCCESS`, new Uint8Array(0), writeGrant);
      this.history.push({
        id,
        action,
        stages: execution.reports.length,
        tasks: execution.reports.reduce((n, r) => n + r.tasks, 0),
        ms: Math.round(performance.now() - started),
        detail: execution.reports.map((r) => ({ name: r.name, tasks: r.tasks, ms: r.ms, taskMs: r.taskMs, bytesIn: r.bytesIn, bytesOut: r.bytesOut, notes: [...r.notes] })),
      });
      record.state = 'done';
      record.ms = Math.round(performance.now() - started);
      publish();
      return { ...execution, prepared };
    } catch (error) {
      record.state = 'failed';
      const failed = record.stages.find((s) => s?.state === 'failed');
      record.error = { code: (error as { code?: string }).code ?? 'ERR_TASK_FAILED', message: error instanceof Error ? error.message : String(error), ...(failed ? { stage: failed.stage } : {}) };
      record.ms = Math.round(performance.now() - started);
      publish();
      throw error;
    }
  }
}

function planReadsFiles(plan: Plan): boolean {
  let files = false;
  transformUp(plan, (p) => {
    if (p.kind === 'source' && ['parquet', 'csv', 'json'].includes(p.source.kind)) files = true;
    return p;
  });
  return files;
}
