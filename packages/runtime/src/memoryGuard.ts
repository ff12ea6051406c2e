/**
 * The memory cap inside a task's Web Worker: it counts the binary memory
 * (ArrayBuffers, and so typed arrays) that code in this Web Worker allocates,
 * and stops an allocation that would take the live total past the cap.
 *
 * Why counting: Chromium lets a dedicated Web Worker read nothing of its own
 * memory (no `performance.memory`, and `measureUserAgentSpecificMemory` needs
 * cross-origin isolation), and the page cannot see a Web Worker's heap. A
 * buffer's bytes live outside the JS heap, so an allocation bomb of typed
 * arrays grows until the tab (or the machine) runs out of memory. Here the
 * global `ArrayBuffer` and typed-array constructors are wrapped (a Proxy
 * keeps `instanceof`, subclassing and species working), so `new`, `from`,
 * `of`, `slice`, `map`, `filter` and `resize` are counted; a
 * FinalizationRegistry takes a buffer off the count once it is collected.
 *
 * Over the cap: `exceeded` is called once (the page then terminates this Web
 * Worker: ERR_TASK_MEMORY), and the allocation, and every later one, throws
 * a RangeError, so the task cannot go on allocating meanwhile.
 *
 * What it does not see (README.md "Runaway caps"): plain JS objects, arrays
 * and strings (the V8 heap: a bomb of those crashes the tab at V8's heap
 * limit, which the coordinator handles as a lost worker), WebAssembly
 * memory made with `new WebAssembly.Memory` (views over it are not counted;
 * ctx.engine() gives DuckDB the cap as its own memory_limit), and buffers made natively (structuredClone, fetch, TextEncoder,
 * transferred in). And collection is only noticed between tasks of the event
 * loop: a synchronous loop that makes and drops more than the cap in short-
 * lived buffers, without ever awaiting a timer or message, is counted as if
 * it kept them, unless they were detached (transferred out: a task's result)
 * or collected before the check: an allocation that would pass the cap first
 * takes those off the count (`reclaim`), since their finalizers may not have
 * run yet (they run as a later task of the event loop, a task that is
 * itself a long synchronous loop never sees them).
 */

import { TYPED_ARRAY_NAMES } from '@shoal/objects';

/** Buffers smaller than this are not counted (nor registered): cheap small arrays stay cheap. */
const MIN_COUNTED = 1024;

const TYPED_ARRAYS = TYPED_ARRAY_NAMES;

type Constructor = new (...args: unknown[]) => object;

export interface MemoryGuard {
  /** Counted bytes not yet seen collected. */
  live(): number;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;

/**
 * Installs the guard on this realm's globals (call once, before any task
 * runs). `exceeded(liveBytes)` is called the first time the cap is hit.
 */
export function installMemoryGuard(capBytes: number, exceeded: (liveBytes: number) => void, scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): MemoryGuard {
  const NativeArrayBuffer = scope['ArrayBuffer'] as typeof ArrayBuffer;
  let live = 0;
  let over = false;
  const counted = new WeakMap<ArrayBuffer, { bytes: number }>();
  const registry = new FinalizationRegistry<{ bytes: number }>((held) => {
    live -= held.bytes;
    held.bytes = 0;
  });
  /** Every counted buffer, weakly: what `reclaim` looks through. */
  let tracked: { ref: WeakRef<ArrayBuffer>; held: { bytes: number } }[] = [];
  /** Takes buffers already collected, or detached, off the count; their finalizers then subtract nothing. */
  const reclaim = (): void => {
    const still: typeof tracked = [];
    for (const t of tracked) {
      if (t.held.bytes === 0) continue;
      const buffer = t.ref.deref();
      if (buffer === undefined || buffer.byteLength === 0) {
        live -= t.held.bytes;
        t.held.bytes = 0;
      } else still.push(t);
    }
    tracked = still;
  };

  const refuse = (bytes: number): never => {
    if (!over) {
      over = true;
      exceeded(live + bytes);
    }
    throw new RangeError(
      `ERR_TASK_MEMORY: allocating ${mib(bytes)} would take this task's binary memory (${mib(live)} live) past the worker's cap of ${mib(capBytes)}; the worker page's taskMemory=<MiB> parameter sets the cap`,
    );
  };
  const check = (bytes: number): void => {
    if (!over && bytes > 0 && live + bytes > capBytes) reclaim();
    if (over || (bytes > 0 && live + bytes > capBytes)) refuse(bytes);
  };
  // WebAssembly memory is not counted (see the header): a view made over it (Emscripten makes several on every
  // grow, e.g. DuckDB-WASM for ctx.engine()) would otherwise count the whole memory, once per grow.
  const memories: WeakRef<WebAssembly.Memory>[] = [];
  const wasm = scope['WebAssembly'] as typeof WebAssembly | undefined;
  if (wasm && typeof wasm.Memory === 'function') {
    wasm.Memory = new Proxy(wasm.Memory, {
      construct(target, args, newTarget) {
        const memory = Reflect.construct(target, args, newTarget) as WebAssembly.Memory;
        memories.push(new WeakRef(memory));
        return memory;
      },
    });
  }
  const isWasmMemory = (buffer: ArrayBuffer): boolean => memories.some((ref) => ref.deref()?.buffer === buffer);
  const count = (buffer: unknown): void => {
    if (!(buffer instanceof NativeArrayBuffer) || buffer.byteLength < MIN_COUNTED || counted.has(buffer) || isWasmMemory(buffer)) return;
    const held = { bytes: buffer.byteLength };
    counted.set(buffer, held);
    registry.register(buffer, held);
    tracked.push({ ref: new WeakRef(buffer), held });
    if (tracked.length > 4096 && tracked.length % 4096 === 0) tracked = tracked.filter((t) => t.held.bytes > 0);
    live += held.bytes;
    if (live > capBytes) reclaim();
    if (live > capBytes) refuse(0);
  };

  const wrap = (name: string, bytesOf: (args: unknown[]) => number): void => {
    const native = scope[name] as Constructor | undefined;
    if (typeof native !== 'function') return;
    const proxy: Constructor = new Proxy(native, {
      construct(target, args, newTarget) {
        check(bytesOf(args));
        const made = Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
        count(made instanceof NativeArrayBuffer ? made : (made as { buffer?: unknown }).buffer);
        return made;
      },
    });
    // Species lookups (slice, map, filter, from, of) go through `constructor`: point it at the proxy.
    Object.defineProperty(native.prototype, 'constructor', { value: proxy, writable: true, configurable: true, enumerable: false });
    scope[name] = proxy;
  };

  wrap('ArrayBuffer', (args) => toBytes(args[0]));
  for (const name of TYPED_ARRAYS) {
    const native = scope[name] as { BYTES_PER_ELEMENT?: number } | undefined;
    const per = native?.BYTES_PER_ELEMENT ?? 1;
    // A length allocates now; a buffer allocates nothing; an array-like or iterable is counted once made.
    wrap(name, (args) => (typeof args[0] === 'number' ? toBytes(args[0]) * per : 0));
  }

  const proto = NativeArrayBuffer.prototype as ArrayBuffer & { resize?: (bytes: number) => void };
  const resize = proto.resize;
  if (typeof resize === 'function') {
    Object.defineProperty(proto, 'resize', {
      configurable: true,
      writable: true,
      value: function (this: ArrayBuffer, bytes: number): void {
        const held = counted.get(this);
        check(toBytes(bytes) - this.byteLength);
        resize.call(this, bytes);
        if (held) {
          live += this.byteLength - held.bytes;
          held.bytes = this.byteLength;
        } else count(this);
      },
    });
  }
  return { live: () => live };
}

/** A requested byte length, as ToIndex would read it (junk counts as 0: the constructor throws on it anyway). */
function toBytes(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
