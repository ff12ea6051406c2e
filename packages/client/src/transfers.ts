/**
 * Which peers are moving object bytes for a run now (the worker fetching a
 * task's inputs, and the holder it fetches from first), so the watchdog can
 * give them more patience (`BULK_PATIENCE`): their control messages may wait
 * behind bulk data. A run's mark goes when the task ends or runs again.
 * Collectives move bytes the coordinator never sees, so a worker running one
 * says so in its heartbeats (`bulk`), until a beat without it.
 */
export class Transfers {
  private readonly byTask = new Map<string, readonly string[]>();
  private readonly counts = new Map<string, number>();
  /** Peers whose last heartbeat said they are moving bulk bytes of their own (collectives). */
  private readonly reported = new Set<string>();

  /** A run of `taskId` moves bytes between `peers` (null or empty: none). Replaces the task's earlier mark. */
  mark(taskId: string, peers: readonly string[] | null): void {
    if (this.byTask.size > 0) this.clear(taskId);
    if (!peers || peers.length === 0) return;
    this.byTask.set(taskId, peers);
    for (const peer of peers) this.counts.set(peer, (this.counts.get(peer) ?? 0) + 1);
  }

  /** `taskId` ended: its run moves nothing any more. */
  clear(taskId: string): void {
    const peers = this.byTask.get(taskId);
    if (!peers) return;
    this.byTask.delete(taskId);
    for (const peer of peers) {
      const count = (this.counts.get(peer) ?? 1) - 1;
      if (count > 0) this.counts.set(peer, count);
      else this.counts.delete(peer);
    }
  }

  /** A heartbeat from `peerId` said whether it is running collectives (the coordinator places their tasks but not their bytes). */
  report(peerId: string, bulk: boolean): void {
    if (bulk) this.reported.add(peerId);
    else this.reported.delete(peerId);
  }

  /** Whether `peerId` takes part in a transfer now, or said so in its last heartbeat. */
  busy(peerId: string): boolean {
    return this.counts.has(peerId) || this.reported.has(peerId);
  }
}
