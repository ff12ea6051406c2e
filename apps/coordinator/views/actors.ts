/**
 * The actors table (Ray's actors tab): one row per actor in `#actors`
 * (`tr[data-actor]`, `data-state`), live ones first, then the newest dead
 * ones. Each row: class and name, state, the worker it lives on (by name),
 * restarts, calls done / running / queued (and how many of those done went
 * peer to peer, `directCalls`), and why a dead one died.
 *
 * It draws `Actors.snapshot()` (client/src/actors.ts) when asked; the caller
 * throttles (coordinatorUi.ts). A redraw whose rows did not change touches
 * no DOM.
 */
import type { ActorRow } from '@shoal/client';
import type { DashboardSnapshot } from '@shoal/protocol';
import { h, render } from '../../dom.ts';

/** Dead actors kept in the table (the newest); live ones are all shown. */
const DEAD_SHOWN = 50;

export type ActorsRow = DashboardSnapshot['actors'][number];

export interface ActorsView {
  /** Every actor now (`Actors.snapshot()`: live first); `workerName` maps a peer id to its worker's name. */
  update(rows: ActorRow[], workerName: (peerId: string) => string | null): void;
  /** The rows drawn, as plain data. */
  rows(): ActorsRow[];
}

export function createActors(body: HTMLElement, count: HTMLElement): ActorsView {
  let shown: ActorsRow[] = [];
  let drawnKey = '';

  const row = (actor: ActorsRow) =>
    h(
      'tr',
      { 'data-actor': actor.actorId, 'data-state': actor.state, ...(actor.state === 'dead' ? { class: 'lost' } : {}) },
      h('td', {}, h('strong', {}, actor.className), actor.name !== null ? h('div', {}, h('span', { class: 'tag' }, actor.name)) : null, h('div', {}, h('code', { class: 'small' }, actor.actorId))),
      h('td', {}, h('span', { class: `state actor-${actor.state}` }, actor.state)),
      h('td', {}, actor.workerId === null ? '—' : h('span', { title: actor.workerId }, actor.workerName ?? actor.workerId)),
      h('td', {}, actor.restarts),
      h(
        'td',
        { class: 'calls' },
        `${actor.callsDone} / ${actor.running} / ${actor.queued}`,
        actor.directCalls > 0 ? h('div', { class: 'small muted', title: 'calls done that went peer to peer from a task, not through the coordinator' }, `${actor.directCalls} direct`) : null,
      ),
      h('td', { class: 'small' }, actor.death ?? ''),
    );

  return {
    update(rows, workerName) {
      const live = rows.filter((actor) => actor.state !== 'dead');
      const dead = rows.filter((actor) => actor.state === 'dead');
      const hidden = Math.max(0, dead.length - DEAD_SHOWN);
      shown = [...live, ...dead.slice(hidden).reverse()].map((actor) => ({
        actorId: actor.actorId,
        className: actor.className,
        name: actor.name,
        state: actor.state,
        workerId: actor.workerId,
        workerName: actor.workerId === null ? null : workerName(actor.workerId),
        restarts: Math.max(0, actor.starts - 1),
        callsDone: actor.callsDone,
        directCalls: actor.directCalls,
        running: actor.running,
        queued: actor.queued,
        death: actor.death,
      }));
      const key = JSON.stringify(shown) + hidden;
      if (key === drawnKey) return;
      drawnKey = key;
      count.textContent = String(live.length);
      if (shown.length === 0) {
        render(body, h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No actors: a job makes them with cluster.actor(Class).')));
        return;
      }
      render(body, ...shown.map(row), hidden > 0 ? h('tr', {}, h('td', { colspan: 6, class: 'muted small' }, `${hidden} older dead actors not shown`)) : null);
    },
    rows: () => shown,
  };
}
