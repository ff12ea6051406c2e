import { describe, expect, it } from 'vitest';
import { Table, tableFromArrays, type Float64 } from 'apache-arrow';
import { ShoalError } from '@shoal/protocol';
import { decodeValue, encodeValue } from './codec.ts';
import { BLOB_VERSION, HEADER_BYTES } from './blob.ts';
import { registerCodecHandler } from './handlers.ts';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value).buffer);

function refusal(value: unknown): string {
  try {
    encodeValue(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ShoalError);
    expect((error as ShoalError).code).toBe('ERR_NOT_SERIALIZABLE');
    return (error as ShoalError).message;
  }
  throw new Error('encodeValue accepted the value');
}

describe('encodeValue / decodeValue', () => {
  it('round-trips JSON values', () => {
    const values = [null, true, false, 0, -1.5, 2 ** 53, 'héllo ✓ \u{1F600}', '', [], {}, [1, [2, [3]]], { a: { b: { c: ['x', null] } } }];
    for (const value of values) expect(roundTrip(value)).toEqual(value);
  });

  it('drops properties whose value is undefined, as JSON does', () => {
    expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
  });

  it('round-trips every typed array kind with its dtype and values', () => {
    const arrays = [
      new Int8Array([-128, 0, 127]),
      new Uint8Array([0, 255, 7]),
      new Uint8ClampedArray([0, 255, 9]),
      new Int16Array([-32768, 32767]),
      new Uint16Array([65535, 1]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([2 ** 32 - 1, 3]),
      new Float32Array([1.5, -0.25, Infinity, NaN]),
      new Float64Array([Math.PI, -1e300, NaN, -Infinity]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([2n ** 64n - 1n, 0n]),
    ];
    for (const array of arrays) {
      const back = roundTrip(array) as typeof array;
      expect(back.constructor).toBe(array.constructor);
      expect(Array.from(back as ArrayLike<unknown>)).toEqual(Array.from(array as ArrayLike<unknown>));
    }
  });

  it('encodes only the bytes a typed array view covers', () => {
    const whole = new Int32Array([1, 2, 3, 4, 5]);
    const back = roundTrip(whole.subarray(1, 3)) as Int32Array;
    expect(Array.from(back)).toEqual([2, 3]);
  });

  it('round-trips DataView and ArrayBuffer', () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 5]).buffer;
    const view = new DataView(buffer, 1, 3);
    const back = roundTrip({ view, buffer }) as { view: DataView; buffer: ArrayBuffer };
    expect(back.view).toBeInstanceOf(DataView);
    expect([back.view.getUint8(0), back.view.getUint8(2), back.view.byteLength]).toEqual([2, 4, 3]);
    expect(back.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Uint8Array(back.buffer))).toEqual([1, 2, 3, 4, 5]);
  });

  it('round-trips a nested structure mixing tables, typed arrays and JSON', () => {
    const table = tableFromArrays({ x: new Float64Array([1, 2, 3]), name: ['a', 'b', 'c'] });
    const value = { table, weights: new Float32Array([0.5, 1.5]), meta: { name: 'x' }, list: [new Uint8Array(3), 1, 'a'] };
    const back = roundTrip(value) as typeof value;
    expect(back.table).toBeInstanceOf(Table);
    expect(back.table.getChild('name')?.toArray()).toEqual(['a', 'b', 'c']);
    expect(Array.from(back.table.getChild('x')!.toArray() as Float64Array)).toEqual([1, 2, 3]);
    expect(back.weights).toBeInstanceOf(Float32Array);
    expect(Array.from(back.weights)).toEqual([0.5, 1.5]);
    expect(back.meta).toEqual({ name: 'x' });
    expect(back.list[0]).toBeInstanceOf(Uint8Array);
    expect(back.list.slice(1)).toEqual([1, 'a']);
  });

  it('keeps user objects that use the codec key as plain data', () => {
    const value = { $shob: 'typedArray', m: 'Float64Array', s: [0], inner: { $shob: '$object', o: 1, data: new Int8Array([1]) } };
    const back = roundTrip(value) as typeof value;
    expect(back.$shob).toBe('typedArray');
    expect(back.s).toEqual([0]);
    expect(back.inner.$shob).toBe('$object');
    expect(back.inner.data).toBeInstanceOf(Int8Array);
  });

  it('lists every ref once and passes refs through unchanged', () => {
    const value = { a: { $shoalRef: 'obj-1' }, list: [{ $shoalRef: 'obj-2' }, { $shoalRef: 'obj-1' }], data: new Uint8Array(2) };
    const encoded = encodeValue(value);
    expect(encoded.refs).toEqual(['obj-1', 'obj-2']);
    const back = decodeValue(encoded.buffer) as typeof value;
    expect(back.a).toEqual({ $shoalRef: 'obj-1' });
    expect(back.list).toEqual([{ $shoalRef: 'obj-2' }, { $shoalRef: 'obj-1' }]);
    expect(encodeValue({ n: 1 }).refs).toEqual([]);
  });
});

describe('zero-copy decoding and the blob layout', () => {
  it('returns a Float64Array that views the input buffer', () => {
    const floats = Float64Array.from({ length: 1000 }, (_, i) => i / 7);
    const { buffer } = encodeValue({ floats });
    const back = decodeValue(buffer) as { floats: Float64Array };
    expect(back.floats.buffer).toBe(buffer);
    expect(back.floats.byteOffset % 8).toBe(0);
    expect(back.floats[999]).toBe(999 / 7);
  });

  it('keeps views over a Uint8Array input at an aligned offset, and copies when unaligned', () => {
    const { buffer } = encodeValue(new Float64Array([1, 2, 3]));
    const host = new Uint8Array(buffer.byteLength + 9);
    host.set(new Uint8Array(buffer), 8);
    const aligned = decodeValue(host.subarray(8, 8 + buffer.byteLength)) as Float64Array;
    expect(aligned.buffer).toBe(host.buffer);
    host.copyWithin(9, 8, 8 + buffer.byteLength);
    const unaligned = decodeValue(host.subarray(9, 9 + buffer.byteLength)) as Float64Array;
    expect(unaligned.buffer).not.toBe(host.buffer);
    expect(Array.from(unaligned)).toEqual([1, 2, 3]);
  });

  it('writes the SHOB header and aligns every segment to 8 bytes', () => {
    const { buffer } = encodeValue({ a: new Uint8Array(3), b: new Uint8Array(5), c: new Float64Array(2) });
    const view = new DataView(buffer);
    expect(new TextDecoder().decode(new Uint8Array(buffer, 0, 4))).toBe('SHOB');
    expect(view.getUint8(4)).toBe(BLOB_VERSION);
    const skeletonLength = view.getUint32(8, true);
    expect(view.getUint32(12, true)).toBe(3);
    const skeleton = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, HEADER_BYTES, skeletonLength))) as { s: [number, number][] };
    const dataStart = Math.ceil((HEADER_BYTES + skeletonLength) / 8) * 8;
    expect(skeleton.s.map(([offset, length]) => [(dataStart + offset) % 8, length])).toEqual([
      [0, 3],
      [0, 5],
      [0, 16],
    ]);
  });

  it('refuses blobs that are not SHOB or are cut short', () => {
    const { buffer } = encodeValue({ x: new Float64Array(4) });
    const codeOf = (input: Uint8Array): unknown => {
      try {
        decodeValue(input);
      } catch (error) {
        return (error as ShoalError).code;
      }
      return 'decoded';
    };
    expect(codeOf(new Uint8Array([1, 2, 3]))).toBe('ERR_BAD_MESSAGE');
    expect(codeOf(new Uint8Array(buffer).subarray(0, buffer.byteLength - 8))).toBe('ERR_BAD_MESSAGE');
    const wrongVersion = new Uint8Array(buffer.slice(0));
    wrongVersion[4] = 99;
    expect(codeOf(wrongVersion)).toBe('ERR_BAD_MESSAGE');
  });
});

describe('Arrow tables', () => {
  it('round-trips 100k rows with values and types intact, zero-copy over the blob', () => {
    const rows = 100_000;
    const table = tableFromArrays({
      id: Int32Array.from({ length: rows }, (_, i) => i),
      score: Float64Array.from({ length: rows }, (_, i) => Math.sin(i)),
      label: Array.from({ length: rows }, (_, i) => `row-${i % 97}`),
    });
    const { buffer } = encodeValue(table);
    const back = decodeValue(buffer) as Table;
    expect(back.numRows).toBe(rows);
    expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
    const ids = back.getChild('id')!.toArray() as Int32Array;
    const scores = back.getChild('score')!.toArray() as Float64Array;
    for (const i of [0, 1, 4242, rows - 1]) {
      expect(ids[i]).toBe(i);
      expect(scores[i]).toBe(Math.sin(i));
      expect(back.getChild('label')!.get(i)).toBe(`row-${i % 97}`);
    }
    const scoreData = (back.getChild('score') as unknown as { data: { values: Float64Array }[] } & { type: Float64 }).data[0]!;
    expect(scoreData.values.buffer).toBe(buffer);
  });

  it('round-trips an empty table with its schema', () => {
    const table = tableFromArrays({ a: new Float64Array(0) });
    const back = roundTrip(table) as Table;
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(['a']);
  });

  it('refuses a table from another copy of apache-arrow instead of writing empty columns', () => {
    // What a second apache-arrow bundle's table looks like from here: same shape, foreign column types.
    class ForeignTable {
      schema = { fields: [{ name: 'a', type: { typeId: 3 } }] };
      batches = [];
    }
    expect(refusal({ t: new ForeignTable() })).toMatch(/^cannot serialize a ForeignTable instance at value\.t .*different copy of apache-arrow/);
  });
});

describe('refusals name the kind and the path', () => {
  class Foo {
    x = 1;
  }
  /** Enough of a DOM element for the codec to recognise one under Node. */
  class HTMLDivElement {
    nodeType = 1;
    nodeName = 'DIV';
  }
  const cases: [unknown, RegExp][] = [
    [{ model: { fit: () => 1 } }, /^cannot serialize a function at value\.model\.fit\b/],
    [[1, 2, new Map()], /^cannot serialize a Map at value\[2\]/],
    [{ s: new Set([1]) }, /^cannot serialize a Set at value\.s\b/],
    [{ n: NaN }, /^cannot serialize NaN at value\.n\b/],
    [{ list: [1, Infinity] }, /^cannot serialize Infinity at value\.list\[1\]/],
    [[1, undefined], /^cannot serialize undefined at value\[1\]/],
    [[1, , 3], /^cannot serialize undefined at value\[1\] \(a hole/],
    [{ deep: [{ foo: new Foo() }] }, /^cannot serialize a Foo instance at value\.deep\[0\]\.foo\b/],
    [{ s: Symbol('x') }, /^cannot serialize a symbol at value\.s\b/],
    [{ count: 10n }, /^cannot serialize a bigint at value\.count\b/],
    [{ 'odd key': new Date(0) }, /^cannot serialize a Date at value\["odd key"\]/],
    [{ node: new HTMLDivElement() }, /^cannot serialize a DOM node <div> at value\.node\b/],
    [{ buf: new SharedArrayBuffer(8) }, /^cannot serialize a SharedArrayBuffer at value\.buf\b/],
    [undefined, /^cannot serialize undefined at value\b/],
  ];
  for (const [value, pattern] of cases) {
    it(`refuses ${pattern.source.replace(/^\^cannot serialize /, '').replace(/\\b|\\/g, '')}`, () => {
      expect(refusal(value)).toMatch(pattern);
    });
  }

  it('refuses a cycle at the path that closes it', () => {
    const a: Record<string, unknown> = { b: {} };
    (a.b as Record<string, unknown>).back = a;
    expect(refusal({ a })).toMatch(/^cannot serialize a cycle at value\.a\.b\.back\b/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { n: 1 };
    expect(roundTrip({ x: shared, y: [shared] })).toEqual({ x: { n: 1 }, y: [{ n: 1 }] });
  });
});

describe('codec handler registry', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }

  it('uses a registered handler on both sides, and refuses again once it is removed', () => {
    const remove = registerCodecHandler<Point>({
      name: 'test.point',
      canHandle: (value): value is Point => value instanceof Point,
      encode: (p) => ({ meta: { x: p.x }, segments: [new Uint8Array(new Float64Array([p.y]).buffer)] }),
      decode: (meta, [segment]) => new Point((meta as { x: number }).x, new Float64Array(segment!.slice().buffer)[0]!),
    });
    const encoded = encodeValue({ p: new Point(1, 2.5) });
    const back = decodeValue(encoded.buffer) as { p: Point };
    expect(back.p).toBeInstanceOf(Point);
    expect([back.p.x, back.p.y]).toEqual([1, 2.5]);
    remove();
    expect(refusal({ p: new Point(1, 2) })).toMatch(/^cannot serialize a Point instance at value\.p\b/);
    expect(() => decodeValue(encoded.buffer)).toThrow(/'test\.point' codec handler, which is not registered/);
  });

  it('reports a handler that throws as not serializable, with the path', () => {
    const remove = registerCodecHandler<Point>({
      name: 'test.broken',
      canHandle: (value): value is Point => value instanceof Point,
      encode: () => {
        throw new Error('no room');
      },
      decode: () => new Point(0, 0),
    });
    try {
      expect(refusal([new Point(0, 0)])).toMatch(/^cannot serialize a Point instance at value\[0\] \(the 'test\.broken' handler refused it: no room\)/);
    } finally {
      remove();
    }
  });

  it('refuses handler names that cannot be recorded safely', () => {
    expect(() => registerCodecHandler({ name: '$object', canHandle: (v): v is never => false, encode: () => ({ meta: null, segments: [] }), decode: () => null as never })).toThrow(ShoalError);
  });
});
