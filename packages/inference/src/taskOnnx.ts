/**
 * `ctx.onnx`: onnxruntime-web for a task, loaded on first use in the Web
 * Worker that runs it (the ~28 MB wasm is fetched then, and only there).
 * The execution provider is WebGPU where the worker has a real GPU and wasm
 * elsewhere; `load(model, {executionProvider: 'webgpu'})` forces WebGPU
 * (e.g. on SwiftShader, for tests).
 *
 *   const model = await ctx.onnx.load(modelBytes);        // bytes (a put ref's value) or a URL
 *   const { probs } = await model.run({ x: { data: features, dims: [rows, 8] } });
 *
 * Sessions are cached per Web Worker by the model's SHA-256 and provider, so
 * a pool actor or a run of tasks loads a model once. A model that does not
 * load fails with ERR_MODEL_LOAD carrying onnxruntime's message.
 */
import { ShoalError } from '@shoal/protocol';

export type ExecutionProvider = 'webgpu' | 'wasm';

export interface OnnxTensor {
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;
  dims: readonly number[];
}

export interface OnnxModel {
  /** SHA-256 of the model bytes (hex). */
  readonly hash: string;
  readonly executionProvider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; inputs are `{data, dims}` (float32 unless the array says otherwise). */
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
}

export interface LoadOptions {
  executionProvider?: ExecutionProvider;
}

export interface TaskOnnx {
  /** What `load` uses by default here: 'webgpu' on a real GPU, else 'wasm'. */
  readonly defaultProvider: ExecutionProvider;
  /** A model from its bytes or a URL (a data-folder file: `await cluster.data.fileUrl(path)` in the job). */
  load(model: Uint8Array | ArrayBuffer | string, options?: LoadOptions): Promise<OnnxModel>;
  /** The onnxruntime-web module itself (loaded on first call). */
  runtime(): Promise<typeof import('onnxruntime-web')>;
}

type Ort = typeof import('onnxruntime-web');

let ortModule: Promise<Ort> | null = null;

/** onnxruntime-web's WebGPU build (it runs wasm too), its wasm served by the app's build. */
function loadOrt(): Promise<Ort> {
  ortModule ??= (async () => {
    const [ort, wasm] = await Promise.all([import('onnxruntime-web/webgpu'), import('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url')]);
    const mod = ((ort as { default?: Ort }).default ?? ort) as Ort;
    mod.env.wasm.wasmPaths = { wasm: new URL(wasm.default, import.meta.url).href };
    // Threads need cross-origin isolation, which Shoal's pages do not have; proxying would add a hop.
    mod.env.wasm.numThreads = 1;
    mod.env.wasm.proxy = false;
    mod.env.logLevel = 'error';
    return mod;
  })();
  ortModule.catch(() => (ortModule = null));
  return ortModule;
}

const sessions = new Map<string, Promise<OnnxModel>>();
const urlHashes = new Map<string, string>();

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as unknown as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchModel(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (thrown) {
    throw new ShoalError('ERR_MODEL_LOAD', `could not fetch the model: ${(thrown as Error).message}`);
  }
  if (!response.ok) throw new ShoalError('ERR_MODEL_LOAD', `could not fetch the model: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function typeOf(data: OnnxTensor['data']): 'float32' | 'int32' | 'int64' | 'uint8' | 'float64' {
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Float64Array) return 'float64';
  return 'float32';
}

async function createModel(bytes: Uint8Array, hash: string, provider: ExecutionProvider): Promise<OnnxModel> {
  const ort = await loadOrt();
  let session: import('onnxruntime-web').InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new ShoalError('ERR_MODEL_LOAD', `onnxruntime could not load the model (sha256 ${hash.slice(0, 12)}, ${provider}): ${message}`);
  }
  return {
    hash,
    executionProvider: provider,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const inputs: Record<string, import('onnxruntime-web').Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(typeOf(t.data), t.data as Float32Array, [...t.dims]);
      const outputs = await session.run(inputs);
      const result: Record<string, OnnxTensor> = {};
      for (const [name, t] of Object.entries(outputs)) {
        result[name] = { data: (t.location === 'cpu' ? t.data : await t.getData()) as OnnxTensor['data'], dims: t.dims };
        t.dispose?.();
      }
      return result;
    },
  };
}

/** The `ctx.onnx` of a Web Worker; `realGpu` says whether its GPU is a real one (not a software fallback). */
export function createTaskOnnx(realGpu: boolean): TaskOnnx {
  const defaultProvider: ExecutionProvider = realGpu ? 'webgpu' : 'wasm';
  return {
    defaultProvider,
    runtime: loadOrt,
    async load(model, options = {}) {
      const provider = options.executionProvider ?? defaultProvider;
      if (provider !== 'webgpu' && provider !== 'wasm') throw new ShoalError('ERR_BAD_OPTION', `executionProvider must be 'webgpu' or 'wasm', got ${JSON.stringify(provider)}`);
      if (provider === 'webgpu' && !(globalThis.navigator as { gpu?: unknown } | undefined)?.gpu) throw new ShoalError('ERR_WEBGPU_UNAVAILABLE', 'this worker has no WebGPU for the webgpu execution provider');
      let bytes: Uint8Array | null = null;
      let hash: string;
      if (typeof model === 'string') {
        const key = model.replace(/[?&]grant=[^&]*/, '');
        const known = urlHashes.get(key);
        if (known && sessions.has(`${known}:${provider}`)) hash = known;
        else {
          bytes = await fetchModel(model);
          hash = await sha256(bytes);
          urlHashes.set(key, hash);
        }
      } else if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
        bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
        hash = await sha256(bytes);
      } else {
        throw new ShoalError('ERR_MODEL_LOAD', `a model is its bytes (Uint8Array, ArrayBuffer) or a URL, got ${model === null ? 'null' : typeof model}`);
      }
      const key = `${hash}:${provider}`;
      let entry = sessions.get(key);
      if (!entry) {
        entry = createModel(bytes!, hash, provider);
        sessions.set(key, entry);
        entry.catch(() => sessions.delete(key));
      }
      return entry;
    },
  };
}
