/**
 * Structured logging: one plain object per event (`{event: 'join', room, peerId, role}`).
 * The sink is pluggable; the default writes JSON lines to stdout
 * (`{"time":"2026-…","event":"join",…}`), one per event, for a log shipper to
 * read. A sink that throws is ignored, so logging can never take the server down.
 * Tokens and secrets are never logged.
 */
export type LogSink = (event: Record<string, unknown>) => void;

/** A sink that writes JSON lines to `stream` (stdout by default; the CLI uses stderr to keep stdout for its links). */
export function jsonLinesTo(stream: NodeJS.WritableStream): LogSink {
  return (event) => void stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

export const defaultLogSink: LogSink = jsonLinesTo(process.stdout);

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
