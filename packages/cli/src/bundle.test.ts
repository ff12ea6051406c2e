import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { bundleJob } from './bundle.ts';

const dir = mkdtempSync(join(tmpdir(), 'shoal-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function bundleError(path: string): Promise<ShoalError> {
  try {
    await bundleJob(path);
  } catch (error) {
    if (error instanceof ShoalError) return error;
    throw error;
  }
  throw new Error('expected bundleJob to fail');
}

describe('bundleJob', () => {
  it('ships a plain JS job with no imports as written', async () => {
    const source = 'export default async function job(cluster) {\n  const f = cluster.remote(function f(x) { return x; });\n  return cluster.get(f(1));\n}\n';
    const bundled = await bundleJob(file('plain.js', source));
    expect(bundled.verbatim).toBe(true);
    expect(bundled.code).toBe(source);
  });

  it('bundles TypeScript and imports without __name helpers or minifying', async () => {
    file('lib/square.ts', 'export function square(x: number): number {\n  return x * x;\n}\n');
    const entry = file(
      'job.ts',
      [
        "import { square } from './lib/square.ts';",
        'class Counter { count = 0; bump(): number { return ++this.count; } }',
        'export default async function job(cluster: { remote: (f: Function) => unknown }): Promise<number> {',
        '  const named = function namedTask(n: number): number { const inner = (k: number) => k + 1; return inner(n); };',
        '  cluster.remote(named);',
        '  return square(new Counter().bump());',
        '}',
      ].join('\n'),
    );
    const bundled = await bundleJob(entry);
    expect(bundled.verbatim).toBe(false);
    expect(bundled.code).not.toContain('__name');
    expect(bundled.code).toContain('function namedTask(n) {');
    expect(bundled.code).toContain('const inner = (k) => k + 1;');
    expect(bundled.code).toContain('function square(x)');
    expect(bundled.code).toMatch(/export\s*\{[^}]*as default/);
    expect(bundled.code).not.toMatch(/^import /m);
  });

  it("inlines `?raw` imports as text, as Vite does", async () => {
    file('kernel.wgsl', '@compute @workgroup_size(64) fn main() {}\n');
    const bundled = await bundleJob(file('gpu.js', "import shader from './kernel.wgsl?raw';\nexport default async () => shader.length;\n"));
    expect(bundled.code).toContain('@compute @workgroup_size(64) fn main() {}');
  });

  it('rejects a job without a default export', async () => {
    const error = await bundleError(file('nodefault.js', 'export const job = async () => 1;\n'));
    expect(error.code).toBe('ERR_BAD_JOB');
    expect(error.message).toContain('no default export');
  });

  it('reports syntax errors and unresolved imports with file and line', async () => {
    const syntax = await bundleError(file('broken.js', 'export default async () => {\n  return 1 +;\n};\n'));
    expect(syntax.code).toBe('ERR_BAD_JOB');
    expect(syntax.message).toContain('broken.js:2');

    const missing = await bundleError(file('missing-import.js', "import x from './nope.js';\nexport default async () => x;\n"));
    expect(missing.message).toContain('./nope.js');
  });
});
