/**
 * Task options live in one table, with validation. An unknown or ill-typed
 * option throws at once with the list of valid ones (Ray's style).
 */
import { ShoalError } from '@shoal/protocol';

export interface RemoteOptions {
  /** Shown on the dashboard and in errors. Defaults to the function's name. */
  name?: string;
  /** Times a task is re-run when its worker is lost (not when it throws). Default 3. */
  maxRetries?: number;
}

interface OptionRule {
  describe: string;
  valid: (value: unknown) => boolean;
}

const RULES: Record<keyof RemoteOptions, OptionRule> = {
  name: { describe: 'a non-empty string of at most 200 characters', valid: (v) => typeof v === 'string' && v.length > 0 && v.length <= 200 },
  maxRetries: { describe: 'an integer from 0 to 100', valid: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 },
};

export const DEFAULT_OPTIONS: Required<Omit<RemoteOptions, 'name'>> = { maxRetries: 3 };

export function validateOptions(options: unknown): RemoteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ShoalError('ERR_BAD_OPTION', `options must be an object; valid ones are: ${Object.keys(RULES).join(', ')}`);
  }
  for (const [key, value] of Object.entries(options)) {
    const rule = (RULES as Record<string, OptionRule | undefined>)[key];
    if (!rule) throw new ShoalError('ERR_BAD_OPTION', `unknown option '${key}'; valid ones are: ${Object.keys(RULES).join(', ')}`);
    if (value !== undefined && !rule.valid(value)) {
      throw new ShoalError('ERR_BAD_OPTION', `option '${key}' must be ${rule.describe}, got ${JSON.stringify(value)}`);
    }
  }
  return options as RemoteOptions;
}
