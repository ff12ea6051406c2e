/**
 * The modelled network and machines. Defaults are figures measured on this
 * repository's machine or taken from public measurements, named beside each;
 * docs/scale.md says which ones the conclusions hang on.
 */
export interface NetworkModel {
  /** One-way latency between a device and the server or another device, ms, drawn per device in [min, max] (a LAN or a campus). */
  latencyMs: readonly [number, number];
  /** Link bandwidth per device, MB/s, drawn per device in [min, max]. */
  bandwidthMBps: readonly [number, number];
  /** The coordinator tab's main thread: CPU per control message it handles or sends, ms. */
  coordinatorMsgMs: number;
  /** The coordinator's CPU to set up one WebRTC connection (RTCPeerConnection, SDP, DTLS), ms. */
  connectCpuMs: number;
  /** A worker device's CPU to set up one WebRTC connection, ms. */
  workerConnectCpuMs: number;
  /** The signaling server's CPU per message in or out, ms (Node + ws). */
  serverMsgMs: number;
  /** Messages relayed through the server to open one WebRTC link (offer, answer, trickled ICE candidates). */
  signalsPerLink: number;
  /** Round trips directly between the two ends after signaling (ICE check, DTLS, SCTP). */
  directRoundTrips: number;
}

export const DEFAULT_NETWORK: Readonly<NetworkModel> = {
  latencyMs: [0.5, 3],
  bandwidthMBps: [10, 60],
  // bench:tasks on this machine: about 20k trivial tasks/s through one coordinator tab at ~4 messages
  // per task (runTask, taskDone, and their frames), so about 0.012 ms per message.
  coordinatorMsgMs: 0.012,
  // Chromium on this machine: about 3-5 ms of main-thread time per RTCPeerConnection made and negotiated.
  connectCpuMs: 4,
  workerConnectCpuMs: 4,
  // bench:signaling: the server relays about 50k messages/s on one core.
  serverMsgMs: 0.02,
  signalsPerLink: 6,
  directRoundTrips: 3,
};

/** Uniform in [min, max]. */
export function draw(range: readonly [number, number], random: () => number): number {
  return range[0] + (range[1] - range[0]) * random();
}
