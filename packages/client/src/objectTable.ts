/**
 * The coordinator's view of objects. For now values come back to the
 * coordinator with `taskDone`; the object plane will keep them on workers and
 * leave only location and size here.
 */
import { ShoalError } from '@shoal/protocol';

type Entry =
  | { state: 'pending'; waiters: Array<{ resolve: (value: unknown) => void; reject: (error: ShoalError) => void }> }
  | { state: 'ready'; value: unknown }
  | { state: 'failed'; error: ShoalError };

export class ObjectTable {
  private readonly entries = new Map<string, Entry>();

  pending(id: string): void {
    if (!this.entries.has(id)) this.entries.set(id, { state: 'pending', waiters: [] });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  isReady(id: string): boolean {
    return this.entries.get(id)?.state === 'ready';
  }

  /** The value of a ready object; throws if it is not ready. */
  value(id: string): unknown {
    const entry = this.entries.get(id);
    if (entry?.state !== 'ready') throw new ShoalError('ERR_INTERNAL', `object ${id} is not ready`);
    return entry.value;
  }

  resolve(id: string, value: unknown): void {
    const entry = this.entries.get(id);
    this.entries.set(id, { state: 'ready', value });
    if (entry?.state === 'pending') for (const waiter of entry.waiters) waiter.resolve(value);
  }

  reject(id: string, error: ShoalError): void {
    const entry = this.entries.get(id);
    if (entry && entry.state !== 'pending') return;
    this.entries.set(id, { state: 'failed', error });
    if (entry) for (const waiter of entry.waiters) waiter.reject(error);
  }

  /** Resolves with the value once ready, or rejects with the object's error. */
  wait(id: string): Promise<unknown> {
    const entry = this.entries.get(id);
    if (!entry) return Promise.reject(new ShoalError('ERR_OBJECT_LOST', `object ${id} is unknown to this cluster`));
    if (entry.state === 'ready') return Promise.resolve(entry.value);
    if (entry.state === 'failed') return Promise.reject(entry.error);
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }
}
