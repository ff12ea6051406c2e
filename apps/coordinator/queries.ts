/**
 * The DataFrame queries of this coordinator tab, newest last: each action's
 * record (plan text, stages with progress, rows and bytes, adaptive
 * decisions, the failure and its stage), for the dashboard's Queries view
 * and the page API.
 */
import type { QueryRecord } from '@shoal/dataframe';

const MAX_KEPT = 100;

type Listener = (record: QueryRecord) => void;

export class QueryLog {
  private readonly records: QueryRecord[] = [];
  private readonly listeners = new Set<Listener>();

  update(record: QueryRecord): void {
    const at = this.records.findIndex((r) => r.id === record.id);
    if (at >= 0) this.records[at] = record;
    else {
      this.records.push(record);
      if (this.records.length > MAX_KEPT) this.records.shift();
    }
    for (const listener of this.listeners) listener(record);
  }
  list(): readonly QueryRecord[] {
    return this.records;
  }
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The tab's one log. */
export const queryLog = new QueryLog();
