import { describe, expect, it } from 'vitest';
import { validateOptions } from '@shoal/protocol';
import { canonicalJson, digestOf } from './verify.ts';

describe('verify: comparing results', () => {
  it.each([
    { name: 'object keys in any order', a: { x: 1, y: [1, { b: 2, a: 1 }] }, b: { y: [1, { a: 1, b: 2 }], x: 1 }, equal: true },
    { name: 'a different number', a: { x: 1 }, b: { x: 2 }, equal: false },
    { name: 'array order matters', a: [1, 2], b: [2, 1], equal: false },
    { name: 'null and missing differ', a: { x: null }, b: {}, equal: false },
  ])('canonical JSON: $name', ({ a, b, equal }) => {
    expect(canonicalJson(a) === canonicalJson(b)).toBe(equal);
  });

  it('digests stored outputs by checksum and size, inline ones by value', () => {
    const stored = (checksum: number) => digestOf({ ok: true, value: [3, null], stored: [{ index: 1, size: 80, refs: [], checksum }] }, 2);
    expect(stored(7).digest).toBe(stored(7).digest);
    expect(stored(7).digest).not.toBe(stored(8).digest);
    expect(stored(255).shown).toContain('xxHash32 0x000000ff');
    expect(digestOf({ ok: true, value: { a: 1, b: 2 } }, 1).digest).toBe(digestOf({ ok: true, value: { b: 2, a: 1 } }, 1).digest);
  });

  it('validates the options', () => {
    expect(validateOptions({ verify: 2, speculation: true })).toEqual({ verify: 2, speculation: true });
    expect(() => validateOptions({ verify: 0 })).toThrow(/option 'verify' must be an integer from 1 to 16/);
    expect(() => validateOptions({ verify: 1.5 })).toThrow(/verify/);
    expect(() => validateOptions({ speculation: 'yes' })).toThrow(/option 'speculation' must be a boolean/);
  });
});
