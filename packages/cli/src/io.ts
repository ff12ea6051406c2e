/** Where the CLI writes; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr's width when it is a terminal, else null (progress bars redraw in place only on one). */
  stderrTerminal?(): { columns: number } | null;
}

/** The process's real stdout and stderr. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrTerminal: () => (process.stderr.isTTY ? { columns: process.stderr.columns ?? 80 } : null),
};

/** `1234.5` → `1.23 s`, `56.7` → `57 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
