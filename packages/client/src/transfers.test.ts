import { describe, expect, it } from 'vitest';
import { Transfers } from './transfers.ts';
import { BULK_PATIENCE, Watchdog } from './watchdog.ts';

describe('Transfers: heartbeats that say bulk', () => {
  it('gives a worker whose last beat said it runs collectives bulk patience, and takes it back on a plain beat', () => {
    let now = 0;
    const transfers = new Transfers();
    const lost: string[] = [];
    const dog = new Watchdog(3000, (peerId) => lost.push(peerId), () => now, (peerId) => (transfers.busy(peerId) ? BULK_PATIENCE : 1));
    // w1 is in a big allreduce (its beat said so); w2 is idle. Both fall silent.
    dog.beat('w1');
    transfers.report('w1', true);
    dog.beat('w2');
    transfers.report('w2', false);
    now = 4000;
    dog.check();
    expect(lost).toEqual(['w2']);
    now = 3000 * BULK_PATIENCE - 1;
    dog.check();
    expect(lost).toEqual(['w2']);
    now = 3000 * BULK_PATIENCE + 1;
    dog.check();
    expect(lost).toEqual(['w2', 'w1']);
    // The collective ended: its next beat has no flag, and the ordinary timeout is back.
    dog.beat('w1');
    transfers.report('w1', false);
    now += 3500;
    dog.check();
    expect(lost).toEqual(['w2', 'w1', 'w1']);
  });

  it('keeps a run mark and a heartbeat report apart', () => {
    const transfers = new Transfers();
    transfers.mark('t1', ['w1']);
    transfers.report('w1', true);
    transfers.clear('t1');
    expect(transfers.busy('w1')).toBe(true);
    transfers.report('w1', false);
    expect(transfers.busy('w1')).toBe(false);
  });
});
