import { describe, expect, it } from 'vitest';
import { parseArgs, suggest, UsageError } from './args.ts';
import { RUN_FLAGS, WORKER_FLAGS } from './commands.ts';

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('reads flags in both spellings, booleans and positionals', () => {
    const parsed = parseArgs(['job.js', '--workers', '3', '--timeout=10', '--json'], RUN_FLAGS, 'run', 1);
    expect(parsed.positionals).toEqual(['job.js']);
    expect(parsed.flags).toEqual({ workers: 3, timeout: 10, json: true });
    expect(parsed.help).toBe(false);
  });

  it('reads string flags', () => {
    const parsed = parseArgs(['--join', 'http://h:1/worker.html?room=r', '--tabs', '2'], WORKER_FLAGS, 'worker');
    expect(parsed.flags).toEqual({ join: 'http://h:1/worker.html?room=r', tabs: 2 });
  });

  it('spots -h and --help anywhere', () => {
    expect(parseArgs(['--help'], RUN_FLAGS, 'run', 1).help).toBe(true);
    expect(parseArgs(['job.js', '-h'], RUN_FLAGS, 'run', 1).help).toBe(true);
  });

  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--', '--json'], RUN_FLAGS, 'run', 1).positionals).toEqual(['--json']);
  });

  it('rejects unknown flags, listing the valid ones and a close match', () => {
    const error = usageError(() => parseArgs(['--wrokers', '2'], RUN_FLAGS, 'run', 1));
    expect(error.message).toContain('unknown flag --wrokers');
    expect(error.message).toContain('did you mean --workers?');
    expect(error.message).toContain('--timeout');
    expect(error.command).toBe('run');
    expect(usageError(() => parseArgs(['-x'], RUN_FLAGS, 'run', 1)).message).toContain('unknown option -x');
  });

  it('rejects bad numbers', () => {
    expect(usageError(() => parseArgs(['--workers', 'abc'], RUN_FLAGS, 'run', 1)).message).toBe('--workers expects a whole number ≥ 1, got "abc"');
    expect(() => parseArgs(['--workers', '0'], RUN_FLAGS, 'run', 1)).toThrow(UsageError);
    expect(() => parseArgs(['--workers', '1.5'], RUN_FLAGS, 'run', 1)).toThrow(UsageError);
    expect(() => parseArgs(['--port', '-1'], RUN_FLAGS, 'run', 1)).toThrow(UsageError);
    expect(() => parseArgs(['--workers='], RUN_FLAGS, 'run', 1)).toThrow(UsageError);
  });

  it('rejects a missing value and a value on a boolean', () => {
    expect(usageError(() => parseArgs(['--workers'], RUN_FLAGS, 'run', 1)).message).toContain('--workers needs a value');
    expect(usageError(() => parseArgs(['--workers', '--json'], RUN_FLAGS, 'run', 1)).message).toContain('needs a value');
    expect(usageError(() => parseArgs(['--json=yes'], RUN_FLAGS, 'run', 1)).message).toContain('takes no value');
  });

  it('rejects extra positionals', () => {
    expect(usageError(() => parseArgs(['a.js', 'b.js'], RUN_FLAGS, 'run', 1)).message).toBe('too many arguments: b.js');
    expect(usageError(() => parseArgs(['x'], WORKER_FLAGS, 'worker')).message).toBe('unexpected argument: x');
  });

  it('does not mistake prototype keys for flags', () => {
    expect(() => parseArgs(['--constructor'], RUN_FLAGS, 'run', 1)).toThrow(UsageError);
  });
});

describe('suggest', () => {
  it('suggests only close matches', () => {
    expect(suggest('strat', ['start', 'run', 'worker'], '')).toBe('; did you mean start?');
    expect(suggest('zzzzzz', ['start', 'run', 'worker'], '')).toBe('');
  });
});
