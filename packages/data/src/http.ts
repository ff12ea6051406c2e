/**
 * The data endpoints' answers as `ShoalError`s. The server answers errors as
 * `{"error": {"code", "message"}}`; anything else (a proxy's page, a network
 * failure) becomes `fallback` with what is known.
 */
import { ShoalError, isErrorCode, type ErrorCode } from '@shoal/protocol';

/** The ShoalError for a failed response; `what` says what was being done ("reading events/a.parquet"). */
export async function errorFromResponse(response: Response, what: string, fallback: ErrorCode): Promise<ShoalError> {
  let code: ErrorCode = fallback;
  let detail = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (isErrorCode(body.error?.code)) code = body.error.code;
    if (typeof body.error?.message === 'string') detail = body.error.message.replace(/^ERR_[A-Z_]+: /, '');
  } catch {
    // Not our JSON: keep the status line.
  }
  return new ShoalError(code, `${what}: ${detail}`);
}

/**
 * `fetch`, with a network failure turned into a ShoalError that says what was
 * being done. Idempotent requests (GET, HEAD, and PUT with a body that can be
 * sent again: uploads are atomic on the server) are tried once more after a
 * network failure: a reused keep-alive connection that the server closed
 * meanwhile fails that way without anything having happened.
 */
export async function fetchOrFail(fetchFn: typeof fetch, url: string, init: RequestInit, what: string, code: ErrorCode): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const resendable = method === 'GET' || method === 'HEAD' || (method === 'PUT' && !(typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream));
  try {
    return await fetchFn(url, init);
  } catch (first) {
    if (resendable) {
      try {
        return await fetchFn(url, init);
      } catch {
        // Report the first failure.
      }
    }
    throw new ShoalError(code, `${what}: ${first instanceof Error ? first.message : String(first)}`, { cause: first });
  }
}

/**
 * A data path as a URL path: each segment percent-encoded, `/` kept. Refuses
 * (ERR_BAD_PATH) what the server would refuse but a URL would silently
 * rewrite: `..` segments (browsers resolve them, encoded or not, before the
 * request leaves), absolute paths, NUL and backslashes.
 */
export function encodeDataPath(dataPath: string): string {
  const segments = dataPath.split('/');
  if (dataPath.startsWith('/') || dataPath.includes('\0') || dataPath.includes('\\') || segments.includes('..')) {
    throw new ShoalError('ERR_BAD_PATH', `${JSON.stringify(dataPath)} is not a data path: it is relative to the data folder, /-separated, without .. segments`);
  }
  return segments
    .filter((segment) => segment !== '' && segment !== '.')
    .map(encodeURIComponent)
    .join('/');
}
