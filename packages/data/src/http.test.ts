/** Network failures: one more try for idempotent requests, then a ShoalError that says what was being done. */
import { describe, expect, it } from 'vitest';
import { encodeDataPath, fetchOrFail } from './http.ts';

function flaky(failures: number): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fn = (async () => {
    calls += 1;
    if (calls <= failures) throw new TypeError('fetch failed');
    return new Response('ok');
  }) as typeof fetch;
  return { fetch: fn, calls: () => calls };
}

describe('fetchOrFail', () => {
  it('tries GET, HEAD and a PUT of bytes once more after a network failure', async () => {
    for (const init of [{}, { method: 'HEAD' }, { method: 'PUT', body: new Uint8Array(1) }]) {
      const f = flaky(1);
      expect((await fetchOrFail(f.fetch, 'http://x/', init, 'doing it', 'ERR_READ_FAILED')).ok).toBe(true);
      expect(f.calls()).toBe(2);
    }
  });

  it('does not repeat a POST, and reports the failure with what was being done', async () => {
    const f = flaky(1);
    await expect(fetchOrFail(f.fetch, 'http://x/', { method: 'POST' }, 'asking for a grant', 'ERR_READ_FAILED')).rejects.toMatchObject({
      name: 'ShoalError',
      code: 'ERR_READ_FAILED',
      message: 'asking for a grant: fetch failed',
    });
    expect(f.calls()).toBe(1);
    const twice = flaky(2);
    await expect(fetchOrFail(twice.fetch, 'http://x/', {}, 'reading a', 'ERR_READ_FAILED')).rejects.toMatchObject({ code: 'ERR_READ_FAILED' });
    expect(twice.calls()).toBe(2);
  });
});

describe('encodeDataPath', () => {
  it('encodes segments and refuses what a URL would rewrite', () => {
    expect(encodeDataPath('a b/c#d.csv')).toBe('a%20b/c%23d.csv');
    expect(encodeDataPath('./x//y')).toBe('x/y');
    expect(() => encodeDataPath('a/../b')).toThrow(/not a data path/);
    expect(() => encodeDataPath('/etc/passwd')).toThrow(/not a data path/);
  });
});
