/**
 * Decoding untrusted input. Never throws: malformed input comes back as a
 * `ShoalError` with code ERR_BAD_MESSAGE (or ERR_MESSAGE_TOO_LARGE), so a bad
 * peer cannot throw into an event loop.
 */
import type { z } from 'zod';
import { ShoalError } from './errors.ts';
import {
  controlMessageSchema,
  signalingClientMessageSchema,
  signalingServerMessageSchema,
  type ControlMessage,
  type SignalingClientMessage,
  type SignalingServerMessage,
} from './wire.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ShoalError };

function parseJson(text: string, maxBytes: number): Parsed<unknown> {
  if (text.length > maxBytes) {
    return { ok: false, error: new ShoalError('ERR_MESSAGE_TOO_LARGE', `message of ${text.length} bytes exceeds the limit of ${maxBytes}`) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (cause) {
    return { ok: false, error: new ShoalError('ERR_BAD_MESSAGE', 'message is not valid JSON', { cause }) };
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: new ShoalError('ERR_BAD_MESSAGE', `invalid ${what}${where}: ${issue?.message ?? 'unknown problem'}`) };
}

export function parseSignalingClientMessage(text: string, maxBytes: number): Parsed<SignalingClientMessage> {
  const json = parseJson(text, maxBytes);
  return json.ok ? check(signalingClientMessageSchema, json.value, 'signaling message') : json;
}

export function parseSignalingServerMessage(text: string): Parsed<SignalingServerMessage> {
  const json = parseJson(text, Number.POSITIVE_INFINITY);
  return json.ok ? check(signalingServerMessageSchema, json.value, 'signaling message') : json;
}

/** A control frame is a JSON array of control messages (batched sends). */
export function parseControlFrame(text: string, maxBytes: number): Parsed<ControlMessage[]> {
  const json = parseJson(text, maxBytes);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) return { ok: false, error: new ShoalError('ERR_BAD_MESSAGE', 'a control frame must be an array of messages') };
  const messages: ControlMessage[] = [];
  for (const item of json.value) {
    const parsed = check(controlMessageSchema, item, 'control message');
    if (!parsed.ok) return parsed;
    messages.push(parsed.value);
  }
  return { ok: true, value: messages };
}
