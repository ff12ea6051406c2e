/**
 * Sort elimination: an order nobody can see is not computed. A sort directly
 * under an aggregate, a distinct, a join side, a repartition or another sort
 * is dropped (the outer operator's output order does not depend on it).
 */
import { inputs, transformUp, withInputs, type Plan } from '../plan.ts';

const unsorted = (p: Plan): Plan => (p.kind === 'sort' ? unsorted(p.input) : p);

export function eliminateSorts(plan: Plan): Plan {
  return transformUp(plan, (p) => {
    switch (p.kind) {
      case 'aggregate':
      case 'distinct':
      case 'repartition':
      case 'sort':
      case 'join': {
        const kids = inputs(p);
        const next = kids.map(unsorted);
        return next.every((k, i) => k === kids[i]) ? p : withInputs(p, next);
      }
      default:
        return p;
    }
  });
}
