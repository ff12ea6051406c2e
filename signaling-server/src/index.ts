/** @shoal/signaling-server: rooms, SDP/ICE relay, and the built apps over HTTP. Node only. */
export { startSignalingServer } from './server.ts';
export type { RunningServer, ServerStats } from './server.ts';
export { DEFAULT_PORT, DEFAULT_STATIC_DIR } from './options.ts';
export type { ServerOptions } from './options.ts';
