/**
 * Limit pushdown: a limit moves below projections, and a copy of it goes
 * into each input of a union (the limit above still applies). The physical
 * planner then limits each partition before the gather.
 */
import { transformDown, type Plan } from '../plan.ts';

export function pushDownLimit(plan: Plan): Plan {
  return transformDown(plan, (p) => {
    if (p.kind !== 'limit') return p;
    const input = p.input;
    if (input.kind === 'project' && !input.exprs.some((e) => JSON.stringify(e).includes('"window"'))) {
      return { ...input, input: { ...p, input: input.input } };
    }
    if (input.kind === 'union' && !input.inputs.every((i) => i.kind === 'limit')) {
      const cap = p.n + p.offset;
      return { ...p, input: { ...input, inputs: input.inputs.map((i): Plan => (i.kind === 'limit' && i.n + i.offset <= cap ? i : { kind: 'limit', input: i, n: cap, offset: 0 })) } };
    }
    return p;
  });
}
