/**
 * Which peer links a tab keeps, as plain bookkeeping (no sockets here, so it
 * is tested with plain values; `mesh.ts` acts on its answers).
 *
 * Two kinds of link:
 * - pinned: to the peers the signaling server announced (a worker's
 *   coordinator; a coordinator's workers). They are the star every job
 *   needs, and never count against the cap or get closed for it.
 * - on demand: worker to worker, opened when bytes must move between two
 *   tabs (`mesh.link(peerId)`) or when a peer opens one to this tab. At most
 *   `cap` of them are open at once; when a new one is needed at the cap, the
 *   one idle longest closes first (`victim`). A link in use (its bulk
 *   transfers in flight, or still connecting) is never the victim.
 *
 *   pool.add('b', { pinned: false, now: 0 }); pool.add('c', { pinned: false, now: 5 });
 *   pool.touch('b', 10);
 *   pool.victim(() => false)   // 'c': idle since 5, while 'b' was used at 10
 *
 * It also keeps figures for tests and benchmarks: the most on-demand links
 * ever open at once, and how many were opened and retired.
 */

/** Default for `MeshOptions.linkCap`: on-demand links one tab keeps open at once. */
export const DEFAULT_LINK_CAP = 32;

export interface LinkStats {
  /** The cap on on-demand links. */
  cap: number;
  /** On-demand links open or connecting now. */
  onDemand: number;
  /** Pinned links (to the coordinator, or a coordinator's workers) now. */
  pinned: number;
  /** The most on-demand links this tab ever had at once. */
  maxOnDemand: number;
  /** On-demand links opened so far (by either side). */
  opened: number;
  /** On-demand links this tab closed to stay within the cap. */
  retired: number;
}

interface Entry {
  pinned: boolean;
  lastUsed: number;
}

export class LinkPool {
  private readonly entries = new Map<string, Entry>();
  private maxOnDemand = 0;
  private opened = 0;
  private retired = 0;

  constructor(readonly cap: number = DEFAULT_LINK_CAP) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`the link cap must be a whole number ≥ 1, got ${cap}`);
  }

  /** A link to `peerId` exists now (connecting or open). Adding again keeps it pinned if it was. */
  add(peerId: string, options: { pinned: boolean; now: number }): void {
    const previous = this.entries.get(peerId);
    const pinned = options.pinned || previous?.pinned === true;
    this.entries.set(peerId, { pinned, lastUsed: options.now });
    if (!pinned && !previous) this.opened += 1;
    this.maxOnDemand = Math.max(this.maxOnDemand, this.onDemandCount());
  }

  remove(peerId: string): void {
    this.entries.delete(peerId);
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  isPinned(peerId: string): boolean {
    return this.entries.get(peerId)?.pinned === true;
  }

  /** The link was used: a message either way, a fetch asked for, a link requested. */
  touch(peerId: string, now: number): void {
    const entry = this.entries.get(peerId);
    if (entry) entry.lastUsed = now;
  }

  onDemandCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (!entry.pinned) n += 1;
    return n;
  }

  /** Whether one more on-demand link would pass the cap. */
  full(): boolean {
    return this.onDemandCount() >= this.cap;
  }

  /** How many on-demand links are over the cap now (after a peer opened one to a full tab). */
  excess(): number {
    return Math.max(0, this.onDemandCount() - this.cap);
  }

  /** The on-demand link idle longest that is not `busy`, or null when every one is in use. */
  victim(busy: (peerId: string) => boolean): string | null {
    let best: string | null = null;
    let oldest = Infinity;
    for (const [peerId, entry] of this.entries) {
      if (entry.pinned || entry.lastUsed >= oldest || busy(peerId)) continue;
      best = peerId;
      oldest = entry.lastUsed;
    }
    return best;
  }

  /** `peerId`'s link is being closed to make room; it is forgotten. */
  retire(peerId: string): void {
    if (this.entries.delete(peerId)) this.retired += 1;
  }

  stats(): LinkStats {
    const onDemand = this.onDemandCount();
    return { cap: this.cap, onDemand, pinned: this.entries.size - onDemand, maxOnDemand: this.maxOnDemand, opened: this.opened, retired: this.retired };
  }
}
