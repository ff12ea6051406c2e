/**
 * Binary min-heaps keyed by two numbers: lower `first` comes out first, then
 * lower `second`. The keys live in the heap's own typed arrays, so sifting
 * reads contiguous memory and never the items themselves (at a million
 * queued tasks, reading each record's fields while sifting is what costs).
 *
 *   KeyedHeap     push, peek, pop. Items cannot be removed from the middle:
 *                 the ready queue marks removed tasks stale and skips them.
 *   IndexedHeap   also tracks each item's position (`heapIndex`, -1 outside),
 *                 so an item can be re-keyed or removed in O(log n).
 */
export interface HeapItem {
  heapIndex: number;
}

export class KeyedHeap<T> {
  /** The items in heap order: `items[0]` is the first out. Read-only to callers. */
  readonly items: T[] = [];
  private first = new Float64Array(16);
  private second = new Float64Array(16);

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** The keys of `items[index]`. */
  firstKey(index: number): number {
    return this.first[index]!;
  }

  secondKey(index: number): number {
    return this.second[index]!;
  }

  push(item: T, first: number, second: number): void {
    const index = this.items.length;
    if (index === this.first.length) this.grow();
    this.items.push(item);
    this.siftUp(index, item, first, second);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  clear(): void {
    for (const item of this.items) this.moved(item, -1);
    this.items.length = 0;
    if (this.first.length > 1024) {
      this.first = new Float64Array(16);
      this.second = new Float64Array(16);
    }
  }

  /** Called whenever an item lands at `index` (-1: it left the heap). */
  protected moved(_item: T, _index: number): void {}

  protected removeAt(index: number): void {
    const items = this.items;
    const item = items[index]!;
    const lastIndex = items.length - 1;
    const last = items.pop()!;
    this.moved(item, -1);
    if (index === lastIndex) return;
    this.resift(index, last, this.first[lastIndex]!, this.second[lastIndex]!);
  }

  /** Places `item` with keys (first, second) at `index`, then restores order up or down. */
  protected resift(index: number, item: T, first: number, second: number): void {
    if (this.siftUp(index, item, first, second) === index) this.siftDown(index, item, first, second);
  }

  private siftUp(start: number, item: T, first: number, second: number): number {
    const items = this.items;
    const firsts = this.first;
    const seconds = this.second;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentFirst = firsts[parent]!;
      const parentSecond = seconds[parent]!;
      if (!(first < parentFirst || (first === parentFirst && second < parentSecond))) break;
      const moving = items[parent]!;
      items[index] = moving;
      firsts[index] = parentFirst;
      seconds[index] = parentSecond;
      this.moved(moving, index);
      index = parent;
    }
    items[index] = item;
    firsts[index] = first;
    seconds[index] = second;
    this.moved(item, index);
    return index;
  }

  private siftDown(start: number, item: T, first: number, second: number): void {
    const items = this.items;
    const firsts = this.first;
    const seconds = this.second;
    const length = items.length;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      let childFirst = firsts[child]!;
      let childSecond = seconds[child]!;
      const right = child + 1;
      if (right < length) {
        const rightFirst = firsts[right]!;
        const rightSecond = seconds[right]!;
        if (rightFirst < childFirst || (rightFirst === childFirst && rightSecond < childSecond)) {
          child = right;
          childFirst = rightFirst;
          childSecond = rightSecond;
        }
      }
      if (!(childFirst < first || (childFirst === first && childSecond < second))) break;
      const moving = items[child]!;
      items[index] = moving;
      firsts[index] = childFirst;
      seconds[index] = childSecond;
      this.moved(moving, index);
      index = child;
    }
    items[index] = item;
    firsts[index] = first;
    seconds[index] = second;
    this.moved(item, index);
  }

  private grow(): void {
    const first = new Float64Array(this.first.length * 2);
    const second = new Float64Array(this.second.length * 2);
    first.set(this.first);
    second.set(this.second);
    this.first = first;
    this.second = second;
  }
}

export class IndexedHeap<T extends HeapItem> extends KeyedHeap<T> {
  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  /** Puts `item` in with these keys, or re-keys it if it is already in. */
  set(item: T, first: number, second: number): void {
    if (this.has(item)) this.resift(item.heapIndex, item, first, second);
    else this.push(item, first, second);
  }

  /** Takes `item` out if it is in. */
  remove(item: T): void {
    if (this.has(item)) this.removeAt(item.heapIndex);
  }

  protected override moved(item: T, index: number): void {
    item.heapIndex = index;
  }
}
