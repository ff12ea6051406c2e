/**
 * A small argument parser: `--flag value`, `--flag=value`, boolean flags,
 * positionals, `--` to end flags, and `-h` / `--help`. Mistakes become
 * `UsageError`s that name the valid choices.
 */
import type { ErrorCode } from '@shoal/protocol';

export type FlagSpec =
  | { type: 'boolean'; description: string }
  | { type: 'string'; description: string; value: string }
  | { type: 'number'; description: string; value: string; min: number; integer?: boolean };

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<F extends FlagSpec> = F extends { type: 'boolean' } ? boolean : F extends { type: 'number' } ? number : string;

export interface ParsedArgs<F extends FlagSpecs> {
  flags: { [K in keyof F]?: FlagValue<F[K]> };
  positionals: string[];
  help: boolean;
}

/** A mistake in how the command was called; the CLI exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose `--help` explains the fix, when there is one. */
  readonly command: string | undefined;
  /** The code in `--json` output. */
  readonly code: ErrorCode;

  constructor(message: string, command?: string, code: ErrorCode = 'ERR_BAD_OPTION') {
    super(message);
    this.command = command;
    this.code = code;
  }
}

/**
 * Parses `argv` (without the command name) against `specs`. `maxPositionals`
 * bounds the positional arguments; `command` names the command in errors.
 */
export function parseArgs<F extends FlagSpecs>(argv: readonly string[], specs: F, command: string, maxPositionals = 0): ParsedArgs<F> {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}${validFlags(specs)}`, command);

    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown flag --${name}${suggest(name, Object.keys(specs))}${validFlags(specs)}`, command);

    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`, command);
      flags[name] = true;
      continue;
    }
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value: --${name} ${spec.value}`, command);
      raw = next;
      i++;
    }
    flags[name] = spec.type === 'number' ? parseNumber(name, raw, spec, command) : raw;
  }

  if (!help && positionals.length > maxPositionals) {
    const extra = positionals.slice(maxPositionals).join(' ');
    throw new UsageError(maxPositionals === 0 ? `unexpected argument: ${extra}` : `too many arguments: ${extra}`, command);
  }
  return { flags: flags as ParsedArgs<F>['flags'], positionals, help };
}

function parseNumber(name: string, raw: string, spec: Extract<FlagSpec, { type: 'number' }>, command: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const whole = spec.integer !== false;
  if (!Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < spec.min) {
    throw new UsageError(`--${name} expects ${whole ? 'a whole number' : 'a number'} ≥ ${spec.min}, got ${JSON.stringify(raw)}`, command);
  }
  return value;
}

function validFlags(specs: FlagSpecs): string {
  const names = Object.keys(specs);
  return names.length === 0 ? ' (this command takes no flags)' : ` (valid flags: ${names.map((n) => `--${n}`).join(', ')}, --help)`;
}

/** `; did you mean --x?` for a close match, else `''`. */
export function suggest(input: string, choices: readonly string[], prefix = '--'): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const d = editDistance(input, choice);
    if (d < bestDistance) [best, bestDistance] = [choice, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? `; did you mean ${prefix}${best}?` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
