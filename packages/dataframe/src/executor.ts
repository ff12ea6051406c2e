/**
 * The thin layer that touches the cluster: runs a physical plan's stages as
 * ordinary tasks through `remote`/`get`, stage by stage (a stage starts when
 * every stage it reads is done, independent stages run side by side), and
 * reports each stage's progress, rows, bytes and adaptive decisions.
 *
 * Only ref handles and per-block stats pass through here; the blocks move
 * between workers peer to peer.
 */
import { ShoalError, isShoalError } from '@shoal/protocol';
import { compileStage } from './compileStage.ts';
import { consumingTasks } from './consume.ts';
import { gathersDistinct, hashInputs, type KeysCheck } from './distinctGather.ts';
import { distinctFinalOp } from './distinctFinal.ts';
import { keysCheckFunction, kernelStageFunction, stageFunction } from './stageFunction.ts';
import type { TaskStats } from './stageTask.ts';
import type { DataFrameConf, PhysicalPlan, Stage } from './stages.ts';
import { isMemoryError, mergePieces, splitTask, type SplitContext, type SplitResult } from './split.ts';
import type { CompiledTask, StageResult } from './tasks.ts';

/** The part of the job's cluster the executor uses. */
export interface ExecCluster {
  remote(fn: (...args: any[]) => unknown, options?: Record<string, unknown>): (...args: unknown[]) => unknown;
  get(refs: readonly unknown[]): Promise<unknown[]>;
  put(value: unknown): unknown;
  free(refs: readonly unknown[]): void;
}

export interface StageReport {
  readonly query: number;
  readonly stage: number;
  readonly name: string;
  state: 'waiting' | 'running' | 'done' | 'failed';
  tasks: number;
  tasksDone: number;
  rowsOut: number;
  bytesOut: number;
  /** Bytes this stage's tasks read from other stages (exchange traffic). */
  bytesIn: number;
  ms: number;
  /** Time spent inside the stage's task functions (engine work), summed over tasks; `ms - taskMs / parallelism` is scheduling and transfer. */
  taskMs: number;
  /** Input blocks its tasks read in place from their engines' kept tables (Engine.keep), not loaded from bytes. */
  keptBlocks: number;
  /** `taskMs` split: getting and loading inputs, running the SQL, exporting output blocks (summed over tasks; SQL stages only). */
  phaseMs: { load: number; run: number; export: number };
  notes: string[];
  error?: string;
}

export interface ExecHooks {
  onStage?(report: StageReport): void;
}

export interface ExecOptions {
  readonly conf: DataFrameConf;
  readonly query: number;
  readonly fileUrl: (path: string) => string;
  readonly writeUrl?: (partIndex: number) => string;
  readonly hooks?: ExecHooks;
  /** Refs of the blocks that sources of kind 'blocks' name (created data, cached results). */
  readonly blockRefs: ReadonlyMap<string, unknown>;
}

export interface Execution {
  /** The root stage's result (block ref ids per task, in partition order). */
  readonly result: StageResult;
  /** Ref handles by id (the root's blocks; freeing them is the caller's). */
  readonly refs: ReadonlyMap<string, unknown>;
  readonly reports: readonly StageReport[];
}

const refId = (ref: unknown): string => (ref as { id: string }).id;

/** Tries of a re-cut task that runs out of memory (split.ts), before the action fails. */
const RECUT_ATTEMPTS = 3;

function taskError(error: unknown, stage: Stage, task: number): unknown {
  if (!isShoalError(error)) return error;
  const remote = error.remote;
  const message = remote?.message ?? error.message;
  const where = `(stage ${stage.id} "${stage.name}", partition ${task})`;
  const read = /ERR_READ_FAILED: (.*)/s.exec(message);
  if (read) return new ShoalError('ERR_READ_FAILED', `${read[1]} ${where}`, { cause: error });
  if (remote?.code === 'ERR_ENGINE' || error.code === 'ERR_ENGINE') return new ShoalError('ERR_ENGINE', `${message} ${where}`, { cause: error });
  if (error.code === 'ERR_TASK_FAILED') return new ShoalError('ERR_TASK_FAILED', `${message} ${where}`, { cause: error, ...(remote ? { remote } : {}) });
  return error;
}

/** Sets the note that starts with `prefix` (a count that grows task by task), or adds it. */
function setNote(report: StageReport, prefix: string, rest: string): void {
  const at = report.notes.findIndex((n) => n.startsWith(prefix));
  if (at >= 0) report.notes[at] = prefix + rest;
  else report.notes.push(prefix + rest);
}

export async function execute(plan: PhysicalPlan, cluster: ExecCluster, options: ExecOptions): Promise<Execution> {
  const { stages } = plan;
  const results = new Map<number, StageResult>();
  const refs = new Map<string, unknown>(options.blockRefs);
  const reports = stages.map((s): StageReport => ({ query: options.query, stage: s.id, name: s.name, state: 'waiting', tasks: 0, tasksDone: 0, rowsOut: 0, bytesOut: 0, bytesIn: 0, ms: 0, taskMs: 0, keptBlocks: 0, phaseMs: { load: 0, run: 0, export: 0 }, notes: [] }));
  const emit = (r: StageReport): void => options.hooks?.onStage?.({ ...r, notes: [...r.notes] });
  const consumers = new Map<number, number>();
  for (const s of stages) for (const r of s.reads) consumers.set(r.stage, (consumers.get(r.stage) ?? 0) + 1);
  const runs = new Map<number, Promise<void>>();

  const run = (stage: Stage): Promise<void> => {
    const existing = runs.get(stage.id);
    if (existing) return existing;
    const promise = (async () => {
      await Promise.all(stage.reads.map((r) => run(stages[r.stage]!)));
      const report = reports[stage.id]!;
      const started = performance.now();
      const compiled = compileStage(stage, { conf: options.conf, results, stages, fileUrl: options.fileUrl, ...(options.writeUrl ? { writeUrl: options.writeUrl } : {}) });
      report.state = 'running';
      report.tasks = compiled.tasks.length;
      report.notes.push(...compiled.notes);
      if (compiled.passThrough !== undefined) {
        // The upstream blocks are this stage's result: its readers release them, not this stage.
        const upstream = results.get(compiled.passThrough)!;
        results.set(stage.id, upstream);
        // Its output is the upstream's blocks: their rows and bytes.
        report.rowsOut = upstream.tasks.reduce((s, t) => s + t.rows.reduce((a, b) => a + b, 0), 0);
        report.bytesOut = upstream.tasks.reduce((s, t) => s + t.bytes.reduce((a, b) => a + b, 0), 0);
        report.state = 'done';
        report.ms = Math.round(performance.now() - started);
        emit(report);
        return;
      }
      for (const r of stage.reads) report.bytesIn += (results.get(r.stage)?.tasks ?? []).reduce((s, t) => s + t.bytes.reduce((a, b) => a + b, 0), 0);
      emit(report);
      const name = `q${options.query} s${stage.id}: ${stage.name}`;
      const fns = new Map<string, (...args: unknown[]) => unknown>();
      const consumes = consumingTasks(compiled.tasks, stage.reads.filter((r) => (consumers.get(r.stage) ?? 1) === 1).flatMap((r) => results.get(r.stage)?.tasks.flatMap((t) => t.blocks) ?? []));
      /** The stage's tasks that consume their inputs (not re-cuts or pieces of a split partition, which read theirs as copies). */
      const consuming = new Set(compiled.tasks.filter((_, i) => consumes[i]));
      const submit = (t: CompiledTask): unknown[] => {
        // No `prefetch`: on two cores the next task's fetch only competed with the running one for CPU (the 10M-row
        // sort took 18.0 s with it, 15.1 s without; q10 27.4 s either way; README.md).
        const consume = consuming.has(t);
        const fnKey = `${t.numReturns}${t.spec.arrow ? 'k' : ''}${consume ? 'c' : ''}`;
        let call = fns.get(fnKey);
        // The sort kernels only read their blocks (arrowKernels.ts): the others (a range split's cached blocks) are lent to them, not copied.
        if (!call) fns.set(fnKey, (call = cluster.remote(t.spec.arrow ? kernelStageFunction : stageFunction, { name, maxRetries: 3, ...(t.numReturns === 1 ? {} : { numReturns: t.numReturns }), ...(consume ? { consumeInputs: true } : t.spec.arrow ? { lendInputs: true } : {}) })));
        const out = call(t.spec, t.inputs.map((id) => refs.get(id)));
        return Array.isArray(out) ? out : [out];
      };
      // A root final aggregate over hashed parts: each task first checks its parts' key hashes (distinctGather.ts).
      const gather = options.conf.adaptive && gathersDistinct(stage, stages) ? distinctFinalOp(stage, stages) : null;
      const checks = gather ? hashInputs(compiled.tasks, results.get(stage.reads[0]!.stage)!, options.conf.distinctGatherMinBytes) : compiled.tasks.map(() => null);
      /** Input blocks whose rows are this stage's result as they are (a passed check): not released with the upstream's. */
      const adopted = new Set<string>();
      const upstreamBlock = new Map<string, { rows: number; bytes: number }>();
      if (gather) for (const r of stage.reads) for (const t of results.get(r.stage)?.tasks ?? []) t.blocks.forEach((b, j) => upstreamBlock.set(b, { rows: t.rows[j] ?? 0, bytes: t.bytes[j] ?? 0 }));
      const check = checks.some((c) => c !== null) ? cluster.remote(keysCheckFunction, { name: `${name} (keys check)`, maxRetries: 3 }) : null;
      const submitted = compiled.tasks.map((t, i) => (check && checks[i] ? null : submit(t)));
      const checked = compiled.tasks.map((_, i) => (check && checks[i] ? check(checks[i]!.map((id) => refs.get(id))) : null));
      const outcomes: StageResult['tasks'][number][][] = [];
      let rowByRow = 0;
      let arrowTasks = 0;
      let distinctTasks = 0;
      let repeated = 0;
      let gatheredTasks = 0;
      const splits = new Map<number, number>();
      const recutBytes = new Map<string, number>();
      const ctx: SplitContext = { conf: options.conf, results, stages, fileUrl: options.fileUrl, blockBytes: (id) => recutBytes.get(id) };
      /** Partition `i` cut into pieces: its input blocks cut by the re-cut tasks, then the pieces run (and are cut again if need be). */
      const runPieces = async (split: Extract<SplitResult, { pieces: unknown }>, i: number): Promise<StageResult['tasks'][number][]> => {
        report.tasks += split.recuts.length;
        const parts = await Promise.all(
          split.recuts.map(async (c) => {
            let outs = submit(c);
            let stats: TaskStats;
            for (let attempt = 1; ; attempt++) {
              try {
                [stats] = (await cluster.get([outs[outs.length - 1]])) as [TaskStats];
                break;
              } catch (error) {
                // The runtime's cap counts a Web Worker's buffers until they are collected, an earlier task's garbage
                // included; over it, the Web Worker is replaced, so the same re-cut may well fit the next time.
                if (isMemoryError(error) && attempt < RECUT_ATTEMPTS) {
                  outs = submit(c);
                  continue;
                }
                report.state = 'failed';
                report.error = error instanceof Error ? error.message : String(error);
                emit(report);
                throw new ShoalError('ERR_TASK_MEMORY', `partition ${i} of stage ${stage.id} "${stage.name}" ran out of memory, and cutting its input into pieces failed: ${report.error}`, { cause: error });
              }
            }
            report.tasksDone++;
            report.taskMs += Math.round(stats.ms);
            const blocks = outs.slice(0, -1);
            blocks.forEach((b, j) => {
              refs.set(refId(b), b);
              recutBytes.set(refId(b), stats.bytes[j] ?? 0);
            });
            return blocks.map(refId);
          }),
        );
        const pieces = split.pieces(parts);
        splits.set(i, (splits.get(i) ?? 1) - 1 + pieces.length);
        report.tasks += pieces.length - 1;
        setNote(report, `partition ${i} split in `, `${splits.get(i)} after a memory error (${split.how})`);
        emit(report);
        const done = (await Promise.all(pieces.map((p) => settle(p, submit(p), i)))).flat();
        // The re-cut blocks were read by the pieces (and by their own re-cuts, if cut again): released now.
        const cut = parts.flat();
        cluster.free(cut.map((id) => refs.get(id)).filter(Boolean));
        cut.forEach((id) => refs.delete(id));
        return done;
      };
      /** Runs one task (or piece of partition `i`); one that runs out of memory is cut into pieces that run instead (split.ts). */
      const settle = async (t: CompiledTask, outs: unknown[], i: number, attempt = 1): Promise<StageResult['tasks'][number][]> => {
        let stats: TaskStats;
        try {
          [stats] = (await cluster.get([outs[outs.length - 1]])) as [TaskStats];
        } catch (error) {
          const split = isMemoryError(error) ? splitTask(stage, t, ctx) : null;
          if (split && 'pieces' in split) return runPieces(split, i);
          // One that cannot be cut runs again (on a fresh Web Worker) before it fails, as a re-cut does: the cap counts
          // an earlier task's uncollected garbage, so the same task may well fit the next time.
          if (split && attempt < RECUT_ATTEMPTS) return settle(t, submit(t), i, attempt + 1);
          report.state = 'failed';
          report.error = error instanceof Error ? error.message : String(error);
          emit(report);
          if (split) throw new ShoalError('ERR_TASK_MEMORY', `partition ${i} of stage ${stage.id} "${stage.name}" ran out of memory and was not cut further: ${split.reason} (${report.error})`, { cause: error });
          throw taskError(error, stage, i);
        }
        if (consuming.has(t)) {
          // Its inputs were handed to it, not copied: freed now (the worker no longer has them).
          cluster.free(t.inputs.map((id) => refs.get(id)).filter(Boolean));
          t.inputs.forEach((id) => refs.delete(id));
        }
        const returned = t.numReturns === 1 ? [] : outs.slice(0, -1);
        // Key hashes after the blocks (out.hash): kept for the stage that checks them.
        const hashes = stats.hashes ? returned.slice(returned.length - stats.hashes) : [];
        const blocks = returned.slice(0, returned.length - hashes.length);
        for (const b of returned) refs.set(refId(b), b);
        report.tasksDone++;
        report.taskMs += Math.round(stats.ms);
        report.keptBlocks += stats.kept ?? 0;
        if (stats.rowByRow !== undefined) {
          rowByRow++;
          setNote(report, 'partial aggregation done row by row', ` in ${rowByRow} of ${report.tasks} tasks (keys mostly distinct: grouping would leave ~${Math.round(stats.rowByRow * 100)}% of rows)`);
        }
        if (stats.distinct) setNote(report, 'every group one row', `: rows passed through in JS, not the engine, in ${++distinctTasks} of ${report.tasks} tasks`);
        if (stats.arrow) setNote(report, 'rows sorted or cut in JS', ` on their Arrow bytes, not in the engine, in ${++arrowTasks} of ${report.tasks} tasks`);
        if (stats.phases) for (const k of ['load', 'run', 'export'] as const) report.phaseMs[k] += Math.round(stats.phases[k]);
        report.rowsOut += stats.rows.reduce((a, b) => a + b, 0);
        report.bytesOut += stats.bytes.reduce((a, b) => a + b, 0);
        emit(report);
        return [{ blocks: blocks.map(refId), rows: stats.rows, bytes: stats.bytes, ...(stats.sample ? { sample: stats.sample } : {}), ...(stats.worker ? { worker: stats.worker } : {}), ...(hashes.length === blocks.length && hashes.length > 0 ? { hashes: hashes.map(refId) } : {}) }];
      };
      /** Task `i` of a distinct gather: its input blocks as they are if their key hashes are all distinct, else the task runs. */
      const gathered = async (t: CompiledTask, ref: unknown, i: number): Promise<StageResult['tasks'][number][]> => {
        let answer: KeysCheck | null = null;
        try {
          [answer] = (await cluster.get([ref])) as [KeysCheck];
        } catch {
          answer = null; // the check failed: the task runs as before
        }
        const blocks = t.inputs.map((id) => upstreamBlock.get(id));
        const rows = blocks.reduce((n, b) => n + (b?.rows ?? 0), 0);
        if (!answer?.unique || answer.rows !== rows || blocks.some((b) => !b)) {
          setNote(report, 'keys repeated', `, or their check failed, in ${++repeated} of ${report.tasks} tasks: those ran the final aggregate`);
          return settle(t, submit(t), i);
        }
        for (const id of t.inputs) adopted.add(id);
        report.tasksDone++;
        report.rowsOut += rows;
        report.bytesOut += blocks.reduce((n, b) => n + b!.bytes, 0);
        setNote(report, 'every group one row', ` (checked on the keys' hashes): rows gathered as the exchange left them in ${++gatheredTasks} of ${report.tasks} tasks`);
        emit(report);
        return [{ blocks: [...t.inputs], rows: blocks.map((b) => b!.rows), bytes: blocks.map((b) => b!.bytes) }];
      };
      await Promise.all(
        submitted.map(async (outs, i) => {
          outcomes[i] = outs ? await settle(compiled.tasks[i]!, outs, i) : await gathered(compiled.tasks[i]!, checked[i], i);
        }),
      );
      // The checks' hash blocks are read.
      const hashIds = checks.flatMap((c) => c ?? []);
      cluster.free(hashIds.map((id) => refs.get(id)).filter(Boolean));
      hashIds.forEach((id) => refs.delete(id));
      // A partition cut into pieces: an exchange's pieces are tasks of their own, any other's blocks the partition's.
      const tasks = outcomes.flatMap((o) => mergePieces(stage, o));
      results.set(stage.id, { tasks, ...(adopted.size > 0 && gather ? { names: gather.names } : {}) });
      report.state = 'done';
      report.ms = Math.round(performance.now() - started);
      emit(report);
      // Upstream blocks nobody else reads are released now.
      for (const r of stage.reads) {
        const left = (consumers.get(r.stage) ?? 1) - 1;
        consumers.set(r.stage, left);
        if (left === 0) {
          // Its blocks, less those this stage's result is, and any key hashes no check read.
          const ids = results.get(r.stage)!.tasks.flatMap((t) => [...t.blocks.filter((b) => !adopted.has(b)), ...(t.hashes ?? []).filter((h) => refs.has(h))]);
          cluster.free(ids.map((id) => refs.get(id)).filter(Boolean));
          ids.forEach((id) => refs.delete(id));
        }
      }
    })();
    runs.set(stage.id, promise);
    return promise;
  };
  await run(stages[plan.root]!);
  return { result: results.get(plan.root)!, refs, reports };
}

