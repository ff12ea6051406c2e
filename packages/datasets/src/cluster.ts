/** The narrow part of a Shoal cluster that datasets use (the job's cluster fits it; tests pass a fake). */
export interface DataCluster {
  remote(fn: (...args: any[]) => unknown, options?: Record<string, unknown>): (...args: unknown[]) => unknown;
  get(refs: readonly unknown[]): Promise<unknown[]>;
  put(value: unknown): unknown;
  free(refs: readonly unknown[]): void;
  actor(cls: new (...args: any[]) => object, options?: Record<string, unknown>): Record<string, (...args: unknown[]) => unknown>;
  kill(handle: object): void;
  /** Task slots in the cluster now. */
  slots(): number;
}

/** The data folder, for file sources and writes (the job's `cluster.dataClient`). */
export interface DataFolder {
  list(glob: string): Promise<{ path: string; size: number }[]>;
  readGrant(): Promise<string>;
  grantWrite(dir: string, mode?: 'errorIfExists' | 'overwrite' | 'append'): Promise<string>;
  fileUrl(path: string, grant: string): string;
}

/** Execution settings (`cluster.data.context`). */
export interface DataContext {
  /** Bytes the running blocks of one execution may take, across the cluster (default 512 MiB). */
  memoryBudgetBytes: number;
  /** `range` blocks aim at this size (default 8 MiB). */
  targetBlockBytes: number;
  /** Blocks one operator may hold at most, whatever the budget (default 2 × task slots, at least 2). */
  maxBlocksPerOperator: number | null;
  /** Retries of a task on a worker loss (the scheduler's maxRetries). */
  maxRetries: number;
  /** Fuse consecutive function transforms into one task per block, and into the read of a range or file source before them (Ray's default, and here too). */
  fuseTransforms: boolean;
}

export const DEFAULT_CONTEXT: DataContext = { memoryBudgetBytes: 512 * 1024 * 1024, targetBlockBytes: 8 * 1024 * 1024, maxBlocksPerOperator: null, maxRetries: 3, fuseTransforms: true };
