/**
 * Who may open a WebSocket, decided at the HTTP upgrade before any frame is
 * read: the path, the page's origin, and how many sockets are already open in
 * all and from the same address. Refusals are plain HTTP answers (403, 404,
 * 503), so a refused client costs no WebSocket state.
 *
 * Origins: a browser page says where it came from in `Origin`. The pages this
 * server serves itself are always allowed (their origin's host is the
 * request's `Host`); other origins only when listed in `allowOrigins` (or
 * `*`). A request without `Origin` comes from a non-browser client, which
 * could send any origin it liked, so the check does not apply to it; tokens
 * are what keep such clients out of rooms.
 */
import type { IncomingMessage } from 'node:http';

export type Admission = { ok: true; address: string } | { ok: false; status: 403 | 404 | 503; reason: string; message: string };

export interface AdmissionPolicy {
  allowOrigins: readonly string[];
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Take the client address from the last `X-Forwarded-For` entry (set by your reverse proxy). */
  trustProxy: boolean;
}

/** Whether a page from `origin` may connect to a server reached as `host`. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowOrigins.includes('*')) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // includes the literal `null` origin of sandboxed frames and file:// pages
  }
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  return allowOrigins.some((allowed) => normalizeOrigin(allowed) === parsed.origin);
}

/** `https://Example.com:443/` → `https://example.com`; unparseable values stay as given. */
export function normalizeOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}

/** The client's address: the socket's, or with `trustProxy` the last hop in X-Forwarded-For. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const value = Array.isArray(header) ? header.join(',') : header;
    const last = value?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** Counts open sockets, in all and per address, and decides on new ones. */
export class ConnectionCounter {
  readonly #perAddress = new Map<string, number>();
  #total = 0;

  constructor(readonly policy: AdmissionPolicy) {}

  get total(): number {
    return this.#total;
  }

  /** Decides on an upgrade request (path already checked). Does not count it: call `add` once accepted. */
  admit(req: IncomingMessage): Admission {
    const address = clientAddress(req, this.policy.trustProxy);
    const origin = req.headers.origin;
    if (!originAllowed(origin, req.headers.host, this.policy.allowOrigins)) {
      return { ok: false, status: 403, reason: 'origin', message: `origin ${origin} is not allowed (see --allow-origin)` };
    }
    if (this.#total >= this.policy.maxConnections) {
      return { ok: false, status: 503, reason: 'capacity', message: `the server is at its limit of ${this.policy.maxConnections} connections` };
    }
    if ((this.#perAddress.get(address) ?? 0) >= this.policy.maxConnectionsPerIp) {
      return { ok: false, status: 503, reason: 'perIp', message: `${address} is at its limit of ${this.policy.maxConnectionsPerIp} connections` };
    }
    return { ok: true, address };
  }

  add(address: string): void {
    this.#total += 1;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
  }

  remove(address: string): void {
    const n = this.#perAddress.get(address);
    if (n === undefined) return;
    this.#total -= 1;
    if (n <= 1) this.#perAddress.delete(address);
    else this.#perAddress.set(address, n - 1);
  }
}
