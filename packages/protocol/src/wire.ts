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

/** SDP and ICE payloads are opaque to the server; it only checks their size. */
const signalData = z.record(z.string(), z.unknown());

export const signalingClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), room: z.string().regex(ROOM_PATTERN), role: roleSchema, name: shortText.optional() }),
  z.object({ type: z.literal('signal'), to: id, data: signalData }),
  z.object({ type: z.literal('leave') }),
]);
export type SignalingClientMessage = z.infer<typeof signalingClientMessageSchema>;

export const signalingServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), peerId: id, room: z.string(), peers: z.array(peerInfoSchema) }),
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
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const taskResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: remoteErrorSchema }),
]);
export type TaskResult = z.infer<typeof taskResultSchema>;

export const controlMessageSchema = z.discriminatedUnion('type', [
  /** worker → coordinator, once the channel opens. */
  z.object({ type: z.literal('hello'), caps: capabilitiesSchema }),
  /** coordinator → worker: a function's source, sent once per worker before its first use. */
  z.object({ type: z.literal('defineFn'), fnId: id, name: shortText, source: z.string().max(1024 * 1024) }),
  /** coordinator → worker: run `fnId(...args)`; refs in args are already resolved to values. */
  z.object({ type: z.literal('runTask'), taskId: id, fnId: id, args: z.array(z.unknown()) }),
  /** worker → coordinator. */
  z.object({ type: z.literal('taskStarted'), taskId: id }),
  z.object({ type: z.literal('taskDone'), taskId: id, result: taskResultSchema }),
  z.object({ type: z.literal('taskLog'), taskId: id, level: z.enum(['log', 'info', 'warn', 'error']), text: z.string().max(64 * 1024) }),
  /** either way: a clean goodbye (the person pressed "leave", or the job ended). */
  z.object({ type: z.literal('leaving'), reason: shortText }),
]);
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type ControlMessageType = ControlMessage['type'];

/** Chromium's largest data channel message. */
export const MAX_DATA_CHANNEL_MESSAGE = 256 * 1024;
/** The largest signaling message the server accepts. SDP offers are a few KiB. */
export const MAX_SIGNALING_MESSAGE = 64 * 1024;
