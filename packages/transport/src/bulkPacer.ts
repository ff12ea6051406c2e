/**
 * How many bulk bytes a sender may have on the way to its peer: a window
 * over bytes sent but not yet acknowledged by the receiving tab, sized by a
 * delay-based controller in the manner of LEDBAT (RFC 6817). Pure: the
 * caller passes the time in.
 *
 * Why: a control message on another connection of the same tabs still waits
 * behind every bulk byte queued where both paths meet (the renderer's
 * network thread, the browser's socket IPC, the receiving main thread).
 * `bufferedAmount` does not count the bytes already handed to SCTP, whose
 * congestion window grows to megabytes on a link with no loss, so a
 * high-water mark on it does not bound that queue. The receiver's `ack`
 * frames (chunk bytes received so far) do: at most `window` bytes are ever
 * between the sender's `send` and the receiver's message handler.
 *
 * The controller:
 * - every ack gives a round-trip sample: from sending the newest byte it
 *   covers to its ack;
 * - `base`: the least sample over the last `historyMs` (kept per second, so
 *   an old minimum ages out); `current`: the least of the last
 *   `currentSamples` (filters scheduling hiccups: a tab that loses its core
 *   for a while delays a whole window's acks at once);
 * - queueing delay = current − base, aimed at `target` = max(`targetMs`,
 *   `targetFraction` × base), so a loopback link aims at about a millisecond
 *   and a 30 ms link at 15 ms;
 * - until a sample first comes back more than half the target late, the
 *   window grows by the bytes acked (doubling per round trip, like slow
 *   start); from then on by
 *   `gain` × (target − delay) / target × acked × `chunkBytes` / window
 *   (LEDBAT's rule: about one chunk per round trip at zero delay), shrinking
 *   by at most half the acked bytes per ack (half the window per round trip);
 * - within [`minWindow`, `maxWindow`].
 *
 * One chunk may always go when nothing is in flight, so a window below a
 * chunk still moves. If the window is full and no ack has come for
 * `stallMs`, the bytes in flight are forgiven (a peer that does not ack, or
 * a stalled one), so the sender can never deadlock on its own accounting;
 * their acks, when they come, free nothing twice and give no sample.
 */

export interface BulkPacerOptions {
  /** Bytes per chunk on the lanes (the unit of LEDBAT's increase). */
  chunkBytes: number;
  /** Smallest window. Default 2 chunks. */
  minWindow?: number;
  /** Largest window. Default 8 MiB. */
  maxWindow?: number;
  /** Window at the start. Default 4 chunks. */
  initialWindow?: number;
  /** Least queueing delay aimed at, ms. Default 1. */
  targetMs?: number;
  /** Queueing delay aimed at as a fraction of the base round trip, if that is more. Default 0.5. */
  targetFraction?: number;
  /** LEDBAT's gain. Default 1. */
  gain?: number;
  /** How far back the base (least) round trip is remembered, ms. Default 10 000. */
  historyMs?: number;
  /** Samples the current delay is the least of. Default 16 (bench/README.md, transfer: 4 lost a third of the throughput on a loaded machine). */
  currentSamples?: number;
  /** A full window with no ack for this long is forgiven, ms. Default 250. */
  stallMs?: number;
  /**
   * Caps the window at this many bandwidth-delay products (the best delivery
   * rate seen lately × the base round trip), as BBR does, once slow start has
   * ended; 0: no cap. Default 1.25 (bench/README.md, "Control traffic under
   * bulk load": it cut the control p90 during a fetch by a third to a half
   * against no cap, at the same throughput, in same-run A/Bs).
   * LEDBAT's window settles where the filtered delay meets the target, and
   * with noisy samples the filter (a minimum) reads low, so the window
   * overshoots; the cap bounds the standing queue at (gain − 1) base round
   * trips whatever the filter reads. Below the cap the window still grows
   * (the rate seen follows the window), by at most `bdpGain` per round trip.
   */
  bdpGain?: number;
  /**
   * Keeps the window at least this many bandwidth-delay products once slow
   * start has ended (at most the cap); 0: no floor. Default 0 (one same-run
   * A/B, no gain over the cap alone to show yet). A delay rise that comes from the tabs losing their
   * cores (not from a queue) makes LEDBAT shrink the window and leave the
   * pipe empty; with a floor of 1, what the best recent rate needed stays
   * allowed.
   */
  bdpFloor?: number;
}

export interface BulkPacerState {
  window: number;
  inFlight: number;
  /** ms; NaN before the first sample. */
  baseRtt: number;
  currentRtt: number;
  queueingDelay: number;
  target: number;
  /** Best delivery rate seen lately, bytes/ms (NaN before a sample). */
  deliveryRate: number;
  /** The window's cap from `bdpGain` (Infinity: none). */
  cap: number;
  samples: number;
  backoffs: number;
  forgiven: number;
}

const MiB = 1024 * 1024;
const BUCKET_MS = 1000;

export class BulkPacer {
  private readonly chunk: number;
  private readonly minWindow: number;
  private readonly maxWindow: number;
  private readonly targetMs: number;
  private readonly targetFraction: number;
  private readonly gain: number;
  private readonly historyBuckets: number;
  private readonly currentSamples: number;
  private readonly stallMs: number;
  private readonly bdpGain: number;
  private readonly bdpFloor: number;
  private windowBytes: number;
  /** Payload bytes handed to the lanes so far. */
  private sent = 0;
  /** The peer's count of bytes received (its latest ack). */
  private acked = 0;
  /** Bytes up to here no longer count as in flight: forgiven after a stall (late acks still give samples). */
  private forgivenTo = 0;
  /** (end position, time sent, bytes acked when sent) of the chunks in flight, oldest first. */
  private readonly inFlightChunks: Array<{ end: number; at: number; ackedThen: number }> = [];
  /** Best delivery-rate sample per BUCKET_MS (bytes/ms), newest last. */
  private readonly rates: Array<{ bucket: number; max: number }> = [];
  private head = 0;
  /** Least sample per BUCKET_MS, newest last. */
  private readonly history: Array<{ bucket: number; min: number }> = [];
  private readonly recent: number[] = [];
  private slowStart = true;
  private lastProgress = 0;
  private counts = { samples: 0, backoffs: 0, forgiven: 0 };

  constructor(options: BulkPacerOptions) {
    this.chunk = Math.max(1, options.chunkBytes);
    this.minWindow = Math.max(1, options.minWindow ?? 2 * this.chunk);
    this.maxWindow = Math.max(this.minWindow, options.maxWindow ?? 8 * MiB);
    this.windowBytes = clamp(options.initialWindow ?? 4 * this.chunk, this.minWindow, this.maxWindow);
    this.targetMs = options.targetMs ?? 1;
    this.targetFraction = options.targetFraction ?? 0.5;
    this.gain = options.gain ?? 1;
    this.historyBuckets = Math.max(1, Math.ceil((options.historyMs ?? 10_000) / BUCKET_MS));
    this.currentSamples = Math.max(1, options.currentSamples ?? 16);
    this.stallMs = options.stallMs ?? 250;
    this.bdpGain = options.bdpGain ?? 1.25;
    this.bdpFloor = options.bdpFloor ?? 0;
  }

  get window(): number {
    return this.windowBytes;
  }

  get inFlight(): number {
    return Math.max(0, this.sent - Math.max(this.acked, this.forgivenTo));
  }

  /** Whether a chunk of `bytes` may go now. */
  canSend(bytes: number): boolean {
    const inFlight = this.inFlight;
    return inFlight === 0 || inFlight + bytes <= this.windowBytes;
  }

  /** `bytes` of chunk payload were handed to a lane at `now` (ms). */
  onSent(bytes: number, now: number): void {
    if (this.inFlight === 0) this.lastProgress = now;
    this.sent += bytes;
    this.inFlightChunks.push({ end: this.sent, at: now, ackedThen: Math.max(this.acked, this.forgivenTo) });
  }

  /** The peer's ack: it has received `peerBytes` chunk payload bytes in all. */
  onAck(peerBytes: number, now: number): void {
    const position = Math.min(this.sent, peerBytes);
    if (position <= this.acked) return;
    const newlyAcked = position - Math.max(this.acked, Math.min(position, this.forgivenTo));
    this.acked = position;
    this.lastProgress = now;
    let newest: { at: number; ackedThen: number } | undefined;
    while (this.head < this.inFlightChunks.length && this.inFlightChunks[this.head]!.end <= position) newest = this.inFlightChunks[this.head++]!;
    if (this.head > 1024) {
      this.inFlightChunks.splice(0, this.head);
      this.head = 0;
    }
    if (newest === undefined) return; // only part of a chunk: no sample yet
    this.sample(now - newest.at, now);
    // Delivery rate (BBR's sample): bytes acked between this chunk's send and its ack, over that time.
    if (now > newest.at) this.sampleRate((position - newest.ackedThen) / (now - newest.at), now);
    if (newlyAcked > 0) this.adjust(newlyAcked);
  }

  /** Call while the sender is held by the window: forgives the bytes in flight after `stallMs` without an ack. Returns true if it did. */
  checkStall(now: number): boolean {
    if (this.inFlight === 0 || now - this.lastProgress < this.stallMs) return false;
    this.forgivenTo = this.sent;
    this.inFlightChunks.length = 0; // late acks of these give no sample (and a peer that never acks leaks nothing)
    this.head = 0;
    this.lastProgress = now;
    this.counts.forgiven += 1;
    return true;
  }

  state(): BulkPacerState {
    const base = this.baseRtt();
    const current = this.recent.length ? Math.min(...this.recent) : NaN;
    return {
      window: this.windowBytes,
      inFlight: this.inFlight,
      baseRtt: base,
      currentRtt: current,
      queueingDelay: current - base,
      target: this.target(base),
      deliveryRate: this.rates.length ? Math.max(...this.rates.map((r) => r.max)) : NaN,
      cap: this.cap(),
      ...this.counts,
    };
  }

  /** Best recent delivery rate × base round trip, bytes (NaN before samples). */
  private bdp(): number {
    const base = this.baseRtt();
    if (this.rates.length === 0 || !Number.isFinite(base)) return NaN;
    return Math.max(...this.rates.map((r) => r.max)) * Math.max(base, 0.1);
  }

  /** `bdpGain` BDPs; Infinity without a cap or a sample, and in slow start. */
  private cap(): number {
    if (this.slowStart) return Infinity;
    const bdp = this.bdp();
    return this.bdpGain > 0 && Number.isFinite(bdp) ? this.bdpGain * bdp : Infinity;
  }

  /** `bdpFloor` BDPs; 0 without a floor or a sample, and in slow start. */
  private floor(): number {
    if (this.slowStart) return 0;
    const bdp = this.bdp();
    return this.bdpFloor > 0 && Number.isFinite(bdp) ? Math.min(this.bdpFloor * bdp, this.cap()) : 0;
  }

  private sampleRate(rate: number, now: number): void {
    if (!(this.bdpGain > 0 || this.bdpFloor > 0) || !Number.isFinite(rate)) return;
    const bucket = Math.floor(now / BUCKET_MS);
    const last = this.rates.at(-1);
    if (last && last.bucket === bucket) last.max = Math.max(last.max, rate);
    else {
      this.rates.push({ bucket, max: rate });
      // A short memory (2 buckets): the rate a loaded machine gives moves within seconds.
      while (this.rates.length > 0 && this.rates[0]!.bucket <= bucket - 2) this.rates.shift();
    }
  }

  private baseRtt(): number {
    return this.history.length ? Math.min(...this.history.map((h) => h.min)) : NaN;
  }

  private target(base: number): number {
    return Math.max(this.targetMs, Number.isFinite(base) ? this.targetFraction * base : 0);
  }

  private sample(rtt: number, now: number): void {
    this.counts.samples += 1;
    const bucket = Math.floor(now / BUCKET_MS);
    const last = this.history.at(-1);
    if (last && last.bucket === bucket) last.min = Math.min(last.min, rtt);
    else {
      this.history.push({ bucket, min: rtt });
      while (this.history.length > 0 && this.history[0]!.bucket <= bucket - this.historyBuckets) this.history.shift();
    }
    this.recent.push(rtt);
    if (this.recent.length > this.currentSamples) this.recent.shift();
  }

  private adjust(newlyAcked: number): void {
    const base = this.baseRtt();
    const delay = Math.min(...this.recent) - base;
    const target = this.target(base);
    let change: number;
    // Slow start ends on the first sample past half the target, unfiltered: growing by doubling, the window must not wait for the filter.
    if (this.slowStart && this.recent.at(-1)! - base < target / 2) change = newlyAcked;
    else {
      this.slowStart = false;
      const offTarget = (target - delay) / target;
      change = Math.max(-newlyAcked / 2, (this.gain * offTarget * newlyAcked * this.chunk) / this.windowBytes);
    }
    if (change < 0) this.counts.backoffs += 1;
    this.windowBytes = clamp(Math.max(Math.min(this.windowBytes + change, this.cap()), this.floor()), this.minWindow, this.maxWindow);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
