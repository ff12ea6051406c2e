export { ERROR_CODES, ShoalError, isShoalError, isErrorCode, toRemoteError } from './errors.ts';
export type { ErrorCode, RemoteError, ShoalErrorOptions } from './errors.ts';
export { ROOM_PATTERN, randomId } from './ids.ts';
export type { PeerId, TaskId, ObjectId, FunctionId, RoomId } from './ids.ts';
export {
  roleSchema,
  remoteErrorSchema,
  peerInfoSchema,
  signalingClientMessageSchema,
  signalingServerMessageSchema,
  gpuInfoSchema,
  capabilitiesSchema,
  taskResultSchema,
  wireTaskOptionsSchema,
  controlMessageSchema,
  MAX_DATA_CHANNEL_MESSAGE,
  MAX_SIGNALING_MESSAGE,
} from './wire.ts';
export type {
  Role,
  PeerInfo,
  SignalingClientMessage,
  SignalingServerMessage,
  GpuInfo,
  Capabilities,
  TaskResult,
  WireTaskOptions,
  ControlMessage,
  ControlMessageType,
} from './wire.ts';
export { parseSignalingClientMessage, parseSignalingServerMessage, parseControlFrame } from './parse.ts';
export type { Parsed } from './parse.ts';
export type { JobOutcome, WorkerState, WorkerSummary, CoordinatorPageApi, WorkerPageStatus, WorkerPageApi } from './page.ts';
export { findNonJsonable } from './jsonable.ts';
export { REF_KEY, isWireRef, decodeRefs } from './refs.ts';
export type { WireRef } from './refs.ts';
export { hashSource } from './hash.ts';
export { validateOptions, OPTION_NAMES, DEFAULT_OPTIONS } from './options.ts';
export type { RemoteOptions, ResourceRequest } from './options.ts';
