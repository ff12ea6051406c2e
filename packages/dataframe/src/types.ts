/**
 * Expression typing: the type each expression yields over an input schema,
 * and the checks that turn bad input into ERR_COLUMN_NOT_FOUND and
 * ERR_TYPE_MISMATCH at plan time, before anything runs.
 */
import { ShoalError } from '@shoal/protocol';
import type { DataType, Expr } from './expr.ts';
import { exprName } from './naming.ts';
import type { Field, Schema } from './plan.ts';

const NUMERIC: ReadonlySet<DataType> = new Set(['int', 'bigint', 'float', 'double']);
export const isNumeric = (t: DataType): boolean => NUMERIC.has(t) || t === 'null';
const RANK: Record<string, number> = { null: 0, int: 1, bigint: 2, float: 3, double: 4 };

/** The wider of two numeric types (NumPy/Spark-style promotion). */
export function widen(a: DataType, b: DataType): DataType {
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (a === b) return a;
  if (isNumeric(a) && isNumeric(b)) {
    if ((a === 'float' && b === 'bigint') || (a === 'bigint' && b === 'float')) return 'double';
    return RANK[a]! >= RANK[b]! ? a : b;
  }
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  return 'string';
}

/** Finds a column by name (and qualifier), or throws ERR_COLUMN_NOT_FOUND naming the ones there are. */
export function findField(schema: Schema, name: string, table?: string): { field: Field; index: number } {
  const matches: number[] = [];
  schema.forEach((f, i) => {
    if (f.name === name && (table === undefined || (f.qualifiers ?? []).includes(table))) matches.push(i);
    else if (table !== undefined && f.sourceName === name && (f.qualifiers ?? []).includes(table)) matches.push(i);
  });
  if (matches.length === 0) {
    // Spark resolves case-insensitively as a fallback.
    schema.forEach((f, i) => {
      if (f.name.toLowerCase() === name.toLowerCase() && (table === undefined || (f.qualifiers ?? []).includes(table))) matches.push(i);
    });
  }
  if (matches.length === 0) {
    const shown = table ? `${table}.${name}` : name;
    const available = schema.map((f) => (f.qualifiers?.length ? `${f.qualifiers[0]}.${f.name}` : f.name)).join(', ');
    throw new ShoalError('ERR_COLUMN_NOT_FOUND', `column '${shown}' not found; available columns: ${available || '(none)'}`);
  }
  if (matches.length > 1 && table === undefined) {
    const quals = matches.map((i) => schema[i]!.qualifiers?.[0]).filter(Boolean);
    throw new ShoalError('ERR_COLUMN_NOT_FOUND', `column '${name}' is ambiguous: it is in ${quals.length ? quals.join(' and ') : 'several inputs'}; qualify it (e.g. ${quals[0] ?? 't'}.${name})`);
  }
  const index = matches[0]!;
  return { field: schema[index]!, index };
}

function mismatch(message: string): never {
  throw new ShoalError('ERR_TYPE_MISMATCH', message);
}

const STRING_FNS = new Set(['lower', 'upper', 'trim', 'ltrim', 'rtrim', 'substr', 'substring', 'concat', 'replace', 'lpad', 'rpad', 'reverse']);
const INT_FNS = new Set(['length', 'year', 'month', 'day', 'dayofmonth', 'hour', 'minute', 'second', 'dayofweek', 'dayofyear', 'quarter', 'weekofyear']);
const BOOL_FNS = new Set(['contains', 'startswith', 'endswith', 'isnan']);
const DOUBLE_FNS = new Set(['sqrt', 'exp', 'log', 'ln', 'log10', 'log2', 'pow', 'power', 'sin', 'cos', 'tan']);
const SAME_FNS = new Set(['abs', 'round', 'floor', 'ceil', 'ceiling', 'coalesce', 'greatest', 'least', 'sign', 'nullif']);
/** Scalar functions the engine runs (lower-case). */
export const SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([...STRING_FNS, ...INT_FNS, ...BOOL_FNS, ...DOUBLE_FNS, ...SAME_FNS, 'to_date', 'date_trunc', 'hash', 'now', 'current_date']);

/** The type `e` yields over `schema`; throws for unknown columns and ill-typed operations. */
export function typeOf(e: Expr, schema: Schema): DataType {
  switch (e.kind) {
    case 'col':
      return findField(schema, e.name, e.table).field.type;
    case 'star':
      return mismatch(`'*' is not a value here`);
    case 'lit':
      if (e.value === null) return 'null';
      if (typeof e.value === 'boolean') return 'boolean';
      if (typeof e.value === 'string') return 'string';
      return Number.isInteger(e.value) ? (Math.abs(e.value) <= 2147483647 ? 'int' : 'bigint') : 'double';
    case 'alias':
      return typeOf(e.arg, schema);
    case 'cast':
      typeOf(e.arg, schema);
      return e.to;
    case 'binary': {
      const l = typeOf(e.left, schema);
      const r = typeOf(e.right, schema);
      if (e.op === 'and' || e.op === 'or') {
        for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
          if (t !== 'boolean' && t !== 'null') mismatch(`${e.op.toUpperCase()} needs boolean operands, but ${exprName(side)} is ${t}`);
        }
        return 'boolean';
      }
      if (['=', '!=', '<', '<=', '>', '>='].includes(e.op)) {
        const comparable = l === r || l === 'null' || r === 'null' || (isNumeric(l) && isNumeric(r)) || ((l === 'string') !== (r === 'string') && [l, r].some((t) => t === 'date' || t === 'timestamp'));
        if (!comparable) mismatch(`cannot compare ${exprName(e.left)} (${l}) with ${exprName(e.right)} (${r})`);
        return 'boolean';
      }
      if (!isNumeric(l) || !isNumeric(r)) {
        if (e.op === '-' && (l === 'date' || l === 'timestamp')) return l;
        mismatch(`'${e.op}' needs numbers, but ${exprName(isNumeric(l) ? e.right : e.left)} is ${isNumeric(l) ? r : l}`);
      }
      if (e.op === '/') return 'double';
      return widen(l, r);
    }
    case 'unary': {
      const t = typeOf(e.arg, schema);
      if (e.op === 'not') {
        if (t !== 'boolean' && t !== 'null') mismatch(`NOT needs a boolean, but ${exprName(e.arg)} is ${t}`);
        return 'boolean';
      }
      if (e.op === 'neg') {
        if (!isNumeric(t)) mismatch(`cannot negate ${exprName(e.arg)} (${t})`);
        return t;
      }
      return 'boolean';
    }
    case 'in':
    case 'between':
      [e.arg, ...(e.kind === 'in' ? e.values : [e.low, e.high])].forEach((x) => typeOf(x, schema));
      return 'boolean';
    case 'like':
      if (typeOf(e.arg, schema) !== 'string') mismatch(`LIKE needs a string, but ${exprName(e.arg)} is ${typeOf(e.arg, schema)}`);
      return 'boolean';
    case 'case': {
      let out: DataType = 'null';
      for (const w of e.whens) {
        const c = typeOf(w.when, schema);
        if (c !== 'boolean' && c !== 'null') mismatch(`CASE WHEN needs a boolean condition, but ${exprName(w.when)} is ${c}`);
        out = widen(out, typeOf(w.then, schema));
      }
      return e.otherwise ? widen(out, typeOf(e.otherwise, schema)) : out;
    }
    case 'call': {
      const args = e.args.map((a) => typeOf(a, schema));
      if (!SCALAR_FUNCTIONS.has(e.fn)) throw new ShoalError('ERR_BAD_OPTION', `unknown function '${e.fn}'; known: ${[...SCALAR_FUNCTIONS].sort().join(', ')}`);
      if (STRING_FNS.has(e.fn) || e.fn === 'to_date') {
        if (e.fn !== 'concat' && e.fn !== 'to_date' && args[0] !== 'string' && args[0] !== 'null') mismatch(`${e.fn}() needs a string, but ${exprName(e.args[0]!)} is ${args[0]}`);
        return e.fn === 'to_date' ? 'date' : 'string';
      }
      if (BOOL_FNS.has(e.fn)) return 'boolean';
      if (INT_FNS.has(e.fn)) return e.fn === 'length' ? 'int' : 'int';
      if (DOUBLE_FNS.has(e.fn)) return 'double';
      if (e.fn === 'hash') return 'bigint';
      if (e.fn === 'date_trunc') return 'timestamp';
      if (e.fn === 'now') return 'timestamp';
      if (e.fn === 'current_date') return 'date';
      return args.reduce<DataType>((a, b) => widen(a, b), 'null');
    }
    case 'agg': {
      const t = e.arg === null || e.arg.kind === 'star' ? 'bigint' : typeOf(e.arg, schema);
      (e.args ?? []).forEach((a) => typeOf(a, schema));
      switch (e.fn) {
        case 'count':
        case 'countDistinct':
          return 'bigint';
        case 'sum':
          if (!isNumeric(t)) mismatch(`sum() needs numbers, but ${exprName(e.arg!)} is ${t}`);
          return t === 'int' || t === 'bigint' ? 'bigint' : 'double';
        case 'avg':
        case 'stddev':
        case 'variance':
        case 'median':
        case 'corr':
        case 'comoment':
          if (!isNumeric(t)) mismatch(`${e.fn}() needs numbers, but ${exprName(e.arg!)} is ${t}`);
          return 'double';
        case 'collect':
          if (!isNumeric(t)) mismatch(`median() needs numbers, but ${exprName(e.arg!)} is ${t}`);
          return 'double[]';
        case 'medianOfLists':
          return 'double';
        default:
          return t;
      }
    }
    case 'window': {
      e.partitionBy.forEach((p) => typeOf(p, schema));
      e.orderBy.forEach((k) => typeOf(k.expr, schema));
      if (e.fn.kind === 'call' && ['row_number', 'rank', 'dense_rank'].includes(e.fn.fn)) return 'bigint';
      return typeOf(e.fn, schema);
    }
  }
}
