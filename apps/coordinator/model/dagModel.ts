/**
 * The job's task graph as plain nodes and edges, ready for layout (views/dag.ts).
 *
 * Edges come from each task's `deps`: an object id names its producer (the
 * task id itself, or `${taskId}.${i}` for one of several returns). An input
 * that no task of the job made (a `put`) becomes an object node. A task that
 * submitted another (`parentTaskId`) gets a dashed "spawned" edge to it.
 *
 * Past `maxNodes` the graph is grouped: one node per task name, edges summed
 * between names, edges within a name counted on the node.
 */
import type { JobModel, TaskState, TaskView } from './jobModel.ts';

export interface StateCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
}

export interface DagNode {
  id: string;
  label: string;
  kind: 'task' | 'group' | 'object';
  /** The task's state; for a group the most telling one (failed > running > queued > done). */
  state: TaskState;
  counts: StateCounts;
  /** Edges between tasks of the same group. */
  innerEdges: number;
}

export interface DagEdge {
  from: string;
  to: string;
  count: number;
  spawned: boolean;
}

export interface DagGraph {
  mode: 'tasks' | 'groups';
  nodes: DagNode[];
  edges: DagEdge[];
}

const OBJECTS_GROUP = 'objects:put';

export function groupId(name: string): string {
  return `group:${name}`;
}

function countsOf(state: TaskState): StateCounts {
  return { queued: state === 'queued' ? 1 : 0, running: state === 'running' ? 1 : 0, done: state === 'done' ? 1 : 0, failed: state === 'failed' ? 1 : 0 };
}

/** The state a group shows: any failure, else anything running, else anything queued, else done. */
export function groupState(counts: StateCounts): TaskState {
  if (counts.failed > 0) return 'failed';
  if (counts.running > 0) return 'running';
  if (counts.queued > 0) return 'queued';
  return 'done';
}

export function buildDag(model: JobModel, maxNodes = 200): DagGraph {
  return model.tasks.size > maxNodes ? grouped(model) : ungrouped(model);
}

function ungrouped(model: JobModel): DagGraph {
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  const objects = new Set<string>();
  for (const task of model.tasks.values()) {
    nodes.push({ id: task.id, label: task.name, kind: 'task', state: task.state, counts: countsOf(task.state), innerEdges: 0 });
    for (const dep of new Set(task.deps)) {
      const producer = model.producerOf(dep);
      if (producer) {
        edges.push({ from: producer.id, to: task.id, count: 1, spawned: false });
      } else {
        const id = `object:${dep}`;
        if (!objects.has(id)) {
          objects.add(id);
          nodes.push({ id, label: 'put', kind: 'object', state: 'done', counts: countsOf('done'), innerEdges: 0 });
        }
        edges.push({ from: id, to: task.id, count: 1, spawned: false });
      }
    }
    if (task.parentTaskId && model.tasks.has(task.parentTaskId)) edges.push({ from: task.parentTaskId, to: task.id, count: 1, spawned: true });
  }
  return { mode: 'tasks', nodes, edges };
}

function grouped(model: JobModel): DagGraph {
  const groups = new Map<string, DagNode>();
  const edges = new Map<string, DagEdge>();
  const groupOf = (task: TaskView): DagNode => {
    const id = groupId(task.name);
    let node = groups.get(id);
    if (!node) groups.set(id, (node = { id, label: task.name, kind: 'group', state: 'done', counts: { queued: 0, running: 0, done: 0, failed: 0 }, innerEdges: 0 }));
    return node;
  };
  const link = (from: DagNode, to: DagNode, spawned: boolean): void => {
    if (from === to) {
      from.innerEdges++;
      return;
    }
    const key = `${from.id}\u0000${to.id}\u0000${spawned}`;
    const edge = edges.get(key);
    if (edge) edge.count++;
    else edges.set(key, { from: from.id, to: to.id, count: 1, spawned });
  };
  for (const task of model.tasks.values()) {
    const node = groupOf(task);
    node.counts[task.state]++;
    for (const dep of new Set(task.deps)) {
      const producer = model.producerOf(dep);
      if (producer) {
        link(groupOf(producer), node, false);
      } else {
        let objects = groups.get(OBJECTS_GROUP);
        if (!objects) groups.set(OBJECTS_GROUP, (objects = { id: OBJECTS_GROUP, label: 'put objects', kind: 'object', state: 'done', counts: { queued: 0, running: 0, done: 0, failed: 0 }, innerEdges: 0 }));
        objects.counts.done++;
        link(objects, node, false);
      }
    }
    const parent = task.parentTaskId ? model.tasks.get(task.parentTaskId) : undefined;
    if (parent) link(groupOf(parent), node, true);
  }
  for (const node of groups.values()) if (node.kind === 'group') node.state = groupState(node.counts);
  return { mode: 'groups', nodes: [...groups.values()], edges: [...edges.values()] };
}
