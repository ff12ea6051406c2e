import { describe, expect, it } from 'vitest';
import { actorBinder, createContext, type TaskContext } from './context.ts';
import type { HostReply, TaskHost } from './host.ts';

/** A page that records, in order, what contexts send it. */
function page(options: { combined?: boolean } = {}) {
  const log: string[] = [];
  let n = 0;
  const reply = (ids: string[]): Promise<HostReply> => Promise.resolve({ ok: true, value: ids.map((id) => `v:${id}`) });
  const host = {
    done: () => {},
    setBlocked: () => {},
    log: (_t: string, _l: string, text: string) => log.push(`log ${text}`),
    progress: () => {},
    submit: (_p: string, id: string) => log.push(`submit ${id}`),
    put: (_p: string, id: string) => log.push(`put ${id}`),
    get: (_p: string, ids: string[]) => (log.push(`get ${ids.join(',')}`), reply(ids)),
    wait: () => reply([]),
    free: () => {},
    cancel: () => {},
    actorCall: (parent: string, callId: string, actorId: string, method: string) => log.push(`call ${parent} ${callId} ${actorId}.${method}`),
    ...(options.combined === false
      ? {}
      : {
          actorCallsAndGet: (_p: string, calls: Array<{ parentTaskId: string; callId: string }>, ids: string[]) => {
            log.push(`calls+get ${calls.map((c) => `${c.parentTaskId}/${c.callId}`).join(',')} | ${ids.join(',')}`);
            return reply(ids);
          },
        }),
  } as unknown as TaskHost;
  const context = (taskId: string): TaskContext =>
    createContext({ taskId, workerId: 'w1', attempt: 1, signal: new AbortController().signal, host, mintId: () => `w1.${++n}`, gpu: null, setBlocked: () => {} });
  return { log, context };
}

const handle = (ctx: TaskContext, actorId: string) => actorBinder(ctx)(actorId) as Record<string, (...args: unknown[]) => { id: string }>;

describe('actor calls from a context', () => {
  it('`ctx.get(handle.method())` is one message to the page', async () => {
    const { log, context } = page();
    const ctx = context('t1');
    expect(await ctx.get(handle(ctx, 'a1').add!(1) as never)).toBe('v:w1.1');
    await Promise.resolve();
    expect(log).toEqual(['calls+get t1/w1.1 | w1.1']);
  });

  it('calls not got in the same turn go on their own, before anything else the context sends', async () => {
    const { log, context } = page();
    const ctx = context('t1');
    const h = handle(ctx, 'a1');
    h.add!(1);
    ctx.log('after');
    h.add!(2);
    await Promise.resolve();
    expect(log).toEqual(['call t1 w1.1 a1.add', 'log after', 'call t1 w1.2 a1.add']);
  });

  it('a handle bound to another context of the Web Worker (an actor’s constructor’s) queues with the same page', async () => {
    const { log, context } = page();
    const constructorCtx = context('actor1');
    const callCtx = context('call7');
    const target = handle(constructorCtx, 'a2');
    const ref = target.add!(5);
    expect(await callCtx.get(ref as never)).toBe('v:w1.1');
    expect(log).toEqual(['calls+get actor1/w1.1 | w1.1']);
  });

  it('without the combined message, a get sends the calls first', async () => {
    const { log, context } = page({ combined: false });
    const ctx = context('t1');
    await ctx.get(handle(ctx, 'a1').add!(1) as never);
    expect(log).toEqual(['call t1 w1.1 a1.add', 'get w1.1']);
  });
});
