/**
 * A BulkEndpoint's options, verbs' options and stats, with their defaults
 * (bulkEndpoint.ts has the endpoint itself).
 */
import type { BulkPacerOptions } from './bulkPacer.ts';

export type ServeFn = (objectId: string) => Promise<ArrayBuffer | null> | ArrayBuffer | null;
export type PushedFn = (objectId: string, buffer: ArrayBuffer) => void;

export interface BulkEndpointOptions {
  /** The peer's id, for error messages. */
  peerId?: string;
  /** Answers the peer's fetches: the object's bytes, or null if this side does not hold it. */
  serve?: ServeFn;
  /** Receives objects the peer pushes (checked already). Without it, pushes are refused. */
  onPushed?: PushedFn;
  /** `(bytes) => u32`; both sides must use the same one. Default `bulkChecksum`. */
  checksum?: (bytes: Uint8Array) => number;
  /** Largest frame, header included. Default and maximum 256 KiB (a data channel's limit). */
  chunkBytes?: number;
  /** A lane takes no more chunks while this many bytes are queued on it. Default 8 MiB. */
  highWaterMark?: number;
  /** Sending resumes when a lane drains to this. Default 1 MiB. */
  lowWaterMark?: number;
  /** Most bytes sent in one task before the sender yields the thread. Default DEFAULT_BULK_BURST (1 MiB). */
  burstBytes?: number;
  /** Tries per fetch or push, the first included. Default 3. */
  maxAttempts?: number;
  /**
   * Bounds the bytes in flight to the peer with a delay-based window
   * (bulkPacer.ts) fed by the peer's acks, so control messages on the tabs'
   * other connections do not queue behind bulk. Default on for data
   * channels (off on co-located lanes, which have no queue to bound); both
   * sides must agree, since the receiver acks only when it is on. An object
   * tunes it.
   */
  pacing?: boolean | Omit<BulkPacerOptions, 'chunkBytes'>;
  /** A fetch fails with ERR_TIMEOUT when nothing of its reply arrives for this long, ms. Default DEFAULT_FETCH_STALL_MS (30 s); 0 or Infinity: no deadline. */
  stallTimeoutMs?: number;
}

export interface FetchOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number) => void;
  /** This fetch's stall deadline, ms (the endpoint's `stallTimeoutMs` otherwise). */
  stallTimeoutMs?: number;
}

export interface PushOptions {
  signal?: AbortSignal;
  /**
   * The caller gives `buffer` away: over a co-located port it is transferred,
   * not cloned (collectives' chunks), and is detached once sent. A push handed
   * over cannot be sent again, so one that arrives corrupt fails at once.
   */
  handOver?: boolean;
}

export interface BulkStats {
  bytesSent: number;
  bytesReceived: number;
  /** Fetches and pushes this side completed, by direction. */
  transfersIn: number;
  transfersOut: number;
  /** Transfers received whose length or checksum was wrong. */
  corruptTransfers: number;
  /** Chunks that could not be placed (before a header, past the end). */
  corruptChunks: number;
  retries: number;
  /** Frames that failed to decode or named no transfer. */
  malformedFrames: number;
  /** Frames of transfers that had just ended or been cancelled (harmless). */
  staleFrames: number;
}

export const DEFAULT_BULK_HIGH_WATER = 8 * 1024 * 1024;
export const DEFAULT_BULK_LOW_WATER = 1024 * 1024;
export const DEFAULT_BULK_BURST = 1024 * 1024;
/** A fetch whose reply stalls this long fails with ERR_TIMEOUT (BulkEndpointOptions.stallTimeoutMs). */
export const DEFAULT_FETCH_STALL_MS = 30_000;
/** Largest frame when paced: small against the window, so the window can stay small (bench/README.md, transfer). */
export const DEFAULT_PACED_CHUNK = 32 * 1024;
