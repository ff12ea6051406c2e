import { describe, expect, it } from 'vitest';
import type { TaskProgressUpdate } from '@shoal/protocol';
import { progressMode, startProgress, type ProgressOptions } from './progress.ts';

/** A page that has run 8 `square` tasks and 8 `add` tasks, and answers like TaskProgressFeed. */
function finishedPage(): (since: number) => Promise<TaskProgressUpdate> {
  return async (since) =>
    since >= 32
      ? { seq: 32, names: [] }
      : {
          seq: 32,
          names: [
            { name: 'square', submitted: 8, done: 8, failed: 0 },
            { name: 'add', submitted: 8, done: 8, failed: 0 },
          ],
        };
}

function display(options: Partial<ProgressOptions> & Pick<ProgressOptions, 'mode'>): { out: () => string; progress: ReturnType<typeof startProgress> } {
  let text = '';
  const progress = startProgress({ poll: finishedPage(), write: (chunk) => (text += chunk), intervalMs: 10, ...options });
  return { out: () => text, progress };
}

const ESC = '\x1b';

describe('progressMode', () => {
  it.each([
    [{}, true, 'terminal'],
    [{}, false, 'off'],
    [{ json: true }, true, 'off'],
    [{ noProgress: true }, true, 'off'],
    [{ progress: true }, false, 'lines'],
    [{ progress: true, json: true }, true, 'terminal'],
    [{ progress: true, json: true }, false, 'lines'],
  ] as const)('%o with a terminal: %s → %s', (flags, terminal, mode) => {
    expect(progressMode(flags, terminal)).toBe(mode);
  });
});

describe('startProgress', () => {
  it('off a terminal writes plain lines: the final rows with every name and count', async () => {
    const { out, progress } = display({ mode: 'lines' });
    await progress.stop();
    const text = out();
    expect(text).not.toContain(ESC);
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(-3).map((line) => line.split(/\s+/)[0])).toEqual(['total', 'square', 'add']);
    expect(lines.at(-3)).toContain('16/16');
    expect(lines.at(-2)).toContain('8/8');
    expect(lines.at(-1)).toContain('8/8');
  });

  it('on a terminal redraws in place and keeps log lines above the bars', async () => {
    const { out, progress } = display({ mode: 'terminal', columns: 100 });
    // Wait for the first poll to draw the bars, then log a line through them.
    while (!out().includes('square')) await new Promise((resolve) => setTimeout(resolve, 5));
    progress.log('shoal: a message\n');
    await progress.stop();
    const text = out();
    expect(text).toContain(ESC);
    expect(text).toContain('shoal: a message\n');
    expect(text.lastIndexOf('shoal: a message')).toBeLessThan(text.lastIndexOf('square'));
    expect(text.endsWith('\n')).toBe(true);
    const visible = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(visible).toMatch(/square\s+\[█+\]\s+8\/8/);
  });

  it('stop() is idempotent and writes nothing when no task ran', async () => {
    let text = '';
    const progress = startProgress({ mode: 'terminal', poll: async () => ({ seq: 0, names: [] }), write: (t) => (text += t), intervalMs: 5 });
    await Promise.all([progress.stop(), progress.stop()]);
    progress.log('after\n');
    expect(text).toBe('after\n');
  });

  it('a page without taskProgress (null) or one that fails shows nothing', async () => {
    for (const poll of [async () => null, async () => Promise.reject(new Error('page closed'))]) {
      let text = '';
      const progress = startProgress({ mode: 'lines', poll, write: (t) => (text += t), intervalMs: 5 });
      await progress.stop();
      expect(text).toBe('');
    }
  });

  it('a page that never answers does not hold stop() past finalPollMs', async () => {
    const progress = startProgress({ mode: 'lines', poll: () => new Promise<never>(() => undefined), write: () => undefined, finalPollMs: 20 });
    await expect(progress.stop()).resolves.toBeUndefined();
  });
});
