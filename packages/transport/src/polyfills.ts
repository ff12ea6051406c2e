/**
 * simple-peer and its streams expect Node's `process`, `Buffer` and `global`.
 * This module must be imported before simple-peer (see peerLink.ts).
 */
import { Buffer } from 'buffer';
import process from 'process';

const g = globalThis as unknown as Record<string, unknown>;
g['global'] ??= globalThis;
g['Buffer'] ??= Buffer;
g['process'] ??= process;
