/**
 * The wire protocol: every message that crosses a socket or a data channel.
 * Schemas are zod (validation at every boundary); the types are inferred from
 * them, so the two can never drift apart.
 *
 *   browser ──ws──▶ signaling server    SignalingClientMessage
 *   browser ◀──ws── signaling server    SignalingServerMessage
 *   peer ◀──data channel──▶ peer        ControlMessage (a frame is a JSON array of them)
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import { ROOM_PATTERN } from './ids.ts';

const id = z.string().min(1).max(128);
const shortText = z.string().max(256);
export const roleSchema = z.enum(['coordinator', 'worker']);
export type Role = z.infer<typeof roleSchema>;

export const remoteErrorSchema = z.object({
  name: shortText,
  message: z.string().max(64 * 1024),
  stack: z.string().max(64 * 1024).optional(),
  code: z.enum(ERROR_CODES).optional(),
  workerId: id.optional(),
});

// ─── signaling: browser ⇄ server ──────────────────────────────────────────
export const peerInfoSchema = z.object({ peerId: id, role: roleSchema, name: shortText.optional() });
export type PeerInfo = z.infer<typeof peerInfoSchema>;
/**
 * A STUN/TURN server, as `RTCIceServer` takes it. The signaling server puts the
 * ones it is configured with into `welcome` (TURN credentials minted per join;
 * signaling-server/src/ice.ts); absent or empty means host candidates only.
 */
export const iceServerSchema = z.object({
  urls: z.union([z.string().max(512), z.array(z.string().max(512)).min(1).max(16)]),
  username: z.string().max(512).optional(),
  credential: z.string().max(512).optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/** SDP and ICE payloads are opaque to the server; it only checks their size. */
const signalData = z.record(z.string(), z.unknown());
/**
 * A join token, minted by the server for one room, one role and an expiry
 * (format: signaling-server/src/tokens.ts). Opaque to browsers. The server
 * refuses a join without a valid one (ERR_UNAUTHORIZED, ERR_TOKEN_EXPIRED,
 * ERR_TOKEN_REVOKED)
 * unless it runs with `--open`; the role it grants is the one peers are told.
 */
const MAX_JOIN_TOKEN_LENGTH = 512;

export const signalingClientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('join'),
    room: z.string().regex(ROOM_PATTERN),
    role: roleSchema,
    name: shortText.optional(),
    token: z.string().min(1).max(MAX_JOIN_TOKEN_LENGTH).optional(),
  }),
  z.object({ type: z.literal('signal'), to: id, data: signalData }),
  z.object({ type: z.literal('leave') }),
]);
export type SignalingClientMessage = z.infer<typeof signalingClientMessageSchema>;

export const signalingServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), peerId: id, room: z.string(), peers: z.array(peerInfoSchema), iceServers: z.array(iceServerSchema).max(16).optional() }),
  z.object({ type: z.literal('peerJoined'), peer: peerInfoSchema }),
  z.object({ type: z.literal('peerLeft'), peerId: id }),
  z.object({ type: z.literal('signal'), from: id, data: signalData }),
  z.object({ type: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string() }),
  z.object({ type: z.literal('shutdown'), message: z.string() }),
]);
export type SignalingServerMessage = z.infer<typeof signalingServerMessageSchema>;

// ─── control: peer ⇄ peer over a data channel ─────────────────────────────
export const gpuInfoSchema = z.object({
  vendor: shortText,
  architecture: shortText,
  device: shortText,
  description: shortText,
  isFallback: z.boolean(),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;

export const capabilitiesSchema = z.object({
  cores: z.number().int().min(1).max(4096),
  /** Task slots this worker offers: one Web Worker each. */
  slots: z.number().int().min(1).max(4096),
  deviceMemoryGiB: z.number().positive().nullable(),
  gpu: gpuInfoSchema.nullable(),
  userAgent: z.string().max(1024),
  /** User-defined resources this worker offers (the join link's `resources=name:amount,...`). */
  custom: z.record(z.string().max(64), z.number().min(0)).default({}),
  /** Measured speed (a short matmul on the GPU, a JS loop on the CPU), once the worker has run its benchmark. */
  bench: z.object({ gflops: z.number().min(0).nullable(), cpuMflops: z.number().min(0) }).nullable().default(null),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** An output that stays in its maker's object store: only its metadata travels. */
export const storedOutputSchema = z.object({
  /** Which output (0 unless numReturns > 1). */
  index: z.number().int().min(0),
  /** Encoded bytes. */
  size: z.number().int().min(0),
  /** Ids of refs inside the value (they stay alive while it does). */
  refs: z.array(z.string().min(1).max(128)).max(100_000),
  /** xxHash32 of its encoded bytes, for `verify` (results of distinct workers are compared by it). */
  checksum: z.number().int().min(0).max(0xffffffff).optional(),
});
export type StoredOutput = z.infer<typeof storedOutputSchema>;

export const taskResultSchema = z.discriminatedUnion('ok', [
  /**
   * `value` is JSON in which refs appear as `{"$shoalRef": id}`; with
   * numReturns > 1 it is an array of that length. Outputs listed in `stored`
   * (big or binary values) stayed on the worker; their slot in `value` is null.
   */
  z.object({ ok: z.literal(true), value: z.unknown(), stored: z.array(storedOutputSchema).max(1000).optional() }),
  z.object({ ok: z.literal(false), error: remoteErrorSchema }),
]);
export type TaskResult = z.infer<typeof taskResultSchema>;

/** Options a task carries over the wire (validated in full by the client's options table). */
export const wireTaskOptionsSchema = z.object({
  name: shortText.optional(),
  resources: z
    .object({ cpu: z.number().min(0).optional(), gpu: z.union([z.number().min(0), z.literal('prefer')]).optional(), memory: z.number().min(0).optional(), custom: z.record(z.string(), z.number().min(0)).optional() })
    .optional(),
  maxRetries: z.number().int().min(0).max(100).optional(),
  retryExceptions: z.boolean().optional(),
  timeout: z.number().positive().optional(),
  priority: z.number().optional(),
  numReturns: z.number().int().min(1).max(1000).optional(),
  speculation: z.boolean().optional(),
  verify: z.number().int().min(1).max(16).optional(),
});
export type WireTaskOptions = z.infer<typeof wireTaskOptionsSchema>;

const ids = z.array(id).max(100_000);
const timeoutMs = z.number().min(0).nullable();

/** Where to fetch an object that a task needs: its size and the peers that hold it, best first. */
export const fetchSpecSchema = z.object({ objectId: id, size: z.number().int().min(0), from: z.array(id).min(1).max(4096) });
export type FetchSpec = z.infer<typeof fetchSpecSchema>;

/** An object store's figures, as a worker reports them. */
export const storeStatsSchema = z.object({
  capacityBytes: z.number().min(0),
  memoryBytes: z.number().min(0),
  spilledBytes: z.number().min(0),
  objects: z.number().int().min(0),
  spilledObjects: z.number().int().min(0),
  spills: z.number().int().min(0),
  restores: z.number().int().min(0),
});
export type StoreStats = z.infer<typeof storeStatsSchema>;

export const controlMessageSchema = z.discriminatedUnion('type', [
  // ── worker → coordinator ──
  /** Once the channel opens. */
  z.object({ type: z.literal('hello'), caps: capabilitiesSchema }),
  z.object({ type: z.literal('taskDone'), taskId: id, result: taskResultSchema, durationMs: z.number().min(0) }),
  z.object({ type: z.literal('taskLog'), taskId: id, level: z.enum(['log', 'info', 'warn', 'error']), text: z.string().max(64 * 1024) }),
  z.object({ type: z.literal('taskProgress'), taskId: id, fraction: z.number().min(0).max(1) }),
  /** The task waits in ctx.get/ctx.wait: its slot is lent out until `taskUnblocked`. */
  z.object({ type: z.literal('taskBlocked'), taskId: id }),
  z.object({ type: z.literal('taskUnblocked'), taskId: id }),
  // A running task uses the cluster API through its context (ids are minted by the worker, prefixed with its peer id):
  z.object({
    type: z.literal('nestedSubmit'),
    parentTaskId: id,
    taskId: id,
    fnId: id,
    /** Sent with a function's first use from this worker; null after. */
    source: z.string().max(1024 * 1024).nullable(),
    args: z.array(z.unknown()),
    options: wireTaskOptionsSchema,
  }),
  /** `stored`: the value stayed in this worker's store (big or binary), and `value` is null. */
  z.object({ type: z.literal('nestedPut'), parentTaskId: id, objectId: id, value: z.unknown(), stored: z.object({ size: z.number().int().min(0), refs: ids }).optional() }),
  /** This worker now holds a copy of an object (it fetched it for a task, or was sent it by `replicate`). */
  z.object({ type: z.literal('objectCopied'), objectId: id, size: z.number().int().min(0) }),
  /** This worker no longer holds a copy of the object (it handed it to a task that consumed it, and that task failed). */
  z.object({ type: z.literal('objectDropped'), objectId: id }),
  /**
   * I am alive: sent every second, so a frozen or cut-off tab is noticed even while its channel stays open (client/src/watchdog.ts).
   * `bulk`: this tab is running collectives (its main thread may be busy with chunks), so the next beats may be late: the watchdog gives it bulk patience.
   */
  z.object({ type: z.literal('heartbeat'), bulk: z.literal(true).optional() }),
  /** The worker's measured speed, sent once after `hello` (see capabilities' `bench`). */
  z.object({ type: z.literal('benchmark'), gflops: z.number().min(0).nullable(), cpuMflops: z.number().min(0) }),
  /** This worker's object store figures; sent when they change, at most twice a second. */
  z.object({ type: z.literal('storeStats'), stats: storeStatsSchema }),
  /** The volunteer paused or resumed this worker, or capped its cores: `slots` replaces `caps.slots`; paused, it gets no new tasks. */
  z.object({ type: z.literal('availability'), paused: z.boolean(), slots: z.number().int().min(1).max(4096) }),
  z.object({ type: z.literal('nestedGet'), requestId: id, parentTaskId: id, ids, timeoutMs }),
  z.object({ type: z.literal('nestedWait'), requestId: id, parentTaskId: id, ids, numReturns: z.number().int().min(0), timeoutMs }),
  z.object({ type: z.literal('nestedFree'), ids }),
  z.object({ type: z.literal('nestedCancel'), objectId: id, force: z.boolean() }),
  /** A running task (or actor call) calls an actor: `callId` (minted by this worker, maybe named before by `actorCallsSent`) is the result's object id. */
  z.object({ type: z.literal('nestedActorCall'), parentTaskId: id, callId: id, actorId: id, method: shortText, args: z.array(z.unknown()) }),
  /** The actor `createActor` asked for is constructed (and restored), or `error` says why not. */
  z.object({ type: z.literal('actorStarted'), actorId: id, taskId: id, error: remoteErrorSchema.optional() }),
  /** An actor call's result (as a task's); `checkpoint`: the actor's `checkpoint()` after it, when the class has one. */
  z.object({ type: z.literal('actorResult'), actorId: id, callId: id, result: taskResultSchema, durationMs: z.number().min(0), checkpoint: z.unknown().optional() }),
  /** Direct calls (runtime/src/directCalls.ts): where does this actor live? The coordinator answers `actorRoute` now and again whenever that changes. */
  z.object({ type: z.literal('actorLocate'), actorId: id }),
  /** Calls this worker's tasks sent peer to peer to an actor's worker `at` (batched): the coordinator holds them as running there, for lineage, the dashboard and failures. */
  /**
   * Without `at`: the call waits on this worker to be sent (it is only named, so what follows may use its id).
   * `args`: only where the coordinator may need to send the call itself: the actor retries calls
   * (`actorRoute.retries`), or `unsent` (the call could not reach `at`; the coordinator relays it).
   */
  z.object({ type: z.literal('actorCallsSent'), calls: z.array(z.object({ callId: id, actorId: id, method: shortText, parentTaskId: id, at: id.optional(), args: z.array(z.unknown()).optional(), unsent: z.literal(true).optional() })).max(10_000) }),
  /** Outcomes of direct calls this worker's actors ran (batched), as `actorResult` each. */
  z.object({ type: z.literal('actorResults'), results: z.array(z.object({ actorId: id, callId: id, result: taskResultSchema, durationMs: z.number().min(0), checkpoint: z.unknown().optional() })).max(10_000) }),
  // ── worker → worker (direct actor calls; ids minted by the caller, prefixed with its peer id) ──
  /** Call `method` on an actor living on the receiving worker; its result goes back as `actorDirectResult`. Args are inline (no refs). */
  z.object({ type: z.literal('actorDirectCall'), actorId: id, callId: id, method: shortText, args: z.array(z.unknown()) }),
  /** `bounced`: the actor does not live there (it moved); the call did not run, and the caller leaves it to the coordinator. */
  z.object({ type: z.literal('actorDirectResult'), actorId: id, callId: id, result: taskResultSchema, bounced: z.literal(true).optional() }),
  // ── coordinator → worker ──
  /** A function's source, sent once per worker before its first use. `fnId` is a hash of the source. */
  z.object({ type: z.literal('defineFn'), fnId: id, name: shortText, source: z.string().max(1024 * 1024) }),
  /**
   * Run `fnId(...args)`. Refs in args are already replaced by their values,
   * except objects held in stores: those appear as `{"$shoalFetch": id}` and
   * are listed in `fetch`, for the worker to fetch peer to peer.
   */
  z.object({
    type: z.literal('runTask'),
    taskId: id,
    fnId: id,
    args: z.array(z.unknown()),
    fetch: z.array(fetchSpecSchema).max(100_000).optional(),
    attempt: z.number().int().min(1),
    numReturns: z.number().int().min(1),
    timeoutMs: z.number().positive().nullable(),
    /** Report an xxHash32 of each stored output (a `verify` task's runs are compared by it). */
    checksum: z.literal(true).optional(),
    /** The task consumes its stored inputs (RemoteOptions `consumeInputs`): the worker may hand them over instead of copying them. */
    consume: z.literal(true).optional(),
    /** The task only reads its stored inputs (RemoteOptions `lendInputs`): the worker may lend them instead of copying them. */
    lend: z.literal(true).optional(),
  }),
  z.object({ type: z.literal('cancelTask'), taskId: id, force: z.boolean() }),
  /** The job now running (sent when it starts, and on hello while one runs), or null once none does: the worker page shows it. `codeHash`: SHA-256 of its source, hex. */
  z.object({ type: z.literal('jobInfo'), job: z.object({ name: shortText, codeHash: shortText }).nullable() }),
  /**
   * Beat every `ms` from now on, instead of every second: a coordinator of a big room slows its workers'
   * heartbeats and waits as many more before declaring one silent (client/src/heartbeatPace.ts).
   */
  z.object({ type: z.literal('heartbeatEvery'), ms: z.number().int().min(250).max(60_000) }),
  /**
   * Construct an actor (its class is `fnId`, sent by defineFn) in a Web Worker
   * of its own. `taskId` is the scheduler's task that holds its place and
   * resources; cancelling it (`cancelTask`) kills the actor. `restore`: the
   * last checkpoint, given to the instance's `restore()` after construction.
   */
  z.object({
    type: z.literal('createActor'),
    actorId: id,
    taskId: id,
    fnId: id,
    args: z.array(z.unknown()),
    fetch: z.array(fetchSpecSchema).max(100_000).optional(),
    maxConcurrency: z.number().int().min(1).max(1000),
    restore: z.unknown().optional(),
  }),
  /** Call `method` on a live actor; calls run in the order sent (up to maxConcurrency at once). */
  z.object({ type: z.literal('actorCall'), actorId: id, callId: id, method: shortText, args: z.array(z.unknown()), fetch: z.array(fetchSpecSchema).max(100_000).optional() }),
  /**
   * The answer to a nestedGet (`value`: the values, in order, with stored
   * objects as `{"$shoalFetch": id}` listed in `fetch`) or nestedWait (`value`: the ready ids).
   */
  z.object({ type: z.literal('nestedReply'), requestId: id, result: taskResultSchema, fetch: z.array(fetchSpecSchema).max(100_000).optional() }),
  /** Where actor `actorId` lives now (an answer to `actorLocate`, then on each change): null while it is not alive there (calls then go through the coordinator); `dead`: for good; `retries`: it runs lost calls again (maxTaskRetries > 0). */
  z.object({ type: z.literal('actorRoute'), actorId: id, workerId: id.nullable(), dead: z.literal(true).optional(), retries: z.literal(true).optional() }),
  /** Drop these objects from the store: nothing can need them any more. */
  z.object({ type: z.literal('releaseObjects'), ids }),
  /** Fetch an object from `from` and keep a copy (a broadcast; `from` may still be receiving it). */
  z.object({ type: z.literal('replicate'), objectId: id, size: z.number().int().min(0), from: id }),
  // ── either way ──
  /**
   * A clean goodbye (the volunteer pressed "leave", or the job ended). A
   * worker whose reason is `LEAVE_WITH_HANDOVER` stays a while so the
   * coordinator can copy its objects off it, and goes when told `leaving` back.
   */
  z.object({ type: z.literal('leaving'), reason: shortText }),
]);
export type ControlMessage = z.infer<typeof controlMessageSchema>;

/** The `leaving` reason of a worker that waits for its objects to be handed over (client/src/handover.ts). */
export const LEAVE_WITH_HANDOVER = 'handover';
export type ControlMessageType = ControlMessage['type'];

/** Chromium's largest data channel message. */
export const MAX_DATA_CHANNEL_MESSAGE = 256 * 1024;
/** The largest signaling message the server accepts. SDP offers are a few KiB. */
export const MAX_SIGNALING_MESSAGE = 64 * 1024;
