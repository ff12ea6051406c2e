/** Waiting for Ctrl-C (SIGINT) or SIGTERM. */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status for a process stopped by `signal`: 128 + its number. */
export function signalExitCode(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/**
 * Calls `handler` once on the first SIGINT or SIGTERM, then stops listening
 * so that a second Ctrl-C kills the process the usual way. Returns a function
 * that stops listening.
 */
export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const listener = (signal: StopSignal): void => {
    stop();
    handler(signal);
  };
  const stop = (): void => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return stop;
}

/** Resolves with the first SIGINT or SIGTERM. */
export function waitForStopSignal(): Promise<StopSignal> {
  return new Promise((resolve) => onStopSignal(resolve));
}
