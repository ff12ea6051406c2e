/**
 * Hostile input for the signaling server, from a seeded generator
 * (`SHOAL_FUZZ_SEED=...` picks the junk; concurrency still interleaves it
 * differently from run to run). `fuzzSignaling` drives
 * many short-lived `ws` connections at once; each one sends one batch of a
 * single kind of abuse and is then dropped (by the server or by us), until
 * the frame budget is spent; alongside, a few floods (2,500 signals each, as
 * fast as the socket goes) run against the rate limits. Used by security.spec.ts.
 */
import { WebSocket } from 'ws';
import { seededRandom } from '@shoal/protocol';

export type FuzzKind = 'garbage' | 'shapes' | 'binary' | 'huge' | 'badUtf8' | 'flood' | 'badTokens' | 'joinedSpray' | 'misuse';

export interface FuzzTarget {
  /** ws:// URL of the server's /ws. */
  ws: string;
  /** The room the fuzzers may join (they get a valid worker token for it). */
  room: string;
  workerToken: string;
  /** Tokens that must be refused (other room, expired, wrong role...). */
  badTokens: string[];
  /** Peer ids worth aiming signals at (a legitimate peer in the fuzz room). */
  peerIds: string[];
}

export interface FuzzReport {
  frames: number;
  connections: number;
  byKind: Record<FuzzKind, number>;
  closeCodes: Record<string, number>;
}


const KINDS: FuzzKind[] = ['garbage', 'shapes', 'binary', 'huge', 'badUtf8', 'flood', 'badTokens', 'joinedSpray', 'misuse'];

/** Sends at least `frames` malformed or hostile frames (floods not counted), plus `floods` floods, over `lanes` connections at a time. */
export async function fuzzSignaling(target: FuzzTarget, options: { frames: number; floods: number; lanes: number; seed: number }): Promise<FuzzReport> {
  const random = seededRandom(options.seed);
  const report: FuzzReport = { frames: 0, connections: 0, byKind: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<FuzzKind, number>, closeCodes: {} };
  const varied = KINDS.filter((k) => k !== 'flood');
  let budget = options.frames;
  const run = async (kind: FuzzKind): Promise<number> => {
    const sent = await oneConnection(target, kind, random, report);
    report.frames += sent;
    report.byKind[kind] += sent;
    return sent;
  };
  const lane = async (): Promise<void> => {
    while (budget > 0) {
      const sent = await run(varied[Math.floor(random() * varied.length)]!);
      budget -= sent; // after the await: `budget -= await ...` would read a stale budget
    }
  };
  await Promise.all([...Array.from({ length: options.lanes }, lane), ...Array.from({ length: options.floods }, () => run('flood'))]);
  return report;
}

async function oneConnection(target: FuzzTarget, kind: FuzzKind, random: () => number, report: FuzzReport): Promise<number> {
  const ws = new WebSocket(target.ws);
  ws.on('error', () => undefined);
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (!opened) return 0;
  report.connections += 1;
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  let sent = 0;
  const send = (data: string | Buffer, binary = false): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(data, { binary });
    sent += 1;
  };
  const join = (token = target.workerToken): void => send(JSON.stringify({ type: 'join', room: target.room, role: 'worker', name: 'fuzz', token }));
  const int = (n: number): number => Math.floor(random() * n);
  const peer = (): string => (random() < 0.5 && target.peerIds.length > 0 ? target.peerIds[int(target.peerIds.length)]! : randomText(random, 1 + int(20)));

  switch (kind) {
    case 'garbage':
      for (let i = 0; i < 25; i++) send(randomText(random, int(2000)));
      break;
    case 'shapes':
      for (let i = 0; i < 25; i++) send(JSON.stringify(randomShape(random, 0)) ?? 'undefined');
      break;
    case 'binary':
      for (let i = 0; i < 25; i++) send(randomBytes(random, int(4096)), true);
      break;
    case 'huge':
      send(random() < 0.5 ? JSON.stringify({ type: 'signal', to: 'x', data: { blob: 'x'.repeat(64 * 1024 + int(100_000)) } }) : randomBytes(random, 64 * 1024 + 1 + int(100_000)), random() < 0.3);
      break;
    case 'badUtf8':
      send(Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d]), false); // a text frame that is not UTF-8
      break;
    case 'flood':
      join();
      for (let i = 0; i < 2500; i++) send(JSON.stringify({ type: 'signal', to: peer(), data: { candidate: i } }));
      break;
    case 'badTokens': {
      const token = random() < 0.5 ? target.badTokens[int(target.badTokens.length)]! : tamper(target.workerToken, random);
      send(JSON.stringify({ type: 'join', room: target.room, role: random() < 0.5 ? 'worker' : 'coordinator', token }));
      break;
    }
    case 'joinedSpray':
      join();
      for (let i = 0; i < 25; i++) {
        const data = random() < 0.7 ? (randomShape(random, 0) as Record<string, unknown>) : { sdp: randomText(random, int(3000)) };
        send(JSON.stringify({ type: 'signal', to: peer(), data: typeof data === 'object' && data !== null && !Array.isArray(data) ? data : { v: data } }));
      }
      break;
    case 'misuse':
      send(JSON.stringify({ type: 'leave' }));
      send(JSON.stringify({ type: 'signal', to: peer(), data: {} }));
      join();
      join(); // twice
      send(`{"type":"signal","to":${JSON.stringify(peer())},"data":{"__proto__":{"polluted":true}}}`);
      send('{"type":"join","room":"r","role":"worker","__proto__":{"polluted":true}}');
      send(JSON.stringify({ type: 'join', room: target.room, role: 'coordinator', token: target.workerToken }));
      break;
  }
  // Let the server answer (or close on us), then drop the connection if it has not.
  const code = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), kind === 'flood' ? 2000 : 150))]);
  report.closeCodes[String(code ?? 'client')] = (report.closeCodes[String(code ?? 'client')] ?? 0) + 1;
  if (code === null) ws.terminate();
  return sent;
}

/** A token with one character changed, or cut short, or with a segment swapped. */
function tamper(token: string, random: () => number): string {
  const parts = token.split('.');
  const choice = Math.floor(random() * 4);
  if (choice === 0) return token.slice(0, Math.floor(random() * token.length));
  if (choice === 1) return parts.map((p, i) => (i === 2 ? 'coordinator' : p)).join('.');
  if (choice === 2) return parts.map((p, i) => (i === 3 ? String(Number(p) + 1_000_000) : p)).join('.');
  const at = Math.floor(random() * token.length);
  return token.slice(0, at) + String.fromCharCode(33 + Math.floor(random() * 90)) + token.slice(at + 1);
}

function randomText(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const r = random();
    out += r < 0.6 ? String.fromCharCode(32 + Math.floor(random() * 95)) : r < 0.9 ? '{}[]":,\\ntrue'.charAt(Math.floor(random() * 13)) : String.fromCodePoint(Math.floor(random() * 0xd7ff));
  }
  return out;
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const FIELDS = ['type', 'room', 'role', 'name', 'token', 'to', 'from', 'data', 'peerId', 'peers', '__proto__', 'constructor', 'sdp'];
const TYPES = ['join', 'signal', 'leave', 'welcome', 'peerJoined', 'error', 'shutdown', 'teleport', '', 'JOIN'];

/** A random JSON value, biased towards almost-valid signaling messages. */
function randomShape(random: () => number, depth: number): unknown {
  const r = random();
  if (depth > 4 || r < 0.15) {
    const leaf = Math.floor(random() * 7);
    return [null, true, -1e308, Math.floor(random() * 1e6), randomText(random, Math.floor(random() * 40)), 'x'.repeat(300), ''][leaf];
  }
  if (r < 0.3) return Array.from({ length: Math.floor(random() * 5) }, () => randomShape(random, depth + 1));
  if (r < 0.35) return JSON.parse('['.repeat(2000) + ']'.repeat(2000)) as unknown; // deep nesting
  const object: Record<string, unknown> = {};
  if (depth === 0 || random() < 0.3) object['type'] = random() < 0.8 ? TYPES[Math.floor(random() * TYPES.length)] : randomShape(random, depth + 1);
  for (let i = Math.floor(random() * 5); i > 0; i--) {
    Object.defineProperty(object, FIELDS[Math.floor(random() * FIELDS.length)]!, { value: randomShape(random, depth + 1), enumerable: true, configurable: true, writable: true });
  }
  return object;
}
