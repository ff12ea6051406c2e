import { describe, expect, it } from 'vitest';
import { BulkPacer, type BulkPacerOptions } from './bulkPacer.ts';

const KiB = 1024;
const CHUNK = 32 * KiB;

/**
 * Drives a pacer over a simulated path: each round trip, the sender fills its
 * window with chunks, and each chunk's ack comes back `rtt(window)` ms after
 * it was sent. Returns the window after every round trip.
 */
function drive(pacer: BulkPacer, rounds: number, rtt: (windowBytes: number, round: number) => number, start = 0): number[] {
  const windows: number[] = [];
  let now = start;
  let sent = 0;
  for (let round = 0; round < rounds; round++) {
    const chunks: number[] = [];
    while (pacer.canSend(CHUNK)) {
      pacer.onSent(CHUNK, now);
      sent += CHUNK;
      chunks.push(sent);
    }
    const delay = rtt(pacer.window, round);
    now += delay;
    for (const end of chunks) pacer.onAck(end, now);
    windows.push(pacer.window);
  }
  return windows;
}

const options = (more: Partial<BulkPacerOptions> = {}): BulkPacerOptions => ({ chunkBytes: CHUNK, maxWindow: 4096 * KiB, ...more });

describe('BulkPacer', () => {
  it('lets one chunk go when nothing is in flight, more only within the window', () => {
    const pacer = new BulkPacer(options({ initialWindow: 64 * KiB, minWindow: 16 * KiB }));
    expect(pacer.canSend(10 * 1024 * KiB)).toBe(true); // nothing in flight: any chunk
    pacer.onSent(CHUNK, 0);
    expect(pacer.canSend(CHUNK)).toBe(true); // 64 KiB fits two
    pacer.onSent(CHUNK, 0);
    expect(pacer.inFlight).toBe(64 * KiB);
    expect(pacer.canSend(1)).toBe(false);
  });

  it.each([
    // [what, round trip in ms as a function of the window, expected window after 40 round trips]
    // The first round trip sets the base.
    ['an empty path doubles the window per round trip up to the largest', () => 1, 4096 * KiB],
    ['a long path (30 ms) with no queue grows it the same', () => 30, 4096 * KiB],
    ['a queue that grows with the window settles where the delay meets the target', (w: number, round: number) => (round === 0 ? 1 : 1 + w / (256 * KiB)), 256 * KiB],
    ['a queue far above target whatever the window holds the smallest window', (_w: number, round: number) => (round === 0 ? 1 : 20), 64 * KiB],
  ])('%s', (_what, rtt, want) => {
    // LEDBAT's own behaviour: no BDP cap (bdpGain 0).
    const pacer = new BulkPacer(options({ minWindow: 64 * KiB, targetMs: 1, targetFraction: 0, bdpGain: 0 }));
    const windows = drive(pacer, 60, rtt);
    const settled = windows.at(-1)!;
    expect(settled).toBeGreaterThanOrEqual(want * 0.7);
    expect(settled).toBeLessThanOrEqual(want * 1.3);
  });

  it('backs off by at most half the window per round trip when the queue builds', () => {
    const pacer = new BulkPacer(options({ minWindow: 32 * KiB, targetMs: 1, targetFraction: 0, initialWindow: 1024 * KiB, bdpGain: 0 }));
    drive(pacer, 1, () => 1); // base 1 ms
    const before = pacer.window;
    const windows = drive(pacer, 3, () => 20, 10);
    expect(windows[0]).toBeGreaterThanOrEqual(before / 2 - CHUNK);
    expect(windows[0]).toBeLessThan(before);
    expect(windows[2]).toBeLessThan(windows[0]!);
    expect(pacer.state().backoffs).toBeGreaterThan(0);
  });

  it('aims at a fraction of the base round trip on a long path', () => {
    const pacer = new BulkPacer(options({ targetMs: 1, targetFraction: 0.5 }));
    drive(pacer, 5, () => 30);
    const state = pacer.state();
    expect(state.baseRtt).toBe(30);
    expect(state.target).toBe(15);
    expect(state.queueingDelay).toBe(0);
  });

  it('forgets a base round trip older than its history', () => {
    const pacer = new BulkPacer(options({ historyMs: 2000 }));
    drive(pacer, 2, () => 1, 0);
    expect(pacer.state().baseRtt).toBe(1);
    drive(pacer, 2, () => 5, 10_000); // the path got longer (a new route, a busier machine)
    expect(pacer.state().baseRtt).toBe(5);
  });

  it('takes a sample only when an ack covers a whole chunk', () => {
    const pacer = new BulkPacer(options());
    pacer.onSent(CHUNK, 0);
    pacer.onAck(CHUNK / 2, 3);
    expect(pacer.state().samples).toBe(0);
    expect(pacer.inFlight).toBe(CHUNK / 2);
    pacer.onAck(CHUNK, 4);
    expect(pacer.state()).toMatchObject({ samples: 1, baseRtt: 4, inFlight: 0 });
    pacer.onAck(CHUNK, 5); // a repeat changes nothing
    pacer.onAck(10 * CHUNK, 5); // nor does an ack past what was sent
    expect(pacer.state()).toMatchObject({ samples: 1, inFlight: 0 });
  });

  it('forgives a full window after stallMs without an ack, and a late ack frees nothing twice', () => {
    const pacer = new BulkPacer(options({ initialWindow: 64 * KiB, minWindow: 64 * KiB, stallMs: 250 }));
    pacer.onSent(CHUNK, 0);
    pacer.onSent(CHUNK, 0);
    expect(pacer.canSend(CHUNK)).toBe(false);
    expect(pacer.checkStall(249)).toBe(false);
    expect(pacer.checkStall(250)).toBe(true);
    expect(pacer.canSend(CHUNK)).toBe(true);
    expect(pacer.state().forgiven).toBe(1);
    pacer.onSent(CHUNK, 260);
    pacer.onAck(2 * CHUNK, 400); // the forgiven chunks' late ack: no sample, the new chunk still in flight
    expect(pacer.state()).toMatchObject({ inFlight: CHUNK, samples: 0 });
    pacer.onAck(3 * CHUNK, 401);
    expect(pacer.state()).toMatchObject({ inFlight: 0, samples: 1, baseRtt: 141 });
  });

  it('with bdpGain (1.25 by default), caps the window at that many bandwidth-delay products, and still grows to one', () => {
    // A path of 32 KiB/ms with a 4 ms base round trip: a BDP of 128 KiB; a window past it queues.
    const BDP = 128 * KiB;
    const rtt = (w: number): number => 4 + Math.max(0, w - BDP) / (32 * KiB);
    // A 20 ms delay target lets LEDBAT queue 20 ms of bytes (640 KiB) on top of the BDP ...
    const loose = drive(new BulkPacer(options({ targetMs: 20, targetFraction: 0, bdpGain: 0 })), 300, rtt, 1);
    expect(loose.at(-1)!).toBeGreaterThan(3 * BDP);
    // ... the cap keeps it within 1.25 BDPs (a chunk of slack), and not below one.
    const capped = new BulkPacer(options({ targetMs: 20, targetFraction: 0 }));
    const windows = drive(capped, 300, rtt, 1);
    expect(Math.max(...windows.slice(100))).toBeLessThanOrEqual(1.25 * BDP + CHUNK);
    expect(windows.at(-1)!).toBeGreaterThanOrEqual(BDP);
    expect(capped.state().deliveryRate).toBeCloseTo(32 * KiB, -3);
  });

  it('with bdpFloor, a delay rise that is not a queue (the tabs lost their cores) does not shrink the window below the BDP', () => {
    const BDP = 128 * KiB;
    // Round trips grow with a queue past the BDP, and every third round trip a hiccup adds 10 ms whatever the window.
    const rtt = (w: number, round: number): number => 4 + Math.max(0, w - BDP) / (32 * KiB) + (round % 3 === 2 ? 10 : 0);
    const shrinking = drive(new BulkPacer(options({ bdpGain: 1.25, currentSamples: 1 })), 300, rtt, 1);
    const floored = drive(new BulkPacer(options({ bdpGain: 1.25, bdpFloor: 1, currentSamples: 1 })), 300, rtt, 1);
    expect(Math.min(...shrinking.slice(100))).toBeLessThanOrEqual(BDP / 2);
    expect(Math.min(...floored.slice(100))).toBeGreaterThanOrEqual(BDP * 0.9);
    expect(Math.max(...floored.slice(100))).toBeLessThanOrEqual(1.25 * BDP + CHUNK);
  });
});
