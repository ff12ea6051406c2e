/**
 * A file dropped on the dashboard (or picked with "Open a data file…")
 * becomes a DataFrame: a .csv, .parquet, .json, .jsonl or .ndjson file is
 * uploaded into the server's data folder as `uploads/<name>` (a write grant
 * for `uploads` in append mode, then one PUT), and the editor gets a job
 * that reads it. Only the coordinator's token may write there, so a page
 * opened without it, or a server that refuses the write, gets the error's
 * code and message in the status line.
 */
import type { DataClient } from '@shoal/data';
import { bytes } from '../format.ts';

export const UPLOAD_DIR = 'uploads';

const READERS: Record<string, 'csv' | 'parquet' | 'json'> = { csv: 'csv', parquet: 'parquet', json: 'json', jsonl: 'json', ndjson: 'json' };

/** The reader for a file name by its extension, or null for other files. */
export function readerFor(name: string): 'csv' | 'parquet' | 'json' | null {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  return READERS[ext] ?? null;
}

/**
 * A name the data folder accepts: the file's own name without any folder,
 * characters other than letters, digits, `.`, `_` and `-` replaced by `_`,
 * and no leading `.` or `_` (hidden names are refused, and wildcards skip them).
 */
export function uploadName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '');
  return safe.slice(-120) || 'upload';
}

/** The job the editor gets for an uploaded file at `path`. */
export function snippetFor(path: string): string {
  const reader = readerFor(path) ?? 'csv';
  const quoted = `'${path.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `// ${path}: uploaded from the dashboard. Try df.count(), df.groupBy(...).agg({...}), df.filter("...") or df.explain().`,
    `export default async (cluster) => {`,
    `  const df = cluster.read.${reader}(${quoted});`,
    `  return await df.limit(20).collect(); // the first 20 rows, shown as a table`,
    `};`,
    ``,
  ].join('\n');
}

export interface FileDropOptions {
  /** Where a drop is taken (the whole page). */
  zone: HTMLElement;
  /** The file picker. */
  input: HTMLInputElement;
  /** The status line. */
  status: HTMLElement;
  /** The data folder's client (the page's token). */
  client: () => DataClient;
  /** Puts the job's source in the editor. */
  setSource(source: string): void;
}

export interface FileDrop {
  /** Uploads `file` and puts its job in the editor; resolves to its data path, or null (the status says why). */
  take(file: File): Promise<string | null>;
}

export function createFileDrop(options: FileDropOptions): FileDrop {
  const { zone, input, status } = options;
  let busy = false;

  const say = (text: string, kind: 'ok' | 'bad' | 'muted'): void => {
    status.className = `drop-status small ${kind}`;
    status.textContent = text;
  };

  async function take(file: File): Promise<string | null> {
    if (!readerFor(file.name)) {
      say(`${file.name} is not a data file this dashboard reads: drop a .csv, .parquet, .json, .jsonl or .ndjson file.`, 'bad');
      return null;
    }
    if (busy) {
      say('An upload is already under way; drop the file again when it ends.', 'bad');
      return null;
    }
    busy = true;
    const path = `${UPLOAD_DIR}/${uploadName(file.name)}`;
    say(`Uploading ${file.name} (${bytes(file.size)}) to the data folder as ${path}…`, 'muted');
    try {
      const client = options.client();
      const grant = await client.grantWrite(UPLOAD_DIR, 'append');
      await client.putFile(path, file, grant);
      options.setSource(snippetFor(path));
      say(`Uploaded ${file.name} as ${path} (${bytes(file.size)}); the editor has a job that reads it: press Run.`, 'ok');
      status.dataset['path'] = path;
      return path;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = error instanceof Error ? error.message : String(error);
      say(`Could not upload ${file.name}: ${code ? `${code}: ` : ''}${message}`, 'bad');
      return null;
    } finally {
      busy = false;
    }
  }

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (file) void take(file);
  });

  const hasFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') ?? false;
  let depth = 0;
  zone.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    depth++;
    zone.classList.add('dropping');
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dropping');
  });
  zone.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dropping');
    const file = event.dataTransfer?.files[0];
    if (file) void take(file);
  });

  return { take };
}
