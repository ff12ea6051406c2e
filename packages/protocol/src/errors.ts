/**
 * Shoal's one error class. Every failure that crosses a package boundary is a
 * `ShoalError` with a stable `code` from the closed union below; the README
 * lists them. Remote task exceptions keep their original name, message and
 * stack in `remote`.
 */
export const ERROR_CODES = [
  'ERR_TASK_FAILED',
  'ERR_DEPENDENCY_FAILED',
  'ERR_WORKER_LOST',
  'ERR_OBJECT_LOST',
  'ERR_TRANSFER_FAILED',
  'ERR_TIMEOUT',
  'ERR_CANCELLED',
  'ERR_BAD_MESSAGE',
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_NOT_JOINED',
  'ERR_UNKNOWN_PEER',
  'ERR_ROOM_FULL',
  'ERR_BAD_FUNCTION',
  'ERR_BAD_JOB',
  'ERR_BAD_OPTION',
  'ERR_NOT_SERIALIZABLE',
  'ERR_NO_WORKERS',
  'ERR_NO_BROWSER',
  'ERR_WEBGPU_UNAVAILABLE',
  'ERR_GPU_LOST',
  'ERR_GPU_SHADER',
  'ERR_INTERNAL',
  'ERR_TASK_KILLED_WORKERS',
  'ERR_UNAUTHORIZED',
  'ERR_TOKEN_EXPIRED',
  'ERR_RATE_LIMITED',
  'ERR_TOKEN_REVOKED',
  'ERR_ACTOR_DIED',
  'ERR_ACTOR_KILLED',
  'ERR_TASK_RUNAWAY',
  'ERR_TASK_MEMORY',
  'ERR_VERIFY_MISMATCH',
  'ERR_COLUMN_NOT_FOUND',
  'ERR_TYPE_MISMATCH',
  'ERR_SQL_SYNTAX',
  'ERR_READ_FAILED',
  'ERR_ENGINE',
  'ERR_PATH_EXISTS',
  'ERR_BAD_PATH',
  'ERR_SHAPE_MISMATCH',
  'ERR_GROUP_BROKEN',
  'ERR_MODEL_LOAD',
  'ERR_BAD_BATCH',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An exception as it travels over the wire: plain data, never a class. */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: ErrorCode | undefined;
  workerId?: string | undefined;
}

export interface ShoalErrorOptions {
  cause?: unknown;
  remote?: RemoteError;
  taskId?: string;
  workerId?: string;
}

export class ShoalError extends Error {
  override readonly name = 'ShoalError';
  readonly code: ErrorCode;
  /** The exception as raised on the worker, when the error came from a task. */
  readonly remote: RemoteError | undefined;
  readonly taskId: string | undefined;
  readonly workerId: string | undefined;

  constructor(code: ErrorCode, message: string, options: ShoalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote;
    this.taskId = options.taskId;
    this.workerId = options.workerId;
  }

  /** Plain data for the wire (`ShoalError` itself never crosses a boundary). */
  toRemote(): RemoteError {
    return { name: this.name, message: this.message, stack: this.stack, code: this.code, workerId: this.workerId };
  }
}

export function isShoalError(value: unknown): value is ShoalError {
  return value instanceof ShoalError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown into wire data, keeping what can be kept. */
export function toRemoteError(thrown: unknown, workerId?: string): RemoteError {
  if (thrown instanceof ShoalError) return { ...thrown.toRemote(), workerId: workerId ?? thrown.workerId };
  if (thrown instanceof Error) {
    return { name: thrown.name, message: thrown.message, stack: thrown.stack, workerId };
  }
  return { name: 'NonError', message: `a non-Error value was thrown: ${describeValue(thrown)}`, workerId };
}

function describeValue(value: unknown): string {
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return typeof value;
  }
}
