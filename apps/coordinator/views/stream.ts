/**
 * The task stream: a live timeline on canvas, one row per worker slot (a
 * model lane), one bar per run, coloured by task name.
 *
 *   ┌ gutter ┐┌──────────── plot: time → ───────────────┐
 *   w1 · 0    ▒▒██ ███ ▒▒▒████  ███▌                     │  ▒ fetching inputs (dark strip)
 *   w1 · 1    ████ [failed] ██ ██                        │  red outline: the run failed
 *
 * Two stacked canvases: the *base* holds finished bars and is drawn
 * incrementally (only bars it has not drawn yet; following live time it
 * shifts its pixels left rather than redrawing), the *overlay* is redrawn each
 * frame and holds what moves: running tasks, the time axis, lane labels and
 * the "now" line. A full redraw happens only when the scale, the lanes or the
 * size change, so 10,000s of tasks stay cheap. Clicking a bar selects its task.
 *
 * Many workers: past `GROUP_LANES_AFTER` lanes, a worker's slots share one
 * row (its runs overlap there); past `MAX_ROWS` workers, several workers
 * share a row (labelled with the first and how many), so the canvas stays a
 * few hundred pixels tall for a room of hundreds.
 */
import { h, render } from '../../dom.ts';
import { duration, nameColour } from '../format.ts';
import type { Bar, JobModel } from '../model/jobModel.ts';

const GUTTER = 92;
const AXIS = 18;
const MAX_PLOT_HEIGHT = 360;
const WINDOWS = [5_000, 10_000, 30_000, 60_000, 300_000];
/** Past this many lanes (worker slots), each worker gets one row, not one per slot. */
export const GROUP_LANES_AFTER = 48;
/** At most this many rows: past it, consecutive workers share a row. */
export const MAX_ROWS = 96;
/** In "whole job" mode while live, the scale changes constantly: redraw everything at most this often. */
const LIVE_FULL_REDRAW_MS = 1_000;

export type StreamMode = 'follow' | 'all';

export interface StreamView {
  /** Shows `model`; `live` means its job may still be running (time goes on). */
  show(model: JobModel, live: boolean): void;
  /** Draws what changed. Cheap when nothing did. */
  update(): void;
  /** Whether the job is still running (switches to the whole job when it ends). */
  setLive(live: boolean): void;
  /** Bars drawn on the base canvas since its last full redraw, per worker. */
  drawnBars(): Record<string, number>;
  /** The middle of a task's last bar, in CSS px within the canvas, if it is in view. */
  locate(taskId: string): { x: number; y: number } | null;
}

export function createStream(root: HTMLElement, onSelect: (taskId: string) => void): StreamView {
  const base = h('canvas', { class: 'stream-base' });
  const overlay = h('canvas', { class: 'stream-overlay', 'aria-label': 'Task stream: one row per worker slot, one bar per task run' });
  const wrap = h('div', { class: 'stream-wrap' }, base, overlay);
  const legend = h('div', { class: 'legend' });
  const modeSelect = h('select', { 'aria-label': 'Time range' });
  render(modeSelect, ...WINDOWS.map((ms) => h('option', { value: String(ms) }, `last ${ms < 60_000 ? `${ms / 1000} s` : `${ms / 60_000} min`}`)), h('option', { value: 'all' }, 'whole job'));
  modeSelect.value = '10000';
  render(root, h('div', { class: 'row stream-tools' }, legend, h('label', { class: 'muted' }, 'Show ', modeSelect)), wrap);

  let model: JobModel | null = null;
  let live = false;
  let mode: StreamMode = 'follow';
  let windowMs = 10_000;
  let dpr = 1;
  let width = 0;
  let height = 0;
  let laneH = 14;
  let rowOf: number[] = [];
  let rowLabels: Array<{ label: string; first: boolean }> = [];
  let t0 = 0;
  let pxPerMs = 0.1;
  let drawnSeq = 0;
  let drawnLaneVersion = -1;
  let drawnNames = -1;
  let needFull = true;
  let lastFull = 0;
  let counts: Record<string, number> = {};
  /** Running tasks as drawn on the overlay, for clicks. */
  let placed: Array<{ taskId: string; row: number; x0: number }> = [];
  const baseCtx = base.getContext('2d')!;
  const overCtx = overlay.getContext('2d')!;

  const plotW = () => Math.max(10, width - GUTTER);
  const X = (t: number) => GUTTER + (t - t0) * pxPerMs;
  const now = () => (live ? Math.max(Date.now(), model?.lastT ?? 0) : model?.lastT ?? 0);

  modeSelect.addEventListener('change', () => {
    if (modeSelect.value === 'all') mode = 'all';
    else {
      mode = 'follow';
      windowMs = Number(modeSelect.value);
    }
    needFull = true;
    update();
  });
  new ResizeObserver(() => {
    needFull = true;
    update();
  }).observe(wrap);
  overlay.addEventListener('click', (event) => {
    const hit = hitTest(event.offsetX, event.offsetY);
    if (hit) onSelect(hit);
  });
  overlay.addEventListener('mousemove', (event) => {
    const hit = hitTest(event.offsetX, event.offsetY);
    overlay.style.cursor = hit ? 'pointer' : 'default';
    const task = hit ? model?.tasks.get(hit) : undefined;
    overlay.title = task ? `${task.name} ${task.id} · ${task.state}${task.durationMs !== null ? ` · ${duration(task.durationMs)}` : ''}${task.fetchBytes ? ' · fetched inputs' : ''}` : '';
  });

  function layoutRows(): void {
    if (!model) return;
    const layout = laneRows(model.workerLanes, model.lanes.length, (workerId) => model!.workerNames.get(workerId) ?? workerId);
    rowOf = layout.rowOf;
    rowLabels = layout.labels;
    laneH = Math.max(4, Math.min(22, Math.floor(MAX_PLOT_HEIGHT / Math.max(1, rowLabels.length))));
    const wanted = AXIS + Math.max(1, rowLabels.length) * laneH + 2;
    if (wanted !== height) {
      height = wanted;
      wrap.style.height = `${height}px`;
    }
    drawnLaneVersion = model.laneVersion;
  }

  function resize(): void {
    dpr = window.devicePixelRatio || 1;
    width = Math.max(200, Math.floor(wrap.clientWidth));
    for (const canvas of [base, overlay]) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    baseCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
    overCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  /** Clears a strip of the plot to its row shading. */
  function clearPlot(x: number, w: number): void {
    baseCtx.clearRect(x, 0, w, height);
    baseCtx.fillStyle = '#f4f6f9';
    for (let row = 0; row < rowLabels.length; row++) if (row % 2 === 1) baseCtx.fillRect(x, AXIS + row * laneH, w, laneH);
  }

  /**
   * Finished runs waiting to be filled, per row: consecutive ones of one
   * colour that touch (within half a pixel) are one rectangle. A busy
   * stream has dozens of short runs per pixel of a lane; filling each cost
   * more of the coordinator tab than the tasks' own bookkeeping.
   */
  const spans = new Map<number, { x0: number; x1: number; colour: string }>();

  function fillSpan(row: number): void {
    const span = spans.get(row);
    if (!span) return;
    spans.delete(row);
    baseCtx.fillStyle = span.colour;
    baseCtx.fillRect(span.x0, AXIS + row * laneH + 1, span.x1 - span.x0, laneH - 2);
  }

  function fillSpans(): void {
    for (const row of [...spans.keys()]) fillSpan(row);
  }

  function drawBar(bar: Bar): void {
    const row = rowOf[bar.lane];
    if (row === undefined || !model) return;
    const x0 = X(bar.from);
    const xr = X(bar.runStart);
    const x1 = Math.max(X(bar.end), xr + 1);
    if (x1 < GUTTER - 1 || x0 > width + 1) return;
    const workerId = model.lanes[bar.lane]?.workerId;
    if (workerId) counts[workerId] = (counts[workerId] ?? 0) + 1;
    if (bar.outcome === 'done' && bar.fetchBytes === 0) {
      const colour = nameColour(bar.nameIndex);
      const span = spans.get(row);
      if (span && span.colour === colour && xr <= span.x1 + 0.5 && x1 >= span.x0 - 0.5) {
        span.x0 = Math.min(span.x0, xr);
        span.x1 = Math.max(span.x1, x1);
        return;
      }
      fillSpan(row);
      spans.set(row, { x0: xr, x1, colour });
      return;
    }
    fillSpan(row); // what came before it on this row is drawn under it
    const y = AXIS + row * laneH + 1;
    const bh = laneH - 2;
    if (bar.fetchBytes > 0) {
      // Transfer marker: a dark strip while inputs were fetched, and a tick where it began.
      baseCtx.fillStyle = '#1e293b';
      baseCtx.fillRect(x0, y + bh * 0.35, Math.max(1, xr - x0), Math.max(1, bh * 0.3));
      baseCtx.fillRect(x0, y, 1.5, bh);
    }
    if (bar.outcome === 'done') {
      baseCtx.fillStyle = nameColour(bar.nameIndex);
      baseCtx.fillRect(xr, y, x1 - xr, bh);
    } else {
      baseCtx.fillStyle = bar.outcome === 'failed' ? '#fecaca' : '#e2e8f0';
      baseCtx.fillRect(xr, y, Math.max(3, x1 - xr), bh);
      baseCtx.strokeStyle = bar.outcome === 'failed' ? '#dc2626' : '#64748b';
      baseCtx.lineWidth = 2;
      baseCtx.strokeRect(xr + 1, y + 1, Math.max(3, x1 - xr) - 2, bh - 2);
    }
  }

  function fullRedraw(): void {
    if (!model) return;
    layoutRows();
    resize();
    drawLabels();
    const end = now();
    const start = model.firstT ?? end;
    if (mode === 'all') {
      t0 = start;
      // A few pixels spare on the right, so the last runs are not on the edge.
      pxPerMs = (plotW() - 6) / Math.max(50, end - start);
    } else {
      pxPerMs = plotW() / windowMs;
      t0 = Math.max(start, end - windowMs * 0.9);
    }
    clearPlot(0, width);
    counts = {};
    const left = t0;
    spans.clear();
    for (const bar of model.bars) if (bar.end >= left) drawBar(bar);
    fillSpans();
    drawnSeq = model.nextSeq;
    needFull = false;
    lastFull = performance.now();
  }

  function drawNew(): void {
    if (!model || model.bars.length === 0 || drawnSeq >= model.nextSeq) return;
    const first = model.bars[0]!.seq;
    for (let i = Math.max(0, drawnSeq - first); i < model.bars.length; i++) drawBar(model.bars[i]!);
    fillSpans();
    drawnSeq = model.nextSeq;
  }

  /** In follow mode, keeps "now" inside the plot by sliding the base canvas's pixels left. */
  function follow(): void {
    const x = X(now());
    if (x <= width - 8) return;
    const shift = Math.ceil(x - (GUTTER + plotW() * 0.75));
    if (shift >= plotW()) {
      needFull = true;
      return;
    }
    baseCtx.save();
    baseCtx.setTransform(1, 0, 0, 1, 0, 0);
    const sx = Math.round((GUTTER + shift) * dpr);
    const dx = Math.round(GUTTER * dpr);
    const w = base.width - sx;
    baseCtx.drawImage(base, sx, 0, w, base.height, dx, 0, w, base.height);
    baseCtx.restore();
    clearPlot(width - shift, shift);
    t0 += shift / pxPerMs;
  }

  function drawOverlay(): void {
    if (!model) return;
    overCtx.clearRect(0, 0, width, height);
    // Gutter (lane labels) and worker separators: drawn once per layout, copied each frame.
    if (!labels || labels.width !== overlay.width || labels.height !== overlay.height) drawLabels();
    overCtx.drawImage(labels!, 0, 0, width, height);
    // Time axis, relative to the job's first event.
    const origin = model.firstT ?? t0;
    const spanMs = plotW() / pxPerMs;
    const step = niceStep(spanMs / 8);
    overCtx.fillStyle = '#5b6877';
    overCtx.font = '10px system-ui, sans-serif';
    overCtx.textBaseline = 'top';
    for (let t = Math.ceil((t0 - origin) / step) * step; t <= t0 - origin + spanMs; t += step) {
      const x = X(origin + t);
      overCtx.fillRect(x, AXIS - 4, 1, 4);
      const label = tickLabel(t, step);
      if (x + 2 + overCtx.measureText(label).width <= width) overCtx.fillText(label, x + 2, 2);
    }
    // Running tasks grow until they end. A worker's in-flight tasks run in the order
    // they were sent: the first ones take its lanes (freed first first); the rest wait there.
    const end = now();
    placed = [];
    overCtx.font = '10px system-ui, sans-serif';
    overCtx.textBaseline = 'middle';
    for (const [workerId, inflight] of model.inflight) {
      if (inflight.size === 0) continue;
      const lanes = [...(model.workerLanes.get(workerId) ?? [])].sort((a, b) => model!.lanes[a]!.lastEnd - model!.lanes[b]!.lastEnd);
      let i = 0;
      for (const taskId of inflight) {
        const lane = lanes[i++];
        const task = model.tasks.get(taskId);
        const row = lane === undefined ? undefined : rowOf[lane];
        if (lane === undefined || row === undefined || !task || task.dispatchedAt === null) break;
        const x0 = Math.max(GUTTER, X(Math.max(task.dispatchedAt, model.lanes[lane]!.lastEnd)));
        const x1 = Math.max(x0 + 2, X(end));
        overCtx.globalAlpha = 0.45;
        overCtx.fillStyle = nameColour(model.names.get(task.name)?.index ?? 0);
        overCtx.fillRect(x0, AXIS + row * laneH + 1, x1 - x0, laneH - 2);
        overCtx.globalAlpha = 1;
        placed.push({ taskId, row, x0 });
      }
      const waiting = inflight.size - lanes.length;
      const firstRow = lanes.length ? Math.min(...lanes.map((lane) => rowOf[lane] ?? 0)) : -1;
      if (waiting > 0 && firstRow >= 0) {
        overCtx.fillStyle = '#64748b';
        overCtx.fillText(`+${waiting}`, GUTTER - 26, AXIS + firstRow * laneH + laneH / 2, 24);
      }
    }
    if (live) {
      overCtx.fillStyle = '#a4161a';
      overCtx.fillRect(Math.min(width - 1, X(end)), AXIS, 1, height - AXIS);
    }
  }

  /** The layer of lane labels and worker separators (an offscreen canvas the size of the overlay). */
  let labels: HTMLCanvasElement | null = null;
  function drawLabels(): void {
    labels ??= document.createElement('canvas');
    labels.width = overlay.width;
    labels.height = overlay.height;
    const ctx = labels.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, GUTTER, height);
    ctx.font = `${Math.min(12, laneH - 2)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    rowLabels.forEach((row, i) => {
      const y = AXIS + i * laneH;
      if (row.first && i > 0) {
        ctx.fillStyle = '#94a3b8';
        ctx.fillRect(0, y, width, 1);
      }
      if (laneH >= 8 && (row.first || laneH >= 11)) {
        ctx.fillStyle = row.first ? '#1b2330' : '#64748b';
        ctx.fillText(row.label, 4, y + laneH / 2, GUTTER - 8);
      }
    });
  }

  function drawLegend(): void {
    if (!model) return;
    drawnNames = model.names.size;
    render(
      legend,
      ...[...model.names.values()].slice(0, 24).map((stats) => h('span', { class: 'key' }, h('i', { style: `background:${nameColour(stats.index)}` }), stats.name)),
      h('span', { class: 'key' }, h('i', { class: 'key-transfer' }), 'fetching inputs'),
      h('span', { class: 'key' }, h('i', { class: 'key-failed' }), 'failed'),
    );
  }

  function hitTest(x: number, y: number): string | null {
    if (!model || x < GUTTER || y < AXIS) return null;
    const row = Math.floor((y - AXIS) / laneH);
    const t = t0 + (x - GUTTER) / pxPerMs;
    const slack = 3 / pxPerMs;
    for (const run of placed) if (run.row === row && x >= run.x0 - 3) return run.taskId;
    let best: Bar | null = null;
    for (let i = model.bars.length - 1; i >= 0; i--) {
      const bar = model.bars[i]!;
      if (rowOf[bar.lane] !== row || t < bar.from - slack || t > bar.end + slack) continue;
      // Prefer a failed bar where several are within reach.
      if (!best || (bar.outcome === 'failed' && best.outcome !== 'failed')) best = bar;
      if (best.outcome === 'failed') break;
    }
    return best?.taskId ?? null;
  }

  function update(): void {
    if (!model || wrap.clientWidth === 0) return;
    if (model.names.size !== drawnNames) drawLegend();
    if (model.laneVersion !== drawnLaneVersion || Math.floor(wrap.clientWidth) !== width) needFull = true;
    if (mode === 'all' && live && performance.now() - lastFull > LIVE_FULL_REDRAW_MS) needFull = true;
    if (needFull) fullRedraw();
    else {
      if (mode === 'follow' && live) follow();
      if (needFull) fullRedraw();
      else drawNew();
    }
    drawOverlay();
  }

  return {
    show(next, isLive) {
      model = next;
      live = isLive;
      mode = isLive ? 'follow' : 'all';
      modeSelect.value = isLive ? String(windowMs) : 'all';
      drawnNames = -1;
      needFull = true;
      update();
    },
    update,
    setLive(isLive) {
      if (live === isLive) return;
      live = isLive;
      if (!isLive) {
        mode = 'all';
        modeSelect.value = 'all';
      }
      needFull = true;
      update();
    },
    drawnBars: () => ({ ...counts }),
    locate(taskId) {
      if (!model) return null;
      for (let i = model.bars.length - 1; i >= 0; i--) {
        const bar = model.bars[i]!;
        const row = rowOf[bar.lane];
        if (bar.taskId !== taskId || row === undefined) continue;
        const x = (Math.max(GUTTER, X(bar.runStart)) + Math.min(width, Math.max(X(bar.end), X(bar.runStart) + 3))) / 2;
        return x >= GUTTER && x <= width ? { x, y: AXIS + row * laneH + laneH / 2 } : null;
      }
      return null;
    },
  };
}

/**
 * Which canvas row each lane is drawn in, and the rows' labels: one row per
 * lane (worker slot); past `GROUP_LANES_AFTER` lanes one per worker; past
 * `MAX_ROWS` workers, `k` consecutive workers per row. Pure, for tests.
 */
export function laneRows(workerLanes: ReadonlyMap<string, readonly number[]>, laneCount: number, nameOf: (workerId: string) => string): { rowOf: number[]; labels: Array<{ label: string; first: boolean }> } {
  const rowOf: number[] = new Array(laneCount).fill(0);
  const labels: Array<{ label: string; first: boolean }> = [];
  if (laneCount <= GROUP_LANES_AFTER) {
    for (const [workerId, lanes] of workerLanes) {
      const name = nameOf(workerId);
      lanes.forEach((lane, slot) => {
        rowOf[lane] = labels.length;
        labels.push({ label: slot === 0 ? `${name} · ${slot}` : `· ${slot}`, first: slot === 0 });
      });
    }
    return { rowOf, labels };
  }
  const perRow = Math.max(1, Math.ceil(workerLanes.size / MAX_ROWS));
  let i = 0;
  for (const [workerId, lanes] of workerLanes) {
    const row = Math.floor(i / perRow);
    if (i % perRow === 0) labels.push({ label: perRow === 1 ? nameOf(workerId) : `${nameOf(workerId)} +${Math.min(perRow, workerLanes.size - i) - 1}`, first: true });
    for (const lane of lanes) rowOf[lane] = row;
    i += 1;
  }
  return { rowOf, labels };
}

/** "0", "250 ms", "1.5 s", "2 min": as short as the step allows. */
function tickLabel(ms: number, step: number): string {
  if (ms === 0) return '0';
  if (step < 1000) return `${Math.round(ms)} ms`;
  if (step < 60_000) return `${Number((ms / 1000).toFixed(step % 1000 ? 1 : 0))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

function niceStep(raw: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
  return steps.find((step) => step >= raw) ?? 600_000;
}
