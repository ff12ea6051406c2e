/**
 * Task options live in this one table, with validation. An unknown or
 * ill-typed option throws at once, synchronously, with the valid ones listed
 * (Ray's style). The coordinator and tasks submitting tasks both use it.
 */
import { ShoalError } from './errors.ts';

export interface ResourceRequest {
  /** Task slots (default 1; 0 for tasks that only wait on others). */
  cpu?: number;
  /**
   * WebGPU devices; or `'prefer'`: a GPU worker's if one is free when the task
   * is submitted, else any worker, where `ctx.gpu` is null and the task runs
   * its own CPU fallback.
   */
  gpu?: number | 'prefer';
  /** Bytes of memory. */
  memory?: number;
  /** User-defined resources that workers advertise, e.g. {dataset: 1}. */
  custom?: Record<string, number>;
}

export interface RemoteOptions {
  /** Shown on the dashboard and in errors. Defaults to the function's name. */
  name?: string;
  /** What the task needs from a worker; it waits for a worker where these fit. */
  resources?: ResourceRequest;
  /** Re-runs after a lost worker (and after exceptions, with retryExceptions). Default 3. */
  maxRetries?: number;
  /** Also retry when the task throws or times out. Default false. */
  retryExceptions?: boolean;
  /** Milliseconds a run may take; past it the run's Web Worker is terminated and the run fails with ERR_TIMEOUT. */
  timeout?: number;
  /** Higher runs first among ready tasks. Default 0. */
  priority?: number;
  /** The task returns an array of this many values, each its own ref. Default 1. */
  numReturns?: number;
  /**
   * Speculative execution (Spark-style): once most of this function's tasks
   * are done, a run far slower than their median gets a copy on another
   * worker, and the first result wins. Default false (or the coordinator's
   * default, `CoordinatorOptions.speculation`).
   */
  speculation?: boolean;
  /**
   * Run the task on this many distinct workers and accept the result only if
   * they all agree; otherwise it fails with ERR_VERIFY_MISMATCH. Default 1.
   */
  verify?: number;
  /**
   * A worker may be given this task while its slots still run earlier ones, and fetch its stored
   * inputs from other workers meanwhile, so that the transfer overlaps the running task instead of
   * following it (one task held behind each running one). For long tasks with large inputs, such as
   * the reduce side of a shuffle. Default false.
   */
  prefetch?: boolean;
  /**
   * The task is the only reader of its stored inputs, and the caller frees them once it succeeds (as a
   * shuffle's reduce side does with its blocks). The worker then hands the task the bytes it holds instead
   * of a copy of them, and forgets them (up to a quarter of its task memory cap; bigger inputs are copied); if the task fails, it tells the coordinator it holds them no more,
   * so they are fetched from another copy or made again from lineage. Default false.
   */
  consumeInputs?: boolean;
  /**
   * The task only reads its stored inputs, and keeps nothing of them (no view, no table over their bytes)
   * past its run. The worker then lends the task the bytes it holds instead of copying them, and takes them
   * back when the task ends (up to a quarter of its task memory cap; bigger inputs are copied); an input
   * another task there holds at the same time is copied. If the task's Web Worker dies with them, the worker
   * tells the coordinator it holds them no more. Default false. `consumeInputs` wins over it.
   */
  lendInputs?: boolean;
}

interface OptionRule {
  describe: string;
  valid: (value: unknown) => boolean;
}

const nonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function validResources(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const [key, amount] of Object.entries(value)) {
    if (key === 'custom') {
      if (amount === null || typeof amount !== 'object' || Array.isArray(amount)) return false;
      if (!Object.values(amount as object).every(nonNegative)) return false;
    } else if (key === 'gpu' && amount === 'prefer') {
      continue;
    } else if (key === 'cpu' || key === 'gpu' || key === 'memory') {
      if (!nonNegative(amount)) return false;
    } else {
      return false;
    }
  }
  return true;
}

const RULES: Record<keyof RemoteOptions, OptionRule> = {
  name: { describe: 'a non-empty string of at most 200 characters', valid: (v) => typeof v === 'string' && v.length > 0 && v.length <= 200 },
  resources: { describe: "an object {cpu?, gpu?, memory?, custom?: {name: amount}} of non-negative numbers (gpu may also be 'prefer')", valid: validResources },
  maxRetries: { describe: 'an integer from 0 to 100', valid: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 },
  retryExceptions: { describe: 'a boolean', valid: (v) => typeof v === 'boolean' },
  timeout: { describe: 'a positive number of milliseconds', valid: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 },
  priority: { describe: 'a finite number', valid: (v) => typeof v === 'number' && Number.isFinite(v) },
  numReturns: { describe: 'an integer from 1 to 1000', valid: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1000 },
  speculation: { describe: 'a boolean', valid: (v) => typeof v === 'boolean' },
  verify: { describe: 'an integer from 1 to 16 (the distinct workers that must agree)', valid: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 16 },
  prefetch: { describe: 'a boolean', valid: (v) => typeof v === 'boolean' },
  consumeInputs: { describe: 'a boolean', valid: (v) => typeof v === 'boolean' },
  lendInputs: { describe: 'a boolean', valid: (v) => typeof v === 'boolean' },
};

export const OPTION_NAMES = Object.keys(RULES) as Array<keyof RemoteOptions>;

export const DEFAULT_OPTIONS = { maxRetries: 3, retryExceptions: false, priority: 0, numReturns: 1 } as const;

export function validateOptions(options: unknown): RemoteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ShoalError('ERR_BAD_OPTION', `options must be an object; valid ones are: ${OPTION_NAMES.join(', ')}`);
  }
  for (const [key, value] of Object.entries(options)) {
    const rule = (RULES as Record<string, OptionRule | undefined>)[key];
    if (!rule) throw new ShoalError('ERR_BAD_OPTION', `unknown option '${key}'; valid ones are: ${OPTION_NAMES.join(', ')}`);
    if (value !== undefined && !rule.valid(value)) {
      throw new ShoalError('ERR_BAD_OPTION', `option '${key}' must be ${rule.describe}, got ${safeJson(value)}`);
    }
  }
  return options as RemoteOptions;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
