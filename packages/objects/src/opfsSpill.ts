/**
 * Spilling to the Origin Private File System: one directory per store
 * (`shoal-spill-<peerId>`), one file per object.
 *
 * - write: `FileSystemFileHandle.createWritable()`, which Chromium offers on
 *   the main thread as well as in workers; a failed write is aborted, so no
 *   half-written file is left behind to be read later.
 * - read: `getFile()` then `arrayBuffer()`.
 * - clear: removes the whole directory. Call it at startup: a tab that
 *   reloads gets the same peer name pattern but none of the old objects'
 *   metadata, so their files are garbage. Calls made after `clear()` wait for
 *   it, so `void spill.clear()` followed at once by writes is safe.
 *
 * Object ids become file names through `spillFileName`: letters, digits, `-`
 * and `_` stay, every other UTF-8 byte becomes `%XX`, so `/`, `\`, `.`, `..`
 * and non-ASCII ids are all safe and distinct.
 */
import type { SpillBackend } from './spill.ts';

export function spillFileName(id: string): string {
  let name = 'o-';
  for (const byte of new TextEncoder().encode(id)) {
    const c = String.fromCharCode(byte);
    name += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

/** The parts of the OPFS root this backend uses (an interface, so tests can pass a fake). */
export type OpfsRoot = Pick<FileSystemDirectoryHandle, 'getDirectoryHandle' | 'removeEntry'>;

export class OpfsSpill implements SpillBackend {
  private directory: Promise<FileSystemDirectoryHandle> | null = null;

  /**
   * @param directoryName one per store, e.g. `shoal-spill-<peerId>`
   * @param root the OPFS root; default `navigator.storage.getDirectory()`
   */
  constructor(
    readonly directoryName: string,
    private readonly root: () => Promise<OpfsRoot> = () => navigator.storage.getDirectory(),
  ) {}

  async write(id: string, buffer: ArrayBuffer): Promise<void> {
    const handle = await (await this.dir()).getFileHandle(spillFileName(id), { create: true });
    const writable = await handle.createWritable();
    try {
      await writable.write(buffer);
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => undefined);
      throw error;
    }
  }

  async read(id: string): Promise<ArrayBuffer> {
    const handle = await (await this.dir()).getFileHandle(spillFileName(id));
    return (await handle.getFile()).arrayBuffer();
  }

  async remove(id: string): Promise<void> {
    try {
      await (await this.dir()).removeEntry(spillFileName(id));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  clear(): Promise<void> {
    const cleared = (async () => {
      await this.directory?.catch(() => undefined);
      try {
        await (await this.root()).removeEntry(this.directoryName, { recursive: true });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    })();
    // Later calls wait for the clear, then open a fresh directory.
    const next = cleared.then(() => this.open());
    this.directory = next;
    next.catch(() => {
      if (this.directory === next) this.directory = null;
    });
    return cleared;
  }

  private dir(): Promise<FileSystemDirectoryHandle> {
    return (this.directory ??= this.open());
  }

  private async open(): Promise<FileSystemDirectoryHandle> {
    return (await this.root()).getDirectoryHandle(this.directoryName, { create: true });
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'NotFoundError';
}
