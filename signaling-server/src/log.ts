/**
 * Structured logging: one plain object per event (`{event: 'join', room, peerId, role}`).
 * The sink is pluggable; the default writes JSON lines to stderr. A sink that
 * throws is ignored, so logging can never take the server down.
 */
export type LogSink = (event: Record<string, unknown>) => void;

export function defaultLogSink(event: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

export function quietLogSink(): void {}

/** Wraps a sink so that nothing it does (throwing included) escapes. */
export function safeLog(sink: LogSink): LogSink {
  return (event) => {
    try {
      sink(event);
    } catch {
      // A broken log sink must not break the server.
    }
  };
}

/** An error as loggable plain data. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}
