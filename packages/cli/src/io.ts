/** Where the CLI writes; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's real stdout and stderr. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** `1234.5` → `1.23 s`, `56.7` → `57 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
