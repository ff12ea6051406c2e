/**
 * The page that bench/transfer-raw.ts drives (two tabs of it in one room).
 * It links to the other tab with 7 bulk channels, split into lane sets of 1,
 * 2 and 4 (one BulkEndpoint per set, made the same way on both sides); they
 * live where PeerLink puts them (its own RTCPeerConnection for bulk, by
 * default). For comparison it also makes one bulk channel of its own on the
 * link's main connection (`shared`: bulk and control in one SCTP
 * association, and a sender with no burst limit: PeerLink's old layout),
 * plus one plain negotiated RTCDataChannel there for the raw baseline, and
 * joins the co-located broker. Everything it measures is exposed on
 * `window.shoalBench`; timing uses performance.now() in the receiving tab.
 */
import { BulkEndpoint, type BulkEndpointOptions, Colocated, DataChannelBulk, PeerLink, SignalingClient, bulkChecksum, signalingUrlFor, type BulkChannel } from '@shoal/transport';
import { COMPARE_LANES, type BenchTransferApi, type CompareLane, type LaneCount, type Lanes, type PingResult, type TransferResult } from './bench-transfer-api.ts';

declare global {
  interface Window {
    shoalBench?: BenchTransferApi;
  }
}

const LANE_SETS: Record<LaneCount | 'unpaced' | CompareLane, number[]> = { 1: [0], 2: [1, 2], 4: [3, 4, 5, 6], unpaced: [7], compare: [8], compare2: [9], compare3: [10] };
const BULK_CHANNELS = 11;
const RAW_CHANNEL_ID = 200;
/** The comparison bulk channel on the link's main connection. */
const SHARED_CHANNEL_ID = 150;
const CHUNK = 256 * 1024;
const MiB = 1024 * 1024;

const params = new URLSearchParams(location.search);
const room = params.get('room') ?? 'bench';
/** `highWater=8`: the endpoints' high-water mark in MiB (default: BulkEndpoint's). */
const highWaterMark = Number(params.get('highWater')) > 0 ? Number(params.get('highWater')) * 1024 * 1024 : undefined;
/** `chunk=256`: the endpoints' largest frame in KiB (default: BulkEndpoint's). */
const chunkBytes = Number(params.get('chunk')) > 0 ? Number(params.get('chunk')) * 1024 : undefined;
/** `burst=1024`: the endpoints' burst in KiB (`Infinity`: none; default: BulkEndpoint's). */
const burstBytes = Number(params.get('burst')) > 0 ? Number(params.get('burst')) * 1024 : undefined;
/** `colocatedChunk=4`: co-located chunk size in MiB (`Infinity`: whole objects); default: Colocated's. */
/** `pacing={"targetMs":2}`: the paced endpoints' pacer options (JSON; default: BulkEndpoint's). */
const pacing = params.get('pacing') ? (JSON.parse(params.get('pacing')!) as Exclude<BulkEndpointOptions['pacing'], boolean | undefined>) : undefined;
type CompareOptions = Exclude<BulkEndpointOptions['pacing'], boolean | undefined> & { chunkBytes?: number };
/** `compare={"currentSamples":16,"chunkBytes":16384}`: the 'compare' lane's pacer options and frame size (JSON; an array of up to 3: lanes compare, compare2, compare3). */
const compareParam = params.get('compare') ? (JSON.parse(params.get('compare')!) as CompareOptions | CompareOptions[]) : [];
const compares = (Array.isArray(compareParam) ? compareParam : [compareParam]).slice(0, COMPARE_LANES.length);
const colocatedChunk = params.get('colocatedChunk') ? Number(params.get('colocatedChunk')) * 1024 * 1024 : undefined;
const objects = new Map<number, ArrayBuffer>();

/** Pseudo-random bytes (cached per size), so the checksum sees real data. */
function object(size: number): ArrayBuffer {
  let buffer = objects.get(size);
  if (!buffer) {
    buffer = new ArrayBuffer(size);
    const words = new Uint32Array(buffer, 0, size >>> 2);
    let x = size | 1;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    objects.set(size, buffer);
  }
  return buffer;
}

let probeQueued: number | null = null;
/** The experiment lane: the first channel of lane set 4. */
const EXP_CHANNEL = 3;
const EXP_GO = 1;
const EXP_DATA = 2;
const EXP_ACK = 3;
const queueSamples: number[] = [];
let expReceive: { expect: number; got: number; done: () => void } | null = null;
let expAcked = 0;
let expWake: (() => void) | null = null;

/** Holder: sends `bytes` in `chunk`-byte messages with at most `window` unacknowledged. */
async function expSend(lane: BulkChannel, bytes: number, window: number, chunk: number): Promise<void> {
  const message = new Uint8Array(chunk);
  message[0] = EXP_DATA;
  let sent = 0;
  expAcked = 0;
  let burst = 0;
  while (sent < bytes) {
    const n = Math.min(chunk, bytes - sent);
    if ((sent - expAcked + n > window && sent > expAcked) || lane.bufferedAmount > 8 * MiB) {
      await new Promise<void>((resolve) => {
        expWake = resolve;
        setTimeout(resolve, 20);
      });
      expWake = null;
      burst = 0;
      continue;
    }
    lane.send(n === chunk ? message : message.subarray(0, n));
    sent += n;
    burst += n;
    if (burst >= MiB) {
      burst = 0;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

function expListen(lane: BulkChannel): void {
  lane.subscribe({
    message: (data) => {
      const view = new DataView(data);
      const tag = view.getUint8(0);
      if (tag === EXP_GO) void expSend(lane, view.getFloat64(8), view.getFloat64(16), view.getFloat64(24));
      else if (tag === EXP_ACK) {
        expAcked = view.getFloat64(8);
        expWake?.();
      } else if (tag === EXP_DATA && expReceive) {
        expReceive.got += data.byteLength;
        const ack = new DataView(new ArrayBuffer(16));
        ack.setUint8(0, EXP_ACK);
        ack.setFloat64(8, expReceive.got);
        lane.send(ack.buffer);
        if (expReceive.got >= expReceive.expect) expReceive.done();
      }
    },
  });
}
let probeArrived: (() => void) | null = null;
/** Main-thread queue delay samples while `lagStart` runs. */
let lag: { samples: number[]; running: boolean } | null = null;

const serve = (objectId: string): ArrayBuffer | null => {
  const probe = /^probe-(\d+)$/.exec(objectId);
  if (probe && other) {
    // Once the sender (which starts when this returns) has queued 4 MiB on the lane, or after
    // 200 turns of the event loop: a control message behind those bytes.
    const { link: control, sets } = other;
    const lane = sets.get('unpaced')![0]!;
    let turns = 0;
    const check = (): void => {
      if (lane.bufferedAmount < 4 * MiB && ++turns < 200) return void setTimeout(check, 0);
      probeQueued = lane.bufferedAmount;
      control.send({ type: 'heartbeat' });
    };
    setTimeout(check, 0);
    return object(Number(probe[1]));
  }
  const match = /^obj-(\d+)$/.exec(objectId);
  return match ? object(Number(match[1])) : null;
};

let self: string | null = null;
let other: { peerId: string; sets: Map<Lanes, BulkChannel[]>; raw: RTCDataChannel; link: PeerLink } | null = null;
const endpoints = new Map<string, BulkEndpoint>();
let colocated: Colocated | null = null;
let colocatedEndpoint: BulkEndpoint | null = null;
let rawExpect = 0;
let rawGot = 0;
let rawDone: (() => void) | null = null;
/** Raw pings in flight: called with the holder's receive time (timeOrigin + now). */
const pongs = new Map<number, (holderAt: number) => void>();
/** Resolves the control-channel ping in flight (one at a time). */
let controlPong: (() => void) | null = null;
const isHolder = params.get('name') === 'holder';
let outcome: Promise<{ ok: boolean; code: string | null; message: string; at: number }> | null = null;

function rawChannel(link: PeerLink): RTCDataChannel {
  const pc = (link as unknown as { peer: { _pc: RTCPeerConnection } }).peer._pc;
  const channel = pc.createDataChannel('bench-raw', { negotiated: true, id: RAW_CHANNEL_ID, ordered: true });
  channel.binaryType = 'arraybuffer';
  channel.bufferedAmountLowThreshold = MiB;
  channel.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') {
      if (event.data.startsWith('start:')) {
        rawExpect = Number(event.data.slice(6));
        rawGot = 0;
      } else if (event.data === 'done') rawDone?.();
      else if (event.data.startsWith('ping:')) channel.send(`pong:${event.data.slice(5)}:${performance.timeOrigin + performance.now()}`);
      else if (event.data.startsWith('pong:')) {
        const [, i, at] = event.data.split(':');
        pongs.get(Number(i))?.(Number(at));
      }
      return;
    }
    rawGot += (event.data as ArrayBuffer).byteLength;
    if (rawGot === rawExpect) channel.send('done');
  };
  return channel;
}

function link(peerId: string, initiator: boolean, client: SignalingClient): void {
  const peerLink = new PeerLink({ peerId, role: 'worker' }, { initiator, iceServers: [], bulkChannels: BULK_CHANNELS });
  peerLink.on('signal', (data) => client.sendSignal(peerId, data));
  client.on('signal', (from, data) => from === peerId && peerLink.signal(data));
  peerLink.on('message', (message) => {
    if (message.type !== 'heartbeat') return;
    if (probeArrived) probeArrived();
    else if (isHolder) peerLink.send({ type: 'heartbeat' });
    else controlPong?.();
  });
  peerLink.on('open', () => {
    const raw = rawChannel(peerLink);
    const pc = (peerLink as unknown as { peer: { _pc: RTCPeerConnection } }).peer._pc;
    const shared = new DataChannelBulk(pc.createDataChannel('bench-shared-bulk', { negotiated: true, id: SHARED_CHANNEL_ID, ordered: true }));
    void Promise.all([peerLink.bulk(), shared.ready]).then(async ([channels]) => {
      const sets = new Map<Lanes, BulkChannel[]>();
      for (const [lanes, ids] of Object.entries(LANE_SETS)) sets.set(lanes === 'unpaced' || COMPARE_LANES.includes(lanes as CompareLane) ? (lanes as Lanes) : (Number(lanes) as LaneCount), ids.map((i) => channels[i]!));
      sets.set('shared', [shared]);
      if (raw.readyState !== 'open') await new Promise((resolve) => raw.addEventListener('open', resolve, { once: true }));
      other = { peerId, sets, raw, link: peerLink };
      expListen(channels[EXP_CHANNEL]!);
      if (isHolder) {
        setInterval(() => {
          for (const lane of [channels[0]!, channels[7]!, channels[8]!, channels[9]!, channels[10]!, channels[EXP_CHANNEL]!, shared]) if (lane.bufferedAmount > 0) queueSamples.push(lane.bufferedAmount);
        }, 5);
      }
    });
  });
  peerLink.on('closed', (reason) => console.log(`link to ${peerId} closed: ${reason}`));
}

function endpoint(lanes: Lanes): BulkEndpoint {
  if (!other) throw new Error('not linked');
  // Endpoints serve from their first creation, on both sides: make them all eagerly the first time.
  for (const count of [1, 2, 4, 'unpaced', ...COMPARE_LANES, 'shared'] as const) {
    const key = `${count}`;
    // 'shared' is the layout before bulk had its own connection, sender included: no burst limit.
    const burst = burstBytes ?? (count === 'shared' ? Infinity : undefined);
    // 'unpaced' and 'shared' are the layouts before pacing: the sender is bounded by the high-water mark only, in 256 KiB chunks.
    const before = count === 'unpaced' || count === 'shared';
    const chunk = before ? undefined : chunkBytes;
    const options = { peerId: other.peerId, serve, ...(highWaterMark ? { highWaterMark } : {}), ...(chunk ? { chunkBytes: chunk } : {}), ...(burst ? { burstBytes: burst } : {}) };
    // 'compare' takes its frame size from its JSON too (`chunkBytes`), the rest are pacer options.
    const compareAt = COMPARE_LANES.indexOf(count as CompareLane);
    const { chunkBytes: compareChunk, ...comparePacing } = compares[compareAt] ?? {};
    const paced = compareAt >= 0 ? comparePacing : pacing;
    const laneOptions = compareAt >= 0 && compareChunk ? { ...options, chunkBytes: compareChunk } : options;
    if (!endpoints.has(key)) endpoints.set(key, new BulkEndpoint(other.sets.get(count)!, before ? { ...options, pacing: false } : paced ? { ...laneOptions, pacing: paced } : laneOptions));
  }
  return endpoints.get(`${lanes}`)!;
}

function result(bytes: number, started: number): TransferResult {
  const ms = performance.now() - started;
  return { bytes, ms, mbPerSec: bytes / 1e6 / (ms / 1000) };
}

/** Round trips every 10 ms, in turn on the raw and the control channel, `count` of them or until `during` settles. */
async function pingWhile(count: number, during: Promise<unknown> | null): Promise<PingResult> {
  if (!other) throw new Error('not linked');
  const { raw: channel, link: control } = other;
  let finished = false;
  void during?.finally(() => (finished = true));
  const result: PingResult = { raw: [], control: [], there: [], back: [] };
  for (let i = 0; i < count && !(during && finished); i++) {
    const viaControl = i % 2 === 1;
    const started = performance.now();
    const holderAt = await new Promise<number>((resolve) => {
      if (viaControl) {
        controlPong = () => resolve(NaN);
        control.send({ type: 'heartbeat' });
      } else {
        pongs.set(i, resolve);
        channel.send(`ping:${i}`);
      }
    });
    const ended = performance.now();
    pongs.delete(i);
    controlPong = null;
    (viaControl ? result.control : result.raw).push(ended - started);
    if (!viaControl) {
      result.there!.push(holderAt - (performance.timeOrigin + started));
      result.back!.push(performance.timeOrigin + ended - holderAt);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await during;
  return result;
}

window.shoalBench = {
  peerId: () => self,
  readyPeer: () => {
    if (other) endpoint(1); // be ready to serve
    return other?.peerId ?? null;
  },
  raw: async (bytes, size = CHUNK) => {
    if (!other) throw new Error('not linked');
    const channel = other.raw;
    const CHUNK = size;
    const chunk = new Uint8Array(object(CHUNK));
    const done = new Promise<void>((resolve) => (rawDone = resolve));
    const started = performance.now();
    channel.send(`start:${bytes}`);
    let sent = 0;
    while (sent < bytes) {
      if (channel.bufferedAmount > 8 * MiB) {
        await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
        continue;
      }
      const n = Math.min(CHUNK, bytes - sent);
      channel.send(n === CHUNK ? chunk : chunk.subarray(0, n));
      sent += n;
    }
    await done;
    return result(bytes, started);
  },
  fetch: async (lanes, size) => {
    const bulk = endpoint(lanes);
    const started = performance.now();
    const buffer = await bulk.fetch(`obj-${size}`);
    if (buffer.byteLength !== size) throw new Error(`got ${buffer.byteLength} bytes, wanted ${size}`);
    return { ...result(size, started), stats: bulk.stats() };
  },
  colocated: async (size) => {
    if (!other || !colocated) return null;
    if (!colocatedEndpoint || colocatedEndpoint.state.kind === 'closed') {
      const channel = await colocated.connect(other.peerId);
      if (!channel) return null;
      colocatedEndpoint = new BulkEndpoint([channel], { peerId: other.peerId, serve });
    }
    const started = performance.now();
    const buffer = await colocatedEndpoint.fetch(`obj-${size}`);
    if (buffer.byteLength !== size) throw new Error(`got ${buffer.byteLength} bytes, wanted ${size}`);
    return { ...result(size, started), stats: colocatedEndpoint.stats() };
  },
  windowed: async (bytes, window, chunk, pingCount) => {
    if (!other) throw new Error('not linked');
    const lane = other.sets.get(4)![0]!;
    const started = performance.now();
    const done = new Promise<void>((resolve) => (expReceive = { expect: bytes, got: 0, done: resolve }));
    const go = new DataView(new ArrayBuffer(32));
    go.setUint8(0, EXP_GO);
    go.setFloat64(8, bytes);
    go.setFloat64(16, window);
    go.setFloat64(24, chunk);
    lane.send(go.buffer);
    let timed: TransferResult | null = null;
    const pinged = await pingWhile(pingCount, done.then(() => void (timed = result(bytes, started))));
    expReceive = null;
    return { ...pinged, ...timed! };
  },
  endpointStats: (lanes) => endpoint(lanes).stats(),
  queueSamples: () => {
    const xs = queueSamples.splice(0);
    return { mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0, max: Math.max(0, ...xs), count: xs.length };
  },
  lagStart: () => {
    lag = { samples: [], running: true };
    const state = lag;
    const port = new MessageChannel();
    let posted = 0;
    port.port1.onmessage = () => {
      state.samples.push(performance.now() - posted);
      if (state.running) setTimeout(post, 2);
      else port.port1.close();
    };
    const post = (): void => {
      posted = performance.now();
      port.port2.postMessage(0);
    };
    post();
  },
  lagStop: () => {
    if (!lag) return [];
    lag.running = false;
    const samples = lag.samples;
    lag = null;
    return samples;
  },
  burn: async (ms, workers) => {
    const source = `onmessage = (e) => { const end = performance.now() + e.data; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1); postMessage(x); };`;
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    await Promise.all(
      Array.from({ length: workers }, () => {
        const worker = new Worker(url);
        return new Promise<void>((resolve) => {
          worker.onmessage = () => {
            worker.terminate();
            resolve();
          };
          worker.postMessage(ms);
        });
      }),
    );
    URL.revokeObjectURL(url);
  },
  pings: async (count, during) => {
    if (!other) throw new Error('not linked');
    const fetching = during ? endpoint(during.lanes).fetch(`obj-${during.size}`) : null;
    return pingWhile(count, fetching);
  },
  startFetch: (lanes, size) => {
    outcome = endpoint(lanes)
      .fetch(`obj-${size}`)
      .then(
        () => ({ ok: true, code: null, message: '', at: Date.now() }),
        (error: { code?: string; message?: string }) => ({ ok: false, code: error.code ?? null, message: error.message ?? String(error), at: Date.now() }),
      );
  },
  fetchOutcome: () => outcome ?? Promise.reject(new Error('no fetch started')),
  colocatedState: async () => ({
    endpoint: colocatedEndpoint?.state.kind ?? 'none',
    reconnects: other !== null && colocated !== null && (await colocated.connect(other.peerId)) !== null,
  }),
  prepare: (sizes) => void sizes.forEach(object),
  probe: async (size) => {
    const bulk = endpoint('unpaced');
    const before = bulk.stats().bytesReceived;
    let done = false;
    const arrived = new Promise<{ bytes: number; done: boolean }>((resolve) => {
      probeArrived = () => {
        probeArrived = null;
        resolve({ bytes: bulk.stats().bytesReceived - before, done });
      };
    });
    const buffer = await bulk.fetch(`probe-${size}`);
    done = true;
    if (buffer.byteLength !== size) throw new Error(`got ${buffer.byteLength} bytes, wanted ${size}`);
    const control = await arrived;
    return { bytesBeforeControl: control.bytes, fetchDoneBeforeControl: control.done, total: size };
  },
  probeQueued: () => probeQueued,
  mainConnectionBytes: async () => {
    if (!other) throw new Error('not linked');
    const pc = (other.link as unknown as { peer: { _pc: RTCPeerConnection } }).peer._pc;
    let bytes = 0;
    (await pc.getStats()).forEach((report: { type: string; bytesReceived?: number }) => {
      if (report.type === 'transport') bytes += report.bytesReceived ?? 0;
    });
    return bytes;
  },
  checksumMs: (size) => {
    const bytes = new Uint8Array(object(size));
    const started = performance.now();
    bulkChecksum(bytes);
    return performance.now() - started;
  },
};

// The server announces only pairs with a coordinator in them (workers link to each other on demand),
// so the holder joins as the room's coordinator and the two tabs hear of each other.
const { client, welcome } = await SignalingClient.join({ url: signalingUrlFor(location), room, role: isHolder ? 'coordinator' : 'worker', name: params.get('name') ?? undefined });
self = welcome.peerId;
colocated = Colocated.start(self, colocatedChunk ? { chunkBytes: colocatedChunk } : {});
colocated.on('incoming', (peerId, channel) => void new BulkEndpoint([channel], { peerId, serve }));
for (const peer of welcome.peers) link(peer.peerId, true, client);
client.on('peerJoined', (peer) => link(peer.peerId, false, client));
