/**
 * A join storm, simulated: `workers` devices open the join link within
 * `arrivalWindowMs` (uniformly), each joins through the signaling server and
 * links to the coordinator (the star: O(1) signaling messages per join), and
 * is ready once the coordinator has handled its hello. The server and the
 * coordinator's main thread are FIFO resources (clock.ts), so their queues
 * are what a storm runs into.
 *
 * For contrast, `fullMeshCost` gives what the old topology (every newcomer
 * links to every peer present) asks of the same server and devices, in
 * closed form: it is quadratic, so simulating it event by event at 10,000
 * workers would take 10^8 events.
 */
import { Clock, Resource, seeded } from './clock.ts';
import { DEFAULT_NETWORK, draw, type NetworkModel } from './model.ts';

export interface JoinOptions {
  workers: number;
  arrivalWindowMs: number;
  network?: Partial<NetworkModel>;
  seed?: number;
}

export interface JoinResult {
  workers: number;
  /** From the first arrival until the last worker is ready, ms. */
  allReadyMs: number;
  /** Median time from a worker's arrival to its readiness, ms. */
  medianJoinMs: number;
  /** Signaling messages through the server, per join. */
  signalingPerJoin: number;
  /** Busy fraction of the signaling server and the coordinator's main thread over the storm. */
  serverBusy: number;
  coordinatorBusy: number;
  /** Control messages the coordinator handled or sent, per second of the storm. */
  coordinatorMsgsPerSec: number;
  /** Links per worker tab once joined (the coordinator holds `workers`). */
  linksPerWorker: number;
}

export function simulateJoin(options: JoinOptions): JoinResult {
  const net: NetworkModel = { ...DEFAULT_NETWORK, ...options.network };
  const random = seeded(options.seed ?? 1);
  const clock = new Clock();
  const server = new Resource();
  const coordinator = new Resource();
  const coordinatorLatency = draw(net.latencyMs, random);
  const half = net.signalsPerLink / 2;
  let serverMessages = 0;
  let coordinatorMessages = 0;
  const joinTimes: number[] = [];
  let lastReady = 0;

  for (let i = 0; i < options.workers; i++) {
    const arrival = options.arrivalWindowMs * random();
    const latency = draw(net.latencyMs, random);
    const oneWay = latency + coordinatorLatency;
    const device = new Resource();
    clock.at(arrival + latency, () => {
      // join in; welcome out, and peerJoined to the coordinator only
      serverMessages += 3;
      const welcomed = server.serve(clock.now, 3 * net.serverMsgMs);
      clock.at(welcomed + coordinatorLatency, () => {
        coordinatorMessages += 1;
        coordinator.serve(clock.now, net.coordinatorMsgMs);
      });
      clock.at(welcomed + latency, () => {
        const offered = device.serve(clock.now, net.workerConnectCpuMs);
        clock.at(offered + latency, () => {
          serverMessages += 2 * half;
          const relayed = server.serve(clock.now, 2 * half * net.serverMsgMs);
          clock.at(relayed + coordinatorLatency, () => {
            coordinatorMessages += 2 * half;
            const answered = coordinator.serve(clock.now, net.connectCpuMs + 2 * half * net.coordinatorMsgMs);
            clock.at(answered + coordinatorLatency, () => {
              serverMessages += 2 * half;
              const back = server.serve(clock.now, 2 * half * net.serverMsgMs);
              const open = back + latency + net.directRoundTrips * 2 * oneWay;
              clock.at(open + oneWay, () => {
                coordinatorMessages += 2; // hello, storeStats
                const ready = coordinator.serve(clock.now, 2 * net.coordinatorMsgMs);
                joinTimes.push(ready - arrival);
                lastReady = Math.max(lastReady, ready);
              });
            });
          });
        });
      });
    });
  }
  clock.run();
  joinTimes.sort((a, b) => a - b);
  const spanMs = Math.max(lastReady, 1);
  return {
    workers: options.workers,
    allReadyMs: lastReady,
    medianJoinMs: joinTimes[Math.floor(joinTimes.length / 2)] ?? 0,
    signalingPerJoin: serverMessages / Math.max(1, options.workers),
    serverBusy: server.busyMs / spanMs,
    coordinatorBusy: coordinator.busyMs / spanMs,
    coordinatorMsgsPerSec: (coordinatorMessages / spanMs) * 1000,
    linksPerWorker: 1,
  };
}

export interface FullMeshCost {
  workers: number;
  /** Server messages for the whole storm: n(n-1)/2 links, each relayed `signalsPerLink` times, plus joins and announcements. */
  signalingMessages: number;
  signalingPerJoin: number;
  /** The server's CPU for them, ms: a lower bound on the storm's length. */
  serverMs: number;
  /** One device's CPU to link to all others, ms: the last joiners' lower bound. */
  perDeviceConnectMs: number;
  linksPerWorker: number;
}

export function fullMeshCost(workers: number, network: Partial<NetworkModel> = {}): FullMeshCost {
  const net: NetworkModel = { ...DEFAULT_NETWORK, ...network };
  const links = (workers * (workers + 1)) / 2; // every pair, the coordinator included
  const announcements = (workers * (workers + 1)) / 2;
  const signalingMessages = links * net.signalsPerLink + 2 * workers + announcements;
  return {
    workers,
    signalingMessages,
    signalingPerJoin: signalingMessages / workers,
    serverMs: signalingMessages * net.serverMsgMs,
    perDeviceConnectMs: workers * net.workerConnectCpuMs,
    linksPerWorker: workers,
  };
}
