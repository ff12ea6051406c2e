/**
 * An actor pool's decisions, pure (events in, decisions out; the clock is
 * an argument): which actor takes the next batch (the least loaded), when to
 * add an actor (a batch waits and every actor is full, below `max`), and
 * when to retire one (idle for `idleMs`, above `min`). poolRunner.ts carries
 * them out on the cluster.
 */

export interface PoolActorState {
  readonly id: number;
  /** Batches sent and not yet answered. */
  inFlight: number;
  /** When it last became idle (ms), or null while busy. */
  idleSince: number | null;
}

export interface PoolState {
  readonly min: number;
  readonly max: number;
  /** Batches an actor may hold at once (one running, the rest queued at it to hide the round trip). */
  readonly perActor: number;
  readonly idleMs: number;
  actors: PoolActorState[];
  nextId: number;
  /** The most actors alive at once. */
  peak: number;
}

export function createPool(min: number, max: number, options: { perActor?: number; idleMs?: number } = {}): PoolState {
  return { min, max, perActor: options.perActor ?? 2, idleMs: options.idleMs ?? 2000, actors: [], nextId: 0, peak: 0 };
}

/** Adds an actor (the caller creates it); answers its id. */
export function addActor(pool: PoolState, now: number): number {
  const id = pool.nextId++;
  pool.actors.push({ id, inFlight: 0, idleSince: now });
  pool.peak = Math.max(pool.peak, pool.actors.length);
  return id;
}

export function removeActor(pool: PoolState, id: number): void {
  pool.actors = pool.actors.filter((a) => a.id !== id);
}

/** Actors to add before the first batch, or after losses: up to `min`. */
export function missing(pool: PoolState): number {
  return Math.max(0, pool.min - pool.actors.length);
}

/** The least loaded actor with room for a batch (ties: the oldest), or null if all are full. */
export function pickActor(pool: PoolState): PoolActorState | null {
  let best: PoolActorState | null = null;
  for (const a of pool.actors) if (a.inFlight < pool.perActor && (!best || a.inFlight < best.inFlight)) best = a;
  return best;
}

/** A batch waits: add an actor if every one is busy (none idle) and the pool is below max. */
export function shouldGrow(pool: PoolState): boolean {
  return pool.actors.length < pool.max && pool.actors.every((a) => a.inFlight > 0);
}

export function sent(actor: PoolActorState): void {
  actor.inFlight += 1;
  actor.idleSince = null;
}

export function answered(actor: PoolActorState, now: number): void {
  actor.inFlight = Math.max(0, actor.inFlight - 1);
  if (actor.inFlight === 0) actor.idleSince = now;
}

/** Actors to retire now: idle for `idleMs`, longest idle first, keeping `min`. */
export function idleToRetire(pool: PoolState, now: number): number[] {
  const idle = pool.actors.filter((a) => a.inFlight === 0 && a.idleSince !== null && now - a.idleSince >= pool.idleMs).sort((a, b) => a.idleSince! - b.idleSince!);
  return idle.slice(0, Math.max(0, pool.actors.length - pool.min)).map((a) => a.id);
}
