/** Identifiers. Plain strings on the wire; the aliases document intent. */
export type PeerId = string;
export type TaskId = string;
export type ObjectId = string;
export type FunctionId = string;
export type RoomId = string;

/** Room names are short and URL-safe so they can live in a join link. */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A random id from a URL-safe alphabet, using Web Crypto (browser and Node). */
export function randomId(length = 10): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}
