/**
 * The function every DataFrame stage task runs: dataframeStage (stageTask.ts)
 * given the sort kernels (arrowKernels.ts over arrowIpc.ts) and the file reader
 * (stageFetch.ts). A task ships as one function's source text, so the four self-contained functions are
 * joined into one here, once, instead of being written as one long function.
 */
import { arrowIpc } from './arrowIpc.ts';
import { arrowKernels } from './arrowKernels.ts';
import { fetchStageFiles } from './stageFetch.ts';
import { dataframeStage } from './stageTask.ts';
import { distinctFinal } from './distinctFinal.ts';
import { distinctKeysCheck } from './distinctGather.ts';

type StageFn = (spec: unknown, given: unknown, ctx: unknown) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => StageFn;

const body = `const ipc = (${arrowIpc.toString()})(ctx.outputBytes); return (${dataframeStage.toString()})(spec, given, ctx, (${arrowKernels.toString()})(ipc), ${fetchStageFiles.toString()}, (${distinctFinal.toString()})(ipc, ctx.arrow, ctx.outputBytes));`;

export const stageFunction: StageFn = new AsyncFunction('spec', 'given', 'ctx', body);

/**
 * The same function under another source text (so another function id) for tasks on the kernels: the
 * runtime hands a function's inputs kept in the engine as refs once it has called ctx.acceptKeptInputs()
 * (SQL stages over cached blocks do), and a kernel task would then fetch each block through ctx.get, a
 * round trip to the coordinator and a copy; under its own id its blocks come with the task.
 */
export const kernelStageFunction: StageFn = new AsyncFunction('spec', 'given', 'ctx', `/* on the Arrow kernels */ ${body}`);

/** The distinct gather's check over key hashes (distinctGather.ts): `(hashBlocks, ctx) => {unique, rows}`. */
export const keysCheckFunction = new AsyncFunction('blocks', 'ctx', `return (${distinctKeysCheck.toString()})(blocks, ctx);`) as unknown as (blocks: unknown, ctx: unknown) => Promise<unknown>;
