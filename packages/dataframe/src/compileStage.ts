/**
 * compileStage: a stage whose inputs are done becomes its task list (see
 * tasks.ts for the adaptive rules). Pure and table-tested.
 */
import type { Plan } from './plan.ts';
import { partialSkipSql, planSql, schemaDdl } from './sqlgen.ts';
import type { ArrowStageOp } from './arrowKernels.ts';
import { distinctFinalOp } from './distinctFinal.ts';
import { feedsDistinctGather } from './distinctGather.ts';
import type { Literal } from './expr.ts';
import type { TaskSpec } from './stageTask.ts';
import type { Stage, StageRead } from './stages.ts';
import { SAMPLE_PER_TASK, blockSizes, keysHash, scanLeaf, scanPartitions, splitBytes, taskOutput, type CompileContext, type CompiledStage, type CompiledTask, type StageResult } from './tasks.ts';

/**
 * A partition that grouping would leave with more than this share of its rows is not grouped before its
 * shuffle: the task projects its number of groups from the distinct keys of its first 50 000 rows and its
 * row count (stageTask.ts). At 0.75 the keys outnumber the rows about twice over (K = 2N leaves 79%).
 */
export const PARTIAL_SKIP_RATIO = 0.75;

/** Which blocks of each read one task takes: read index → ref ids. */
type Pick = ReadonlyMap<number, readonly string[]>;

interface Shape {
  /** Per task: the scan partitions it reads (a list when several kept blocks of one worker are read together; or null) and its blocks per read. */
  readonly tasks: { scan: number | readonly number[] | null; picks: Pick }[];
  readonly notes: string[];
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}
const kb = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** All blocks of a result, task by task. */
const allBlocks = (r: StageResult): string[] => r.tasks.flatMap((t) => t.blocks);
/** Block `j` of every task. */
const column = (r: StageResult, j: number): string[] => r.tasks.map((t) => t.blocks[j]!).filter((b) => b !== undefined);
const columnBytes = (r: StageResult, j: number): number => sum(r.tasks.map((t) => t.bytes[j] ?? 0));

/**
 * A stage that scans kept blocks (a cached frame: each block a table in the engine of the worker that made
 * it) and whose rows only feed an exchange or a keyless partial aggregate, or only give a sort's sample, reads each worker's blocks in one
 * task instead of one task per block: one query over them all, so an aggregate's partial output is one row
 * per key per worker, not per block (fewer rows exported, fewer to load after the exchange), and the per-task
 * costs (the engine's per-query and per-export overheads) are paid once per worker. A worker's blocks are cut
 * into groups of at most `blocks ÷ slots` (`filesMinPartitions` is the slots), so every slot still gets work.
 * Partition indexes ascend within a group, and groups are in the order of their first partition. Null when
 * nothing would merge.
 */
export function mergeKept(stage: Stage, ctx: CompileContext): number[][] | null {
  const scan = stage.scan;
  if (stage.kind !== 'sql' || scan?.kind !== 'blocks' || !scan.holders || !ctx.conf.adaptive) return null;
  const out = stage.output;
  if (!(out.kind === 'hash' || (out.kind === 'single' && stage.plan.kind === 'aggregate') || (out.kind === 'sample' && out.only))) return null;
  const n = scan.blocks.length;
  const most = Math.max(1, Math.ceil(n / Math.max(1, ctx.conf.filesMinPartitions)));
  const byHolder = new Map<string, number[][]>();
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) {
    const holder = scan.holders[i] ?? '';
    if (!holder) {
      groups.push([i]);
      continue;
    }
    const runs = byHolder.get(holder) ?? [];
    const last = runs[runs.length - 1];
    if (last && last.length < most) last.push(i);
    else {
      const group = [i];
      runs.push(group);
      groups.push(group);
    }
    byHolder.set(holder, runs);
  }
  return groups.length < n ? groups : null;
}

function shape(stage: Stage, ctx: CompileContext): Shape {
  const res = (read: StageRead): StageResult => ctx.results.get(read.stage)!;
  const alls = stage.reads.map((r, i) => [r, i] as const).filter(([r]) => r.mode === 'all');
  const withAlls = (picks: Map<number, readonly string[]>): Pick => {
    for (const [r, i] of alls) picks.set(i, allBlocks(res(r)));
    return picks;
  };
  const notes: string[] = [];
  if (stage.scan) {
    const n = scanPartitions(stage.scan, splitBytes(stage.scan, ctx.conf));
    const merged = mergeKept(stage, ctx);
    if (merged) {
      notes.push(`read ${n} kept partitions in ${merged.length} tasks, one per worker's engine holding them`);
      return { tasks: merged.map((scan) => ({ scan, picks: withAlls(new Map()) })), notes };
    }
    return { tasks: Array.from({ length: n }, (_, i) => ({ scan: i, picks: withAlls(new Map()) })), notes };
  }
  const concat = stage.reads.map((r, i) => [r, i] as const).filter(([r]) => r.mode === 'concat');
  if (concat.length) {
    const tasks = concat.flatMap(([r, i]) =>
      res(r).tasks.map((t) => {
        const picks = new Map<number, readonly string[]>(concat.map(([, k]) => [k, []]));
        picks.set(i, t.blocks);
        return { scan: null, picks: withAlls(picks) };
      }),
    );
    return { tasks, notes };
  }
  const pointwise = stage.reads.findIndex((r) => r.mode === 'pointwise');
  if (pointwise >= 0) {
    return { tasks: res(stage.reads[pointwise]!).tasks.map((t) => ({ scan: null, picks: withAlls(new Map([[pointwise, t.blocks]])) })), notes };
  }
  const shuffles = stage.reads.map((r, i) => [r, i] as const).filter(([r]) => r.mode === 'shuffle');
  if (shuffles.length === 0) return { tasks: [{ scan: null, picks: withAlls(new Map()) }], notes };

  const { conf } = ctx;
  const parts = Math.max(...shuffles.map(([r]) => Math.max(0, ...res(r).tasks.map((t) => t.blocks.length))));
  const sizes = shuffles.map(([r]) => Array.from({ length: parts }, (_, j) => columnBytes(res(r), j)));

  // Broadcast switch: a join side that turned out small is read whole; the other side stays where it lies.
  if (conf.adaptive && stage.join && conf.autoBroadcastJoinThreshold >= 0 && shuffles.length === 2) {
    const [lt, rt] = [sum(sizes[0]!), sum(sizes[1]!)];
    const how = stage.join.how;
    const right = ['inner', 'left', 'semi', 'anti'].includes(how) && rt <= conf.autoBroadcastJoinThreshold && (rt <= lt || !['inner', 'right'].includes(how));
    const left = !right && ['inner', 'right'].includes(how) && lt <= conf.autoBroadcastJoinThreshold;
    if (right || left) {
      const [bigI, smallI] = right ? [shuffles[0]![1], shuffles[1]![1]] : [shuffles[1]![1], shuffles[0]![1]];
      const big = res(stage.reads[bigI]!);
      const small = allBlocks(res(stage.reads[smallI]!));
      notes.push(`switched to a broadcast join: the ${right ? 'right' : 'left'} side is ${kb(right ? rt : lt)}; the other side is read where it lies (${big.tasks.length} tasks)`);
      return { tasks: big.tasks.map((t) => ({ scan: null, picks: withAlls(new Map([[bigI, t.blocks], [smallI, small]])) })), notes };
    }
  }

  // Coalesce adjacent small partitions (not for a user's repartition), keeping skewed ones apart.
  const total = sizes.map((s) => s.slice()).reduce((acc, s) => acc.map((v, j) => v + s[j]!), new Array<number>(parts).fill(0));
  const splittable = stage.join ? [['inner', 'left', 'semi', 'anti'].includes(stage.join.how), ['inner', 'right'].includes(stage.join.how)] : [false, false];
  const skewed = (j: number): number => {
    if (!conf.adaptive || !stage.join) return -1;
    for (const side of [0, 1]) {
      const s = sizes[side]!;
      if (splittable[side] && s[j]! > conf.skewedPartitionFactor * median(s) && s[j]! > 2 * conf.advisoryPartitionBytes) return side;
    }
    return -1;
  };
  // A user's repartition(n) marks the stage that writes the exchange; the stage reading it keeps its n partitions.
  const fixed = stage.fixedPartitions === true || shuffles.some(([r]) => ctx.stages[r.stage]?.fixedPartitions === true);
  const groups: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (let j = 0; j < parts; j++) {
    const lone = !conf.adaptive || fixed || skewed(j) >= 0;
    if (current.length && (lone || bytes + total[j]! > conf.advisoryPartitionBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(j);
    bytes += total[j]!;
    if (lone) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length) groups.push(current);
  if (groups.length < parts) notes.push(`coalesced ${parts} shuffle partitions into ${groups.length} (advisory ${kb(conf.advisoryPartitionBytes)})`);

  const tasks: Shape['tasks'] = [];
  for (const g of groups) {
    const side = g.length === 1 ? skewed(g[0]!) : -1;
    if (side < 0) {
      const picks = new Map<number, readonly string[]>(shuffles.map(([r, i]) => [i, g.flatMap((j) => column(res(r), j))]));
      tasks.push({ scan: null, picks: withAlls(picks) });
      continue;
    }
    // Skew: split the skewed side's map outputs into pieces of about the advisory size.
    const j = g[0]!;
    const [sr, si] = shuffles[side]!;
    const [or, oi] = shuffles[1 - side]!;
    const mapTasks = res(sr).tasks;
    const pieces: string[][] = [];
    let piece: string[] = [];
    let pieceBytes = 0;
    for (const t of mapTasks) {
      const b = t.blocks[j];
      if (b === undefined) continue;
      if (piece.length && pieceBytes + (t.bytes[j] ?? 0) > conf.advisoryPartitionBytes) {
        pieces.push(piece);
        piece = [];
        pieceBytes = 0;
      }
      piece.push(b);
      pieceBytes += t.bytes[j] ?? 0;
    }
    if (piece.length) pieces.push(piece);
    notes.push(`skewed partition ${j} (${kb(sizes[side]![j]!)}, median ${kb(median(sizes[side]!))}) split into ${pieces.length} tasks`);
    const other = column(res(or), j);
    for (const p of pieces) tasks.push({ scan: null, picks: withAlls(new Map([[si, p], [oi, other]])) });
  }
  return { tasks, notes };
}

/** A plan that only reads rows as they are: every column of a stage's output or of stored blocks, unfiltered. */
const bare = (p: Plan): boolean =>
  p.kind === 'source' && (p.source.kind === 'stage' || p.source.kind === 'blocks') && p.filters.length === 0 && (p.columns === null || (p.columns.length === p.schema.length && p.columns.every((c, i) => c === p.schema[i]!.name)));

/**
 * A sort's stages that only move rows (sample them, cut them into key ranges, order one range) by one
 * plain column of numbers, and a limit over rows as they are, run on the blocks' bytes in JS
 * (arrowKernels.ts), not through the engine:
 * DuckDB-WASM's Arrow import and export cost more than the sort itself. The task falls back to the
 * SQL when the blocks hold types the kernels do not take.
 */
export function arrowOp(stage: Stage, bounds?: readonly Literal[]): ArrowStageOp | null {
  if (stage.kind !== 'sql') return null;
  const o = stage.output;
  // A sample of kept blocks is drawn by the engines holding them: the kernels would need every block's bytes.
  if (o.kind === 'sample' && o.only && stage.scan?.kind === 'blocks' && stage.scan.holders) return null;
  // A limit straight over rows as they are (the first rows of a cached sort): cut in JS, no key.
  if (stage.plan.kind === 'limit' && stage.plan.offset === 0 && o.kind === 'single' && bare(stage.plan.input)) return { op: 'head', n: stage.plan.n, key: '', ascending: true, nullsFirst: false };
  const sorted = stage.plan.kind === 'sort' && o.kind === 'single' ? stage.plan : null;
  const key = o.kind === 'sample' || o.kind === 'range' ? o.key : sorted?.keys.length === 1 ? sorted.keys[0]! : null;
  if (!key || key.expr.kind !== 'col' || !bare(sorted ? sorted.input : stage.plan)) return null;
  const field = stage.schema.find((f) => f.name === (key.expr as { name: string }).name);
  if (!field || !['int', 'bigint', 'float', 'double'].includes(field.type)) return null;
  const base = { key: field.name, ascending: key.ascending, nullsFirst: key.nullsFirst };
  if (o.kind === 'sample') return { op: 'sample', ...base, size: SAMPLE_PER_TASK, ...(o.only ? { only: true } : {}) };
  if (o.kind === 'range') return bounds && bounds.every((b) => typeof b === 'number') ? { op: 'split', ...base, bounds: bounds as number[] } : null;
  return { op: 'sort', ...base };
}

/**
 * How many streams a sort task writes its ordered rows as (ArrowStageOp `chunks`): one per input block, so
 * that each is about an input's size, at most 16, and none under `minBytes` (conf sortChunkBytes). A sort task's inputs
 * are consumed and then recycled (ctx.recycle): the next task's outputs, cut to their size, take that memory
 * instead of new (blobBytes.ts; a big output into new memory cost 2-3x as long to write).
 */
export function sortChunks(inputBytes: readonly number[], minBytes: number): number {
  return Math.max(1, Math.min(inputBytes.length, 16, Math.floor(sum(inputBytes) / Math.max(1, minBytes))));
}

export function compileStage(stage: Stage, ctx: CompileContext): CompiledStage {
  // A small input to a sort needs no range exchange: its blocks go as they are to the one task that the sort stage coalesces them into.
  const first = stage.reads[0];
  if (ctx.conf.adaptive && stage.output.kind === 'range' && stage.reads.length === 1 && first!.mode === 'pointwise') {
    const bytes = sum(ctx.results.get(first!.stage)!.tasks.map((t) => sum(t.bytes)));
    if (bytes <= ctx.conf.advisoryPartitionBytes) return { tasks: [], notes: [`range exchange skipped: the input is ${kb(bytes)}, sorted in one task`], passThrough: first!.stage };
  }
  const { tasks, notes } = shape(stage, ctx);
  let sizes: Map<string, number> | null = null;
  const compiled: CompiledTask[] = tasks.map((t, index) => {
    const tables: TaskSpec['tables'][number][] = [];
    const inputs: string[] = [];
    const files: { name: string; url: string }[] = [];
    const fetches: NonNullable<TaskSpec['fetches']>[number][] = [];
    let reading: string | undefined;
    stage.reads.forEach((r, i) => {
      if (r.mode === 'after') return;
      const blocks = t.picks.get(i) ?? [];
      tables.push({ name: `s${r.stage}`, ddl: schemaDdl(ctx.stages[r.stage]!.schema), count: blocks.length });
      inputs.push(...blocks);
    });
    // Each leaf is read once per task, however many queries name it (scanLeaf registers its inputs).
    const leaves = new Map<Plan, string>();
    const leaf = (node: Extract<Plan, { kind: 'source' }>): string => {
      if (node.source.kind === 'stage') return `"s${node.source.stage}"`;
      const known = leaves.get(node);
      if (known !== undefined) return known;
      const scanned = scanLeaf(node, t.scan ?? 0, ctx, files, tables, inputs, fetches);
      reading = scanned.reading;
      leaves.set(node, scanned.from);
      return scanned.from;
    };
    const sql = stage.kind === 'sql' ? planSql(stage.plan, leaf) : '';
    const alt = stage.partialAgg && ctx.conf.adaptive && stage.plan.kind === 'aggregate' ? partialSkipSql(stage.plan, leaf) : null;
    const { out: given, blocks: parts, bounds } = taskOutput(stage, ctx, index);
    // A hash exchange read by a distinct gather also returns its parts' key hashes (distinctGather.ts).
    const hashes = given.kind === 'split' && ctx.conf.adaptive && stage.output.kind === 'hash' && feedsDistinctGather(stage, ctx.stages);
    const blocks = hashes ? 2 * parts : parts;
    // A task sampling several merged kept blocks draws as many keys as their own tasks would have.
    const out = given.kind === 'sample' && Array.isArray(t.scan) ? { ...given, size: given.size * t.scan.length } : hashes && stage.output.kind === 'hash' ? { ...given, hash: keysHash(stage.output.keys, stage) } : given;
    const found = arrowOp(stage, bounds);
    const arrow = found?.op === 'sort' ? { ...found, chunks: sortChunks(inputs.map((id) => (sizes ??= blockSizes(stage.reads.map((r) => ctx.results.get(r.stage)))).get(id) ?? 0), ctx.conf.sortChunkBytes) } : found;
    // A final aggregate that only renames its input: each task passes its rows through in JS when every group is one row.
    const distinct = ctx.conf.adaptive && !stage.keepOutput ? distinctFinalOp(stage, ctx.stages) : null;
    // A stage that only gathers one upstream's blocks joins their bytes; no engine needed.
    const gather = stage.kind === 'sql' && stage.plan.kind === 'source' && stage.plan.source.kind === 'stage' && stage.reads.length === 1 && out.kind === 'single' && inputs.length > 0;
    const spec: TaskSpec = { kind: stage.kind, tables, files, sql, out, ...(fetches.length ? { fetches } : {}), ...(stage.fn ? { fn: stage.fn } : {}), ...(reading ? { reading } : {}), ...(gather ? { concat: true } : {}), ...(stage.keepOutput && !gather && !arrow && out.kind === 'single' && stage.kind === 'sql' ? { keep: true } : {}), ...(arrow ? { arrow } : {}), ...(alt ? { rowByRow: { ...alt, ratio: PARTIAL_SKIP_RATIO } } : {}), ...(distinct ? { distinct } : {}) };
    return { spec, inputs, numReturns: out.kind === 'write' ? 1 : (arrow?.chunks ?? blocks) + 1 };
  });
  return { tasks: compiled, notes };
}
