/** The data folder's path checks, containment (symlinks out), globbing, and write preparation. */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataFolder, OutsideError, checkDataPath } from './dataFolder.ts';
import { compileGlob, listGlob } from './dataGlob.ts';

describe('checkDataPath', () => {
  it('normalizes relative paths', () => {
    expect(checkDataPath('events/a.parquet')).toEqual({ ok: true, path: 'events/a.parquet' });
    expect(checkDataPath('./events//a.parquet/')).toEqual({ ok: true, path: 'events/a.parquet' });
    expect(checkDataPath('')).toEqual({ ok: true, path: '' });
    expect(checkDataPath('_SUCCESS')).toEqual({ ok: true, path: '_SUCCESS' });
  });

  it('refuses .., absolute paths, NUL, backslashes, drive letters and hidden names with a clear message', () => {
    for (const [raw, why] of [
      ['../etc/passwd', /\.\. segments/],
      ['events/../../x', /\.\. segments/],
      ['/etc/passwd', /not absolute/],
      ['C:/Windows', /not absolute/],
      ['a\0b', /NUL/],
      ['a\\..\\b', /separator/],
      ['.env', /hidden/],
      ['out/.shoal-upload-1', /hidden/],
    ] as const) {
      const check = checkDataPath(raw);
      expect(check.ok, raw).toBe(false);
      if (!check.ok) {
        expect(check.status).toBe(400);
        expect(check.message).toMatch(/^ERR_BAD_PATH: /);
        expect(check.message).toMatch(why);
      }
    }
  });
});

describe('compileGlob', () => {
  const matches = (glob: string, file: string): boolean => {
    const compiled = compileGlob(glob);
    if (!compiled.ok || compiled.glob.regex === null) throw new Error(`not a wildcard glob: ${glob}`);
    return compiled.glob.regex.test(file);
  };

  it('matches *, ? and ** by segment, and never hidden or _ names by wildcard', () => {
    expect(matches('events/*.parquet', 'events/a.parquet')).toBe(true);
    expect(matches('events/*.parquet', 'events/x/a.parquet')).toBe(false);
    expect(matches('events/*.parquet', 'events/_tmp.parquet')).toBe(false);
    expect(matches('part-?.csv', 'part-1.csv')).toBe(true);
    expect(matches('part-?.csv', 'part-10.csv')).toBe(false);
    expect(matches('logs/**/*.json', 'logs/a.json')).toBe(true);
    expect(matches('logs/**/*.json', 'logs/2024/01/a.json')).toBe(true);
    expect(matches('logs/**/*.json', 'logs/_temporary/a.json')).toBe(false);
    expect(matches('logs/**', 'logs/a/b/c.txt')).toBe(true);
    expect(matches('a+b/*.csv', 'a+b/x.csv')).toBe(true);
    expect(matches('a+b/*.csv', 'aab/x.csv')).toBe(false);
  });

  it('starts the walk at the literal prefix and refuses bad patterns', () => {
    const compiled = compileGlob('events/2024/*/x.parquet');
    expect(compiled.ok && compiled.glob.base).toBe('events/2024');
    expect(compileGlob('a/b**/c')).toMatchObject({ ok: false, status: 400 });
    expect(compileGlob('../*.csv')).toMatchObject({ ok: false, status: 400 });
    expect(compileGlob('plain/file.csv')).toMatchObject({ ok: true, glob: { regex: null, base: 'plain/file.csv' } });
  });
});

describe('DataFolder', () => {
  let base: string;
  let folder: DataFolder;

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'shoal-data-'));
    const root = path.join(base, 'data');
    await mkdir(path.join(root, 'events', 'sub'), { recursive: true });
    await writeFile(path.join(root, 'events', 'a.parquet'), 'aaaa');
    await writeFile(path.join(root, 'events', 'b.parquet'), 'bb');
    await writeFile(path.join(root, 'events', '_SUCCESS'), '');
    await writeFile(path.join(root, 'events', '.hidden'), 'h');
    await writeFile(path.join(root, 'events', 'sub', 'c.csv'), 'c');
    await writeFile(path.join(base, 'secret.txt'), 'outside');
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
    await symlink(base, path.join(root, 'up'));
    await symlink(path.join(root, 'events', 'a.parquet'), path.join(root, 'alias.parquet'));
    folder = new DataFolder(root);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('finds files inside and refuses symlinks that lead outside', async () => {
    const found = await folder.stat('events/a.parquet');
    expect(found.kind === 'file' && found.found.size).toBe(4);
    expect((await folder.stat('alias.parquet')).kind).toBe('file');
    expect((await folder.stat('events')).kind).toBe('directory');
    expect((await folder.stat('nope.csv')).kind).toBe('missing');
    await expect(folder.stat('leak.txt')).rejects.toBeInstanceOf(OutsideError);
    await expect(folder.stat('up/secret.txt')).rejects.toThrow(/leads outside the data folder/);
  });

  it('lists a glob, a directory (recursively, without _SUCCESS and hidden files), a file; a missing folder is empty', async () => {
    const list = async (glob: string) => {
      const compiled = compileGlob(glob);
      if (!compiled.ok) throw new Error(compiled.message);
      return (await listGlob(folder, compiled.glob, 1000)).map((f) => f.path);
    };
    expect(await list('events/*.parquet')).toEqual(['events/a.parquet', 'events/b.parquet']);
    expect(await list('events')).toEqual(['events/a.parquet', 'events/b.parquet', 'events/sub/c.csv']);
    expect(await list('**/*.csv')).toEqual(['events/sub/c.csv']);
    expect(await list('events/_SUCCESS')).toEqual(['events/_SUCCESS']);
    expect(await list('')).toEqual(['alias.parquet', 'events/a.parquet', 'events/b.parquet', 'events/sub/c.csv']); // leak.txt and up/ are skipped
    expect(await list('nothing/*.csv')).toEqual([]);
    const [first] = await listGlob(folder, (compileGlob('events/a.parquet') as { ok: true; glob: never }).glob, 10);
    expect(first).toMatchObject({ path: 'events/a.parquet', size: 4 });
    expect(typeof first!.mtime).toBe('number');
    const missing = new DataFolder(path.join(base, 'not-there'));
    expect(await missing.walk('', 10)).toEqual([]);
    expect((await missing.stat('a.csv')).kind).toBe('missing');
  });

  it('stops a walk past its limit', async () => {
    await expect(folder.walk('', 2)).rejects.toThrow(/more than 2 files/);
  });

  it('creates directories for writes, never through a symlink that leads out, and empties only inside', async () => {
    const real = await folder.ensureDirectory('out/x');
    expect(real).toBe(path.join(await folder.realRoot() as string, 'out', 'x'));
    await expect(folder.ensureDirectory('up/evil')).rejects.toBeInstanceOf(OutsideError);
    await expect(folder.ensureDirectory('events/a.parquet/x')).rejects.toMatchObject({ code: expect.stringMatching(/EEXIST|ENOTDIR/) });
    expect(await folder.nonEmpty('events')).toBe(true);
    expect(await folder.nonEmpty('out/x')).toBe(false);
    await folder.empty('events');
    expect(await readdir(path.join(folder.root, 'events'))).toEqual([]);
    await expect(folder.empty('')).rejects.toThrow(/whole data folder/);
    await expect(folder.empty('up')).rejects.toBeInstanceOf(OutsideError);
    expect(await readdir(base)).toContain('secret.txt');
  });

  it('creates a missing folder on the first write', async () => {
    const fresh = new DataFolder(path.join(base, 'fresh'));
    expect(await fresh.realRoot()).toBeNull();
    await fresh.ensureDirectory('out');
    expect(await fresh.realRoot()).not.toBeNull();
  });
});
