import { describe, expect, it } from 'vitest';
import { ShoalTuneBoard } from './asha.ts';

/** Runs trials one after another against a board; loss of trial k at iteration t is quality[k] + 1/t. */
function runAll(scheduler: 'fifo' | 'asha', quality: number[], maxT = 27) {
  const board = new ShoalTuneBoard({ scheduler, metric: 'loss', mode: 'min', maxT, gracePeriod: 1, reductionFactor: 3 });
  const ran: number[] = [];
  quality.forEach((q, k) => {
    let t = 0;
    for (;;) {
      t += 1;
      if (board.report(`t${k}`, t, { loss: q + 1 / t }) === 'stop') break;
    }
    ran.push(t);
  });
  return { board, ran };
}

describe('ShoalTuneBoard', () => {
  it('FIFO runs every trial to maxT', () => {
    const { ran, board } = runAll('fifo', [0.5, 0.2, 0.9, 0.1]);
    expect(ran).toEqual([27, 27, 27, 27]);
    expect(board.snapshot().iterations).toBe(108);
    expect(board.snapshot().stopped).toEqual({});
  });

  it('ASHA has rungs at grace·η^k below maxT', () => {
    expect(new ShoalTuneBoard({ scheduler: 'asha', metric: 'm', mode: 'min', maxT: 27 }).rungs).toEqual([1, 3, 9]);
    expect(new ShoalTuneBoard({ scheduler: 'asha', metric: 'm', mode: 'min', maxT: 100, gracePeriod: 2, reductionFactor: 2 }).rungs).toEqual([2, 4, 8, 16, 32, 64]);
  });

  it('ASHA stops trials outside the best 1/η at a rung, keeps the best to maxT, and runs fewer iterations', () => {
    const quality = [0.5, 0.6, 0.7, 0.1, 0.8, 0.9, 0.05, 1.0, 1.1];
    const asha = runAll('asha', quality);
    const fifo = runAll('fifo', quality);
    expect(asha.board.snapshot().iterations).toBeLessThan(fifo.board.snapshot().iterations);
    // The best trial (index 6) is never stopped; the first trial passes every rung (nothing to compare with).
    expect(asha.ran[6]).toBe(27);
    expect(asha.ran[0]).toBe(27);
    // Worse trials after a better one stop at the first rung.
    expect(asha.ran[1]).toBe(1);
    expect(asha.ran[7]).toBe(1);
    expect(Object.keys(asha.board.snapshot().stopped).sort()).toEqual(['t1', 't2', 't4', 't5', 't7', 't8']);
  });

  it('mode max keeps the highest', () => {
    const board = new ShoalTuneBoard({ scheduler: 'asha', metric: 'acc', mode: 'max', maxT: 9 });
    expect(board.report('a', 1, { acc: 0.9 })).toBe('continue');
    expect(board.report('b', 1, { acc: 0.5 })).toBe('stop');
    expect(board.report('c', 1, { acc: 0.95 })).toBe('continue');
  });

  it('keeps each trial’s curve', () => {
    const board = new ShoalTuneBoard({ scheduler: 'fifo', metric: 'loss', mode: 'min', maxT: 3 });
    board.report('a', 1, { loss: 3 });
    board.report('a', 2, { loss: 2 });
    expect(board.report('a', 3, { loss: 1 })).toBe('stop');
    expect(board.snapshot().curves['a']).toEqual([{ loss: 3 }, { loss: 2 }, { loss: 1 }]);
  });
});
