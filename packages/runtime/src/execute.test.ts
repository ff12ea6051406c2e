import { describe, expect, it } from 'vitest';
import { compileFunction, executeTask, formatLogArgs } from './execute.ts';
import { unpackValue } from './values.ts';
import { TaskRef } from './taskRef.ts';

const logs: string[] = [];
const ctx = { taskId: 't1', workerId: 'w1', attempt: 1, log: (...args: unknown[]) => logs.push(formatLogArgs(args)) };

function compile(fn: string) {
  const compiled = compileFunction('f', fn);
  if (!compiled.ok) throw new Error(compiled.error.message);
  return compiled.fn;
}

describe('compileFunction', () => {
  it('rebuilds arrows, function expressions and async functions from source', async () => {
    expect(await executeTask(compile(String((a: number, b: number) => a + b)), [2, 3], ctx)).toEqual({ ok: true, value: 5 });
    expect(await executeTask(compile('function named(x) { return x * 2 }'), [4], ctx)).toEqual({ ok: true, value: 8 });
    expect(await executeTask(compile('async (x) => x + 1'), [1], ctx)).toEqual({ ok: true, value: 2 });
  });

  it('refuses method shorthand with ERR_BAD_FUNCTION and says why', () => {
    const compiled = compileFunction('method', 'method(x) { return x }');
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) {
      expect(compiled.error.code).toBe('ERR_BAD_FUNCTION');
      expect(compiled.error.message).toMatch(/self-contained function or arrow expressions/);
    }
  });

  it('keeps source line numbers in stacks and names the task file', async () => {
    const result = await executeTask(compile('function boom() {\n  const a = 1;\n  throw new RangeError("bad " + a);\n}'), [], ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ name: 'RangeError', message: 'bad 1', workerId: 'w1' });
      expect(result.error.stack).toMatch(/shoal-task\/f\.js:3:/);
    }
  });
});

describe('executeTask', () => {
  it('passes the context last and as `this`', async () => {
    const fn = compile('function (x, c) { c.log("got", x, {k: 1}); return [this.taskId, c.workerId, x] }');
    expect(await executeTask(fn, [7], ctx)).toEqual({ ok: true, value: ['t1', 'w1', 7] });
    expect(logs.at(-1)).toBe('got 7 {"k":1}');
  });

  it('keeps binary results for the store and sends only their metadata', async () => {
    const result = await executeTask(compile('() => ({ data: new Float64Array([1.5, 2.5]), tag: "x" })'), [], ctx);
    expect(result).toMatchObject({ ok: true, value: null, stored: [{ index: 0, refs: [] }] });
    expect(result.buffers).toHaveLength(1);
    if (result.ok) expect(result.stored![0]!.size).toBe(result.buffers![0]!.byteLength);
    expect(unpackValue({ $shoalFetch: 'o' }, { o: result.buffers![0]! })).toEqual({ data: new Float64Array([1.5, 2.5]), tag: 'x' });
  });

  it('keeps big JSON results for the store, and small ones inline', async () => {
    const big = await executeTask(compile('() => Array.from({ length: 20000 }, (_, i) => i)'), [], ctx);
    expect(big).toMatchObject({ ok: true, value: null, stored: [{ index: 0 }] });
    const two = await executeTask(compile('() => [new Uint8Array(3), 7]'), [], ctx, 2);
    expect(two).toMatchObject({ ok: true, value: [null, 7], stored: [{ index: 0 }] });
  });

  it('refuses values that cannot be sent at all, naming them', async () => {
    const result = await executeTask(compile('() => ({ lookup: new Map() })'), [], ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_NOT_SERIALIZABLE', message: expect.stringMatching(/Map/) } });
  });

  it('turns thrown non-errors into data', async () => {
    const result = await executeTask(compile('() => { throw "plain string" }'), [], ctx);
    expect(result).toMatchObject({ ok: false, error: { name: 'NonError', message: expect.stringContaining('"plain string"') } });
  });

  it('checks numReturns and encodes returned refs', async () => {
    expect(await executeTask(compile('() => [1, 2]'), [], ctx, 2)).toEqual({ ok: true, value: [1, 2] });
    const wrong = await executeTask(compile('() => [1, 2, 3]'), [], ctx, 2);
    expect(wrong).toMatchObject({ ok: false, error: { code: 'ERR_TASK_FAILED', message: expect.stringContaining('returned an array of 3') } });
    const withRef = await executeTask(compile('(r) => ({ inner: r })'), [new TaskRef('obj-1')], ctx);
    expect(withRef).toEqual({ ok: true, value: { inner: { $shoalRef: 'obj-1' } } });
  });

  it('maps undefined results to null', async () => {
    expect(await executeTask(compile('() => {}'), [], ctx)).toEqual({ ok: true, value: null });
  });
});
