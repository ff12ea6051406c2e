/**
 * simple-peer and its streams expect Node's `process`, `Buffer` and `global`.
 * This module must be imported before simple-peer (see peerLink.ts).
 *
 * In a browser, the `process` shim's `nextTick` is a `setTimeout(0)` (and its
 * drain arms and clears a second timer): readable-stream calls it for every
 * frame a data channel delivers, so each control frame cost three timer calls
 * and a task of its own. A microtask is what `nextTick` means (run after the
 * current code, before anything else), at a fraction of the cost.
 */
import { Buffer } from 'buffer';
import process from 'process';

const g = globalThis as unknown as Record<string, unknown>;
g['global'] ??= globalThis;
g['Buffer'] ??= Buffer;
g['process'] ??= process;

const shim = process as unknown as { browser?: boolean; nextTick: (fn: (...args: unknown[]) => void, ...args: unknown[]) => void };
if (shim.browser === true) shim.nextTick = (fn, ...args) => queueMicrotask(() => fn(...args));
