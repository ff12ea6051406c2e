/**
 * The job's graph (model/dagModel.ts), laid out by dagre and drawn as SVG:
 * nodes coloured by state, grouped by task name past 200 tasks (a group shows
 * its counts and a small done/failed/running bar). Clicking a node selects
 * the task, or the group, for the detail panel.
 *
 * Layout is the costly part, so it runs only when the graph's shape changes,
 * at most every 1.5 s while a job runs; otherwise nodes are just recoloured.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { h, render } from '../../dom.ts';
import { STATE_COLOURS } from '../format.ts';
import { DagBuilder, type DagGraph, type DagNode } from '../model/dagModel.ts';
import type { JobModel } from '../model/jobModel.ts';

const SVG = 'http://www.w3.org/2000/svg';
const RELAYOUT_MS = 1_500;
/** The box's height in CSS px (.dag svg's max-height). */
const MAX_HEIGHT = 496;

type Laid = Graph<{ rankdir: string; nodesep: number; ranksep: number; marginx: number; marginy: number; width?: number; height?: number }, { width: number; height: number; x?: number; y?: number }, { points?: Array<{ x: number; y: number }> }>;

/** Runs dagre over the graph's nodes (sized for their labels) and edges. */
function layOut(graph: DagGraph, rankdir: 'LR' | 'TB'): Laid {
  const grouped = graph.mode === 'groups';
  const g: Laid = new Graph({ multigraph: false });
  g.setGraph({ rankdir, nodesep: grouped ? 18 : 6, ranksep: grouped ? 60 : 30, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: grouped ? 170 : Math.min(150, Math.max(56, 14 + node.label.length * 6.5)), height: grouped ? 46 : 22 });
  for (const edge of graph.edges) if (edge.from !== edge.to) g.setEdge(edge.from, edge.to, {});
  layout(g);
  return g;
}

export type DagSelection = { kind: 'task'; taskId: string } | { kind: 'group'; name: string };

export interface DagView {
  show(model: JobModel, live: boolean): void;
  setLive(live: boolean): void;
  update(): void;
  /** Highlights a task's node (or its group's). */
  highlight(taskId: string | null): void;
  snapshot(): { mode: 'tasks' | 'groups'; nodes: number; edges: number };
}

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  element.append(...children);
  return element;
}

/** What the layout depends on: grouped edges' counts are drawn as labels, so they count too. */
function shape(graph: DagGraph): string {
  return `${graph.mode}|${graph.nodes.length}|${graph.edges.length}|${graph.mode === 'groups' ? graph.edges.reduce((sum, edge) => sum + edge.count, 0) : 0}`;
}

export function createDag(root: HTMLElement, onSelect: (selection: DagSelection) => void): DagView {
  const info = h('span', { class: 'muted' });
  const fit = h('input', { type: 'checkbox', checked: true });
  const canvas = h('div', { class: 'dag', id: 'dag' });
  render(root, h('div', { class: 'row' }, info, h('label', { class: 'muted' }, fit, ' fit to box')), canvas);
  fit.addEventListener('change', () => canvas.classList.toggle('natural', !fit.checked));

  let model: JobModel | null = null;
  let builder: DagBuilder | null = null;
  let live = false;
  let laidOut = '';
  let lastLayout = 0;
  let graph: DagGraph = { mode: 'tasks', nodes: [], edges: [] };
  let elements = new Map<string, { box: SVGRectElement; group: SVGGElement; counts: SVGTextElement | null; parts: SVGRectElement[]; width: number }>();
  let highlighted: string | null = null;

  function draw(next: DagGraph): void {
    graph = next;
    laidOut = shape(next);
    lastLayout = performance.now();
    elements = new Map();
    if (next.nodes.length === 0) {
      render(canvas, h('p', { class: 'muted' }, 'The current job’s task graph appears here.'));
      info.textContent = '';
      return;
    }
    const grouped = next.mode === 'groups';
    // Left to right suits most jobs (fan-outs stack up); a long chain fits the box better top to bottom.
    let g = layOut(next, 'LR');
    const fits = (graph: typeof g) => {
      const size = graph.graph();
      return Math.min(1, (canvas.clientWidth || 700) / (size.width ?? 1), MAX_HEIGHT / (size.height ?? 1));
    };
    if (fits(g) < 0.6) {
      const tall = layOut(next, 'TB');
      if (fits(tall) > fits(g)) g = tall;
    }
    const size = g.graph();
    const width = Math.ceil(size.width ?? 100);
    const height = Math.ceil(size.height ?? 100);
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `task graph: ${next.nodes.length} ${grouped ? 'groups' : 'nodes'}` });
    svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 6, markerHeight: 6, orient: 'auto' }, s('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#94a3b8' }))));
    const edgeLayer = s('g', { class: 'edges' });
    for (const edge of next.edges) {
      const points = g.edge(edge.from, edge.to)?.points;
      if (!points || points.length === 0) continue;
      const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      const path = s('path', { d, class: edge.spawned ? 'edge spawned' : 'edge', 'marker-end': 'url(#arrow)' });
      edgeLayer.append(path);
      if (grouped && edge.count > 1) {
        const mid = points[Math.floor(points.length / 2)]!;
        edgeLayer.append(s('text', { x: mid.x, y: mid.y - 3, class: 'edge-label' }, `×${edge.count}`));
      }
    }
    svg.append(edgeLayer);
    const nodeLayer = s('g', { class: 'nodes' });
    for (const node of next.nodes) {
      const placed = g.node(node.id);
      if (!placed || placed.x === undefined || placed.y === undefined) continue;
      const x = placed.x - placed.width / 2;
      const y = placed.y - placed.height / 2;
      const box = s('rect', { x, y, width: placed.width, height: placed.height, rx: 4 });
      const group = s('g', { class: `node ${node.kind}`, 'data-id': node.id, tabindex: 0 }, box);
      group.append(s('title', {}, node.kind === 'task' ? `${node.label} ${node.id}` : node.label));
      const label = s('text', { x: x + 6, y: y + (grouped ? 14 : 15) }, node.label.length > 24 ? `${node.label.slice(0, 23)}…` : node.label);
      group.append(label);
      let counts: SVGTextElement | null = null;
      const parts: SVGRectElement[] = [];
      if (grouped) {
        counts = s('text', { x: x + 6, y: y + 28, class: 'small' });
        group.append(counts);
        for (const kind of ['done', 'failed', 'running', 'queued'] as const) {
          const part = s('rect', { x: x + 6, y: y + 34, width: 0, height: 6, fill: STATE_COLOURS[kind] });
          parts.push(part);
          group.append(part);
        }
      }
      if (node.kind !== 'object') group.addEventListener('click', () => onSelect(node.kind === 'task' ? { kind: 'task', taskId: node.id } : { kind: 'group', name: node.label }));
      nodeLayer.append(group);
      elements.set(node.id, { box, group, counts, parts, width: placed.width - 12 });
    }
    svg.append(nodeLayer);
    render(canvas, svg);
    info.textContent = grouped ? `${model?.tasks.size ?? 0} tasks in ${next.nodes.length} groups (by name)` : `${next.nodes.length} nodes, ${next.edges.length} edges`;
    colour(next);
    if (highlighted) highlight(highlighted);
  }

  function colour(next: DagGraph): void {
    graph = next;
    for (const node of next.nodes) {
      const element = elements.get(node.id);
      if (!element) continue;
      element.box.setAttribute('fill', node.kind === 'object' ? '#f1f5f9' : node.kind === 'group' ? '#ffffff' : STATE_COLOURS[node.state]);
      element.box.setAttribute('stroke', node.state === 'failed' ? '#dc2626' : node.kind === 'group' ? STATE_COLOURS[node.state] : '#64748b');
      element.group.dataset['state'] = node.state;
      if (element.counts) element.counts.textContent = countsText(node);
      const total = Math.max(1, node.counts.done + node.counts.failed + node.counts.running + node.counts.queued);
      let offset = Number(element.parts[0]?.getAttribute('x') ?? 0);
      (['done', 'failed', 'running', 'queued'] as const).forEach((kind, i) => {
        const part = element.parts[i];
        if (!part) return;
        const w = (element.width * node.counts[kind]) / total;
        part.setAttribute('x', offset.toFixed(1));
        part.setAttribute('width', w.toFixed(1));
        offset += w;
      });
    }
  }

  function highlight(taskId: string | null): void {
    highlighted = taskId;
    for (const element of elements.values()) element.group.classList.remove('selected');
    if (!taskId || !model) return;
    const task = model.tasks.get(taskId);
    const id = graph.mode === 'groups' ? (task ? `group:${task.name}` : null) : taskId;
    const element = id ? elements.get(id) : undefined;
    element?.group.classList.add('selected');
  }

  function update(force = false): void {
    if (!model || !builder) return;
    if (!force && live && performance.now() - lastLayout < 500) return;
    const next = builder.build();
    if (shape(next) !== laidOut && (force || !live || performance.now() - lastLayout >= RELAYOUT_MS)) draw(next);
    else colour(next);
  }

  return {
    show(next, isLive) {
      model = next;
      builder = new DagBuilder(next);
      live = isLive;
      laidOut = '';
      highlighted = null;
      update(true);
    },
    setLive(isLive) {
      live = isLive;
      update(true);
    },
    update: () => update(),
    highlight,
    snapshot: () => ({ mode: graph.mode, nodes: graph.nodes.length, edges: graph.edges.length }),
  };
}

function countsText(node: DagNode): string {
  const { done, failed, running, queued } = node.counts;
  if (node.kind === 'object') return `${done} object${done === 1 ? '' : 's'}`;
  const total = done + failed + running + queued;
  const parts = [`${total} task${total === 1 ? '' : 's'}`, `${done} done`];
  if (running) parts.push(`${running} running`);
  if (queued) parts.push(`${queued} queued`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(' · ') + (node.innerEdges ? ` · ${node.innerEdges} inner edges` : '');
}
