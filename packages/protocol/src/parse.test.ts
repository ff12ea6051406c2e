import { describe, expect, it } from 'vitest';
import { findNonJsonable } from './jsonable.ts';
import { parseControlFrame, parseSignalingClientMessage } from './parse.ts';
import { controlMessageSchema } from './wire.ts';

describe('parsing untrusted input', () => {
  it.each([
    ['not json', '{nope', /not valid JSON/],
    ['unknown type', '{"type":"hack"}', /invalid signaling message/],
    ['bad room', '{"type":"join","room":"../etc","role":"worker"}', /at room/],
    ['bad role', '{"type":"join","room":"r","role":"admin"}', /at role/],
  ])('rejects %s with ERR_BAD_MESSAGE', (_label, text, pattern) => {
    const parsed = parseSignalingClientMessage(text, 1024);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('ERR_BAD_MESSAGE');
      expect(parsed.error.message).toMatch(pattern);
    }
  });

  it('rejects oversized input before parsing it', () => {
    const parsed = parseSignalingClientMessage(`"${'x'.repeat(2000)}"`, 1024);
    expect(parsed.ok || parsed.error.code).toBe('ERR_MESSAGE_TOO_LARGE');
  });

  it('accepts a valid join', () => {
    expect(parseSignalingClientMessage('{"type":"join","room":"r-1","role":"worker"}', 1024)).toMatchObject({ ok: true, value: { room: 'r-1' } });
  });

  it('requires control frames to be arrays of valid messages', () => {
    expect(parseControlFrame('{"type":"leaving","reason":"x"}', 1024).ok).toBe(false);
    expect(parseControlFrame('[{"type":"runTask","taskId":"t"}]', 1024).ok).toBe(false);
    expect(parseControlFrame('[{"type":"leaving","reason":"x"}]', 1024)).toMatchObject({ ok: true, value: [{ type: 'leaving' }] });
  });
});

describe('findNonJsonable', () => {
  it('accepts plain data and names what JSON would mangle', () => {
    expect(findNonJsonable({ a: [1, 'x', null, true, { b: 2 }] })).toBeNull();
    expect(findNonJsonable({ a: [1, NaN] })).toBe('value.a[1] is NaN, which JSON cannot represent');
    expect(findNonJsonable(new Map())).toMatch(/is a Map/);
    expect(findNonJsonable({ f: () => 1 })).toBe('value.f is a function');
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(findNonJsonable(cycle)).toBe('value.self is part of a cycle');
  });
});

describe("runTask and taskDone's hand-checked path", () => {
  const run = { type: 'runTask', taskId: 'a-1', fnId: 'f', args: [1, { $shoalRef: 'x' }], attempt: 1, numReturns: 1, timeoutMs: null };
  const done = { type: 'taskDone', taskId: 'a-1', result: { ok: true, value: { n: [1, 2] } }, durationMs: 0.1 };
  const variants: Array<[string, Record<string, unknown>]> = [
    ['runTask', run],
    ['runTask with a timeout and checksum', { ...run, timeoutMs: 5, checksum: true }],
    ['runTask with fetch', { ...run, fetch: [{ objectId: 'x', size: 10, from: ['w'] }] }],
    ['runTask, an extra key', { ...run, extra: 1 }],
    ['runTask, empty task id', { ...run, taskId: '' }],
    ['runTask, a long fn id', { ...run, fnId: 'f'.repeat(129) }],
    ['runTask, args not an array', { ...run, args: { 0: 1 } }],
    ['runTask, attempt 0', { ...run, attempt: 0 }],
    ['runTask, attempt 1.5', { ...run, attempt: 1.5 }],
    ['runTask, numReturns as text', { ...run, numReturns: '1' }],
    ['runTask, timeout 0', { ...run, timeoutMs: 0 }],
    ['runTask, no timeout key', { type: 'runTask', taskId: 'a', fnId: 'f', args: [], attempt: 1, numReturns: 1 }],
    ['runTask, checksum false', { ...run, checksum: false }],
    ['taskDone', done],
    ['taskDone, no value', { ...done, result: { ok: true } }],
    ['taskDone with stored outputs', { ...done, result: { ok: true, value: null, stored: [{ index: 0, size: 9, refs: [] }] } }],
    ['taskDone, failed', { ...done, result: { ok: false, error: { name: 'Error', message: 'boom' } } }],
    ['taskDone, an extra key', { ...done, note: 'x' }],
    ['taskDone, an extra result key', { ...done, result: { ok: true, value: 1, more: 2 } }],
    ['taskDone, negative duration', { ...done, durationMs: -1 }],
    ['taskDone, no duration', { type: 'taskDone', taskId: 'a', result: { ok: true, value: 1 } }],
    ['taskDone, ok as text', { ...done, result: { ok: 'true', value: 1 } }],
  ];
  it.each(variants)('%s: the same verdict and value as the schema', (_label, message) => {
    const parsed = parseControlFrame(JSON.stringify([message]), 1 << 20);
    const schema = controlMessageSchema.safeParse(JSON.parse(JSON.stringify(message)));
    expect(parsed.ok).toBe(schema.success);
    if (parsed.ok && schema.success) expect(parsed.value[0]).toEqual(schema.data);
  });
  it('an infinite duration is refused, as the schema refuses it', () => {
    expect(parseControlFrame('[{"type":"taskDone","taskId":"a","result":{"ok":true,"value":1},"durationMs":1e999}]', 1024).ok).toBe(false);
  });
});
