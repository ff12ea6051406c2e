/**
 * Turning shipped source back into a function, and running it. Both return
 * plain results and never throw (Dask's `execute_task` style), so a bad task
 * cannot break the Web Worker's message loop.
 */
import { ShoalError, toRemoteError, type RemoteError, type TaskResult } from '@shoal/protocol';
import { encodeRefs } from './taskRef.ts';
import { packOutputs } from './values.ts';

export type TaskFunction = (...args: unknown[]) => unknown;

export type Compiled = { ok: true; fn: TaskFunction } | { ok: false; error: RemoteError };

/** Evaluates a function's source text (from `Function.prototype.toString`). */
export function compileFunction(name: string, source: string): Compiled {
  try {
    // Indirect eval keeps the source's own line numbers in remote stacks, and
    // sourceURL names the task there: `at explode (shoal-task/explode.js:3:11)`.
    const fileName = name.replace(/[^\w.-]/g, '_') || 'task';
    const fn = (0, eval)(`"use strict";(${source}\n)\n//# sourceURL=shoal-task/${fileName}.js`) as unknown;
    if (typeof fn !== 'function') throw new TypeError(`its source evaluates to a ${typeof fn}`);
    return { ok: true, fn: fn as TaskFunction };
  } catch (thrown) {
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    return {
      ok: false,
      error: {
        name: 'ShoalError',
        code: 'ERR_BAD_FUNCTION',
        message:
          `could not rebuild task function '${name}' from its source: ${reason}. ` +
          'Task functions ship as source, so they must be self-contained function or arrow expressions ' +
          '(no method shorthand, no references to outer variables or imports).',
      },
    };
  }
}

/** The parts of the task context that executeTask itself needs. */
export interface ExecutionContext {
  readonly workerId: string;
}

/** A task's result, plus the encoded buffers of outputs that stay in the store (see values.ts). */
export type ExecutedTask = TaskResult & { buffers?: ArrayBuffer[] };

/**
 * Runs `fn(...args, ctx)` with `this = ctx`. The result is encoded (refs to
 * their wire form), checked, with numReturns > 1, to be an array of that many
 * values, and packed: small JSON inline, the rest as buffers for the store.
 */
export async function executeTask(fn: TaskFunction, args: unknown[], ctx: ExecutionContext, numReturns = 1, checksum = false): Promise<ExecutedTask> {
  const fail = (message: string, code: RemoteError['code'] = 'ERR_NOT_SERIALIZABLE'): TaskResult => ({
    ok: false,
    error: { name: 'ShoalError', code, message, workerId: ctx.workerId },
  });
  try {
    const value = encodeRefs((await fn.apply(ctx, [...args, ctx])) ?? null);
    if (numReturns > 1 && (!Array.isArray(value) || value.length !== numReturns)) {
      const got = Array.isArray(value) ? `an array of ${value.length}` : typeof value;
      return fail(`the task declares numReturns: ${numReturns}, so it must return an array of ${numReturns} values; it returned ${got}`, 'ERR_TASK_FAILED');
    }
    let packed;
    try {
      packed = packOutputs(value, numReturns, checksum);
    } catch (thrown) {
      if (thrown instanceof ShoalError) return fail(`task returned a value that cannot be sent: ${thrown.message}`, thrown.code);
      throw thrown;
    }
    if (packed.stored.length === 0) return { ok: true, value: packed.value };
    return { ok: true, value: packed.value, stored: packed.stored, buffers: packed.buffers };
  } catch (thrown) {
    return { ok: false, error: toRemoteError(thrown, ctx.workerId) };
  }
}

/** `ctx.log` arguments as one line of text. */
export function formatLogArgs(args: unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg;
      if (arg instanceof Error) return arg.stack ?? arg.message;
      try {
        return JSON.stringify(arg);
      } catch {
        return String(arg);
      }
    })
    .join(' ');
}
