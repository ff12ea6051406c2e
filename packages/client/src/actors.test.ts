import { describe, expect, it } from 'vitest';
import type { ControlMessage, TaskResult } from '@shoal/protocol';
import { Actors, type ActorsHost } from './actors.ts';
import { ObjectTable } from './objectTable.ts';

/** The coordinator as actors.ts sees it: a real object table, and records of what it sent and emitted. */
function host() {
  const objects = new ObjectTable();
  const sent: Array<{ to: string; message: ControlMessage }> = [];
  const events: string[] = [];
  const holds: string[] = [];
  let ids = 0;
  const fake = {
    objects,
    holders: { releaseChildren: (parent: string) => holds.push(`release ${parent}`), holdForParent: (id: string, parent: string) => holds.push(`${parent} holds ${id}`) },
    failedNames: new Map<string, string>(),
    plane: { release: () => {} },
    holdContained: () => {},
    scheduler: {},
    apply: () => {},
    registerFunction: () => 'fn',
    newId: () => `id${++ids}`,
    submit: () => [],
    sendTo: (to: string, message: ControlMessage) => sent.push({ to, message }),
    argsFor: <T>(wire: T) => ({ args: wire, fetch: [] }),
    notify: (kind: string, event: { kind?: string; state?: string }) => events.push(`${kind}:${event.kind ?? event.state}`),
  };
  return { host: fake as unknown as ActorsHost, objects, sent, events, holds };
}

const ok = (value: unknown): TaskResult => ({ ok: true, value });

/** An actor alive on worker `w2`, `maxTaskRetries` as given. */
function alive(maxTaskRetries = 0) {
  const h = host();
  const actors = new Actors(h.host);
  const actorId = actors.create('Counter', 'class Counter {}', [], { maxTaskRetries });
  actors.place(actorId, actorId, 'w2', 1, 'fn');
  actors.started('w2', { type: 'actorStarted', actorId, taskId: actorId });
  return { ...h, actors, actorId };
}

async function settled(objects: ObjectTable, id: string): Promise<unknown> {
  return objects.wait(id).then(
    (located) => (located.kind === 'inline' ? located.value : located),
    (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
  );
}

describe('Actors: direct calls', () => {
  it('tells a worker where an actor lives, and again on each change', () => {
    const { actors, actorId, sent } = alive(1);
    actors.locate('w1', actorId);
    actors.workerLost('w2');
    actors.place(actorId, actorId, 'w3', 2, 'fn');
    actors.started('w3', { type: 'actorStarted', actorId, taskId: actorId });
    actors.kill(actorId);
    const routes = sent.filter((entry) => entry.message.type === 'actorRoute' && entry.to === 'w1').map((entry) => entry.message);
    expect(routes).toEqual([
      { type: 'actorRoute', actorId, workerId: 'w2', retries: true },
      { type: 'actorRoute', actorId, workerId: null, retries: true },
      { type: 'actorRoute', actorId, workerId: 'w3', retries: true },
      { type: 'actorRoute', actorId, workerId: null, dead: true },
    ]);
    actors.locate('w1', 'nobody');
    expect(sent.at(-1)!.message).toEqual({ type: 'actorRoute', actorId: 'nobody', workerId: null, dead: true });
  });

  it('holds an announced call as running there, and resolves it from the report, whichever comes first; the row counts both', async () => {
    const { actors, actorId, objects, sent } = alive();
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2' });
    expect(actors.snapshot()[0]).toMatchObject({ running: 1, callsDone: 0 });
    actors.results('w2', [{ actorId, callId: 'w1.1', result: ok(1), durationMs: 1 }]);
    // The report first, then the announcement.
    actors.results('w2', [{ actorId, callId: 'w1.2', result: ok(2), durationMs: 1, checkpoint: { n: 2 } }]);
    expect(objects.has('w1.2')).toBe(false);
    actors.sent({ callId: 'w1.2', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2' });
    expect(await settled(objects, 'w1.1')).toBe(1);
    expect(await settled(objects, 'w1.2')).toBe(2);
    expect(actors.snapshot()[0]).toMatchObject({ running: 0, callsDone: 2, directCalls: 2 });
    expect(sent.filter((entry) => entry.message.type === 'actorCall')).toEqual([]); // the coordinator sent no call
  });

  it('an older checkpoint applied late does not replace a newer one', () => {
    const { actors, actorId, sent } = alive();
    actors.results('w2', [{ actorId, callId: 'w1.1', result: ok(1), durationMs: 1, checkpoint: 'old' }]); // early: its caller has not announced it
    actors.sent({ callId: 'w3.1', actorId, method: 'add', parentTaskId: 'w3.t', at: 'w2' });
    actors.results('w2', [{ actorId, callId: 'w3.1', result: ok(2), durationMs: 1, checkpoint: 'new' }]);
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2' });
    actors.workerLost('w2');
    actors.place(actorId, actorId, 'w4', 2, 'fn');
    const create = sent.filter((entry) => entry.message.type === 'createActor').at(-1)!.message;
    expect(create).toMatchObject({ restore: 'new' });
  });

  it('a direct call running when its worker is lost fails with ERR_ACTOR_DIED, even if announced after the loss', async () => {
    const { actors, actorId, objects } = alive();
    actors.sent({ callId: 'w1.1', actorId, method: 'nap', parentTaskId: 'w1.t', at: 'w2' });
    actors.workerLost('w2');
    actors.sent({ callId: 'w1.2', actorId, method: 'nap', parentTaskId: 'w1.t', at: 'w2' });
    expect(await settled(objects, 'w1.1')).toMatch(/^ERR_ACTOR_DIED: .*died while running 'nap': its worker w2 was lost/);
    expect(await settled(objects, 'w1.2')).toMatch(/^ERR_ACTOR_DIED: /);
  });

  it('with maxTaskRetries, a lost direct call is sent again by the coordinator to the restarted actor', async () => {
    const { actors, actorId, objects, sent } = alive(1);
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [5] });
    actors.workerLost('w2');
    actors.place(actorId, actorId, 'w3', 2, 'fn');
    actors.started('w3', { type: 'actorStarted', actorId, taskId: actorId });
    await Promise.resolve();
    const resent = sent.find((entry) => entry.message.type === 'actorCall');
    expect(resent).toMatchObject({ to: 'w3', message: { callId: 'w1.1', method: 'add', args: [5] } });
    actors.result('w3', { type: 'actorResult', actorId, callId: 'w1.1', result: ok(5), durationMs: 1 });
    expect(await settled(objects, 'w1.1')).toBe(5);
  });

  it('a call its caller could not send is relayed from here; one only named waits until it is sent', async () => {
    const { actors, actorId, objects, sent } = alive();
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t' }); // named: still on its worker
    expect(objects.has('w1.1')).toBe(true);
    expect(actors.isHeld('w1.1')).toBe(true);
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [1] });
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2', args: [1], unsent: true });
    await Promise.resolve();
    await Promise.resolve();
    expect(sent.filter((entry) => entry.message.type === 'actorCall').map((entry) => entry.message)).toMatchObject([{ callId: 'w1.1', args: [1] }]);
    // A named call later relayed by its worker (nestedActorCall) is not registered twice.
    actors.sent({ callId: 'w1.2', actorId, method: 'add', parentTaskId: 'w1.t' });
    actors.call(actorId, 'add', [2], 'w1.2');
    expect(actors.isHeld('w1.2')).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(sent.filter((entry) => entry.message.type === 'actorCall').map((entry) => (entry.message as { callId: string }).callId)).toEqual(['w1.1', 'w1.2']);
  });

  it('announcements for a dead actor fail with its death', async () => {
    const { actors, actorId, objects } = alive();
    actors.kill(actorId);
    actors.sent({ callId: 'w1.1', actorId, method: 'add', parentTaskId: 'w1.t', at: 'w2' });
    expect(await settled(objects, 'w1.1')).toMatch(/^ERR_ACTOR_KILLED: /);
  });
});

describe('Actors: calls with inputs', () => {
  it('a call holds its inputs until it settles, so a put the job dropped while the actor started is still there', async () => {
    const h = host();
    const actors = new Actors(h.host);
    const actorId = actors.create('Counter', 'class Counter {}', [], {});
    h.objects.resolve('p1', 1000);
    actors.call(actorId, 'add', [{ $shoalRef: 'p1' }], 'c1');
    expect(h.holds).toContain('c1 holds p1');
    actors.place(actorId, actorId, 'w2', 1, 'fn');
    actors.started('w2', { type: 'actorStarted', actorId, taskId: actorId });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(h.sent.some((entry) => entry.message.type === 'actorCall' && entry.message.callId === 'c1')).toBe(true);
    actors.result('w2', { type: 'actorResult', actorId, callId: 'c1', result: ok(1000), durationMs: 1 });
    expect(h.holds.filter((entry) => entry === 'release c1').length).toBeGreaterThan(0);
  });

  it('a call whose input is gone fails with ERR_DEPENDENCY_FAILED (it used to spin in microtasks, freezing the coordinator tab)', async () => {
    const h = host();
    const actors = new Actors(h.host);
    const actorId = actors.create('Counter', 'class Counter {}', [], {});
    h.objects.resolve('p1', 1000);
    actors.call(actorId, 'add', [{ $shoalRef: 'p1' }], 'c1');
    h.objects.drop('p1'); // released meanwhile
    actors.place(actorId, actorId, 'w2', 1, 'fn');
    actors.started('w2', { type: 'actorStarted', actorId, taskId: actorId });
    expect(await settled(h.objects, 'c1')).toMatch(/^ERR_DEPENDENCY_FAILED: .*p1/);
  });

  it('a call waits for a pending input, then goes', async () => {
    const { actors, actorId, objects, sent } = alive();
    objects.pending('t1', 't1');
    actors.call(actorId, 'add', [{ $shoalRef: 't1' }], 'c1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.some((entry) => entry.message.type === 'actorCall')).toBe(false);
    objects.resolve('t1', 5);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.some((entry) => entry.message.type === 'actorCall' && entry.message.callId === 'c1')).toBe(true);
  });
});
