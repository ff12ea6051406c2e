/**
 * The bookkeeping of kept tables (Engine.keep): which keys a database holds, in
 * least-recently-used order, their sizes, and which open sessions use them.
 * Pure: it decides, the engine drops and creates.
 *
 * - A key is kept only if its size fits the budget once every unpinned table
 *   is evicted; otherwise `admit` answers null and the caller loads as usual.
 * - A table some open session uses (pinned) is never evicted, so a view a task
 *   made over it keeps working until the task ends.
 */
export interface KeptTable {
  readonly key: string;
  readonly table: string;
  readonly bytes: number;
}

export class KeptTables {
  /** Insertion order is recency: a hit moves the entry to the end. */
  private readonly entries = new Map<string, KeptTable>();
  private readonly pins = new Map<string, number>();
  private used = 0;
  private minted = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is kept (without touching its recency). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The table kept under `key`, now the most recently used, or undefined. */
  hit(key: string): KeptTable | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * Makes room for `bytes` under a new key: answers the table name to create and
   * the tables to drop first, or null if it cannot fit (too big, or the rest is pinned).
   */
  admit(key: string, bytes: number): { table: string; evict: KeptTable[] } | null {
    if (this.entries.has(key)) throw new Error(`kept table '${key}' is already held`);
    if (bytes > this.budgetBytes) return null;
    const evict: KeptTable[] = [];
    let free = this.budgetBytes - this.used;
    for (const entry of this.entries.values()) {
      if (free >= bytes) break;
      if (this.pins.has(entry.key)) continue;
      evict.push(entry);
      free += entry.bytes;
    }
    if (free < bytes) return null;
    for (const entry of evict) this.remove(entry.key);
    const table = `__shoal_kept_${++this.minted}`;
    this.entries.set(key, { key, table, bytes });
    this.used += bytes;
    return { table, evict };
  }

  /** Forgets `key` (its table was dropped, or its creation failed). */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  pin(key: string): void {
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
  }

  unpin(key: string): void {
    const count = (this.pins.get(key) ?? 0) - 1;
    if (count > 0) this.pins.set(key, count);
    else this.pins.delete(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}
