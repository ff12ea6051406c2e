/**
 * Bundling a job module for the browser. Task functions ship to workers as
 * source (`Function.prototype.toString`), so the bundle must leave function
 * bodies exactly as written: no minify, and no keepNames (which would wrap
 * named functions in a `__name` helper that the worker does not have).
 *
 * esbuild still renames a function expression that shares its variable's
 * name (`const f = cluster.remote(function f() {})` becomes `function f2`,
 * evanw/esbuild#1692). A plain-JS job with no imports needs no bundling, so
 * it ships verbatim and keeps its names; others may see such suffixes.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { build, formatMessages, type Plugin } from 'esbuild';
import { ShoalError } from '@shoal/protocol';

export interface BundledJob {
  /** The ES module source, ready for `CoordinatorPageApi.runJob`. */
  code: string;
  /** True when `code` is the file as written (plain JS with no imports). */
  verbatim: boolean;
  ms: number;
  warnings: string[];
}

export interface BundleJobOptions {
  /** Extra folders to resolve bare imports from (e.g. the repo's node_modules for jobs outside it). */
  nodePaths?: string[];
}

/**
 * Bundles `entry` (a .js, .mjs or .ts job) into one browser ES module.
 * Throws `ERR_BAD_JOB` when it does not build or has no default export.
 */
export async function bundleJob(entry: string, options: BundleJobOptions = {}): Promise<BundledJob> {
  const started = performance.now();
  const absolute = resolve(entry);
  let result;
  try {
    result = await build({
      entryPoints: [absolute],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      minify: false,
      keepNames: false,
      sourcemap: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: dirname(absolute),
      nodePaths: options.nodePaths ?? [],
      outdir: join(dirname(absolute), '.shoal-bundle'),
      plugins: [rawTextPlugin],
    });
  } catch (cause) {
    const errors = (cause as { errors?: Parameters<typeof formatMessages>[0] }).errors;
    const detail = errors === undefined ? String(cause) : (await formatMessages(errors, { kind: 'error', color: false })).join('').trim();
    throw new ShoalError('ERR_BAD_JOB', `could not bundle ${entry}:\n${detail}`, { cause });
  }

  const output = result.outputFiles.find((file) => file.path.endsWith('.js'));
  if (output === undefined) throw new ShoalError('ERR_INTERNAL', `esbuild produced no JavaScript for ${entry}`);
  const exports = Object.values(result.metafile.outputs).find((meta) => meta.entryPoint !== undefined)?.exports ?? [];
  if (!exports.includes('default')) {
    throw new ShoalError('ERR_BAD_JOB', `${entry} has no default export; a job is \`export default async (cluster) => result\``);
  }
  const warnings = (await formatMessages(result.warnings, { kind: 'warning', color: false })).map((text) => text.trim());
  const inputs = Object.values(result.metafile.inputs);
  const verbatim = PLAIN_JS.test(absolute) && inputs.length === 1 && inputs[0]!.imports.length === 0;
  const code = verbatim ? await readFile(absolute, 'utf8') : output.text;
  return { code, verbatim, ms: performance.now() - started, warnings };
}

const PLAIN_JS = /\.m?js$/;

/** `import shader from './kernel.wgsl?raw'`, as Vite does it: the file's text. */
const rawTextPlugin: Plugin = {
  name: 'shoal-raw-text',
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, async (args) => {
      const target = await build.resolve(args.path.slice(0, -'?raw'.length), { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer });
      return target.errors.length > 0 ? { errors: target.errors } : { path: target.path, namespace: 'shoal-raw' };
    });
    build.onLoad({ filter: /.*/, namespace: 'shoal-raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};
