/**
 * Resources: what a task needs (a `Demand`) against what a worker offers (an
 * `Offer`) and what it has already given out.
 *
 * Normalizing: a missing or non-finite amount, or a negative one, counts as
 * 0, except a task's missing cpu, which counts as 1 ("a task needs 1 unless
 * it says otherwise"). Custom resources of 0 are dropped.
 */
import type { Resources } from './types.ts';

/** A task's needs, normalized; custom entries are non-zero and sorted by name. */
export interface Demand {
  readonly cpu: number;
  readonly gpu: number;
  readonly memory: number;
  readonly custom: ReadonlyArray<readonly [string, number]>;
}

/** A worker's offer, normalized. */
export interface Offer {
  readonly cpu: number;
  readonly gpu: number;
  readonly memory: number;
  readonly custom: ReadonlyMap<string, number>;
}

/** What a worker has given out: the demand of its assigned, unblocked tasks. */
export interface Usage {
  cpuInFlight: number;
  gpuUsed: number;
  memoryUsed: number;
  customUsed: Map<string, number>;
}

const amount = (value: number | undefined, missing: number): number =>
  value === undefined ? missing : Number.isFinite(value) && value > 0 ? value : 0;

function customEntries(custom: Record<string, number> | undefined): Array<[string, number]> {
  const entries: Array<[string, number]> = [];
  if (custom) for (const name of Object.keys(custom).sort()) {
    const value = amount(custom[name], 0);
    if (value > 0) entries.push([name, value]);
  }
  return entries;
}

export function toDemand(resources: Partial<Resources> | undefined): Demand {
  return {
    cpu: amount(resources?.cpu, 1),
    gpu: amount(resources?.gpu, 0),
    memory: amount(resources?.memory, 0),
    custom: customEntries(resources?.custom),
  };
}

export function toOffer(resources: Partial<Resources> | undefined): Offer {
  return {
    cpu: amount(resources?.cpu, 0),
    gpu: amount(resources?.gpu, 0),
    memory: amount(resources?.memory, 0),
    custom: new Map(customEntries(resources?.custom)),
  };
}

/**
 * A key equal for two tasks exactly when they fit the same workers: same
 * group (which sets the pipeline depth), same least depth (`prefetch`) and
 * same normalized demand.
 */
export function shapeKey(group: string, resources: Partial<Resources> | undefined, minDepth = 1): string {
  let key = `${group}\u0000${amount(resources?.cpu, 1)}\u0000${amount(resources?.gpu, 0)}\u0000${amount(resources?.memory, 0)}`;
  const custom = resources?.custom;
  if (custom) for (const [name, value] of customEntries(custom)) key += `\u0000${name}=${value}`;
  return minDepth > 1 ? `${key}\u0000depth=${minDepth}` : key;
}

/** Whether `resources`, normalized, is exactly `demand` (without building anything). */
export function sameDemand(demand: Demand, resources: Partial<Resources> | undefined): boolean {
  if (amount(resources?.cpu, 1) !== demand.cpu || amount(resources?.gpu, 0) !== demand.gpu || amount(resources?.memory, 0) !== demand.memory) return false;
  const custom = resources?.custom;
  let matched = 0;
  if (custom) {
    for (const name in custom) {
      if (!Object.hasOwn(custom, name)) continue;
      const value = amount(custom[name], 0);
      if (value === 0) continue;
      const entry = demand.custom.find(([wanted]) => wanted === name);
      if (!entry || entry[1] !== value) return false;
      matched += 1;
    }
  }
  return matched === demand.custom.length;
}

/**
 * Whether a task fits a worker now. For gpu, memory and each custom resource
 * the worker's free amount must cover the demand. For cpu the pipeline bound
 * applies: in-flight cpu plus the demand stays within `cpu × depth`, and the
 * demand itself within `cpu`. A resource the task does not need never stops it.
 */
export function fitsNow(demand: Demand, depth: number, offer: Offer, usage: Usage): boolean {
  return fitsCpu(demand, depth, offer, usage) && fitsOther(demand, offer, usage);
}

/** The cpu half of `fitsNow`: the pipeline bound. */
export function fitsCpu(demand: Demand, depth: number, offer: Offer, usage: Usage): boolean {
  const cpu = demand.cpu;
  return cpu === 0 || (cpu <= offer.cpu && usage.cpuInFlight + cpu <= offer.cpu * depth);
}

/** The rest of `fitsNow`: free gpu, memory and custom resources. */
export function fitsOther(demand: Demand, offer: Offer, usage: Usage): boolean {
  if (demand.gpu > 0 && usage.gpuUsed + demand.gpu > offer.gpu) return false;
  if (demand.memory > 0 && usage.memoryUsed + demand.memory > offer.memory) return false;
  for (const [name, value] of demand.custom) {
    if ((usage.customUsed.get(name) ?? 0) + value > (offer.custom.get(name) ?? 0)) return false;
  }
  return true;
}

/** Whether a task could ever run on a worker, whatever its load. */
export function fitsTotals(demand: Demand, offer: Offer): boolean {
  if (demand.cpu > offer.cpu || demand.gpu > offer.gpu || demand.memory > offer.memory) return false;
  for (const [name, value] of demand.custom) if (value > (offer.custom.get(name) ?? 0)) return false;
  return true;
}

/** Adds (`sign` 1) or takes back (`sign` -1) a task's demand from a worker's usage. */
export function use(usage: Usage, demand: Demand, sign: 1 | -1): void {
  usage.cpuInFlight += sign * demand.cpu;
  usage.gpuUsed += sign * demand.gpu;
  usage.memoryUsed += sign * demand.memory;
  for (const [name, value] of demand.custom) {
    const next = (usage.customUsed.get(name) ?? 0) + sign * value;
    if (next === 0) usage.customUsed.delete(name);
    else usage.customUsed.set(name, next);
  }
}

/**
 * Why no worker among `offers` could ever run a task, e.g. "needs gpu 1, but
 * no worker offers more than gpu 0". Names each resource no single worker
 * offers enough of; if each is offered somewhere but never all together, says so.
 */
export function infeasibleReason(demand: Demand, offers: Iterable<Offer>): string {
  const wanted: Array<{ name: string; value: number; offered: (offer: Offer) => number }> = [
    { name: 'cpu', value: demand.cpu, offered: (offer) => offer.cpu },
    { name: 'gpu', value: demand.gpu, offered: (offer) => offer.gpu },
    { name: 'memory', value: demand.memory, offered: (offer) => offer.memory },
    ...demand.custom.map(([name, value]) => ({ name, value, offered: (offer: Offer) => offer.custom.get(name) ?? 0 })),
  ];
  const most = wanted.map(() => 0);
  for (const offer of offers) {
    wanted.forEach((resource, i) => {
      most[i] = Math.max(most[i]!, resource.offered(offer));
    });
  }
  const short = wanted.flatMap((resource, i) =>
    resource.value > most[i]! ? [`needs ${resource.name} ${resource.value}, but no worker offers more than ${resource.name} ${most[i]}`] : [],
  );
  if (short.length > 0) return short.join('; ');
  const needs = wanted.filter((resource) => resource.value > 0).map((resource) => `${resource.name} ${resource.value}`);
  return `needs ${needs.join(', ')} on one worker, but no worker offers all of that together`;
}
