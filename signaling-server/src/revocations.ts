/**
 * Revoked join tokens. Tokens are stateless (tokens.ts), so revoking one means
 * remembering it: this is a deny-list of exact tokens, each kept only until
 * the token would have expired anyway, so it stays small and prunes itself.
 *
 *   revoke(token, expiresAt)   remember it (idempotent)
 *   has(token)                 is it revoked?
 *
 * A token is a pure function of (room, role, expiry second), so a token minted
 * later for the same room, role and second is the same string and is refused
 * too; `POST /rooms/<room>/revoke` hands out its replacement with another expiry.
 *
 * The list lives in the server process: a restart forgets it (with a fixed
 * `SHOAL_SECRET` the revoked tokens then work again until they expire).
 */

export const DEFAULT_MAX_REVOCATIONS = 100_000;

export class Revocations {
  /** token → when it expires (ms); past that it is refused as expired anyway. */
  readonly #revoked = new Map<string, number>();
  readonly #max: number;

  constructor(max = DEFAULT_MAX_REVOCATIONS) {
    this.#max = max;
  }

  get size(): number {
    return this.#revoked.size;
  }

  /** Remembers `token` until `expiresAt` (ms). False when the list is full (after pruning). */
  revoke(token: string, expiresAt: number, now = Date.now()): boolean {
    if (this.#revoked.has(token)) return true;
    if (expiresAt <= now) return true; // expired: refused already
    if (this.#revoked.size >= this.#max) this.prune(now);
    if (this.#revoked.size >= this.#max) return false;
    this.#revoked.set(token, expiresAt);
    return true;
  }

  has(token: string): boolean {
    return this.#revoked.has(token);
  }

  /** Forgets tokens that have expired. */
  prune(now = Date.now()): void {
    for (const [token, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(token);
  }
}
