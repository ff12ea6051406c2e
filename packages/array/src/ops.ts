/**
 * Elementwise ops: each one's arity, result dtype (NumPy's rules, see dtype.ts)
 * and the JS expression a fused kernel evaluates per element. Operands arrive
 * as numbers already in their own dtype; the result is cast to the op's dtype.
 */
import { ShoalError } from '@shoal/protocol';
import { castExpr, floatResult, isFloat, promote, type DType } from './dtype.ts';

export interface OpDef {
  arity: 1 | 2 | 3;
  /** The result dtype from the operands' dtypes (already promoted with scalars). */
  dtype(operands: DType[]): DType;
  /** The JS expression, already cast to `dtype`. */
  js(args: string[], dtype: DType, operands: DType[]): string;
}

const same = (ds: DType[]) => ds.reduce(promote);
const bool = () => 'bool' as DType;
const cmp = (sym: string): OpDef => ({ arity: 2, dtype: bool, js: ([a, b]) => `(${a} ${sym} ${b} ? 1 : 0)` });
const unaryFloat = (fn: string): OpDef => ({ arity: 1, dtype: ([a]) => floatResult(a!), js: ([a], d) => castExpr(d, `Math.${fn}(${a})`) });
const arith = (sym: string): OpDef => ({ arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `${a} ${sym} ${b}`) });

export const OPS: Record<string, OpDef> = {
  add: { arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `${a} + ${b}`) },
  sub: {
    arity: 2,
    dtype: (ds) => {
      if (ds.every((d) => d === 'bool')) throw new ShoalError('ERR_BAD_OPTION', 'sub: subtracting booleans is not supported (as in NumPy); use logicalXor');
      return same(ds);
    },
    js: ([a, b], d) => castExpr(d, `${a} - ${b}`),
  },
  mul: { arity: 2, dtype: same, js: ([a, b], d) => (d === 'int32' ? `Math.imul(${a}, ${b})` : castExpr(d, `${a} * ${b}`)) },
  div: { arity: 2, dtype: (ds) => { const d = same(ds); return isFloat(d) ? d : 'float64'; }, js: ([a, b], d) => castExpr(d, `${a} / ${b}`) },
  pow: { arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `Math.pow(${a}, ${b})`) },
  mod: { arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `(${b} === 0 ? ${isFloat(d) ? 'NaN' : '0'} : ${a} - Math.floor(${a} / ${b}) * ${b})`) },
  maximum: { arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `(${a} !== ${a} || ${a} > ${b} ? ${a} : ${b})`) },
  minimum: { arity: 2, dtype: same, js: ([a, b], d) => castExpr(d, `(${a} !== ${a} || ${a} < ${b} ? ${a} : ${b})`) },
  neg: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => castExpr(d, `-${a}`) },
  abs: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => castExpr(d, `Math.abs(${a})`) },
  square: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => (d === 'int32' ? `Math.imul(${a}, ${a})` : castExpr(d, `${a} * ${a}`)) },
  exp: unaryFloat('exp'),
  log: unaryFloat('log'),
  sqrt: unaryFloat('sqrt'),
  sin: unaryFloat('sin'),
  cos: unaryFloat('cos'),
  tanh: unaryFloat('tanh'),
  floor: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => castExpr(d, `Math.floor(${a})`) },
  ceil: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => castExpr(d, `Math.ceil(${a})`) },
  equal: cmp('==='),
  notEqual: cmp('!=='),
  less: cmp('<'),
  lessEqual: cmp('<='),
  greater: cmp('>'),
  greaterEqual: cmp('>='),
  logicalAnd: { arity: 2, dtype: bool, js: ([a, b]) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)` },
  logicalOr: { arity: 2, dtype: bool, js: ([a, b]) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)` },
  logicalXor: { arity: 2, dtype: bool, js: ([a, b]) => `((${a} !== 0) !== (${b} !== 0) ? 1 : 0)` },
  logicalNot: { arity: 1, dtype: bool, js: ([a]) => `(${a} === 0 ? 1 : 0)` },
  /** where(condition, x, y): the condition's NaN counts as true, as in NumPy. */
  where: { arity: 3, dtype: ([, x, y]) => promote(x!, y!), js: ([c, a, b], d) => castExpr(d, `(${c} !== 0 ? ${a} : ${b})`) },
  /** astype: a cast, kept as an op so it fuses. */
  cast: { arity: 1, dtype: ([a]) => a!, js: ([a], d) => (d === 'bool' ? `(${a} !== 0 ? 1 : 0)` : castExpr(d, d === 'int32' || d === 'uint8' ? `Math.trunc(${a})` : a!)) },
};
