/**
 * The analyzer: resolves a plan as the front ends built it into one the
 * optimizer and the physical planner can trust. Stars are expanded, every
 * column reference is checked (ERR_COLUMN_NOT_FOUND names the available ones)
 * and rewritten to its input's unique physical name, expressions are typed
 * (ERR_TYPE_MISMATCH), and `subqueryAlias` nodes, whose only job was to
 * qualify names, are dropped. `schemaOf` then gives any analyzed node's output.
 *
 * Join outputs keep every column; a right-side name that clashes with a left
 * one is renamed `<name>_right` (and `b.name` still finds it).
 */
import { ShoalError } from '@shoal/protocol';
import { transform, type Expr } from './expr.ts';
import { exprName } from './naming.ts';
import type { Field, Plan, Schema } from './plan.ts';
import { findField, typeOf, widen } from './types.ts';

export interface Analyzed {
  readonly plan: Plan;
  /** Output fields, with qualifiers (for resolving the parent's references). */
  readonly schema: Schema;
}

/** Rewrites column references in `e` to the physical names in `schema`. */
export function resolveExpr(e: Expr, schema: Schema): Expr {
  return transform(e, (x) => {
    if (x.kind !== 'col') return x;
    const { field } = findField(schema, x.name, x.table);
    return { kind: 'col', name: field.name };
  });
}

/** The expressions a projection makes, stars expanded to columns. */
function expandStars(exprs: readonly Expr[], schema: Schema): Expr[] {
  return exprs.flatMap((e) => {
    if (e.kind !== 'star') return [e];
    const fields = e.table ? schema.filter((f) => (f.qualifiers ?? []).includes(e.table!)) : schema;
    if (e.table && fields.length === 0) throw new ShoalError('ERR_COLUMN_NOT_FOUND', `no table or alias '${e.table}' for '${e.table}.*'`);
    return fields.map((f): Expr => ({ kind: 'col', name: f.name, ...(e.table ? { table: e.table } : {}) }));
  });
}

const named = (e: Expr, schema: Schema, qualifiers?: readonly string[]): Field => ({ name: exprName(e), type: typeOf(e, schema), ...(qualifiers ? { qualifiers } : {}) });

function uniqueNames(fields: Field[]): void {
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new ShoalError('ERR_BAD_OPTION', `two output columns are named '${f.name}'; give one an alias`);
    seen.add(f.name);
  }
}

/** Keeps a column's qualifiers when a projection passes it through unchanged. */
function projected(e: Expr, resolved: Expr, schema: Schema): Field {
  const field = named(resolved, schema);
  if (e.kind === 'col' && resolved.kind === 'col') {
    const { field: source } = findField(schema, resolved.name);
    return { ...field, name: e.name === source.name ? source.name : field.name, ...(source.qualifiers ? { qualifiers: source.qualifiers } : {}) };
  }
  return { ...field, name: exprName(e.kind === 'alias' ? e : resolved) };
}

export function analyze(plan: Plan): Analyzed {
  switch (plan.kind) {
    case 'source': {
      const schema = plan.columns ? plan.columns.map((c) => findField(plan.schema, c).field) : plan.schema;
      return { plan, schema };
    }
    case 'subqueryAlias': {
      const inner = analyze(plan.input);
      return { plan: inner.plan, schema: inner.schema.map((f) => ({ ...f, qualifiers: [plan.alias] })) };
    }
    case 'project': {
      const input = analyze(plan.input);
      const exprs = expandStars(plan.exprs, input.schema);
      const resolved = exprs.map((e) => resolveExpr(e, input.schema));
      const fields = exprs.map((e, i) => projected(e, resolved[i]!, input.schema));
      uniqueNames(fields);
      // A bare column keeps its own name; anything else is aliased to its Spark name.
      const out = resolved.map((r, i) => (r.kind === 'col' && r.name === fields[i]!.name ? r : ({ kind: 'alias', arg: r.kind === 'alias' ? r.arg : r, name: fields[i]!.name } as Expr)));
      return { plan: { kind: 'project', input: input.plan, exprs: out }, schema: fields };
    }
    case 'filter': {
      const input = analyze(plan.input);
      const predicate = resolveExpr(plan.predicate, input.schema);
      const t = typeOf(predicate, input.schema);
      if (t !== 'boolean' && t !== 'null') throw new ShoalError('ERR_TYPE_MISMATCH', `a filter needs a boolean condition, but ${exprName(plan.predicate)} is ${t}`);
      return { plan: { kind: 'filter', input: input.plan, predicate }, schema: input.schema };
    }
    case 'aggregate': {
      const input = analyze(plan.input);
      const groupBy = plan.groupBy.map((e) => resolveExpr(e, input.schema));
      const aggs = plan.aggs.map((e) => resolveExpr(e, input.schema));
      const keyFields = plan.groupBy.map((e, i) => projected(e, groupBy[i]!, input.schema));
      const aggFields = plan.aggs.map((e, i) => ({ name: exprName(e), type: typeOf(aggs[i]!, input.schema) }));
      const fields = [...keyFields, ...aggFields];
      uniqueNames(fields);
      const key = groupBy.map((g, i) => (g.kind === 'col' && g.name === keyFields[i]!.name ? g : ({ kind: 'alias', arg: g.kind === 'alias' ? g.arg : g, name: keyFields[i]!.name } as Expr)));
      const agg = aggs.map((a, i) => ({ kind: 'alias', arg: a.kind === 'alias' ? a.arg : a, name: aggFields[i]!.name }) as Expr);
      return { plan: { kind: 'aggregate', input: input.plan, groupBy: key, aggs: agg }, schema: fields };
    }
    case 'window': {
      const input = analyze(plan.input);
      const exprs = plan.exprs.map((e) => resolveExpr(e, input.schema));
      const fields = [...input.schema, ...plan.exprs.map((e, i) => ({ name: exprName(e), type: typeOf(exprs[i]!, input.schema) }))];
      uniqueNames(fields);
      return { plan: { kind: 'window', input: input.plan, exprs: exprs.map((x, i) => (x.kind === 'alias' ? x : { kind: 'alias', arg: x, name: exprName(plan.exprs[i]!) })) }, schema: fields };
    }
    case 'join':
      return analyzeJoin(plan);
    case 'sort': {
      const input = analyze(plan.input);
      const keys = plan.keys.map((k) => ({ ...k, expr: resolveExpr(k.expr, input.schema) }));
      keys.forEach((k) => typeOf(k.expr, input.schema));
      return { plan: { kind: 'sort', input: input.plan, keys }, schema: input.schema };
    }
    case 'limit': {
      const input = analyze(plan.input);
      return { plan: { ...plan, input: input.plan }, schema: input.schema };
    }
    case 'distinct': {
      const input = analyze(plan.input);
      const subset = plan.subset ? plan.subset.map((c) => findField(input.schema, c).field.name) : null;
      return { plan: { kind: 'distinct', input: input.plan, subset }, schema: input.schema };
    }
    case 'repartition': {
      const input = analyze(plan.input);
      const keys = plan.keys.map((e) => resolveExpr(e, input.schema));
      keys.forEach((k) => typeOf(k, input.schema));
      return { plan: { ...plan, input: input.plan, keys }, schema: input.schema };
    }
    case 'mapPartitions': {
      const input = analyze(plan.input);
      return { plan: { ...plan, input: input.plan }, schema: plan.schema ?? input.schema.map(({ name, type }) => ({ name, type })) };
    }
    case 'union': {
      const parts = plan.inputs.map(analyze);
      const first = parts[0]!.schema;
      for (const [i, p] of parts.entries()) {
        if (p.schema.length !== first.length) {
          throw new ShoalError('ERR_TYPE_MISMATCH', `union needs inputs with the same number of columns: input 1 has ${first.length} (${first.map((f) => f.name).join(', ')}), input ${i + 1} has ${p.schema.length} (${p.schema.map((f) => f.name).join(', ')})`);
        }
      }
      const schema = first.map((f, c) => ({ name: f.name, type: parts.reduce((t, p) => widen(t, p.schema[c]!.type), f.type) }));
      return { plan: { kind: 'union', inputs: parts.map((p) => p.plan) }, schema };
    }
  }
}

function analyzeJoin(plan: Extract<Plan, { kind: 'join' }>): Analyzed {
  const left = analyze(plan.left);
  const right = analyze(plan.right);
  const both = [...left.schema, ...right.schema];
  let on: Expr | null = null;
  let using: string[] | null = null;
  // Right-side names that clash with left ones get a suffix.
  const leftNames = new Set(left.schema.map((f) => f.name));
  const rename = new Map<number, string>();
  right.schema.forEach((f, i) => {
    if (!leftNames.has(f.name) || (plan.using ?? []).includes(f.name)) return;
    let name = `${f.name}_right`;
    while (leftNames.has(name) || right.schema.some((g) => g.name === name)) name += '_';
    rename.set(i, name);
  });
  const renamedRight: Field[] = right.schema.map((f, i) => (rename.has(i) ? { ...f, name: rename.get(i)!, sourceName: f.name } : f));
  const rightPlan: Plan = rename.size === 0 ? right.plan : { kind: 'project', input: right.plan, exprs: right.schema.map((f, i): Expr => (rename.has(i) ? { kind: 'alias', arg: { kind: 'col', name: f.name }, name: rename.get(i)! } : { kind: 'col', name: f.name })) };
  if (plan.using) {
    using = plan.using.map((c) => {
      const l = findField(left.schema, c).field;
      const r = findField(right.schema, c).field;
      if (l.type !== r.type && widen(l.type, r.type) === 'string' && l.type !== 'string') {
        throw new ShoalError('ERR_TYPE_MISMATCH', `join key '${c}' is ${l.type} on the left but ${r.type} on the right`);
      }
      return l.name;
    });
  }
  if (plan.on) {
    // Resolve against both sides at once (qualifiers disambiguate), then map right-side names to their renames.
    const scope: Schema = [...left.schema, ...renamedRight];
    const resolved = transform(plan.on, (x) => {
      if (x.kind !== 'col') return x;
      const { field, index } = findField(scope, x.name, x.table);
      return { kind: 'col', name: index < left.schema.length ? field.name : renamedRight[index - left.schema.length]!.name };
    });
    const joined: Schema = [...left.schema, ...renamedRight];
    const t = typeOf(resolved, joined);
    if (t !== 'boolean') throw new ShoalError('ERR_TYPE_MISMATCH', `a join condition must be boolean, but ${exprName(plan.on)} is ${t}`);
    on = resolved;
  }
  const semi = plan.how === 'semi' || plan.how === 'anti';
  const rightOut = renamedRight.filter((f) => !(using ?? []).includes(f.name));
  const schema = semi ? left.schema : [...left.schema, ...rightOut];
  return { plan: { kind: 'join', left: left.plan, right: rightPlan, how: plan.how, on, using }, schema };
}

/** The output schema of an analyzed plan (no qualifiers). */
export function schemaOf(plan: Plan): Schema {
  return analyze(plan).schema.map(({ name, type }) => ({ name, type }));
}
