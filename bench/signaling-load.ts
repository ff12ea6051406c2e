/**
 * Signaling server under load: N WebSocket clients (default 500) join rooms
 * of R peers with real tokens, each sends every other peer in its room
 * `--rounds` SDP-sized signals, and then they all leave. One process holds the
 * server (default options: tokens, rate limits, origin check) and every
 * client, so the memory figures cover both sides.
 *
 *   npx tsx bench/signaling-load.ts [--clients 500] [--room-size 10] [--rounds 20] [--payload 512] [--json]
 *
 * It reports the connections held at the peak, join time, relay throughput
 * (signals relayed to their target per second, counted when they arrive),
 * leave time, and peak RSS and heap. Rounds per client stay below the default
 * burst of 2,000 messages, so the rate limit never refuses a legitimate
 * signal here; the run fails if one is refused or lost.
 */
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startSignalingServer } from '@shoal/signaling-server';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    'room-size': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '20' },
    payload: { type: 'string', default: '512' },
    json: { type: 'boolean', default: false },
  },
});
const clients = positive('clients', values.clients);
const roomSize = positive('room-size', values['room-size']);
const rounds = positive('rounds', values.rounds);
const payload = 'x'.repeat(positive('payload', values.payload));
if ((roomSize - 1) * rounds >= 2000) throw new RangeError('(room-size - 1) × rounds must stay under the default burst of 2000 messages');

interface Client {
  ws: WebSocket;
  peerId: string;
  room: string;
  signals: number;
  errors: string[];
}

const memory = { rss: 0, heap: 0 };
const sample = (): void => {
  const m = process.memoryUsage();
  memory.rss = Math.max(memory.rss, m.rss);
  memory.heap = Math.max(memory.heap, m.heapUsed);
};
const sampler = setInterval(sample, 25);
const baseline = process.memoryUsage();

const server = await startSignalingServer({ port: 0, host: '127.0.0.1', quiet: true, maxConnectionsPerIp: clients + 10, maxConnections: clients + 10 });
const url = `${server.url.replace(/^http/, 'ws')}/ws`;

// ── join ──
const rooms = Array.from({ length: Math.ceil(clients / roomSize) }, () => server.createRoom());
const joinStarted = performance.now();
const all: Client[] = await Promise.all(
  Array.from({ length: clients }, (_, i) => {
    const grant = rooms[Math.floor(i / roomSize)]!;
    const coordinator = i % roomSize === 0;
    return join(grant.room, coordinator ? 'coordinator' : 'worker', coordinator ? grant.coordinatorToken : grant.workerToken);
  }),
);
const joinMs = performance.now() - joinStarted;
const held = server.stats().connections;

// ── signal: everyone to everyone else in its room, `rounds` times ──
const byRoom = new Map<string, Client[]>();
for (const client of all) byRoom.set(client.room, [...(byRoom.get(client.room) ?? []), client]);
let expected = 0;
for (const members of byRoom.values()) expected += members.length * (members.length - 1) * rounds;
const signalStarted = performance.now();
const delivered = new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${received()} of ${expected} signals arrived within 120 s`)), 120_000);
  const check = setInterval(() => {
    if (received() < expected) return;
    clearInterval(check);
    clearTimeout(timer);
    resolve();
  }, 2);
});
for (let round = 0; round < rounds; round++) {
  for (const members of byRoom.values()) {
    for (const from of members) {
      for (const to of members) if (to !== from) from.ws.send(JSON.stringify({ type: 'signal', to: to.peerId, data: { type: 'candidate', round, candidate: payload } }));
    }
  }
}
await delivered;
const signalMs = performance.now() - signalStarted;

// ── leave ──
const leaveStarted = performance.now();
for (const client of all) {
  client.ws.send(JSON.stringify({ type: 'leave' }));
  client.ws.close();
}
while (server.stats().connections > 0 || server.stats().peers > 0) await new Promise((r) => setTimeout(r, 5));
const leaveMs = performance.now() - leaveStarted;
sample();
clearInterval(sampler);
const stats = server.stats();
await server.close();

const errors = all.flatMap((c) => c.errors);
const result = {
  clients,
  rooms: rooms.length,
  roomSize,
  connectionsHeld: held,
  joinMs: Math.round(joinMs),
  signalsRelayed: expected,
  signalMs: Math.round(signalMs),
  signalsPerSecond: Math.round(expected / (signalMs / 1000)),
  serverMessagesInPerSecond: Math.round(stats.messagesIn / ((joinMs + signalMs + leaveMs) / 1000)),
  leaveMs: Math.round(leaveMs),
  peakRssMiB: mib(memory.rss),
  baselineRssMiB: mib(baseline.rss),
  peakHeapMiB: mib(memory.heap),
  rejections: stats.rejections,
  errors: errors.length,
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`signaling load: ${clients} clients in ${rooms.length} rooms of ${roomSize}, ${rounds} rounds of ${payload.length}-byte signals (server and clients in one process, node ${process.version})`);
  console.log(`  connections held   ${held}`);
  console.log(`  join (all)         ${result.joinMs} ms`);
  console.log(`  signals relayed    ${expected} in ${result.signalMs} ms = ${result.signalsPerSecond.toLocaleString('en')} /s`);
  console.log(`  leave (all)        ${result.leaveMs} ms`);
  console.log(`  peak RSS           ${result.peakRssMiB} MiB (baseline ${result.baselineRssMiB} MiB); peak heap ${result.peakHeapMiB} MiB`);
  console.log(`  rejections         ${JSON.stringify(stats.rejections)}`);
}
if (errors.length > 0 || held !== clients) {
  console.error(`FAILED: ${errors.length} errors (${errors.slice(0, 3).join('; ')}), ${held} of ${clients} connections held`);
  process.exit(1);
}

function join(room: string, role: 'coordinator' | 'worker', token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const client: Client = { ws, peerId: '', room, signals: 0, errors: [] };
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', room, role, token })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; peerId?: string; code?: string; message?: string };
      if (message.type === 'signal') client.signals += 1;
      else if (message.type === 'welcome') {
        client.peerId = message.peerId!;
        resolve(client);
      } else if (message.type === 'error') client.errors.push(`${message.code}: ${message.message}`);
    });
  });
}

function received(): number {
  let n = 0;
  for (const client of all) n += client.signals;
  return n;
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`--${name} expects a whole number ≥ 1, got ${raw}`);
  return value;
}

function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
