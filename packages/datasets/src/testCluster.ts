/**
 * For unit tests only (Node): a cluster that runs tasks and actors in this
 * process (the real task function and pool actor class), with refs as `{id}`
 * objects. It counts objects alive at once, and can make an actor die with
 * calls in flight.
 */
import * as arrow from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import type { DataCluster } from './cluster.ts';

interface Ref {
  id: string;
}

export interface TestCluster extends DataCluster {
  /** Objects held now, and the most held at once. */
  held(): number;
  peakHeld(): number;
  /** Actors created, and alive now. */
  actorsCreated(): number;
  actorsAlive(): number;
  /** The next call to any actor fails as if its tab closed (ERR_ACTOR_DIED), and the actor is gone. */
  killNextCall(): void;
  /** Milliseconds each task and actor call takes at least. */
  delayMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function testCluster(slots = 2): TestCluster {
  const values = new Map<string, Promise<unknown>>();
  let next = 0;
  let peak = 0;
  let created = 0;
  let killNext = false;
  const alive = new Set<string>();
  const resolve = async (v: unknown): Promise<unknown> => {
    if (v && typeof v === 'object' && 'id' in v && values.has((v as Ref).id)) return values.get((v as Ref).id);
    if (v && typeof v === 'object' && 'id' in v && String((v as Ref).id).startsWith('o')) throw new ShoalError('ERR_OBJECT_LOST', `object ${(v as Ref).id} was freed`);
    return v;
  };
  const store = (p: Promise<unknown>): Ref => {
    p.catch(() => undefined);
    const id = `o${++next}`;
    values.set(id, p);
    peak = Math.max(peak, values.size);
    return { id };
  };
  const ctx = { arrow, engine: async () => { throw new Error('no engine in the test cluster'); }, workerId: 'local', taskId: 't', log: () => {} };
  const failure = (error: unknown, code?: string): ShoalError => {
    const remote = { name: (error as Error).name, message: (error as Error).message, ...(code ? { code } : {}) };
    return new ShoalError((code ?? 'ERR_TASK_FAILED') as 'ERR_TASK_FAILED', remote.message, { remote: remote as never });
  };
  const cluster: TestCluster = {
    delayMs: 0,
    held: () => values.size,
    peakHeld: () => peak,
    actorsCreated: () => created,
    actorsAlive: () => alive.size,
    killNextCall: () => void (killNext = true),
    slots: () => slots,
    put: (value) => store(Promise.resolve(value)),
    remote(fn, options = {}) {
      const numReturns = (options['numReturns'] as number | undefined) ?? 1;
      return (...args: unknown[]) => {
        const result = (async () => {
          let resolved: unknown[];
          try {
            resolved = await Promise.all(args.map(resolve));
          } catch (error) {
            throw new ShoalError('ERR_DEPENDENCY_FAILED', `input failed: ${(error as Error).message}`, { remote: ((error as ShoalError).remote ?? { name: 'Error', message: String(error) }) as never });
          }
          await sleep(cluster.delayMs);
          try {
            return await fn(...resolved, ctx);
          } catch (error) {
            throw failure(error);
          }
        })();
        if (numReturns === 1) return store(result);
        return Array.from({ length: numReturns }, (_, i) => store(result.then((r) => (r as unknown[])[i])));
      };
    },
    actor(cls, options = {}) {
      const id = `a${++created}`;
      alive.add(id);
      const instance = new cls(...((options['args'] as unknown[]) ?? []));
      let chain: Promise<unknown> = Promise.resolve();
      return new Proxy({ actorId: id }, {
        get(target, method) {
          if (method === 'actorId') return id;
          return (...args: unknown[]) => {
            const dies = killNext;
            killNext = false;
            const run = chain.then(async () => {
              if (!alive.has(id)) throw new ShoalError('ERR_ACTOR_DIED', `actor ${id} is gone`, { remote: { name: 'ShoalError', message: 'gone', code: 'ERR_ACTOR_DIED' } });
              const resolved = await Promise.all(args.map(resolve));
              await sleep(cluster.delayMs);
              if (dies) {
                alive.delete(id);
                throw new ShoalError('ERR_ACTOR_DIED', `actor ${id} died`, { remote: { name: 'ShoalError', message: 'died', code: 'ERR_ACTOR_DIED' } });
              }
              try {
                return await (instance as Record<string, (...a: unknown[]) => unknown>)[method as string]!(...resolved, ctx);
              } catch (error) {
                throw failure(error);
              }
            });
            chain = run.catch(() => undefined);
            return store(run);
          };
        },
      }) as never;
    },
    kill(handle) {
      alive.delete((handle as { actorId: string }).actorId);
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
  return cluster;
}
