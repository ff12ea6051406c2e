/**
 * Turning shipped source back into a function, and running it. Both return
 * plain results and never throw (Dask's `execute_task` style), so a bad task
 * cannot break the Web Worker's message loop.
 */
import { findNonJsonable, toRemoteError, type RemoteError, type TaskResult } from '@shoal/protocol';

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

/** What a task sees as its context: the last argument, and `this`. */
export interface TaskContext {
  readonly taskId: string;
  readonly workerId: string;
  readonly attempt: number;
  /** Forwarded to the coordinator, tagged with this task. */
  log(...args: unknown[]): void;
}

/** Runs `fn(...args, ctx)` with `this = ctx`; the result is checked to be sendable. */
export async function executeTask(fn: TaskFunction, args: unknown[], ctx: TaskContext): Promise<TaskResult> {
  try {
    const value = (await fn.apply(ctx, [...args, ctx])) ?? null;
    const problem = findNonJsonable(value, 'the return value');
    if (problem) {
      return { ok: false, error: { name: 'ShoalError', code: 'ERR_NOT_SERIALIZABLE', message: `task returned a value that cannot be sent: ${problem}`, workerId: ctx.workerId } };
    }
    return { ok: true, value };
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
