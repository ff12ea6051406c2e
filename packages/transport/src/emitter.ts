/**
 * A tiny typed event emitter: a few verbs, the rest is events (simple-peer's
 * style). A handler that throws is reported to `onHandlerError`, never to the
 * emitter's caller, so one bad listener cannot break a socket's event loop.
 */
export type EventMap = Record<string, unknown[]>;
type Handler<A extends unknown[]> = (...args: A) => void;
type AnyHandler = (...args: unknown[]) => void;

export class Emitter<E extends EventMap> {
  private readonly handlers = new Map<keyof E, Set<AnyHandler>>();

  on<K extends keyof E>(event: K, handler: Handler<E[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    const stored = handler as unknown as AnyHandler;
    set.add(stored);
    return () => set.delete(stored);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(...args);
      } catch (error) {
        console.error(`[shoal] a '${String(event)}' handler threw`, error);
      }
    }
  }
}
