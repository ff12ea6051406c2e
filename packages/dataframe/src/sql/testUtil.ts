/** Short builders for expected ASTs in the SQL tests. */
import type { BinaryOp, DataType, Expr, Literal, SortKey } from '../expr.ts';

export const c = (name: string, table?: string): Expr => (table === undefined ? { kind: 'col', name } : { kind: 'col', name, table });
export const l = (value: Literal): Expr => ({ kind: 'lit', value });
export const b = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const as = (arg: Expr, name: string): Expr => ({ kind: 'alias', arg, name });
export const fn = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', fn: name, args });
export const cast = (arg: Expr, to: DataType): Expr => ({ kind: 'cast', arg, to });
export const agg = (f: Extract<Expr, { kind: 'agg' }>['fn'], arg: Expr | null, extra: { distinct?: boolean; args?: Expr[] } = {}): Expr => ({ kind: 'agg', fn: f, arg, ...extra });
export const not = (arg: Expr): Expr => ({ kind: 'unary', op: 'not', arg });
export const asc = (expr: Expr, nullsFirst = true): SortKey => ({ expr, ascending: true, nullsFirst });
export const desc = (expr: Expr, nullsFirst = false): SortKey => ({ expr, ascending: false, nullsFirst });

/** Runs `f` and returns what it threw (fails the test if nothing was thrown). */
export function thrown(f: () => unknown): Error & { code?: string; line?: number; column?: number } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; line?: number; column?: number };
  }
  throw new Error('expected an error, but none was thrown');
}
