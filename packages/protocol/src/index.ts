export { ERROR_CODES, ShoalError, isShoalError, isErrorCode, toRemoteError } from './errors.ts';
export type { ErrorCode, RemoteError, ShoalErrorOptions } from './errors.ts';
export { ROOM_PATTERN, randomId } from './ids.ts';
export { seededRandom } from './seededRandom.ts';
export type { PeerId, TaskId, ObjectId, FunctionId, RoomId } from './ids.ts';
export {
  roleSchema,
  remoteErrorSchema,
  peerInfoSchema,
  iceServerSchema,
  signalingClientMessageSchema,
  signalingServerMessageSchema,
  gpuInfoSchema,
  capabilitiesSchema,
  taskResultSchema,
  storedOutputSchema,
  fetchSpecSchema,
  storeStatsSchema,
  wireTaskOptionsSchema,
  controlMessageSchema,
  MAX_DATA_CHANNEL_MESSAGE,
  MAX_SIGNALING_MESSAGE,
  LEAVE_WITH_HANDOVER,
} from './wire.ts';
export type {
  Role,
  PeerInfo,
  IceServer,
  SignalingClientMessage,
  SignalingServerMessage,
  GpuInfo,
  Capabilities,
  TaskResult,
  StoredOutput,
  FetchSpec,
  StoreStats,
  WireTaskOptions,
  ControlMessage,
  ControlMessageType,
} from './wire.ts';
export { parseSignalingClientMessage, parseSignalingServerMessage, parseControlFrame } from './parse.ts';
export type { Parsed } from './parse.ts';
export type { JobOutcome, WorkerState, WorkerSummary, CoordinatorPageApi, WorkerPageStatus, WorkerPageApi, PageLinkStats, Traffic, DashboardSnapshot, TaskNameCounts, TaskProgressUpdate, DatasetOperatorProgress, QueryRecordSummary } from './page.ts';
export { findNonJsonable } from './jsonable.ts';
export { REF_KEY, FETCH_KEY, FETCH_FAILED_PREFIX, isWireRef, decodeRefs } from './refs.ts';
export type { WireRef } from './refs.ts';
export { hashSource } from './hash.ts';
export { validateOptions, OPTION_NAMES, DEFAULT_OPTIONS } from './options.ts';
export type { RemoteOptions, ResourceRequest } from './options.ts';
export { BULK_WIRE_VERSION, BULK_MAGIC_0, BULK_MAGIC_1, BULK_CHUNK_HEADER_BYTES, BULK_PUSH_BIT, BULK_MAX_ID_BYTES, BULK_KIND, BULK_RESULT, encodeBulkFrame, encodeBulkChunk, writeBulkChunk, decodeBulkFrame, type BulkFrame, type DecodedBulkFrame, type BulkResultStatus } from './bulkWire.ts';
export { ACTOR_KEY, DEFAULT_ACTOR_OPTIONS, actorProxy, validateActorOptions, wireActorId } from './actors.ts';
export type { ActorOptions } from './actors.ts';
