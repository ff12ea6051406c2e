/** The `shoal` command line, run as a user would: a child process. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO } from './helpers.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  last: Record<string, unknown>;
}

function shoal(args: string[], command = process.execPath, prefix = ['packages/cli/bin/shoal.js']): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const lastLine = stdout.trim().split('\n').at(-1) ?? '';
      let last: Record<string, unknown> = {};
      try {
        last = JSON.parse(lastLine) as Record<string, unknown>;
      } catch {
        // left empty: the assertions below will say what was printed
      }
      resolve({ code, stdout, stderr, last });
    });
  });
}

test('npx shoal run examples/pi.js --workers 2 --json prints π to two decimals', async () => {
  const run = await shoal(['shoal', 'run', 'examples/pi.js', '--workers', '2', '--json'], 'npx', ['--no-install']);
  expect(run.last, run.stderr).toMatchObject({ ok: true });
  expect(Math.abs((run.last['result'] as number) - Math.PI)).toBeLessThan(0.005);
  expect(run.code).toBe(0);
});

test('shoal run --record writes the job history the dashboard can import', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'shoal-record-')), 'run.json');
  const run = await shoal(['run', 'examples/pi.js', '--workers', '2', '--json', '--record', file]);
  expect(run.last, run.stderr).toMatchObject({ ok: true });
  const history = JSON.parse(readFileSync(file, 'utf8')) as { format: string; jobs: Array<{ state: string; events: Array<{ kind: string }> }> };
  expect(history.format).toBe('shoal-history');
  expect(history.jobs).toHaveLength(1);
  expect(history.jobs[0]!.state).toBe('done');
  expect(history.jobs[0]!.events.filter((event) => event.kind === 'finished').length).toBeGreaterThan(0);
});

test('a job whose task throws prints ok:false with the remote message and exits non-zero', async () => {
  const run = await shoal(['run', 'e2e/fixtures/throws.ts', '--workers', '2', '--json']);
  expect(run.last, run.stdout + run.stderr).toMatchObject({
    ok: false,
    error: { code: 'ERR_TASK_FAILED', message: expect.stringContaining('value 3 is over the limit') },
  });
  expect(run.code).toBe(1);
});

test('usage errors exit 2 and say what is wrong', async () => {
  const missing = await shoal(['run', 'no/such/job.js']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('job file not found');
  const badFlag = await shoal(['run', 'examples/pi.js', '--worker', '2']);
  expect(badFlag.code).toBe(2);
  expect(badFlag.stderr).toContain('--workers');
});

test('shoal run --progress draws a bar per task name on stderr, even when it is no terminal', async () => {
  const run = await shoal(['run', 'e2e/fixtures/two-stages.js', '--workers', '2', '--progress']);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.trim()).toBe('168'); // Σ i² + i for i < 8
  // The final rows: the total, then one per name in the order they were first seen.
  const rows = run.stderr.split('\n').filter((line) => /^(total|square|add)\s/.test(line));
  expect(rows.slice(-3).map((line) => line.split(/\s+/)[0]), run.stderr).toEqual(['total', 'square', 'add']);
  expect(rows.at(-3)).toContain('16/16');
  expect(rows.at(-2)).toContain('8/8');
  expect(rows.at(-1)).toContain('8/8');
  expect(run.stderr).not.toContain('\x1b['); // no cursor movement off a terminal
});

test('shoal run --json (stderr no terminal) keeps stderr free of progress bars', async () => {
  const run = await shoal(['run', 'e2e/fixtures/two-stages.js', '--workers', '2', '--json']);
  expect(run.last, run.stderr).toMatchObject({ ok: true, result: 168 });
  expect(run.stderr).not.toMatch(/square|8\/8|█/);
});

test('shoal run --workers 16 opens its tabs in the scale layout (shared processes, nothing attached) and runs the job whole', async () => {
  test.setTimeout(180_000);
  const run = await shoal(['run', 'e2e/fixtures/roll-call.js', '--workers', '16']);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain('starting a local cluster with 16 worker tabs (8 to a renderer process, nothing attached)');
  // Without --json the result is printed as JSON on its own.
  expect(JSON.parse(run.stdout)).toEqual({ listed: Array.from({ length: 16 }, (_, i) => `w${i + 1}`).sort(), sum: (399 * 400 * 799) / 6 });
});
