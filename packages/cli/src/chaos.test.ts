import { describe, expect, it } from 'vitest';
import { parseChaos } from './chaos.ts';

describe('parseChaos', () => {
  it.each([
    ['kill-worker@2', [2]],
    ['kill-worker@4,2', [2, 4]],
    ['kill-worker@0.5,3', [0.5, 3]],
  ])('%s', (text, want) => {
    expect(parseChaos(text)).toEqual({ killWorkerAtS: want });
  });

  it.each(['kill-worker', 'kill-worker@', 'kill-worker@a', 'kill-tab@2', 'kill-worker@2,'])('refuses %s, showing the form', (text) => {
    expect(() => parseChaos(text)).toThrow(/kill-worker@<seconds>/);
  });
});
