/**
 * Tune: each `cluster.tune` run of this tab's jobs as a chart of every
 * trial's metric per iteration (one line per trial), with trials stopped
 * early by ASHA drawn dashed and marked ✕ where they stopped, and a table
 * of trials (config, status, iterations, last metric; the best one marked).
 *
 * `tuneLog` is fed by collections.ts (tune's onUpdate, every ~250 ms); the
 * view draws from it, throttled, in a <section> of its own added after the
 * Datasets or Queries view, so the page's HTML needs no edit. For tests:
 * `polyline[data-trial]` carries `data-status`.
 */
import type { TuneUpdate } from '@shoal/train';
import { h, render, throttled } from '../../dom.ts';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const HEIGHT = 200;

export class TuneLog {
  private readonly runs: TuneUpdate[] = [];
  private readonly listeners = new Set<() => void>();

  /** A run's latest state; a run is new when its trial list is new. */
  update(update: TuneUpdate): void {
    const at = this.runs.findIndex((run) => run.trials[0]?.config === update.trials[0]?.config); // a run's configs keep their identity
    if (at >= 0) this.runs[at] = update;
    else this.runs.push(update);
    if (this.runs.length > 5) this.runs.shift();
    for (const listener of this.listeners) listener();
  }
  list(): readonly TuneUpdate[] {
    return this.runs;
  }
  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const tuneLog = new TuneLog();

function svg(name: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

function chart(run: TuneUpdate): SVGElement {
  const values = run.trials.flatMap((t) => t.curve.map((m) => Number((m as Record<string, unknown>)[run.metric])).filter(Number.isFinite));
  const longest = Math.max(1, ...run.trials.map((t) => t.curve.length));
  const lo = Math.min(...values, 0);
  const hi = Math.max(...values, lo + 1e-9);
  const x = (i: number) => 30 + (i / Math.max(1, longest - 1)) * (WIDTH - 40);
  const y = (v: number) => HEIGHT - 20 - ((v - lo) / (hi - lo)) * (HEIGHT - 30);
  const root = svg('svg', { width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'tune-chart' });
  root.append(svg('line', { x1: 30, y1: HEIGHT - 20, x2: WIDTH - 10, y2: HEIGHT - 20, stroke: '#888' }));
  run.trials.forEach((trial, k) => {
    const points = trial.curve.map((m, i) => [x(i), y(Number((m as Record<string, unknown>)[run.metric]))] as const).filter(([, py]) => Number.isFinite(py));
    if (points.length === 0) return;
    const color = `hsl(${(k * 67) % 360} 60% 45%)`;
    const line = svg('polyline', { points: points.map((p) => p.join(',')).join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5, 'data-trial': trial.id, 'data-status': trial.status });
    if (trial.status === 'stopped') line.setAttribute('stroke-dasharray', '4 3');
    const title = svg('title', {});
    title.textContent = `${trial.id} ${JSON.stringify(trial.config)} (${trial.status})`;
    line.append(title);
    root.append(line);
    if (trial.status === 'stopped') {
      const [px, py] = points[points.length - 1]!;
      const mark = svg('text', { x: px - 4, y: py + 4, fill: color, 'font-size': 12 });
      mark.textContent = '✕';
      root.append(mark);
    }
  });
  const label = svg('text', { x: 2, y: 12, 'font-size': 11, fill: '#666' });
  label.textContent = `${run.metric} (${run.mode}) ${hi.toPrecision(3)}…${lo.toPrecision(3)}`;
  root.append(label);
  return root;
}

export function createTuneView(root: HTMLElement, log: TuneLog = tuneLog): () => void {
  const draw = throttled(() => {
    const runs = [...log.list()].reverse().slice(0, 2);
    render(
      root,
      ...runs.map((run) => {
        const sign = run.mode === 'max' ? 1 : -1;
        const last = (t: TuneUpdate['trials'][number]) => Number((t.metrics as Record<string, unknown> | null)?.[run.metric]);
        const best = run.trials.filter((t) => t.status !== 'failed' && Number.isFinite(last(t))).sort((a, b) => sign * (last(b) - last(a)))[0];
        const wrap = h('div', { class: 'tune-run' });
        wrap.append(chart(run));
        wrap.append(
          h(
            'table',
            { class: 'tune-trials' },
            h('tr', {}, ...['trial', 'config', 'status', 'iterations', run.metric].map((t) => h('th', {}, t))),
            ...run.trials.map((t) =>
              h(
                'tr',
                { 'data-trial': t.id, 'data-status': t.status },
                h('td', {}, t === best ? `${t.id} ★` : t.id),
                h('td', {}, JSON.stringify(t.config)),
                h('td', {}, t.status === 'stopped' ? 'stopped early' : t.status),
                h('td', {}, String(t.curve.length)),
                h('td', {}, Number.isFinite(last(t)) ? last(t).toPrecision(4) : ''),
              ),
            ),
          ),
        );
        return wrap;
      }),
    );
  }, 250);
  return log.on(draw);
}

/** Adds the Tune section after the Datasets (or Queries) view and starts drawing. */
export function mountTuneView(doc: Document = document): void {
  const after = doc.getElementById('datasets-section') ?? doc.getElementById('queries-view')?.closest('section') ?? null;
  const section = h('section', { id: 'tune-section' }, h('h2', {}, 'Tune ', h('span', { class: 'muted small' }, 'each cluster.tune run: every trial’s curve; dashed with ✕: stopped early')), h('div', { id: 'tune-view' }));
  if (after?.parentElement) after.parentElement.insertBefore(section, after.nextSibling);
  else doc.body.append(section);
  createTuneView(section.querySelector('#tune-view') as HTMLElement);
}
