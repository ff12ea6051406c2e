/**
 * Messages for one group member, by key (`<from rank>/<tag>`): a message may
 * come before or after its `take`. Once failed (the group broke), every
 * pending and later `take` rejects with that error and new messages are dropped.
 */
export class Mailbox {
  private readonly messages = new Map<string, ArrayBuffer>();
  private readonly waiting = new Map<string, { resolve: (data: ArrayBuffer) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  get failed(): Error | null {
    return this.failure;
  }

  /** Messages that arrived and were not taken yet. */
  get size(): number {
    return this.messages.size;
  }

  deliver(key: string, data: ArrayBuffer): void {
    if (this.failure) return;
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter.resolve(data);
    } else this.messages.set(key, data);
  }

  take(key: string): Promise<ArrayBuffer> {
    if (this.failure) return Promise.reject(this.failure);
    const data = this.messages.get(key);
    if (data) {
      this.messages.delete(key);
      return Promise.resolve(data);
    }
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.messages.clear();
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
