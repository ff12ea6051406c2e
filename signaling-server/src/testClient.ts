/**
 * Test helper: a real `ws` client with a queue of typed server messages, so a
 * test reads replies in order with `next()`. Used by the tests beside it only.
 */
import { parseSignalingServerMessage, type Role, type SignalingServerMessage } from '@shoal/protocol';
import { WebSocket, type ClientOptions } from 'ws';

const WAIT_MS = 2000;

export interface TestClient {
  readonly ws: WebSocket;
  /** The next message from the server (rejects after a timeout, or on close). */
  next(): Promise<SignalingServerMessage>;
  /** The next message, which must have this type. */
  expect<T extends SignalingServerMessage['type']>(type: T): Promise<Extract<SignalingServerMessage, { type: T }>>;
  /** Sends a value as JSON text (or raw text/bytes as given). */
  send(value: unknown): void;
  /** Resolves with the close code and reason once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Messages received and not yet read. */
  pending(): SignalingServerMessage[];
  close(): void;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/ws`;
}

export function connect(httpUrl: string, options: ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(wsUrl(httpUrl), options);
  const queue: SignalingServerMessage[] = [];
  const waiters: Array<{ resolve: (m: SignalingServerMessage) => void; reject: (e: Error) => void }> = [];
  let closeInfo: { code: number; reason: string } | null = null;

  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString('utf8') };
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`socket closed (${code} ${closeInfo.reason})`));
      resolve(closeInfo);
    });
  });
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const parsed = parseSignalingServerMessage(String(data));
    if (!parsed.ok) throw parsed.error;
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(parsed.value);
    else queue.push(parsed.value);
  });

  const next = (): Promise<SignalingServerMessage> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    if (closeInfo) return Promise.reject(new Error(`socket closed (${closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m: SignalingServerMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error('no message from the server in time'));
      }, WAIT_MS);
      waiters.push(waiter);
    });
  };

  const client: TestClient = {
    ws,
    next,
    async expect(type) {
      const message = await next();
      if (message.type !== type) throw new Error(`expected a ${type} message, got ${JSON.stringify(message)}`);
      return message as Extract<SignalingServerMessage, { type: typeof type }>;
    },
    send(value) {
      ws.send(typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value));
    },
    closed,
    pending: () => [...queue],
    close: () => ws.close(),
  };

  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

export interface JoinExtras {
  name?: string;
  token?: string;
  /** Options for the `ws` client (e.g. `autoPong: false`, `ca` for TLS). */
  ws?: ClientOptions;
}

/** Connects and joins; returns the client and its peer id. */
export async function join(httpUrl: string, room: string, role: Role, extras: JoinExtras = {}): Promise<{ client: TestClient; peerId: string; peers: string[] }> {
  const client = await connect(httpUrl, extras.ws);
  const { name, token } = extras;
  client.send({ type: 'join', room, role, ...(name === undefined ? {} : { name }), ...(token === undefined ? {} : { token }) });
  const welcome = await client.expect('welcome');
  return { client, peerId: welcome.peerId, peers: welcome.peers.map((p) => p.peerId) };
}
