/**
 * Uploading one file to the data folder: a plain `fetch` PUT to a file URL
 * that carries a write grant (`DataClient.fileUrl(path, writeGrant)`). It
 * imports nothing but the error class, so a task's Web Worker can use it (or
 * copy its three lines: tasks ship as source).
 */
import type { ShoalError } from '@shoal/protocol';
import { errorFromResponse, fetchOrFail } from './http.ts';

export interface PutResult {
  path: string;
  size: number;
}

/**
 * PUTs `bytes` to `url` (a data file URL with `?grant=<write grant>`).
 * Rejects with a ShoalError: ERR_UNAUTHORIZED (no, wrong or expired grant, or
 * a path outside its directory), ERR_BAD_PATH, ERR_PATH_EXISTS (a directory
 * stands there), ERR_MESSAGE_TOO_LARGE, or ERR_TRANSFER_FAILED (network).
 */
export async function putDataFile(url: string, bytes: BodyInit, options: { fetch?: typeof fetch } = {}): Promise<PutResult> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const what = `writing ${describeUrl(url)}`;
  const response = await fetchOrFail(fetchFn, url, { method: 'PUT', body: bytes }, what, 'ERR_TRANSFER_FAILED');
  if (!response.ok) throw (await errorFromResponse(response, what, 'ERR_TRANSFER_FAILED')) satisfies ShoalError;
  return (await response.json()) as PutResult;
}

/** The data path of a file URL, for messages (never the grant). */
function describeUrl(url: string): string {
  try {
    const { pathname } = new URL(url);
    return decodeURIComponent(pathname.replace(/^\/data\/files\//, ''));
  } catch {
    return 'a data file';
  }
}
