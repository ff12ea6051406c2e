/**
 * The optimizer: rules, each a pure function from plan to plan, applied in
 * order until the plan stops changing. `optimize` returns every rule that
 * fired, for explain().
 */
import type { Plan } from './plan.ts';
import { combineFilters } from './rules/combineFilters.ts';
import { constantFolding } from './rules/constantFolding.ts';
import { countFromMetadata } from './rules/countFromMetadata.ts';
import { eliminateSorts } from './rules/eliminateSorts.ts';
import { pruneColumns } from './rules/pruneColumns.ts';
import { pruneRowGroups } from './rules/pruneRowGroups.ts';
import { pushDownLimit } from './rules/pushDownLimit.ts';
import { pushDownPredicates } from './rules/pushDownPredicates.ts';

export interface Rule {
  readonly name: string;
  readonly apply: (plan: Plan) => Plan;
}

export const RULES: readonly Rule[] = [
  { name: 'constantFolding', apply: constantFolding },
  { name: 'combineFilters', apply: combineFilters },
  { name: 'eliminateSorts', apply: eliminateSorts },
  { name: 'pushDownPredicates', apply: pushDownPredicates },
  { name: 'pushDownLimit', apply: pushDownLimit },
  { name: 'pruneColumns', apply: pruneColumns },
  { name: 'pruneRowGroups', apply: pruneRowGroups },
  { name: 'countFromMetadata', apply: countFromMetadata },
];

export function optimize(plan: Plan, rules: readonly Rule[] = RULES): { plan: Plan; fired: string[] } {
  const fired: string[] = [];
  let current = plan;
  for (let pass = 0; pass < 5; pass++) {
    const before = JSON.stringify(current);
    for (const rule of rules) {
      const next = rule.apply(current);
      if (JSON.stringify(next) !== JSON.stringify(current)) {
        if (!fired.includes(rule.name)) fired.push(rule.name);
        current = next;
      }
    }
    if (JSON.stringify(current) === before) break;
  }
  return { plan: current, fired };
}
