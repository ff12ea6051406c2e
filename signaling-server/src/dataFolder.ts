/**
 * The `--data` folder on disk: every path a request names is checked here
 * before the file system is touched, and again after (real paths), so nothing
 * outside the folder is ever read, written or removed.
 *
 * A data path is relative, `/`-separated, and normalized: no empty, `.` or
 * `..` segments, no leading `/`, no NUL or backslash, no drive letter, and no
 * segment that starts with `.` (hidden files: our own upload temp files among
 * them). `checkDataPath` is pure; the `*Inside` functions then resolve real
 * paths, so a symlink that leads out of the folder is refused (403) even
 * though its name looked fine.
 *
 * The folder need not exist: reading a missing folder lists nothing and finds
 * no files; the first write creates it.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export type PathCheck = { ok: true; path: string } | { ok: false; status: 400 | 403; message: string };

/** Normalizes and checks a data path (`''` is the folder itself). Pure. */
export function checkDataPath(raw: string): PathCheck {
  if (raw.includes('\0')) return bad('a data path may not contain NUL');
  if (raw.includes('\\')) return bad(`a data path uses / as its separator, not \\: ${JSON.stringify(raw)}`);
  if (raw.startsWith('/')) return bad(`a data path is relative to the data folder, not absolute: ${JSON.stringify(raw)}`);
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return bad(`a data path may not contain .. segments: ${JSON.stringify(raw)}`);
  if (segments.length > 0 && /^[A-Za-z]:$/.test(segments[0]!)) return bad(`a data path is relative to the data folder, not absolute: ${JSON.stringify(raw)}`);
  const hidden = segments.find((segment) => segment.startsWith('.'));
  if (hidden !== undefined) return bad(`hidden names (starting with .) are not served: ${JSON.stringify(hidden)}`);
  return { ok: true, path: segments.join('/') };
}

function bad(message: string): PathCheck {
  return { ok: false, status: 400, message: `ERR_BAD_PATH: ${message}` };
}

/** Raised by the `*Inside` functions for a path that resolves outside the folder. */
export class OutsideError extends Error {
  override readonly name = 'OutsideError';
  constructor(dataPath: string) {
    super(`ERR_BAD_PATH: ${JSON.stringify(dataPath)} leads outside the data folder (a symlink)`);
  }
}

export interface DataFileInfo {
  /** The data path, relative to the folder. */
  path: string;
  size: number;
  /** Last modification, ms since the epoch. */
  mtime: number;
}

export interface FoundFile extends DataFileInfo {
  /** The real path on disk. */
  file: string;
}

/** One folder, with its checks. `root` is made absolute at construction. */
export class DataFolder {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The absolute path of a checked data path (no file system access). */
  absolute(dataPath: string): string {
    return dataPath === '' ? this.root : path.join(this.root, ...dataPath.split('/'));
  }

  /** The folder's real path, or null when it does not exist yet. */
  async realRoot(): Promise<string | null> {
    try {
      return await realpath(this.root);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Whether a real path lies inside (or is) the real root. */
  static contains(realRoot: string, real: string): boolean {
    return real === realRoot || real.startsWith(realRoot + path.sep);
  }

  /**
   * What a checked data path names: a regular file (with its stats), a
   * directory, or nothing. Throws `OutsideError` when it resolves outside.
   */
  async stat(dataPath: string): Promise<{ kind: 'file'; found: FoundFile } | { kind: 'directory'; real: string } | { kind: 'missing' }> {
    const realRoot = await this.realRoot();
    if (realRoot === null) return { kind: 'missing' };
    let real: string;
    try {
      real = await realpath(this.absolute(dataPath));
    } catch (error) {
      if (isMissing(error)) return { kind: 'missing' };
      throw error;
    }
    if (!DataFolder.contains(realRoot, real)) throw new OutsideError(dataPath);
    const info = await stat(real);
    if (info.isDirectory()) return { kind: 'directory', real };
    if (!info.isFile()) return { kind: 'missing' };
    return { kind: 'file', found: { path: dataPath, file: real, size: info.size, mtime: Math.floor(info.mtimeMs) } };
  }

  /**
   * Every file under a checked directory path, recursively, sorted by path.
   * Skips hidden and `_`-prefixed names (`_SUCCESS`, `_temporary`, as Spark
   * and Hadoop do), and symlinks that lead outside (or to directories: no
   * cycles). `limit` bounds the walk.
   */
  async walk(dirPath: string, limit: number): Promise<DataFileInfo[]> {
    const realRoot = await this.realRoot();
    if (realRoot === null) return [];
    const out: DataFileInfo[] = [];
    const visit = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(this.absolute(rel), { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
          await visit(child);
        } else if (entry.isFile() || entry.isSymbolicLink()) {
          const file = await this.#fileInfo(realRoot, child, entry.isSymbolicLink());
          if (file !== null) out.push(file);
        }
        if (out.length > limit) throw new RangeError(`more than ${limit} files match; narrow the glob`);
      }
    };
    const start = await this.stat(dirPath);
    if (start.kind !== 'directory') return [];
    await visit(dirPath);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async #fileInfo(realRoot: string, rel: string, link: boolean): Promise<DataFileInfo | null> {
    const abs = this.absolute(rel);
    try {
      if (link) {
        const real = await realpath(abs);
        if (!DataFolder.contains(realRoot, real)) return null;
      }
      const info = await stat(abs);
      return info.isFile() ? { path: rel, size: info.size, mtime: Math.floor(info.mtimeMs) } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /**
   * Makes sure a checked directory path exists as a real directory inside the
   * folder (creating the folder and the missing parts), and returns its real
   * path. Throws `OutsideError` when an existing part leads outside, and an
   * error with code `EEXIST` when a part is a file.
   */
  async ensureDirectory(dirPath: string): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const realRoot = (await this.realRoot())!;
    // The deepest part that exists must be inside before anything is created under it.
    const segments = dirPath === '' ? [] : dirPath.split('/');
    let existing = '';
    for (let i = segments.length; i >= 0; i--) {
      const candidate = segments.slice(0, i).join('/');
      try {
        const real = await realpath(this.absolute(candidate));
        if (!DataFolder.contains(realRoot, real)) throw new OutsideError(dirPath);
        existing = candidate;
        break;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    if (existing !== dirPath) await mkdir(this.absolute(dirPath), { recursive: true });
    const real = await realpath(this.absolute(dirPath));
    if (!DataFolder.contains(realRoot, real)) throw new OutsideError(dirPath);
    if (!(await stat(real)).isDirectory()) throw Object.assign(new Error(`${JSON.stringify(dirPath)} is a file, not a directory`), { code: 'EEXIST' });
    return real;
  }

  /** Whether a checked path names an existing file, or a directory with anything in it. */
  async nonEmpty(dataPath: string): Promise<boolean> {
    const what = await this.stat(dataPath);
    if (what.kind === 'file') return true;
    if (what.kind === 'missing') return false;
    return (await readdir(what.real)).length > 0;
  }

  /**
   * Empties a checked directory path (never the folder itself): removes what
   * is in it, symlinks as links (their targets are not touched). A file at
   * that path is removed. Missing: nothing to do.
   */
  async empty(dirPath: string): Promise<void> {
    if (dirPath === '') throw new RangeError('ERR_BAD_PATH: refusing to empty the whole data folder');
    const what = await this.stat(dirPath);
    if (what.kind === 'missing') {
      // A dangling symlink or a non-regular file: remove the entry itself, if it is there.
      const entry = await lstat(this.absolute(dirPath)).catch(() => null);
      if (entry !== null) await rm(this.absolute(dirPath), { force: true });
      return;
    }
    if (what.kind === 'file') {
      await rm(this.absolute(dirPath), { force: true });
      return;
    }
    for (const name of await readdir(what.real)) await rm(path.join(what.real, name), { recursive: true, force: true });
  }
}

/** A fresh hidden name for an upload's temp file (hidden names are never served nor listed). */
export function tempName(): string {
  return `.shoal-upload-${randomBytes(8).toString('hex')}`;
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
