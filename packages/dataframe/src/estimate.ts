/**
 * Size estimates for planning (Spark's non-cost-based `sizeInBytes`): what a
 * source holds, scaled by the share of its columns a scan reads; filters,
 * projections and joins pass their inputs' estimate up. Used to pick
 * broadcast joins; adaptive execution corrects them with real sizes.
 */
import type { Plan } from './plan.ts';

const ROW_BYTES_GUESS = 16;

export function estimateBytes(plan: Plan): number {
  switch (plan.kind) {
    case 'source': {
      const s = plan.source;
      const share = plan.columns && plan.schema.length ? plan.columns.length / plan.schema.length : 1;
      switch (s.kind) {
        case 'blocks':
          return s.bytes * share;
        case 'range':
          return Math.max(0, Math.ceil((s.end - s.start) / s.step)) * 8;
        case 'parquet':
        case 'csv':
        case 'json': {
          const total = s.files.reduce((sum, f) => sum + f.size, 0);
          // Text formats shrink when parsed; Parquet grows when decoded. Rough factors.
          const factor = s.kind === 'parquet' ? 2 : 0.6;
          return total * factor * share;
        }
        case 'stage':
        case 'pending':
        case 'cached':
          return Number.MAX_SAFE_INTEGER;
      }
      return 0;
    }
    case 'limit':
      return Math.min(estimateBytes(plan.input), (plan.n + plan.offset) * ROW_BYTES_GUESS * 4);
    case 'join':
      return estimateBytes(plan.left) + estimateBytes(plan.right);
    case 'union':
      return plan.inputs.reduce((s, p) => s + estimateBytes(p), 0);
    default:
      return estimateBytes(plan.input);
  }
}
