import { describe, expect, it } from 'vitest';
import { findNonJsonable } from './jsonable.ts';
import { parseControlFrame, parseSignalingClientMessage } from './parse.ts';

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
