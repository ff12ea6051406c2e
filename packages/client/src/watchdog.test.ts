import { afterEach, describe, expect, it, vi } from 'vitest';
import { Watchdog } from './watchdog.ts';

describe('Watchdog', () => {
  afterEach(() => vi.useRealTimers());

  it('declares a peer lost once it is silent for longer than the timeout, and only once', () => {
    let now = 0;
    const lost: Array<[string, number]> = [];
    const dog = new Watchdog(3000, (peerId, silentMs) => lost.push([peerId, silentMs]), () => now);
    dog.beat('w1');
    dog.beat('w2');
    now = 2000;
    dog.beat('w2');
    dog.check();
    expect(lost).toEqual([]);
    now = 3001;
    dog.check();
    expect(lost).toEqual([['w1', 3001]]);
    now = 5500;
    dog.check();
    expect(lost).toEqual([['w1', 3001], ['w2', 3500]]);
    dog.check();
    expect(lost).toHaveLength(2);
  });

  it('checks on its own timer, and a forgotten peer is never declared lost', () => {
    vi.useFakeTimers();
    const lost: string[] = [];
    const dog = new Watchdog(1000, (peerId) => lost.push(peerId), () => Date.now());
    dog.beat('w1');
    dog.beat('w2');
    dog.forget('w2');
    vi.advanceTimersByTime(1300);
    expect(lost).toEqual(['w1']);
    dog.stop();
  });

  it("does not blame peers for its own thread's stall", () => {
    vi.useFakeTimers();
    const lost: string[] = [];
    const dog = new Watchdog(1000, (peerId) => lost.push(peerId), () => Date.now());
    dog.beat('w1');
    vi.advanceTimersByTime(250); // on time
    vi.setSystemTime(Date.now() + 4500); // the thread was stuck: the next tick runs 4.5 s late
    vi.advanceTimersByTime(250);
    expect(lost).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(lost).toEqual([]);
    vi.advanceTimersByTime(1000); // silent for a full timeout after the stall
    expect(lost).toEqual(['w1']);
    dog.stop();
  });

  it('gives a peer in a bulk transfer more patience', () => {
    let now = 0;
    const lost: string[] = [];
    const busy = new Set(['w2']);
    const dog = new Watchdog(1000, (peerId) => lost.push(peerId), () => now, (peerId) => (busy.has(peerId) ? 3 : 1));
    dog.beat('w1');
    dog.beat('w2');
    now = 1500;
    dog.check();
    expect(lost).toEqual(['w1']);
    now = 2900;
    dog.check();
    expect(lost).toEqual(['w1']);
    now = 3100;
    dog.check();
    expect(lost).toEqual(['w1', 'w2']);
  });
});
