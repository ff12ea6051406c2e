/**
 * The workers table: one row per connected worker in `#workers` (`tr[data-peer]`),
 * and workers that left, greyed, in `#lost-workers` for a minute. Each row:
 * device (cores, memory, WebGPU adapter real or fallback, measured speeds when
 * the worker reports `caps.bench`), state (connected, busy, paused: its
 * volunteer paused it, so it gets no new tasks; draining: handing its objects
 * over before it leaves; lost, with the reason), slots in use (`caps.slots`
 * is the volunteer's core cap and may change live), tasks done, store
 * bytes held and spilled, input bytes its tasks fetched and output bytes they
 * made, and when the coordinator last heard from it. Below: this tab's traffic.
 *
 * The list follows the coordinator's batched diffs (model/workerList.ts).
 * Past `VIRTUALIZE_AFTER` workers the table scrolls inside a fixed height and
 * only the rows in view are in the DOM (`#workers` then holds
 * `tr[data-peer]` for those rows; spacer bodies stand in for the rest), so
 * hundreds of workers redraw as cheaply as a few.
 */
import type { TaskEvent, WorkersDiff } from '@shoal/client';
import type { Capabilities, Traffic, WorkerSummary } from '@shoal/protocol';
import { h, render } from '../../dom.ts';
import { ago, bytes } from '../format.ts';
import { ROW_PX, VIEWPORT_PX, VIRTUALIZE_AFTER, WorkerListModel } from '../model/workerList.ts';

const LOST_KEPT_MS = 60_000;
/** How to show the figures a worker's benchmark reports (`caps.bench`); others show as key and value. */
const BENCH_LABELS: Record<string, [string, string]> = { cpuMflops: ['CPU', 'Mflop/s'], gflops: ['GPU', 'GFLOP/s'] };

interface Seen {
  summary: WorkerSummary;
  lostAt: number | null;
}

export interface WorkersView {
  /**
   * Redraws. `workers`: the whole list now (null: keep the list the diffs
   * built); `draining`: those handing their objects over before they go. The
   * view notices who left.
   */
  update(workers: WorkerSummary[] | null, traffic: Traffic | null, draining?: (peerId: string) => boolean): void;
  /** One batched change to the list (the coordinator's `workersDiff`). O(changed); drawn at the next update. */
  apply(diff: WorkersDiff): void;
  /** The rows in the DOM now, and all the workers (for tests and the page API). */
  rendered(): { rows: number; workers: number };
  /** Why a worker was lost (closed, silent, left, unreachable). */
  noteLost(peerId: string, reason: string): void;
  /** A task event (for bytes in/out per worker). O(1). */
  noteTask(event: TaskEvent): void;
  /** A message arrived from `peerId`. O(1). */
  heard(peerId: string): void;
}

function device(caps: Capabilities | null): Array<Node | string> {
  if (!caps) return ['—'];
  const gpu = caps.gpu ? `${caps.gpu.vendor || 'GPU'} ${caps.gpu.architecture || caps.gpu.device || ''}`.trim() : 'no WebGPU';
  const parts: Array<Node | string> = [`${caps.cores} cores`, caps.deviceMemoryGiB ? ` · ${caps.deviceMemoryGiB} GiB` : '', ' · ', caps.gpu?.isFallback ? h('span', { class: 'tag', title: 'a software (fallback) adapter' }, `${gpu} (fallback)`) : gpu];
  const bench = (caps as Capabilities & { bench?: unknown }).bench;
  if (bench && typeof bench === 'object') {
    const figures = Object.entries(bench as Record<string, unknown>)
      .filter(([, value]) => typeof value === 'number')
      .map(([key, value]) => {
        const known = BENCH_LABELS[key];
        const figure = Number((value as number).toPrecision(3));
        return known ? `${known[0]} ${figure} ${known[1]}` : `${key} ${figure}`;
      });
    if (figures.length) parts.push(h('div', { class: 'muted small' }, `measured: ${figures.join(' · ')}`));
  }
  const custom = Object.entries(caps.custom ?? {});
  if (custom.length) parts.push(h('div', { class: 'muted small' }, `offers ${custom.map(([name, n]) => `${name}:${n}`).join(', ')}`));
  return parts;
}

export function createWorkers(body: HTMLElement, lostBody: HTMLElement, count: HTMLElement, trafficLine: HTMLElement): WorkersView {
  const seen = new Map<string, Seen>();
  const fetched = new Map<string, number>();
  const produced = new Map<string, number>();
  const lastHeard = new Map<string, number>();
  const lostReasons = new Map<string, string>();
  const model = new WorkerListModel();
  const scroller = body.closest<HTMLElement>('.scroll-x');
  const padTop = h('tbody', { class: 'pad', 'aria-hidden': 'true' });
  const padBottom = h('tbody', { class: 'pad', 'aria-hidden': 'true' });
  body.before(padTop);
  body.after(padBottom);
  let lastDraining: ((peerId: string) => boolean) | undefined;
  let frame = false;
  scroller?.addEventListener('scroll', () => {
    if (frame || model.size <= VIRTUALIZE_AFTER) return;
    frame = true;
    requestAnimationFrame(() => {
      frame = false;
      drawRows(Date.now());
    });
  });
  const spacer = (target: HTMLElement, px: number) => render(target, ...(px > 0 ? [h('tr', {}, h('td', { colspan: 8, style: `height:${px}px;padding:0;border:0` }))] : []));

  /** The connected workers' rows: all, or (past VIRTUALIZE_AFTER) those in view. */
  function drawRows(now: number): void {
    const virtual = model.size > VIRTUALIZE_AFTER;
    if (scroller) {
      scroller.style.maxHeight = virtual ? `${VIEWPORT_PX}px` : '';
      scroller.style.overflowY = virtual ? 'auto' : '';
    }
    const view = model.window(scroller?.scrollTop ?? 0, VIEWPORT_PX);
    const list = model.list();
    const rows: HTMLElement[] = [];
    for (let i = view.start; i < view.end; i++) {
      const element = row(list[i]!, null, now, lastDraining?.(list[i]!.peerId) ?? false);
      if (virtual) element.style.height = `${ROW_PX}px`;
      rows.push(element);
    }
    render(body, ...rows);
    spacer(padTop, view.padTop);
    spacer(padBottom, view.padBottom);
  }

  const noteRemoved = (peerId: string, now: number) => {
    const entry = seen.get(peerId);
    if (entry) entry.lostAt ??= now;
  };

  const row = (worker: WorkerSummary, lostAt: number | null, now: number, draining = false) => {
    const slots = worker.caps?.slots ?? 0;
    const state = lostAt !== null ? 'lost' : draining ? 'draining' : worker.paused ? 'paused' : worker.state === 'busy' ? 'busy' : worker.state === 'idle' ? 'connected' : worker.state;
    const cores = worker.caps?.cores ?? 0;
    const reason = lostAt !== null ? lostReasons.get(worker.peerId) : undefined;
    const store = worker.store;
    const use = h('div', { class: 'slots' }, ...Array.from({ length: Math.min(slots, 32) }, (_, i) => h('i', { class: i < worker.running && lostAt === null ? 'on' : '' })));
    return h(
      'tr',
      lostAt === null ? { 'data-peer': worker.peerId } : { 'data-lost-peer': worker.peerId, class: 'lost' },
      h('td', {}, h('strong', {}, worker.name ?? '—'), h('div', {}, h('code', { class: 'small' }, worker.peerId))),
      h('td', {}, ...device(worker.caps)),
      h(
        'td',
        {},
        h('span', { class: `state ${state}` }, state),
        lostAt !== null ? h('div', { class: 'muted small' }, `${reason ? `${reason}, ` : ''}left ${ago(lostAt, now)}`) : null,
        state === 'paused' ? h('div', { class: 'muted small' }, worker.running > 0 ? `gets no new tasks; finishing ${worker.running}` : 'gets no new tasks') : null,
      ),
      h(
        'td',
        {},
        use,
        h('span', { class: 'small' }, `${lostAt === null ? worker.running : 0} / ${slots}`),
        slots > 0 && slots < cores ? h('div', { class: 'muted small', title: "its volunteer's core cap" }, `capped at ${slots} of ${cores} cores`) : null,
      ),
      h('td', {}, worker.tasksDone),
      h('td', {}, store ? `${bytes(store.memoryBytes)} / ${bytes(store.spilledBytes)}` : '—', store ? h('div', { class: 'muted small' }, `${store.objects} objects`) : null),
      h('td', {}, `${bytes(fetched.get(worker.peerId) ?? 0)} / ${bytes(produced.get(worker.peerId) ?? 0)}`),
      h('td', {}, ago(lastHeard.get(worker.peerId) ?? null, now)),
    );
  };

  return {
    apply(diff) {
      const now = Date.now();
      model.apply(diff);
      for (const worker of diff.changed) seen.set(worker.peerId, { summary: worker, lostAt: null });
      for (const peerId of diff.removed) noteRemoved(peerId, now);
    },
    rendered: () => ({ rows: body.querySelectorAll('tr[data-peer]').length, workers: model.size }),
    update(workers, traffic, draining) {
      const now = Date.now();
      lastDraining = draining;
      if (workers) {
        const before = new Set(model.list().map((worker) => worker.peerId));
        model.replace(workers);
        for (const worker of workers) {
          before.delete(worker.peerId);
          seen.set(worker.peerId, { summary: worker, lostAt: null });
        }
        for (const peerId of before) noteRemoved(peerId, now);
      }
      const lost: Seen[] = [];
      for (const [peerId, entry] of seen) {
        if (entry.lostAt === null) continue;
        if (model.has(peerId)) {
          entry.lostAt = null; // re-admitted
          continue;
        }
        if (now - entry.lostAt > LOST_KEPT_MS) {
          seen.delete(peerId);
          lostReasons.delete(peerId);
        } else lost.push(entry);
      }
      count.textContent = String(model.size);
      drawRows(now);
      render(lostBody, ...lost.map((entry) => row(entry.summary, entry.lostAt, now)));
      if (model.size === 0 && lost.length === 0) render(lostBody, h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No workers yet: open the join link on any device.')));
      if (traffic) {
        trafficLine.textContent =
          `This tab: control messages ${bytes(traffic.controlBytesIn)} in / ${bytes(traffic.controlBytesOut)} out · ` +
          `objects served ${traffic.objectsServed} (${bytes(traffic.objectBytesServed)}) · fetched ${traffic.objectsFetched} (${bytes(traffic.objectBytesFetched)})`;
      }
    },
    noteTask(event) {
      if (event.kind === 'dispatched' && event.fetchBytes > 0) fetched.set(event.workerId, (fetched.get(event.workerId) ?? 0) + event.fetchBytes);
      else if (event.kind === 'finished' && event.bytes > 0) produced.set(event.workerId, (produced.get(event.workerId) ?? 0) + event.bytes);
    },
    noteLost(peerId, reason) {
      lostReasons.set(peerId, reason);
    },
    heard(peerId) {
      lastHeard.set(peerId, Date.now());
    },
  };
}
