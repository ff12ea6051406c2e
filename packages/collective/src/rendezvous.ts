/**
 * How the members of a group find each other: a small actor that every
 * member calls once with its rank and worker; the call resolves, for all of
 * them at once, with the worker of every rank. It is shipped to a worker as
 * source, so it stays self-contained (no imports, no class fields).
 */
export class ShoalRendezvous {
  size: number;
  peers: (string | null)[];
  waiters: Array<() => void>;

  constructor(size: number) {
    this.size = size;
    this.peers = new Array(size).fill(null);
    this.waiters = [];
  }

  /** Resolves with every rank's worker once all `size` ranks have joined. */
  join(rank: number, workerId: string): Promise<string[]> | string[] {
    if (!(rank >= 0 && rank < this.size)) throw new RangeError(`rank ${rank} is outside a group of ${this.size}`);
    this.peers[rank] = workerId;
    if (this.peers.every((peer) => peer !== null)) {
      for (const wake of this.waiters.splice(0)) wake();
      return this.peers.slice() as string[];
    }
    return new Promise((resolve) => this.waiters.push(() => resolve(this.peers.slice() as string[])));
  }
}
