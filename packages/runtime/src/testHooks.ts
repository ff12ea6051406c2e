/**
 * Test hooks for a worker tab (worker page parameters; never for real use):
 *
 *   throttle=<ms>       every task run waits this long before it starts, so
 *                       this tab is a straggler (e2e/speculation.spec.ts)
 *   corruptResults=1    every successful result is altered before it is
 *                       reported: a lying worker (`verify`, docs/security.md)
 */
import type { TaskResult } from '@shoal/protocol';

export interface TestHooks {
  /** Milliseconds each run waits before it starts. */
  delayMs?: number;
  /** Alter every successful result. */
  corruptResults?: boolean;
}

/** Reads the hooks from a worker page's query parameters. */
export function testHooksFrom(params: URLSearchParams): TestHooks {
  const delay = Number(params.get('throttle'));
  return {
    ...(Number.isFinite(delay) && delay > 0 ? { delayMs: Math.min(delay, 600_000) } : {}),
    ...(params.get('corruptResults') === '1' ? { corruptResults: true } : {}),
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A successful result, altered: inline values changed, stored outputs' checksums flipped. */
export function corrupt(result: TaskResult): TaskResult {
  if (!result.ok) return result;
  const stored = result.stored?.map((output) => ({ ...output, ...(output.checksum !== undefined ? { checksum: (output.checksum ^ 1) >>> 0 } : {}) }));
  return { ok: true, value: lie(result.value), ...(stored ? { stored } : {}) };
}

function lie(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}!`;
  if (typeof value === 'boolean') return !value;
  if (value === null) return null; // a stored output's slot: its checksum was flipped
  if (Array.isArray(value)) return value.map(lie);
  return { corrupted: value };
}
