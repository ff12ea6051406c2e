/** Filter combining: two filters in a row become one with both conditions ANDed. */
import { and } from '../expr.ts';
import { transformUp, type Plan } from '../plan.ts';

export function combineFilters(plan: Plan): Plan {
  return transformUp(plan, (p) => (p.kind === 'filter' && p.input.kind === 'filter' ? { kind: 'filter', input: p.input.input, predicate: and(p.input.predicate, p.predicate) } : p));
}
