import { describe, expect, it } from 'vitest';
import { decodeForJob, encodeForWire, resolveArgs, wireRefIds } from './argsCodec.ts';
import { ObjectRef } from './objectRef.ts';
import { validateOptions } from '@shoal/protocol';
import { checkShippable, makeRemoteFunction } from './remoteFunction.ts';

describe('options', () => {
  it('lists the valid options when given an unknown one', () => {
    expect(() => validateOptions({ retries: 2 })).toThrow(/unknown option 'retries'; valid ones are: name, resources, maxRetries, retryExceptions, timeout, priority, numReturns, speculation, verify, prefetch, consumeInputs, lendInputs$/);
  });
  it('says what type an option needs', () => {
    expect(() => validateOptions({ maxRetries: -1 })).toThrow(/'maxRetries' must be an integer from 0 to 100, got -1/);
  });
  it('accepts valid options', () => {
    expect(validateOptions({ name: 'x', maxRetries: 0 })).toEqual({ name: 'x', maxRetries: 0 });
  });
});

describe('remote functions', () => {
  it('refuses native and bound functions with advice', () => {
    expect(() => checkShippable(Math.sqrt)).toThrow(/wrap it/);
    expect(() => checkShippable(((x: number) => x).bind(null))).toThrow(/native or bound/);
    expect(() => checkShippable(42)).toThrow(/takes a function, got number/);
  });

  it('tells Ray users there is no .remote()', () => {
    const f = makeRemoteFunction('f1', function square(x: number) { return x * x; }, {}, () => new ObjectRef('o', 'square'));
    expect(() => (f as unknown as { remote: unknown }).remote).toThrow(/square\(args\) submits a task/);
  });

  it('submits with merged options and validates new ones', () => {
    const calls: unknown[] = [];
    const f = makeRemoteFunction('f1', (x: number) => x, { maxRetries: 1 }, (fnId, name, args, options) => {
      calls.push({ fnId, name, args, options });
      return new ObjectRef('o', name);
    });
    f.options({ name: 'renamed' })(5);
    expect(calls).toEqual([{ fnId: 'f1', name: 'renamed', args: [5], options: { maxRetries: 1, name: 'renamed' } }]);
    expect(() => f.options({ bogus: true } as never)).toThrow(/unknown option 'bogus'/);
  });
});

describe('refs inside arguments', () => {
  it('encodes refs at any depth for the wire and finds them again', () => {
    const a = new ObjectRef('a', 'x');
    const b = new ObjectRef('b', 'y');
    const wire = encodeForWire([a, { nested: [b, 3, a] }, 'plain'], 'argument') as unknown[];
    expect(wire).toEqual([{ $shoalRef: 'a' }, { nested: [{ $shoalRef: 'b' }, 3, { $shoalRef: 'a' }] }, 'plain']);
    expect([...wireRefIds(wire)]).toEqual(['a', 'b']);
  });

  it('resolves wire refs to values for a worker, and to handles for the job', () => {
    const wire = [{ $shoalRef: 'a' }, { k: { $shoalRef: 'b' } }];
    expect(resolveArgs(wire, (id) => id.toUpperCase())).toEqual(['A', { k: 'B' }]);
    const decoded = decodeForJob(wire, (id) => new ObjectRef(id, 'ref')) as unknown[];
    expect(decoded[0]).toBeInstanceOf(ObjectRef);
    expect((decoded[1] as { k: ObjectRef }).k.id).toBe('b');
  });

  it('refuses what JSON would mangle, saying where', () => {
    expect(() => encodeForWire([1, { m: new Map() }], 'argument')).toThrow(/argument\[1\]\.m is a Map/);
  });
});
