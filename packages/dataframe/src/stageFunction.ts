/**
 * The function every DataFrame stage task runs: dataframeStage (stageTask.ts)
 * given the sort kernels (arrowKernels.ts over arrowIpc.ts). A task ships as
 * one function's source text, so the three self-contained functions are
 * joined into one here, once, instead of being written as one long function.
 */
import { arrowIpc } from './arrowIpc.ts';
import { arrowKernels } from './arrowKernels.ts';
import { dataframeStage } from './stageTask.ts';

type StageFn = (spec: unknown, given: unknown, ctx: unknown) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => StageFn;

export const stageFunction: StageFn = new AsyncFunction('spec', 'given', 'ctx', `return (${dataframeStage.toString()})(spec, given, ctx, (${arrowKernels.toString()})((${arrowIpc.toString()})()));`);
