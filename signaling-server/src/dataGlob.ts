/**
 * Globs over data paths, the way `cluster.read.parquet('events/*.parquet')`
 * names its input:
 *
 *   *    any characters in one path segment        events/*.parquet
 *   ?    one character in one segment              part-?.csv
 *   **   zero or more whole segments               logs/**\/*.json, logs/**
 *
 * A pattern without wildcards names one file, or a directory: every file
 * under it, recursively. Wildcards never match names that start with `.` or
 * `_` (`_SUCCESS`, `_temporary`, hidden files), as Spark's readers skip them;
 * a literal segment may name such a file. Results are sorted by path.
 */
import { checkDataPath, type DataFileInfo, type DataFolder, type PathCheck } from './dataFolder.ts';

export interface CompiledGlob {
  /** The normalized pattern. */
  pattern: string;
  /** The literal directory prefix the walk starts from (`''` for the folder). */
  base: string;
  /** Null for a pattern without wildcards. */
  regex: RegExp | null;
}

const WILDCARD = /[*?]/;

/** Checks and compiles a glob. Pure. */
export function compileGlob(raw: string): { ok: true; glob: CompiledGlob } | Extract<PathCheck, { ok: false }> {
  const check = checkDataPath(raw);
  if (!check.ok) return check;
  const segments = check.path === '' ? [] : check.path.split('/');
  const firstWild = segments.findIndex((segment) => WILDCARD.test(segment));
  if (firstWild === -1) return { ok: true, glob: { pattern: check.path, base: check.path, regex: null } };
  const bad = segments.find((segment) => segment.includes('**') && segment !== '**');
  if (bad !== undefined) return { ok: false, status: 400, message: `ERR_BAD_PATH: ** must be a whole path segment, got ${JSON.stringify(bad)}` };
  let source = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      source += last ? '(?:(?![._])[^/]+/)*(?![._])[^/]+' : '(?:(?![._])[^/]+/)*';
      return;
    }
    source += segmentSource(segment) + (last ? '' : '/');
  });
  return { ok: true, glob: { pattern: check.path, base: segments.slice(0, firstWild).join('/'), regex: new RegExp(`^${source}$`, 'u') } };
}

function segmentSource(segment: string): string {
  let out = WILDCARD.test(segment[0]!) ? '(?![._])' : '';
  for (const char of segment) {
    if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** The files a compiled glob matches in `folder`, sorted by path; `limit` bounds the walk. */
export async function listGlob(folder: DataFolder, glob: CompiledGlob, limit: number): Promise<DataFileInfo[]> {
  if (glob.regex === null) {
    const what = await folder.stat(glob.pattern);
    if (what.kind === 'file') return [{ path: what.found.path, size: what.found.size, mtime: what.found.mtime }];
    if (what.kind === 'directory') return folder.walk(glob.pattern, limit);
    return [];
  }
  const regex = glob.regex;
  const files = await folder.walk(glob.base, limit);
  return files.filter((file) => regex.test(file.path));
}
