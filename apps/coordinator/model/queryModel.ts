/**
 * The Queries view's data: every DataFrame action this tab ran, keyed by the
 * job that ran it and the query's id in that job's session (each job has a
 * session of its own, so ids start at 1 again in every job), and a query's
 * stages laid out as a tree from the root stage down the stages it reads.
 *
 * A record (@shoal/dataframe's QueryRecord) is replaced whole on each update;
 * the book keeps the newest MAX_KEPT queries.
 *
 *   q3 collect, stages 0 ← scan, 1 ← partial agg, 2 ← agg (reads 1 by shuffle), 3 ← sort (reads 2 by shuffle)
 *   tree: 3 sort ─ shuffle ─▶ 2 agg ─ shuffle ─▶ 1 partial agg ...
 */
import type { QueryRecord, StageReport } from '@shoal/dataframe';
import type { QueryRecordSummary } from '@shoal/protocol';

const MAX_KEPT = 100;

export interface QueryEntry {
  /** `<job>:<id>`. */
  readonly key: string;
  readonly job: number;
  readonly jobLabel: string;
  record: QueryRecord;
}

/** One node of a query's stage tree. */
export interface StageNode {
  readonly id: number;
  readonly name: string;
  /** How the stage below it (its parent in the tree) reads this one; null at the root. */
  readonly mode: string | null;
  /** What the stage writes: 'single', 'hash', 'range', 'write'... ('' when unknown). */
  readonly output: string;
  /** Its progress report (none before it starts). */
  readonly report: StageReport | null;
  /** True where the query's failure is. */
  readonly failed: boolean;
  /** Already drawn elsewhere in the tree (a stage read twice): drawn as a reference, no children. */
  readonly repeat: boolean;
  readonly children: readonly StageNode[];
}

export class QueryBook {
  private readonly entries = new Map<string, QueryEntry>();
  private job = 0;
  private jobLabel = '';

  /** A job starts: the queries published from now on are its. */
  startJob(label: string): void {
    this.job++;
    this.jobLabel = label;
  }
  /** Adds or replaces `record` (the current job's); returns its entry. */
  update(record: QueryRecord): QueryEntry {
    const key = `${this.job}:${record.id}`;
    const entry = this.entries.get(key);
    if (entry) {
      entry.record = record;
      return entry;
    }
    const created: QueryEntry = { key, job: this.job, jobLabel: this.jobLabel, record };
    this.entries.set(key, created);
    if (this.entries.size > MAX_KEPT) this.entries.delete(this.entries.keys().next().value!);
    return created;
  }
  get(key: string): QueryEntry | undefined {
    return this.entries.get(key);
  }
  /** Oldest first. */
  list(): QueryEntry[] {
    return [...this.entries.values()];
  }
  get size(): number {
    return this.entries.size;
  }
}

/** The stage that failed: the record's error names it, else a stage whose state is failed. */
export function failedStage(record: QueryRecord): number | null {
  if (record.state !== 'failed') return null;
  if (record.error?.stage !== undefined) return record.error.stage;
  return record.stages.find((s) => s?.state === 'failed')?.stage ?? null;
}

/** The stage ids the record knows of: its graph's, else the reported ones. */
function stageIds(record: QueryRecord): number[] {
  if (record.graph) return record.graph.stages.map((s) => s.id);
  return record.stages.filter(Boolean).map((s) => s.stage);
}

/** The root stage's rows out (the result's rows), 0 until it reports. */
export function resultRows(record: QueryRecord): number {
  const root = record.graph?.root ?? Math.max(-1, ...stageIds(record));
  return record.stages[root]?.rowsOut ?? 0;
}

/**
 * The stage tree from the root down. Without a graph (older records), each
 * reported stage is a root of its own, in id order.
 */
export function stageTree(record: QueryRecord): StageNode[] {
  const failed = failedStage(record);
  const report = (id: number): StageReport | null => record.stages[id] ?? null;
  if (!record.graph) {
    return stageIds(record).map((id) => ({ id, name: report(id)?.name ?? `stage ${id}`, mode: null, output: '', report: report(id), failed: id === failed, repeat: false, children: [] }));
  }
  const byId = new Map(record.graph.stages.map((s) => [s.id, s]));
  const drawn = new Set<number>();
  const node = (id: number, mode: string | null): StageNode => {
    const stage = byId.get(id);
    const repeat = drawn.has(id);
    drawn.add(id);
    const children = repeat || !stage ? [] : stage.reads.map((r) => node(r.stage, r.mode));
    return { id, name: stage?.name ?? report(id)?.name ?? `stage ${id}`, mode, output: stage?.output ?? '', report: report(id), failed: id === failed, repeat, children };
  };
  const roots = [node(record.graph.root, null)];
  // Stages nothing reached from the root (should not happen) still show.
  for (const stage of record.graph.stages) if (!drawn.has(stage.id)) roots.push(node(stage.id, null));
  return roots;
}

/** The page API's plain-data form of an entry. */
export function summarize(entry: QueryEntry): QueryRecordSummary {
  const { record } = entry;
  const reads = new Map(record.graph?.stages.map((s) => [s.id, s.reads.map((r) => ({ stage: r.stage, mode: r.mode }))]) ?? []);
  const stages = stageIds(record).map((id) => {
    const r = record.stages[id];
    const graphName = record.graph?.stages.find((s) => s.id === id)?.name;
    return {
      stage: id,
      name: r?.name ?? graphName ?? `stage ${id}`,
      state: r?.state ?? 'waiting',
      tasks: r?.tasks ?? 0,
      tasksDone: r?.tasksDone ?? 0,
      rowsIn: (reads.get(id) ?? []).reduce((sum, read) => sum + (record.stages[read.stage]?.rowsOut ?? 0), 0),
      rowsOut: r?.rowsOut ?? 0,
      bytesIn: r?.bytesIn ?? 0,
      bytesOut: r?.bytesOut ?? 0,
      ms: r?.ms ?? 0,
      taskMs: r?.taskMs ?? 0,
      keptBlocks: r?.keptBlocks ?? 0,
      phaseMs: { ...(r?.phaseMs ?? { load: 0, run: 0, export: 0 }) },
      reads: reads.get(id) ?? [],
      notes: [...(r?.notes ?? [])],
      error: r?.error ?? null,
    };
  });
  return { job: entry.job, jobLabel: entry.jobLabel, id: record.id, action: record.action, state: record.state, ms: record.ms, rowsOut: resultRows(record), error: record.error ? { ...record.error } : null, stages };
}
