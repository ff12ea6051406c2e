/**
 * Running a job: an ES module whose default export is `async (cluster) => result`.
 * Never throws; the outcome is plain data (it crosses `page.evaluate`).
 */
import { ShoalError, isErrorCode, type JobOutcome } from '@shoal/protocol';
import type { Cluster } from './cluster.ts';

/** Imports a job module from its source text. */
export async function importJob(source: string): Promise<(cluster: Cluster) => unknown> {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  let module: { default?: unknown };
  try {
    module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ShoalError('ERR_BAD_JOB', `the job module failed to load: ${reason}`, { cause });
  } finally {
    URL.revokeObjectURL(url);
  }
  if (typeof module.default !== 'function') {
    throw new ShoalError('ERR_BAD_JOB', 'a job module must `export default async (cluster) => result`; its default export is ' + typeof module.default);
  }
  return module.default as (cluster: Cluster) => unknown;
}

export async function runJob(cluster: Cluster, source: string): Promise<JobOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const main = await importJob(source);
    const result = await main(cluster);
    return { ok: true, result, elapsedMs: elapsed() };
  } catch (thrown) {
    return { ok: false, error: describeError(thrown), elapsedMs: elapsed() };
  }
}

function describeError(thrown: unknown): Extract<JobOutcome, { ok: false }>['error'] {
  if (thrown instanceof ShoalError) return { code: thrown.code, message: thrown.message, stack: thrown.stack, remote: thrown.remote };
  if (thrown instanceof Error) {
    const code = (thrown as Error & { code?: unknown }).code;
    return { code: isErrorCode(code) ? code : 'ERR_BAD_JOB', message: `the job threw ${thrown.name}: ${thrown.message}`, stack: thrown.stack };
  }
  return { code: 'ERR_BAD_JOB', message: `the job threw a non-Error value: ${String(thrown)}` };
}
