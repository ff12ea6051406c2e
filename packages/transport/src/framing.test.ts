import { describe, expect, it } from 'vitest';
import { parseControlFrame, type ControlMessage } from '@shoal/protocol';
import { FrameBatcher } from './framing.ts';

const log = (text: string): ControlMessage => ({ type: 'taskLog', taskId: 't', level: 'log', text });

describe('FrameBatcher', () => {
  it('sends messages queued in one tick as one frame that parses back', async () => {
    const frames: string[] = [];
    const batcher = new FrameBatcher(1024, (frame) => frames.push(frame));
    batcher.push(log('a'));
    batcher.push(log('b'));
    expect(frames).toHaveLength(0);
    await Promise.resolve();
    expect(frames).toHaveLength(1);
    const parsed = parseControlFrame(frames[0]!, 1024);
    expect(parsed.ok && parsed.value.map((m) => (m.type === 'taskLog' ? m.text : ''))).toEqual(['a', 'b']);
  });

  it('splits frames so none exceeds the limit', () => {
    const frames: string[] = [];
    const batcher = new FrameBatcher(200, (frame) => frames.push(frame));
    for (let i = 0; i < 10; i++) batcher.push(log('x'.repeat(50)));
    batcher.flush();
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(new TextEncoder().encode(frame).length).toBeLessThanOrEqual(200);
    expect(frames.flatMap((frame) => JSON.parse(frame) as unknown[])).toHaveLength(10);
  });

  it('refuses a single message larger than a frame, synchronously', () => {
    const batcher = new FrameBatcher(100, () => {});
    expect(() => batcher.push(log('é'.repeat(60)))).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE' }));
  });
});
