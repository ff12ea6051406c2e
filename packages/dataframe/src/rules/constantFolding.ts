/**
 * Constant folding: arithmetic and comparisons over literals are computed at
 * plan time, `x AND TRUE` becomes `x`, `x OR TRUE` becomes `TRUE`, and a
 * filter that is always true disappears.
 */
import { transform, type Expr, type Literal } from '../expr.ts';
import { transformUp, type Plan } from '../plan.ts';

const isLit = (e: Expr): e is Extract<Expr, { kind: 'lit' }> => e.kind === 'lit';
const TRUE: Expr = { kind: 'lit', value: true };
const FALSE: Expr = { kind: 'lit', value: false };

function foldBinary(op: string, a: Literal, b: Literal): Literal | undefined {
  if (a === null || b === null) return ['and', 'or'].includes(op) ? undefined : null;
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return b === 0 ? null : a / b;
      case '%': return b === 0 ? null : a % b;
    }
  }
  if (typeof a === typeof b) {
    switch (op) {
      case '=': return a === b;
      case '!=': return a !== b;
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
    }
  }
  return undefined;
}

export function foldExpr(e: Expr): Expr {
  return transform(e, (x) => {
    if (x.kind === 'binary') {
      if (x.op === 'and') {
        if (isLit(x.left) && x.left.value === true) return x.right;
        if (isLit(x.right) && x.right.value === true) return x.left;
        if ((isLit(x.left) && x.left.value === false) || (isLit(x.right) && x.right.value === false)) return FALSE;
      }
      if (x.op === 'or') {
        if ((isLit(x.left) && x.left.value === true) || (isLit(x.right) && x.right.value === true)) return TRUE;
        if (isLit(x.left) && x.left.value === false) return x.right;
        if (isLit(x.right) && x.right.value === false) return x.left;
      }
      if (isLit(x.left) && isLit(x.right)) {
        const v = foldBinary(x.op, x.left.value, x.right.value);
        if (v !== undefined && (typeof v !== 'number' || Number.isFinite(v))) return { kind: 'lit', value: v };
      }
    }
    if (x.kind === 'unary' && isLit(x.arg)) {
      if (x.op === 'not' && typeof x.arg.value === 'boolean') return { kind: 'lit', value: !x.arg.value };
      if (x.op === 'neg' && typeof x.arg.value === 'number') return { kind: 'lit', value: -x.arg.value };
      if (x.op === 'isNull') return { kind: 'lit', value: x.arg.value === null };
      if (x.op === 'isNotNull') return { kind: 'lit', value: x.arg.value !== null };
    }
    return x;
  });
}

export function constantFolding(plan: Plan): Plan {
  return transformUp(plan, (p) => {
    switch (p.kind) {
      case 'filter': {
        const predicate = foldExpr(p.predicate);
        if (predicate.kind === 'lit' && predicate.value === true) return p.input;
        return { ...p, predicate };
      }
      case 'project':
        return { ...p, exprs: p.exprs.map(foldExpr) };
      case 'source':
        return p.filters.length ? { ...p, filters: p.filters.map(foldExpr).filter((f) => !(f.kind === 'lit' && f.value === true)) } : p;
      default:
        return p;
    }
  });
}
