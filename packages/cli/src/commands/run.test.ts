import { describe, expect, it } from 'vitest';
import { jsonLine } from './run.ts';

describe('jsonLine', () => {
  it('writes success with the result and elapsed time', () => {
    expect(jsonLine({ ok: true, result: { pi: 3.14 }, elapsedMs: 12.7 }, 13)).toBe('{"ok":true,"result":{"pi":3.14},"elapsedMs":13}');
  });

  it('writes undefined results as null and typed arrays as arrays', () => {
    expect(JSON.parse(jsonLine({ ok: true, result: undefined, elapsedMs: 0 }, 0))).toEqual({ ok: true, result: null, elapsedMs: 0 });
    expect(JSON.parse(jsonLine({ ok: true, result: new Float32Array([1, 2]), elapsedMs: 0 }, 0)).result).toEqual([1, 2]);
    expect(JSON.parse(jsonLine({ ok: true, result: 10n, elapsedMs: 0 }, 0)).result).toBe('10');
  });

  it('writes failures with code and message, and remote when present', () => {
    const remote = { name: 'RangeError', message: 'too big', workerId: 'w' };
    expect(JSON.parse(jsonLine({ ok: false, error: { code: 'ERR_TASK_FAILED', message: 'task failed', remote }, elapsedMs: 5 }, 5))).toEqual({
      ok: false,
      error: { code: 'ERR_TASK_FAILED', message: 'task failed', remote },
      elapsedMs: 5,
    });
    expect(jsonLine({ ok: false, error: { code: 'ERR_TIMEOUT', message: 'slow' }, elapsedMs: 1 }, 1)).toBe(
      '{"ok":false,"error":{"code":"ERR_TIMEOUT","message":"slow"},"elapsedMs":1}',
    );
  });

  it('turns an unserializable result into ERR_NOT_SERIALIZABLE', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(JSON.parse(jsonLine({ ok: true, result: circular, elapsedMs: 0 }, 0)).error.code).toBe('ERR_NOT_SERIALIZABLE');
  });
});

describe('shoal run --progress / --no-progress', () => {
  it('both at once is a usage error (exit 2) that names them', async () => {
    const { runCli } = await import('../cli.ts');
    let stderr = '';
    const status = await runCli(['run', 'examples/pi.js', '--progress', '--no-progress'], { stdout: () => undefined, stderr: (text) => (stderr += text) });
    expect(status).toBe(2);
    expect(stderr).toContain('--progress and --no-progress');
  });
});
