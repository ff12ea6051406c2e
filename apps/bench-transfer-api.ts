/**
 * What the transfer bench page (bench-transfer.ts) exposes on
 * `window.shoalBench`, for bench/transfer-raw.ts and e2e/bulk-control.spec.ts
 * to drive it: lane sets, results and the page's API.
 */
import type { BulkEndpoint, BulkStats } from '@shoal/transport';

export type LaneCount = 1 | 2 | 4;
/**
 * A lane set: 1, 2 or 4 of PeerLink's bulk channels (paced: BulkEndpoint's
 * default); 'unpaced', one more of them with `pacing: false` (only the
 * high-water mark bounds the sender: the layout before pacing); 'compare',
 * one more paced with the pacer options of `compare=` (a same-run A/B of a
 * pacer setting); or 'shared',
 * one channel on the link's main connection, unpaced (the layout before that).
 */
export type CompareLane = 'compare' | 'compare2' | 'compare3';
export type Lanes = LaneCount | 'unpaced' | CompareLane | 'shared';
/** The compare lanes, in the order of `compare=`'s array. */
export const COMPARE_LANES: readonly CompareLane[] = ['compare', 'compare2', 'compare3'];
/** Round trips (ms) of small messages while idle or during a fetch: on the raw channel and on the link's control channel. */
export interface PingResult {
  raw: number[];
  control: number[];
  /** Raw pings' legs (ms, from timeOrigin + now in each tab): fetcher → holder's handler, and back. */
  there?: number[];
  back?: number[];
}
export interface TransferResult {
  bytes: number;
  ms: number;
  mbPerSec: number;
}
export interface BenchTransferApi {
  peerId(): string | null;
  /** The other tab, once its link, bulk channels and raw channel are all open. */
  readyPeer(): string | null;
  /** Sends `bytes` to the other tab over the raw channel in `chunk`-byte messages (default 256 KiB); the time until its receipt comes back. */
  raw(bytes: number, chunk?: number): Promise<TransferResult>;
  /** Fetches a `size`-byte object from the other tab over `lanes` bulk channels. */
  fetch(lanes: Lanes, size: number): Promise<TransferResult & { stats: BulkStats }>;
  /** The same over the co-located MessagePort path; null if the broker does not know the other tab. */
  colocated(size: number): Promise<(TransferResult & { stats: BulkStats }) | null>;
  /**
   * Round trips (ms) of small messages every 10 ms, in turn on the raw
   * channel and on the link's own control channel (a `heartbeat` the holder
   * echoes): while idle, or during a fetch over `lanes` (bytes flow the
   * other way, so the answers travel beside them).
   */
  pings(count: number, during?: { lanes: Lanes; size: number }): Promise<PingResult>;
  /** Starts a fetch and keeps its outcome for `fetchOutcome` (for the holder-closes check). */
  startFetch(lanes: LaneCount, size: number): void;
  /** How that fetch ended: its error code, and Date.now() when it settled. */
  fetchOutcome(): Promise<{ ok: boolean; code: string | null; message: string; at: number }>;
  /** Whether the co-located endpoint has closed, and whether the broker still connects to the other tab. */
  colocatedState(): Promise<{ endpoint: string; reconnects: boolean }>;
  /** Makes the objects of these sizes now, so that no timed fetch pays for it. */
  prepare(sizes: number[]): void;
  /** Milliseconds that bulkChecksum takes over `size` bytes. */
  checksumMs(size: number): number;
  /**
   * Ordering probe (e2e): fetches a `size`-byte object over the unpaced lane
   * (a paced sender never queues megabytes); the
   * holder sends a control message (a heartbeat on the link) right after its
   * sender has queued the first bytes. Says how many bulk bytes had arrived
   * when the control message did, and whether the fetch had completed.
   */
  probe(size: number): Promise<{ bytesBeforeControl: number; fetchDoneBeforeControl: boolean; total: number }>;
  /** Holder side of the probe: bytes queued on the bulk lane when the control message was sent. */
  probeQueued(): number | null;
  /** Bytes received so far over the link's main RTCPeerConnection (its control channel, raw and shared channels). */
  mainConnectionBytes(): Promise<number>;
  /**
   * Experiment: pings (as `pings`) while the holder sends `bytes` over an
   * idle bulk channel (lane set 4's first) as plain messages of `chunk`
   * bytes, keeping at most `window` bytes unacknowledged by this tab (an ack
   * per message) and at most 8 MiB in bufferedAmount. Returns the pings and
   * the transfer's speed.
   */
  windowed(bytes: number, window: number, chunk: number, pingCount: number): Promise<PingResult & TransferResult>;
  /** This side's endpoint stats for a lane set (the holder's: its pacer's window and round trips). */
  endpointStats(lanes: Lanes): ReturnType<BulkEndpoint['stats']>;
  /** Holder side: bufferedAmount samples (every 5 ms) of the bulk lanes since the last call, and clears them. */
  queueSamples(): { mean: number; max: number; count: number };
  /** Diagnosis: starts sampling this tab's main-thread queue delay (a MessageChannel message posted every 2 ms, ms until it runs). */
  lagStart(): void;
  /** Stops sampling; the delays seen. */
  lagStop(): number[];
  /** Diagnosis: busy-loops `workers` Web Workers in this tab for `ms` (CPU contention without network). */
  burn(ms: number, workers: number): Promise<void>;
}
