/**
 * The physical planner: cuts an analyzed, optimized plan into stages at
 * exchanges. Pure: plan and conf in, stages out.
 *
 * Walking the tree bottom-up, each node either extends the open fragment's
 * pipeline (filter, project, a broadcast join's big side) or closes it as a
 * stage with an exchange output and opens a new fragment reading it:
 * - aggregate: map-side partial aggregation, hash exchange on the keys
 *   (one task when there are none), final aggregation;
 * - join: the small side broadcast when under the threshold, else both
 *   sides hash-exchanged on the keys;
 * - sort: sample, range exchange by the sampled bounds, sort per partition;
 * - limit: per-partition limit, gather, limit;
 * - distinct, window, repartition: hash exchange on their keys;
 * - union: a stage whose tasks are its inputs' tasks;
 * - mapPartitions: a JS stage over each partition.
 */
import { ShoalError } from '@shoal/protocol';
import { alias, conjuncts, type Expr, type SortKey } from './expr.ts';
import { exprName } from './naming.ts';
import type { Plan, Schema, Source } from './plan.ts';
import { schemaOf } from './analyze.ts';
import { estimateBytes } from './estimate.ts';
import { finalAggregate, partialAggregate } from './partialAgg.ts';
import { stageLeaf, type DataFrameConf, type PhysicalPlan, type Stage, type StageOutput, type StageRead } from './stages.ts';

interface Fragment {
  plan: Plan;
  scan: Source | null;
  reads: StageRead[];
  steps: string[];
  ordering: readonly SortKey[] | null;
  /** Tasks this fragment will run as (estimate, for broadcast choices). */
  bytes: number;
}

export function physicalPlan(plan: Plan, conf: DataFrameConf): PhysicalPlan {
  const stages: Stage[] = [];
  const close = (f: Fragment, output: StageOutput, extra: Partial<Stage> = {}): number => {
    const id = stages.length;
    const label = f.steps.length ? f.steps.join('+') : 'read';
    stages.push({
      id,
      name: `${label}${output.kind === 'single' ? '' : ` → ${output.kind}`}`,
      kind: 'sql',
      plan: f.plan,
      scan: f.scan,
      reads: f.reads,
      output,
      schema: schemaOf(f.plan),
      ordering: f.ordering,
      estimatedBytes: f.bytes,
      ...extra,
    });
    return id;
  };
  const read = (stage: number, mode: StageRead['mode'], steps: string[], bytes: number): Fragment => ({
    plan: stageLeaf(stage, stages[stage]!.schema),
    scan: null,
    reads: [{ stage, mode }],
    steps,
    ordering: null,
    bytes,
  });
  const n = conf.shufflePartitions;

  const walk = (p: Plan): Fragment => {
    switch (p.kind) {
      case 'source':
        if (p.source.kind === 'stage') throw new ShoalError('ERR_INTERNAL', 'a stage read in a logical plan');
        return { plan: p, scan: p.source, reads: [], steps: ['scan'], ordering: null, bytes: estimateBytes(p) };
      case 'filter':
      case 'project': {
        const f = walk(p.input);
        return { ...f, plan: { ...p, input: f.plan }, steps: [...f.steps, p.kind], bytes: estimateBytes(p) };
      }
      case 'subqueryAlias':
        return walk(p.input);
      case 'aggregate': {
        const f = walk(p.input);
        const keys = p.groupBy.map(exprName);
        const partial = partialAggregate(p.groupBy, p.aggs, schemaOf(p.input));
        const mapPlan: Plan = partial ? { kind: 'aggregate', input: f.plan, groupBy: p.groupBy, aggs: partial.aggs } : f.plan;
        const mapSteps = partial ? [...f.steps, 'partial agg'] : f.steps;
        const id = close({ ...f, plan: mapPlan, steps: mapSteps }, keys.length ? { kind: 'hash', keys, n, grow: true } : { kind: 'single' }, partial && keys.length ? { partialAgg: true } : {});
        const next = read(id, keys.length ? 'shuffle' : 'all', ['agg'], estimateBytes(p));
        const groupCols = keys.map((k): Expr => ({ kind: 'col', name: k }));
        const final = partial ? finalAggregate(partial, p.aggs, groupCols) : null;
        const finalInput: Plan = final?.windows.length ? { kind: 'window', input: next.plan, exprs: final.windows } : next.plan;
        const finalPlan: Plan = final ? { kind: 'aggregate', input: finalInput, groupBy: groupCols, aggs: final.aggs } : { kind: 'aggregate', input: next.plan, groupBy: p.groupBy, aggs: p.aggs };
        return { ...next, plan: finalPlan };
      }
      case 'join':
        return join(p);
      case 'sort': {
        const f = walk(p.input);
        const key = p.keys[0]!;
        // Rows that are cheap to make again (cached blocks, kept in the workers' engines, or a range) are not
        // exported just to be read back: the sample stage sends only its sample, and the range stage recomputes them.
        const cheap = f.reads.length === 0 && (f.scan?.kind === 'blocks' || f.scan?.kind === 'range');
        const sampled = close({ ...f }, { kind: 'sample', key, ...(cheap ? { only: true } : {}) });
        const ranged = cheap
          ? close({ ...f, reads: [{ stage: sampled, mode: 'after' }] }, { kind: 'range', key, n })
          : close(read(sampled, 'pointwise', [], f.bytes), { kind: 'range', key, n });
        const next = read(ranged, 'shuffle', ['sort'], f.bytes);
        return { ...next, plan: { kind: 'sort', input: next.plan, keys: p.keys }, ordering: p.keys };
      }
      case 'limit': {
        if (p.input.kind === 'sort') {
          // Top-N: each partition keeps its first n + offset in order, one task merges them.
          const sort = p.input;
          const f = walk(sort.input);
          const local: Plan = { kind: 'limit', input: { kind: 'sort', input: f.plan, keys: sort.keys }, n: p.n + p.offset, offset: 0 };
          const id = close({ ...f, plan: local, steps: [...f.steps, 'top-n'] }, { kind: 'single' });
          const next = read(id, 'all', ['top-n'], Math.min(f.bytes, (p.n + p.offset) * 64));
          return { ...next, plan: { kind: 'limit', input: { kind: 'sort', input: next.plan, keys: sort.keys }, n: p.n, offset: p.offset }, ordering: sort.keys };
        }
        const f = walk(leadingBlocks(p.input, p.n + p.offset));
        const local: Plan = f.ordering ? { kind: 'sort', input: f.plan, keys: f.ordering } : f.plan;
        const id = close({ ...f, plan: { kind: 'limit', input: local, n: p.n + p.offset, offset: 0 }, steps: [...f.steps, 'limit'] }, { kind: 'single' });
        const next = read(id, 'all', ['limit'], Math.min(f.bytes, (p.n + p.offset) * 64));
        const ordered: Plan = f.ordering ? { kind: 'sort', input: next.plan, keys: f.ordering } : next.plan;
        return { ...next, plan: { kind: 'limit', input: ordered, n: p.n, offset: p.offset }, ordering: f.ordering };
      }
      case 'distinct': {
        const f = walk(p.input);
        const keys = p.subset ?? schemaOf(p.input).map((c) => c.name);
        const id = close({ ...f, plan: { ...p, input: f.plan }, steps: [...f.steps, 'distinct'] }, { kind: 'hash', keys, n, grow: true });
        const next = read(id, 'shuffle', ['distinct'], f.bytes);
        return { ...next, plan: { ...p, input: next.plan } };
      }
      case 'window': {
        const f = walk(p.input);
        const first = p.exprs[0]!;
        const partitionBy = (first.kind === 'alias' && first.arg.kind === 'window' ? first.arg.partitionBy : []).map((e) => e);
        const keys = partitionBy.every((e) => e.kind === 'col') ? partitionBy.map((e) => (e as { name: string }).name) : [];
        const sameKeys = p.exprs.every((e) => e.kind === 'alias' && e.arg.kind === 'window' && JSON.stringify(e.arg.partitionBy) === JSON.stringify(partitionBy));
        const id = close(f, keys.length && sameKeys ? { kind: 'hash', keys, n, grow: true } : { kind: 'single' });
        const next = read(id, keys.length && sameKeys ? 'shuffle' : 'all', ['window'], f.bytes);
        return { ...next, plan: { ...p, input: next.plan } };
      }
      case 'repartition': {
        const f = walk(p.input);
        const keys = p.keys.map(exprName);
        if (p.keys.some((k) => k.kind !== 'col')) throw new ShoalError('ERR_BAD_OPTION', 'repartition() takes column names or columns');
        const id = close(f, keys.length ? { kind: 'hash', keys, n: p.n } : { kind: 'roundRobin', n: p.n }, { fixedPartitions: true });
        return read(id, 'shuffle', ['read'], f.bytes);
      }
      case 'union': {
        const parts = p.inputs.map((input) => close(walk(input), { kind: 'single' }));
        const schema = schemaOf(p);
        const leaves = parts.map((id) => cast(stageLeaf(id, stages[id]!.schema), schema));
        return { plan: { kind: 'union', inputs: leaves }, scan: null, reads: parts.map((stage) => ({ stage, mode: 'concat' })), steps: ['union'], ordering: null, bytes: parts.reduce((s, id) => s + stages[id]!.estimatedBytes, 0) };
      }
      case 'mapPartitions': {
        const f = walk(p.input);
        const input = close(f, { kind: 'single' });
        const schema = schemaOf(p);
        const id = stages.length;
        stages.push({ id, name: 'mapPartitions', kind: 'js', plan: stageLeaf(input, stages[input]!.schema), scan: null, reads: [{ stage: input, mode: 'pointwise' }], output: { kind: 'single' }, schema, fn: p.fn, ordering: null, estimatedBytes: f.bytes });
        return read(id, 'pointwise', [], f.bytes);
      }
    }
  };

  const join = (p: Extract<Plan, { kind: 'join' }>): Fragment => {
    const left = walk(p.left);
    const right = walk(p.right);
    const threshold = conf.autoBroadcastJoinThreshold;
    const keys = joinKeys(p);
    const canRight = ['inner', 'left', 'semi', 'anti'].includes(p.how);
    const canLeft = ['inner', 'right'].includes(p.how);
    const broadcastRight = canRight && threshold >= 0 && (right.bytes <= threshold || keys === null) && (right.bytes <= left.bytes || !canLeft);
    const broadcastLeft = !broadcastRight && canLeft && threshold >= 0 && (left.bytes <= threshold || keys === null);
    if (broadcastRight || broadcastLeft) {
      const [big, small] = broadcastRight ? [left, right] : [right, left];
      const id = close(small, { kind: 'single' });
      const smallLeaf = stageLeaf(id, stages[id]!.schema);
      const joined: Plan = broadcastRight ? { ...p, left: big.plan, right: smallLeaf } : { ...p, left: smallLeaf, right: big.plan };
      return { ...big, plan: joined, reads: [...big.reads, { stage: id, mode: 'all' }], steps: [...big.steps, 'broadcast join'], bytes: estimateBytes(p) };
    }
    if (keys === null) {
      // No equality keys and no side may be broadcast (e.g. a full join on a range condition): gather both.
      const l = close(left, { kind: 'single' });
      const r = close(right, { kind: 'single' });
      const joined: Plan = { ...p, left: stageLeaf(l, stages[l]!.schema), right: stageLeaf(r, stages[r]!.schema) };
      return { plan: joined, scan: null, reads: [{ stage: l, mode: 'all' }, { stage: r, mode: 'all' }], steps: ['join'], ordering: null, bytes: left.bytes + right.bytes };
    }
    const l = close(left, { kind: 'hash', keys: keys.left, n });
    const r = close(right, { kind: 'hash', keys: keys.right, n });
    const joined: Plan = { ...p, left: stageLeaf(l, stages[l]!.schema), right: stageLeaf(r, stages[r]!.schema) };
    return { plan: joined, scan: null, reads: [{ stage: l, mode: 'shuffle' }, { stage: r, mode: 'shuffle' }], steps: ['shuffle join'], ordering: null, bytes: left.bytes + right.bytes };
  };

  const top = walk(plan);
  const root = close(top, { kind: 'single' });
  // Mark join stages for adaptive execution.
  for (const [i, s] of stages.entries()) {
    const shuffles = s.reads.filter((r) => r.mode === 'shuffle');
    const j = findJoin(s.plan);
    if (j && shuffles.length === 2) stages[i] = { ...s, join: { how: j.how, left: shuffles[0]!.stage, right: shuffles[1]!.stage } };
  }
  return { stages, root };
}

function findJoin(plan: Plan): Extract<Plan, { kind: 'join' }> | null {
  if (plan.kind === 'join') return plan;
  if (plan.kind === 'source' || plan.kind === 'union') return null;
  return findJoin(plan.input);
}

/** Equality keys of a join: `using` columns, or `l = r` conjuncts of `on` with one column per side. */
export function joinKeys(p: Extract<Plan, { kind: 'join' }>): { left: string[]; right: string[] } | null {
  if (p.using?.length) return { left: [...p.using], right: [...p.using] };
  if (!p.on) return null;
  const leftNames = new Set(schemaOf(p.left).map((f) => f.name));
  const rightNames = new Set(schemaOf(p.right).map((f) => f.name));
  const left: string[] = [];
  const right: string[] = [];
  for (const c of conjuncts(p.on)) {
    if (c.kind !== 'binary' || c.op !== '=' || c.left.kind !== 'col' || c.right.kind !== 'col') continue;
    if (leftNames.has(c.left.name) && rightNames.has(c.right.name)) {
      left.push(c.left.name);
      right.push(c.right.name);
    } else if (leftNames.has(c.right.name) && rightNames.has(c.left.name)) {
      left.push(c.right.name);
      right.push(c.left.name);
    }
  }
  return left.length ? { left, right } : null;
}

/** Casts a union input's columns to the union's (widened) types and names. */
function cast(leaf: Plan, schema: Schema): Plan {
  const inner = schemaOf(leaf);
  if (inner.every((f, i) => f.type === schema[i]!.type && f.name === schema[i]!.name)) return leaf;
  return { kind: 'project', input: leaf, exprs: inner.map((f, i) => alias({ kind: 'cast', arg: { kind: 'col', name: f.name }, to: schema[i]!.type }, schema[i]!.name)) };
}

/**
 * A limit straight over stored blocks (a cached frame; projections between are fine, filters are not) reads
 * only the leading blocks that hold its rows, in their order: `sorted.cache()` then `take(3)` reads the
 * first partition, not all of them (each block read by the kernels is its whole bytes copied into a Web Worker).
 */
export function leadingBlocks(p: Plan, need: number): Plan {
  if (p.kind === 'project') {
    const input = leadingBlocks(p.input, need);
    return input === p.input ? p : { ...p, input };
  }
  if (p.kind !== 'source' || p.source.kind !== 'blocks' || p.filters.length > 0) return p;
  const s = p.source;
  if (!s.blockRows || s.blockRows.length !== s.blocks.length || s.blocks.length === 0) return p;
  // At least one block, for the schema (a limit 0).
  let k = 0;
  let rows = 0;
  do rows += s.blockRows[k++]!;
  while (k < s.blocks.length && rows < need);
  if (k >= s.blocks.length) return p;
  const bytes = s.rows > 0 ? Math.ceil((s.bytes * rows) / s.rows) : 0;
  const source = { ...s, blocks: s.blocks.slice(0, k), blockRows: s.blockRows.slice(0, k), rows, bytes, ...(s.holders ? { holders: s.holders.slice(0, k) } : {}) };
  return { ...p, source };
}
