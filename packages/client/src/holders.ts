/**
 * Who holds each object, so the scheduler learns when nothing outside it can
 * need an object any more. Holders are the ObjectRef handles alive in the job
 * (counted through a FinalizationRegistry, so dropped refs release their
 * objects after garbage collection), running parent tasks (objects a task
 * made with ctx.remote/ctx.put are held until that task finishes), and
 * stored values that contain refs (held until that value is released).
 */
export class Holders {
  private readonly counts = new Map<string, number>();
  private readonly byParent = new Map<string, string[]>();
  private readonly registry: FinalizationRegistry<string> | null;

  constructor(private readonly onReleased: (objectId: string) => void) {
    this.registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((id) => this.drop(id)) : null;
  }

  /** A new handle object for `id`; released when `handle` is garbage-collected. */
  track(id: string, handle: object): void {
    this.add(id);
    this.registry?.register(handle, id);
  }

  /** `parentTaskId` (a task, or an object whose value contains the ref) holds `id` until `releaseChildren(parentTaskId)`. */
  holdForParent(id: string, parentTaskId: string): void {
    this.add(id);
    const list = this.byParent.get(parentTaskId);
    if (list) list.push(id);
    else this.byParent.set(parentTaskId, [id]);
  }

  releaseChildren(parentTaskId: string): void {
    const list = this.byParent.get(parentTaskId);
    if (!list) return;
    this.byParent.delete(parentTaskId);
    for (const id of list) this.drop(id);
  }

  /** `free()`: every holder lets go at once. */
  releaseAll(id: string): void {
    if (!this.counts.has(id)) return;
    this.counts.delete(id);
    this.onReleased(id);
  }

  private add(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  private drop(id: string): void {
    const count = this.counts.get(id);
    if (count === undefined) return;
    if (count > 1) return void this.counts.set(id, count - 1);
    this.counts.delete(id);
    this.onReleased(id);
  }
}
