/**
 * The Web Worker that runs tasks. Task code runs here and never in the page.
 * The page talks to it through comlink (see pool.ts).
 */
import { expose } from 'comlink';
import type { RemoteError, TaskResult } from '@shoal/protocol';
import { compileFunction, executeTask, formatLogArgs, type TaskFunction } from './execute.ts';

export type LogSink = (taskId: string, level: 'log' | 'info' | 'warn' | 'error', text: string) => void;

export interface RunRequest {
  taskId: string;
  fnId: string;
  args: unknown[];
  workerId: string;
  attempt: number;
}

const functions = new Map<string, TaskFunction | RemoteError>();
let logSink: LogSink | null = null;

const api = {
  setLogSink(sink: LogSink): void {
    logSink = sink;
  },
  define(fnId: string, name: string, source: string): void {
    const compiled = compileFunction(name, source);
    functions.set(fnId, compiled.ok ? compiled.fn : compiled.error);
  },
  async run(request: RunRequest): Promise<TaskResult> {
    const fn = functions.get(request.fnId);
    if (fn === undefined) {
      return { ok: false, error: { name: 'ShoalError', code: 'ERR_INTERNAL', message: `function ${request.fnId} was never defined on this worker` } };
    }
    if (typeof fn !== 'function') return { ok: false, error: fn };
    const ctx = {
      taskId: request.taskId,
      workerId: request.workerId,
      attempt: request.attempt,
      log: (...args: unknown[]) => logSink?.(request.taskId, 'log', formatLogArgs(args)),
    };
    return executeTask(fn, request.args, ctx);
  },
};

export type TaskWorkerApi = typeof api;

expose(api);
