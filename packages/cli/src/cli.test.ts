import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import type { Io } from './io.ts';

async function cli(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}

describe('runCli', () => {
  it('prints the command list for --help', async () => {
    const { status, stdout } = await cli('--help');
    expect(status).toBe(0);
    for (const name of ['start', 'run', 'worker']) expect(stdout).toContain(`  ${name}`);
  });

  it('prints help for each command', async () => {
    for (const name of ['start', 'run', 'worker']) {
      const { status, stdout } = await cli(name, '--help');
      expect(status).toBe(0);
      expect(stdout).toContain(`Usage: shoal ${name}`);
    }
    expect((await cli('help', 'run')).stdout).toContain('--workers N');
  });

  it('exits 2 with usage for no command and an unknown one', async () => {
    expect((await cli()).status).toBe(2);
    const unknown = await cli('strat');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('did you mean start?');
  });

  it('exits 2 for an unknown flag, pointing at the command help', async () => {
    const { status, stderr } = await cli('run', 'job.js', '--wrokers', '2');
    expect(status).toBe(2);
    expect(stderr).toContain('unknown flag --wrokers; did you mean --workers?');
    expect(stderr).toContain('shoal run --help');
  });

  it('exits 2 for a missing job file, with a JSON line under --json', async () => {
    const human = await cli('run', 'does-not-exist.js');
    expect(human.status).toBe(2);
    expect(human.stderr).toContain('job file not found: does-not-exist.js');
    expect(human.stdout).toBe('');

    const json = await cli('run', 'does-not-exist.js', '--json');
    expect(json.status).toBe(2);
    const last = json.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toEqual({ ok: false, error: { code: 'ERR_BAD_JOB', message: expect.stringContaining('does-not-exist.js') } });
  });

  it('exits 2 when run has no job or worker has no --join', async () => {
    expect((await cli('run')).stderr).toContain('missing the job file');
    const worker = await cli('worker');
    expect(worker.status).toBe(2);
    expect(worker.stderr).toContain('missing --join');
  });

  it('checks the join URL before launching anything', async () => {
    expect((await cli('worker', '--join', 'not a url')).stderr).toContain('--join must be a URL');
    expect((await cli('worker', '--join', 'http://h:1/worker.html')).stderr).toContain('must name a room');
  });
});
