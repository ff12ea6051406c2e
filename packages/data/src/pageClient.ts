/**
 * The data client of a Shoal page. The server that serves the pages also
 * serves the data folder, so the base URL is the page's own origin; the join
 * token is the page's `token` query parameter (what `shoal start`, `shoal run`
 * and `POST /rooms` put in the coordinator link), else the token the
 * coordinator page kept for its room in localStorage
 * (`shoal.token.coordinator.<room>`, see apps/coordinator/main.ts). File URLs
 * for other tabs use the page's `joinBase` when it has one (what workers on
 * other devices reach the server at).
 */
import { createDataClient, type DataClient } from './dataClient.ts';

export interface PageLocation {
  origin: string;
  search: string;
}

/**
 * A data client for the page at `where` (default: `location`). Without a
 * token (an open-mode server) it names the page's `room` instead.
 */
export function dataClientForPage(where: PageLocation = globalThis.location, storage: Pick<Storage, 'getItem'> | undefined = localStorageOrUndefined()): DataClient {
  const params = new URLSearchParams(where.search);
  const room = params.get('room') ?? undefined;
  const stored = room === undefined ? null : safeGet(storage, `shoal.token.coordinator.${room}`);
  const token = params.get('token') ?? stored ?? undefined;
  // Worker tabs on other devices reach the server at the join link's base (the CLI passes its LAN address as joinBase).
  const publicUrl = params.get('joinBase') ?? undefined;
  return createDataClient({ baseUrl: where.origin, publicUrl, token, room });
}

function localStorageOrUndefined(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // some privacy modes throw on access
  }
}

function safeGet(storage: Pick<Storage, 'getItem'> | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
