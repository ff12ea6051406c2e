/**
 * Recycled column buffers for dataset tasks, one pool per Web Worker
 * (self-contained: its text ships inside the task function, as blockLib's).
 *
 * Why: in Chromium a fresh ArrayBuffer's pages are faulted in on first touch,
 * and freed ones go back to the system. On this project's VM a first touch
 * costs ~20 µs a 4 KiB page (filling a fresh 8 MiB Float64Array: 25 ms; the
 * same array again: 0.4 ms), so a pipeline that makes three float64 columns
 * a row spends most of its time faulting pages in, where numpy (glibc keeps
 * freed memory) does not. Reusing buffers takes that away.
 *
 * What is reused: the buffers of columns that blocks handed on inside a task
 * (the range read's `id`, and what each transform step returned), once that
 * task is over and its output encoded (the runtime copies a task's result
 * into its own blob before the next task starts). A batch function that
 * makes `new Float64Array(n)` (and the other number kinds) gets a free buffer
 * of that size, zeroed, when there is one: functions run with these
 * constructors in scope (`shadow`). Temporaries a function makes and does not
 * return, and anything it keeps in globals, are never reused.
 *
 * Pool actors' classes do not get it: an actor may keep what it returned.
 * Off outside a Web Worker (the in-process test cluster hands results on by
 * reference, without the runtime's copy): `alloc` then just allocates.
 */
export interface BufferPool {
  /** A task starts: columns handed on by earlier tasks are free again, if no other dataset task runs in this Web Worker. */
  begin(): void;
  end(): void;
  /** A zeroed typed array of `length` elements, on a free buffer when one fits exactly. */
  alloc<T extends ArrayBufferView>(ctor: new (...args: any[]) => T, length: number): T;
  /** The block's whole-buffer typed columns may be reused once this task is over. */
  handedOn(block: { cols: Record<string, unknown> }): void;
  /** Constructor names and their pooled stand-ins, for the scope of batch functions. */
  readonly names: readonly string[];
  readonly shadows: readonly unknown[];
}

/** The pool of `scope` (this realm by default; made on first use), reusing buffers only in a Web Worker unless `enabled`. */
export function bufferPool(scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>, enabled?: boolean): BufferPool {
  const existing = scope['__shoalDatasetPool'] as BufferPool | undefined;
  if (existing) return existing;
  const worker = scope['WorkerGlobalScope'] as (new () => object) | undefined;
  const on = enabled ?? (typeof worker === 'function' && scope instanceof worker);
  /** Buffers smaller than this are left to the allocator (cheap enough). */
  const MIN_BYTES = 64 * 1024;
  /** Free buffers kept at most (per Web Worker). */
  const MAX_FREE_BYTES = 96 * 1024 * 1024;
  const free = new Map<number, ArrayBuffer[]>();
  let freeBytes = 0;
  let handed = new Set<ArrayBuffer>();
  let running = 0;
  const NAMES = ['Float64Array', 'Float32Array', 'Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array'];
  const pool: BufferPool = {
    begin() {
      if (running++ > 0 || !on) return;
      for (const buffer of handed) {
        if (buffer.byteLength === 0 || freeBytes + buffer.byteLength > MAX_FREE_BYTES) continue; // detached, or no room
        const list = free.get(buffer.byteLength) ?? [];
        list.push(buffer);
        free.set(buffer.byteLength, list);
        freeBytes += buffer.byteLength;
      }
      handed = new Set();
    },
    end() {
      running = Math.max(0, running - 1);
    },
    alloc(ctor, length) {
      const per = (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const bytes = length * per;
      const list = bytes >= MIN_BYTES ? free.get(bytes) : undefined;
      const buffer = list?.pop();
      if (buffer === undefined) return new ctor(length);
      freeBytes -= bytes;
      const view = new ctor(buffer, 0, length);
      (view as unknown as { fill(v: number): void }).fill(0);
      return view;
    },
    handedOn(block) {
      if (!on) return;
      for (const column of Object.values(block.cols)) {
        if (!ArrayBuffer.isView(column) || column.byteOffset !== 0) continue;
        const buffer = column.buffer as ArrayBuffer;
        if (buffer.byteLength === column.byteLength && buffer.byteLength >= MIN_BYTES && !(buffer instanceof SharedArrayBufferOrNone())) handed.add(buffer);
      }
    },
    names: NAMES,
    shadows: NAMES.map((name) => {
      const native = scope[name] as (new (...args: unknown[]) => ArrayBufferView) | undefined;
      if (typeof native !== 'function') return native;
      const stand: object = new Proxy(native, {
        construct(target, args, newTarget) {
          if (args.length === 1 && typeof args[0] === 'number' && newTarget === stand) return pool.alloc(target, args[0]);
          return Reflect.construct(target, args, newTarget === stand ? target : newTarget) as object;
        },
      });
      return stand;
    }),
  };
  /** SharedArrayBuffer where the realm has it (never reused: other threads may see it), else a class nothing is an instance of. */
  function SharedArrayBufferOrNone(): new () => object {
    return (scope['SharedArrayBuffer'] as (new () => object) | undefined) ?? class None {};
  }
  scope['__shoalDatasetPool'] = pool;
  return pool;
}
