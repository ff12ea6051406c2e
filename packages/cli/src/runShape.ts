/**
 * How `shoal run` lays out its local cluster's worker tabs. A few tabs keep
 * the launcher's defaults (a process per tab, Playwright attached to each).
 * From LARGE_RUN tabs on, it takes the layout bench:scale measures
 * (docs/scale.md): 8 tabs to a renderer process, and from 32 tabs two
 * Chromium processes, each unless its flag says otherwise; and the tabs open
 * with nothing attached and draw nothing (`detachedWorkers`, `ui=0`), as a
 * volunteer's tab, unless `--chaos` (it closes tabs through Playwright) or
 * `--verbose` (it prints every tab's console) needs them attached; the
 * headless coordinator's dashboard is not drawn either (`ui=0`).
 * Measured: 64 tabs ready in 20.6-24.4 s before, 11.1 s in bench:scale's
 * layout (2026-12-07, this machine).
 */
import type { LocalClusterOptions } from '@shoal/launcher';

/** Tabs from which `shoal run` takes the scale layout. */
export const LARGE_RUN = 16;

export interface RunShapeFlags {
  readonly browsers?: number | undefined;
  readonly tabsPerProcess?: number | undefined;
  readonly chaos: boolean;
  readonly verbose: boolean;
}

export type RunShape = Pick<LocalClusterOptions, 'browsers' | 'tabsPerProcess' | 'detachedWorkers' | 'workerQuery' | 'coordinatorQuery'>;

export function runShape(workers: number, flags: RunShapeFlags): RunShape {
  const large = workers >= LARGE_RUN;
  const browsers = flags.browsers ?? (workers >= 2 * LARGE_RUN ? 2 : undefined);
  const tabsPerProcess = flags.tabsPerProcess ?? (large ? 8 : undefined);
  const detached = large && !flags.chaos && !flags.verbose;
  return {
    ...(browsers === undefined ? {} : { browsers }),
    ...(tabsPerProcess === undefined ? {} : { tabsPerProcess }),
    ...(detached ? { detachedWorkers: true, workerQuery: () => 'ui=0' } : {}),
    // The headless coordinator's dashboard, which no one sees, is not laid out while the tabs join (the job's progress comes from its API).
    ...(large ? { coordinatorQuery: 'ui=0' } : {}),
  };
}

/** The layout in words, for `shoal run`'s progress line ('' for the launcher's defaults). */
export function describeShape(shape: RunShape): string {
  const parts = [
    ...(shape.browsers !== undefined && shape.browsers > 1 ? [`${shape.browsers} browsers`] : []),
    ...(shape.tabsPerProcess !== undefined ? [`${shape.tabsPerProcess} to a renderer process`] : []),
    ...(shape.detachedWorkers ? ['nothing attached'] : []),
  ];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
