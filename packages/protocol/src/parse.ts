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

const isId = (value: unknown): boolean => typeof value === 'string' && value.length >= 1 && value.length <= 128;
const isPlain = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
const RUN_TASK_KEYS = new Set(['type', 'taskId', 'fnId', 'args', 'attempt', 'numReturns', 'timeoutMs', 'checksum']);

/**
 * The two messages every task makes, `runTask` and `taskDone`, checked by
 * hand in their common form: only what their schemas in wire.ts accept (no
 * `fetch`, no `stored`, no key the schema does not name), and returned as
 * parsed rather than copied by zod. Anything else, or anything in doubt,
 * answers null and goes through the schema. Thousands of these arrive a
 * second; the schema's copy of each was a visible share of both tabs' time.
 */
function taskMessage(item: unknown): ControlMessage | null {
  if (!isPlain(item)) return null;
  if (item['type'] === 'taskDone') {
    let keys = 0;
    for (const key in item) {
      if (key !== 'type' && key !== 'taskId' && key !== 'result' && key !== 'durationMs') return null;
      keys += 1;
    }
    const result = item['result'];
    const durationMs = item['durationMs'];
    if (keys !== 4 || !isId(item['taskId']) || typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0 || !isPlain(result) || result['ok'] !== true) return null;
    for (const key in result) if (key !== 'ok' && key !== 'value') return null;
    if (!('value' in result)) return null; // the schema wants the key, whatever its value
    return item as ControlMessage;
  }
  if (item['type'] === 'runTask') {
    for (const key in item) if (!RUN_TASK_KEYS.has(key)) return null;
    const { taskId, fnId, args, attempt, numReturns, timeoutMs, checksum } = item;
    if (!isId(taskId) || !isId(fnId) || !Array.isArray(args)) return null;
    if (!Number.isSafeInteger(attempt) || (attempt as number) < 1 || !Number.isSafeInteger(numReturns) || (numReturns as number) < 1) return null;
    if (!('timeoutMs' in item) || (timeoutMs !== null && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0))) return null;
    if (checksum !== undefined && checksum !== true) return null;
    return item as ControlMessage;
  }
  return null;
}

/** A control frame is a JSON array of control messages (batched sends). */
export function parseControlFrame(text: string, maxBytes: number): Parsed<ControlMessage[]> {
  const json = parseJson(text, maxBytes);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) return { ok: false, error: new ShoalError('ERR_BAD_MESSAGE', 'a control frame must be an array of messages') };
  const messages: ControlMessage[] = [];
  for (const item of json.value) {
    const fast = taskMessage(item);
    if (fast) {
      messages.push(fast);
      continue;
    }
    const parsed = check(controlMessageSchema, item, 'control message');
    if (!parsed.ok) return parsed;
    messages.push(parsed.value);
  }
  return { ok: true, value: messages };
}
