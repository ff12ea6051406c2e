/**
 * The reduction tree's inner and final steps, as one task function. It ships
 * as source text, so it uses nothing from outside its body.
 *
 * A partial is a flat list of `width * m` numbers (a plain array when small,
 * else a Float64Array): sums, products, minima, maxima, any/all flags;
 * for var/std the means then the M2s (Chan et al.'s pairwise update);
 * for argmin/argmax the values then their indices. `counts[j]` is how many
 * elements each accumulator of partial j has seen (used by var/std).
 *
 * With `final`, the result is the output block: cast to the output dtype in a
 * typed array, or a plain array when small and finite (it travels inline).
 */
export interface FinalStep {
  /** Elements reduced into each output element. */
  n: number;
  ddof: number;
  /** Typed array constructor name of the output. */
  ctor: string;
}

export function combinePartials(op: string, parts: ArrayLike<number>[], counts: number[], final: FinalStep | null): ArrayLike<number> {
  const wide = op === 'var' || op === 'std' || op === 'argmin' || op === 'argmax';
  const m = parts[0]!.length / (wide ? 2 : 1);
  const acc = Float64Array.from(parts[0]!);
  let total = counts[0]!;
  for (let j = 1; j < parts.length; j++) {
    const p = parts[j]!;
    const nb = counts[j]!;
    for (let i = 0; i < m; i++) {
      const a = acc[i]!, b = p[i]!;
      switch (op) {
        case 'sum': case 'mean': acc[i] = a + b; break;
        case 'prod': acc[i] = a * b; break;
        case 'min': if (b < a || b !== b) acc[i] = b; break;
        case 'max': if (b > a || b !== b) acc[i] = b; break;
        case 'any': acc[i] = a !== 0 || b !== 0 ? 1 : 0; break;
        case 'all': acc[i] = a !== 0 && b !== 0 ? 1 : 0; break;
        case 'var': case 'std': {
          const na = total, n = na + nb;
          const delta = b - a;
          acc[i] = a + (delta * nb) / n;
          acc[m + i] = acc[m + i]! + p[m + i]! + (delta * delta * na * nb) / n;
          break;
        }
        case 'argmin': case 'argmax': {
          // Parts come in index order: a later one wins only if strictly better (or the first NaN).
          const better = op === 'argmin' ? b < a : b > a;
          if ((better && a === a) || (b !== b && a === a)) {
            acc[i] = b;
            acc[m + i] = p[m + i]!;
          }
          break;
        }
        default: throw new Error(`unknown reduction ${op}`);
      }
    }
    total += nb;
  }
  if (!final) {
    if (acc.length <= 64 && acc.every(Number.isFinite)) return Array.from(acc);
    return acc;
  }
  const Ctor = { Float64Array, Float32Array, Int32Array, Uint8Array }[final.ctor as 'Float64Array']!;
  const out = new Ctor(m);
  for (let i = 0; i < m; i++) {
    const a = acc[i]!;
    switch (op) {
      case 'mean': out[i] = a / final.n; break;
      case 'var': out[i] = acc[m + i]! / (final.n - final.ddof); break;
      case 'std': out[i] = Math.sqrt(acc[m + i]! / (final.n - final.ddof)); break;
      case 'argmin': case 'argmax': out[i] = acc[m + i]!; break;
      default: out[i] = a;
    }
  }
  if (out.length <= 4096 && out.every(Number.isFinite)) return Array.from(out);
  return out;
}
