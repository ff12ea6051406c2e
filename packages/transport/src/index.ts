export { Emitter } from './emitter.ts';
export type { EventMap } from './emitter.ts';
export { FrameBatcher, utf8Length } from './framing.ts';
export { PeerLink } from './peerLink.ts';
export type { LinkState, LinkEvents, LinkOptions } from './peerLink.ts';
export { SignalingClient, signalingUrlFor } from './signalingClient.ts';
export type { SignalingState, SignalingEvents, JoinOptions, Welcome } from './signalingClient.ts';
export { Mesh } from './mesh.ts';
export type { MeshOptions, MeshEvents, PeerView } from './mesh.ts';
