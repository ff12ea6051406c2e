/**
 * explain(): every stage of planning as text — the logical plan as built, the
 * optimized plan (pushed filters, pruned columns, pruned row groups, with
 * the rules that fired) and the physical plan of stages.
 */
import { exprName } from './naming.ts';
import { inputs, type Plan } from './plan.ts';
import type { PhysicalPlan, Stage } from './stages.ts';

const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;

function sourceLine(p: Extract<Plan, { kind: 'source' }>): string {
  const s = p.source;
  const cols = p.columns ? ` columns=${list(p.columns)}` : '';
  const filters = p.filters.length ? ` pushedFilters=${list(p.filters.map(exprName))}` : '';
  switch (s.kind) {
    case 'blocks':
      return `Scan blocks partitions=${s.blocks.length} rows=${s.rows}${cols}${filters}`;
    case 'range':
      return `Range (${s.start}, ${s.end}, step=${s.step}) partitions=${s.partitions}${cols}${filters}`;
    case 'parquet': {
      const groups = s.files.reduce((n, f) => n + (f.rowGroups?.length ?? 0), 0);
      return `Scan parquet files=${list(s.files.map((f) => f.path))}${groups ? ` rowGroups=${groups}` : ''}${cols}${filters}`;
    }
    case 'csv':
    case 'json':
      return `Scan ${s.kind} files=${list(s.files.map((f) => f.path))}${cols}${filters}`;
    case 'stage':
      return `Exchange read stage ${s.stage}`;
    case 'pending':
      return `Scan ${s.what} (not listed yet)`;
    case 'cached':
      return `Cached ${s.id} (computed at the first action)`;
  }
}

function nodeLine(p: Plan): string {
  switch (p.kind) {
    case 'source':
      return sourceLine(p);
    case 'project':
      return `Project ${list(p.exprs.map(exprName))}`;
    case 'filter':
      return `Filter ${exprName(p.predicate)}`;
    case 'aggregate':
      return `Aggregate keys=${list(p.groupBy.map(exprName))} aggs=${list(p.aggs.map((a) => (a.kind === 'alias' ? `${exprName(a.arg)} AS ${a.name}` : exprName(a))))}`;
    case 'join':
      return `Join ${p.how}${p.using ? ` using=${list(p.using)}` : ''}${p.on ? ` on=${exprName(p.on)}` : ''}`;
    case 'sort':
      return `Sort ${list(p.keys.map((k) => `${exprName(k.expr)} ${k.ascending ? 'ASC' : 'DESC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`))}`;
    case 'limit':
      return `Limit ${p.n}${p.offset ? ` offset ${p.offset}` : ''}`;
    case 'distinct':
      return `Distinct${p.subset ? ` on ${list(p.subset)}` : ''}`;
    case 'union':
      return 'Union';
    case 'repartition':
      return `Repartition ${p.n}${p.keys.length ? ` by ${list(p.keys.map(exprName))}` : ' round-robin'}`;
    case 'mapPartitions':
      return 'MapPartitions';
    case 'window':
      return `Window ${list(p.exprs.map(exprName))}`;
    case 'subqueryAlias':
      return `SubqueryAlias ${p.alias}`;
  }
}

/** The plan as an indented tree. */
export function treeString(plan: Plan, indent = ''): string {
  const kids = inputs(plan);
  return [`${indent}${nodeLine(plan)}`, ...kids.map((k) => treeString(k, `${indent}  `))].join('\n');
}

function outputLine(s: Stage): string {
  const o = s.output;
  switch (o.kind) {
    case 'single':
      return 'one block per task';
    case 'hash':
      return `hash exchange by ${list(o.keys)} into ${o.n}`;
    case 'roundRobin':
      return `round-robin exchange into ${o.n}`;
    case 'sample':
      return o.only ? `a sample of ${exprName(o.key.expr)} (no rows: the next stage computes them again)` : `one block per task + a sample of ${exprName(o.key.expr)}`;
    case 'range':
      return `range exchange by ${exprName(o.key.expr)} into up to ${o.n}`;
    case 'write':
      return `write ${o.format} to ${o.dir}`;
  }
}

export function physicalString(plan: PhysicalPlan): string {
  return plan.stages
    .map((s) => {
      const reads = s.reads.map((r) => `stage ${r.stage} (${r.mode})`).join(', ');
      const head = `Stage ${s.id}${s.id === plan.root ? ' (result)' : ''}: ${s.name}${reads ? ` ← ${reads}` : ''}\n  output: ${outputLine(s)}; estimated ${Math.round(s.estimatedBytes)} bytes`;
      return `${head}\n${treeString(s.plan, '  | ')}`;
    })
    .join('\n');
}

export interface ExplainParts {
  readonly logical: Plan;
  readonly analyzed: Plan;
  readonly optimized: Plan;
  readonly rules: readonly string[];
  readonly physical: PhysicalPlan;
}

export function explainString(parts: ExplainParts): string {
  return [
    '== Logical Plan ==',
    treeString(parts.logical),
    '',
    '== Analyzed Plan ==',
    treeString(parts.analyzed),
    '',
    `== Optimized Plan == (rules: ${parts.rules.join(', ') || 'none fired'})`,
    treeString(parts.optimized),
    '',
    '== Physical Plan ==',
    physicalString(parts.physical),
  ].join('\n');
}
