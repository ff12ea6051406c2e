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
import type { JobModel, TaskState } from './jobModel.ts';

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
  return model.tasks.size > maxNodes ? new GroupedDag(model).build() : ungrouped(model);
}

/**
 * Builds the graph again and again as a job grows, cheaply: grouped, it only
 * reads the tasks submitted since the last build, and takes the counts from
 * the model's per-name figures, so a build costs O(new tasks + names).
 */
export class DagBuilder {
  private grouped: GroupedDag | null = null;

  constructor(
    private readonly model: JobModel,
    private readonly maxNodes = 200,
  ) {}

  build(): DagGraph {
    if (this.model.tasks.size <= this.maxNodes) return ungrouped(this.model);
    this.grouped ??= new GroupedDag(this.model);
    return this.grouped.build();
  }
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

class GroupedDag {
  private readonly groups = new Map<string, DagNode>();
  private readonly edges = new Map<string, DagEdge>();
  private seen = 0;
  private objects = 0;

  constructor(private readonly model: JobModel) {}

  build(): DagGraph {
    const { model } = this;
    for (; this.seen < model.order.length; this.seen++) {
      const task = model.order[this.seen]!;
      const node = this.groupOf(task.name);
      for (const dep of new Set(task.deps)) {
        const producer = model.producerOf(dep);
        if (producer) {
          this.link(this.groupOf(producer.name), node, false);
        } else {
          let objects = this.groups.get(OBJECTS_GROUP);
          if (!objects) this.groups.set(OBJECTS_GROUP, (objects = { id: OBJECTS_GROUP, label: 'put objects', kind: 'object', state: 'done', counts: { queued: 0, running: 0, done: 0, failed: 0 }, innerEdges: 0 }));
          this.objects++;
          this.link(objects, node, false);
        }
      }
      const parent = task.parentTaskId ? model.tasks.get(task.parentTaskId) : undefined;
      if (parent) this.link(this.groupOf(parent.name), node, true);
    }
    const nodes: DagNode[] = [];
    for (const node of this.groups.values()) {
      if (node.kind === 'group') {
        const stats = model.names.get(node.label);
        const counts = stats
          ? { queued: stats.submitted - stats.running - stats.done - stats.failed, running: stats.running, done: stats.done, failed: stats.failed }
          : { queued: 0, running: 0, done: 0, failed: 0 };
        nodes.push({ ...node, counts, state: groupState(counts) });
      } else {
        nodes.push({ ...node, counts: { queued: 0, running: 0, done: this.objects, failed: 0 } });
      }
    }
    return { mode: 'groups', nodes, edges: [...this.edges.values()].map((edge) => ({ ...edge })) };
  }

  private groupOf(name: string): DagNode {
    const id = groupId(name);
    let node = this.groups.get(id);
    if (!node) this.groups.set(id, (node = { id, label: name, kind: 'group', state: 'done', counts: { queued: 0, running: 0, done: 0, failed: 0 }, innerEdges: 0 }));
    return node;
  }

  private link(from: DagNode, to: DagNode, spawned: boolean): void {
    if (from === to) {
      from.innerEdges++;
      return;
    }
    const key = `${from.id}\u0000${to.id}\u0000${spawned}`;
    const edge = this.edges.get(key);
    if (edge) edge.count++;
    else this.edges.set(key, { from: from.id, to: to.id, count: 1, spawned });
  }
}
