import { describe, expect, it } from 'vitest';
import { DEVICE_MEMORY_SHARE, defaultCapacityBytes } from './capacity.ts';
import { OpfsSpill, spillFileName, type OpfsRoot } from './opfsSpill.ts';
import { MemorySpill } from './spill.ts';
import { ObjectStore } from './store.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The slice of the OPFS API that OpfsSpill uses, in memory, with OPFS's name rules and errors. */
class FakeDirectory {
  readonly entries = new Map<string, FakeDirectory | FakeFile>();

  private check(name: string): void {
    if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) throw new TypeError(`Name is not allowed: ${name}`);
  }

  private missing(name: string): DOMException {
    return new DOMException(`${name} was not found`, 'NotFoundError');
  }

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<FakeDirectory> {
    this.check(name);
    let entry = this.entries.get(name);
    if (!entry && options.create) this.entries.set(name, (entry = new FakeDirectory()));
    if (!(entry instanceof FakeDirectory)) throw this.missing(name);
    return entry;
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}): Promise<FakeFile> {
    this.check(name);
    let entry = this.entries.get(name);
    if (!entry && options.create) this.entries.set(name, (entry = new FakeFile()));
    if (!(entry instanceof FakeFile)) throw this.missing(name);
    return entry;
  }

  async removeEntry(name: string, options: { recursive?: boolean } = {}): Promise<void> {
    this.check(name);
    const entry = this.entries.get(name);
    if (!entry) throw this.missing(name);
    if (entry instanceof FakeDirectory && entry.entries.size > 0 && !options.recursive) throw new DOMException('not empty', 'InvalidModificationError');
    this.entries.delete(name);
  }
}

class FakeFile {
  data = new Uint8Array(0);

  async createWritable() {
    const chunks: Uint8Array[] = [];
    return {
      write: async (buffer: ArrayBuffer) => {
        chunks.push(new Uint8Array(buffer.slice(0)));
      },
      close: async () => {
        const total = chunks.reduce((n, c) => n + c.byteLength, 0);
        this.data = new Uint8Array(total);
        let at = 0;
        for (const chunk of chunks) this.data.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
      },
      abort: async () => undefined,
    };
  }

  async getFile() {
    const data = this.data;
    return { arrayBuffer: async () => data.slice().buffer };
  }
}

function fakeOpfs(): { root: FakeDirectory; spill: OpfsSpill } {
  const root = new FakeDirectory();
  return { root, spill: new OpfsSpill('shoal-spill-peer1', async () => root as unknown as OpfsRoot) };
}

describe('spillFileName', () => {
  it('makes every id a safe, distinct file name', () => {
    const ids = ['plain-id_1', '.', '..', 'a/b', 'a\\b', 'a%2Fb', 'ünï', 'a b', ''];
    const names = ids.map(spillFileName);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(/^o-[A-Za-z0-9_%-]*$/);
    expect(spillFileName('plain-id_1')).toBe('o-plain-id_1');
    expect(spillFileName('a/b')).toBe('o-a%2Fb');
  });
});

describe('OpfsSpill', () => {
  it('writes, reads and removes objects as files in its own directory', async () => {
    const { root, spill } = fakeOpfs();
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await spill.write('obj/1', bytes.buffer);
    const directory = root.entries.get('shoal-spill-peer1') as FakeDirectory;
    expect([...directory.entries.keys()]).toEqual(['o-obj%2F1']);
    expect(Array.from(new Uint8Array(await spill.read('obj/1')))).toEqual([1, 2, 3, 250]);
    await spill.remove('obj/1');
    await spill.remove('obj/1'); // already gone: no error
    expect(directory.entries.size).toBe(0);
    await expect(spill.read('obj/1')).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('clear() drops leftovers of an earlier session, and later calls wait for it', async () => {
    const { root, spill } = fakeOpfs();
    await spill.write('old', new Uint8Array([9]).buffer);
    const fresh = new OpfsSpill('shoal-spill-peer1', async () => root as unknown as OpfsRoot);
    const clearing = fresh.clear();
    const writing = fresh.write('new', new Uint8Array([7]).buffer);
    await Promise.all([clearing, writing]);
    const directory = root.entries.get('shoal-spill-peer1') as FakeDirectory;
    expect([...directory.entries.keys()]).toEqual(['o-new']);
    await new OpfsSpill('never-made', async () => root as unknown as OpfsRoot).clear(); // nothing to clear: no error
  });

  it('serves an ObjectStore: spilled objects come back intact', async () => {
    const { spill } = fakeOpfs();
    const store = new ObjectStore({ capacityBytes: 64, spill });
    const buffers = [1, 2, 3].map((tag) => Uint8Array.from({ length: 40 }, (_, i) => tag * i).buffer);
    for (const [i, buffer] of buffers.entries()) await store.put(`id/${i}`, buffer);
    expect(store.stats()).toMatchObject({ spilledObjects: 2, memoryBytes: 40 });
    for (const [i, buffer] of buffers.entries()) expect(new Uint8Array((await store.get(`id/${i}`))!)).toEqual(new Uint8Array(buffer));
  });
});

describe('MemorySpill', () => {
  it('keeps copies and counts its calls', async () => {
    const spill = new MemorySpill();
    const source = new Uint8Array([1, 2]);
    await spill.write('a', source.buffer);
    source[0] = 99;
    expect(Array.from(new Uint8Array(await spill.read('a')))).toEqual([1, 2]);
    await spill.remove('a');
    await expect(spill.read('a')).rejects.toThrow(/no spilled object a/);
    expect([spill.writes, spill.reads, spill.removes, spill.bytes]).toEqual([1, 1, 1, 0]);
  });
});

describe('defaultCapacityBytes', () => {
  it('is a quarter of device memory, between 256 MiB and 4 GiB, and 512 MiB when unknown', () => {
    expect(DEVICE_MEMORY_SHARE).toBe(0.25);
    expect(defaultCapacityBytes(null)).toBe(512 * MiB);
    expect(defaultCapacityBytes(Number.NaN)).toBe(512 * MiB);
    expect(defaultCapacityBytes(0.5)).toBe(256 * MiB);
    expect(defaultCapacityBytes(4)).toBe(1 * GiB);
    expect(defaultCapacityBytes(8)).toBe(2 * GiB);
    expect(defaultCapacityBytes(64)).toBe(4 * GiB);
  });
});
