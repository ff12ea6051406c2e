/**
 * For unit tests only (Node): a cluster that runs each task in this process,
 * with the real engine (DuckDB-WASM's Node build) and the real task function,
 * so a whole query runs without browsers. Refs are `{id}` objects.
 */
import * as arrow from 'apache-arrow';
import { loadNodeDatabase } from '@shoal/engine/node';
import { ShoalError, randomId } from '@shoal/protocol';
import type { SessionCluster } from './session.ts';

interface Ref {
  id: string;
}

export interface LocalCluster extends SessionCluster {
  /** Tasks run so far, by name. */
  readonly ran: string[];
  /** Objects held now. */
  readonly held: () => number;
}

export interface LocalClusterOptions {
  /** Fails a task run as a worker's memory cap would (ERR_TASK_MEMORY) when this says so, given its resolved arguments. */
  readonly memoryError?: (args: readonly unknown[]) => boolean;
}

export function localCluster(slots = 2, options: LocalClusterOptions = {}): LocalCluster {
  const values = new Map<string, Promise<unknown>>();
  let next = 0;
  // Ids unique across clusters, as a coordinator's are: the process's engine keeps tables by object id (Engine.keep).
  const prefix = randomId(6);
  const ran: string[] = [];
  const { memoryError } = options;
  // Each task opens its own session on the process's DuckDB and closes it when it ends, as a worker's task engine does
  // (tables a task makes go with it; kept tables, Engine.keep, belong to the database and stay).
  const database = loadNodeDatabase();
  // One task at a time holds an engine session, as one Web Worker runs one task: a session's tables are gone before the next task starts.
  let turn: Promise<void> = Promise.resolve();
  const resolve = async (v: unknown): Promise<unknown> => {
    if (Array.isArray(v)) return Promise.all(v.map(resolve));
    if (v && typeof v === 'object' && 'id' in v && values.has((v as Ref).id)) return values.get((v as Ref).id);
    return v;
  };
  const settle = (p: Promise<unknown>): Promise<unknown> => {
    p.catch(() => undefined);
    return p;
  };
  return {
    ran,
    held: () => values.size,
    slots: () => slots,
    put(value) {
      const id = `${prefix}.put${++next}`;
      values.set(id, Promise.resolve(value));
      return { id };
    },
    remote(fn, options = {}) {
      const numReturns = (options['numReturns'] as number | undefined) ?? 1;
      return (...args: unknown[]) => {
        const id = `${prefix}.t${++next}`;
        const result = settle(
          (async () => {
            const resolved = await Promise.all(args.map(resolve));
            ran.push(String(options['name'] ?? 'task'));
            if (memoryError?.(resolved)) throw new ShoalError('ERR_TASK_MEMORY', "the task allocated more binary memory than this worker's cap (injected by the test)");
            const db = await database;
            let session: ReturnType<typeof db.session> | null = null;
            let release = (): void => undefined;
            const mine = turn;
            turn = new Promise<void>((resolve) => (release = resolve));
            await mine;
            try {
              return await fn(...resolved, { engine: async () => (session ??= db.session()), arrow, workerId: 'local', taskId: id });
            } catch (error) {
              const remote = { name: (error as Error).name, message: (error as Error).message, ...((error as { code?: string }).code ? { code: (error as { code: 'ERR_ENGINE' }).code } : {}) };
              throw new ShoalError('ERR_TASK_FAILED', remote.message, { remote });
            } finally {
              (session as { close(): void } | null)?.close();
              release();
            }
          })(),
        );
        if (numReturns === 1) {
          values.set(id, result);
          return { id };
        }
        return Array.from({ length: numReturns }, (_, i) => {
          const rid = `${id}.${i}`;
          values.set(rid, settle(result.then((r) => (r as unknown[])[i])));
          return { id: rid };
        });
      };
    },
    async get(refs) {
      return Promise.all(refs.map((r) => {
        const v = values.get((r as Ref).id);
        if (!v) throw new ShoalError('ERR_OBJECT_LOST', `object ${(r as Ref).id} was freed`);
        return v;
      }));
    },
    free(refs) {
      for (const r of refs) if (r) values.delete((r as Ref).id);
    },
  };
}
