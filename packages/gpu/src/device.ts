/**
 * Getting a WebGPU device, in a page or a dedicated Web Worker, and watching
 * it. `acquireDevice()` returns a `GpuDevice`: the GPUDevice plus its adapter
 * info, limits, buffer pool and pipeline cache. Device loss is one state
 * change: when `device.lost` resolves (or `destroy()` is called) the wrapper
 * becomes `lost`, every call in flight through `run()` rejects with
 * `ERR_GPU_LOST`, and so does every later call. Call `acquireDevice()` again
 * (or `sharedDevice()`, which does so by itself) to go on.
 *
 *   const gpu = await acquireDevice({ label: 'worker-3' });
 *   gpu.info;                       // { vendor: 'google', architecture: 'swiftshader', isFallback: true, ... }
 *   await matmul(gpu, a, b, M, N, K);
 */
import { ShoalError } from '@shoal/protocol';
import { BufferPool } from './bufferPool.ts';
import { PipelineCache } from './pipelineCache.ts';

/** The adapter, as workers report it (the same fields as the protocol's GpuInfo). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise slow adapter (SwiftShader, for one). */
  isFallback: boolean;
}

/** The device limits kernels check against. */
export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxUniformBufferBindingSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupSizeZ: number;
  maxComputeWorkgroupsPerDimension: number;
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const satisfies readonly (keyof GPUSupportedLimits)[];

/** One state union for the device's lifecycle. */
export type GpuDeviceState = { status: 'ready' } | { status: 'lost'; reason: string; message: string };

export interface AcquireDeviceOptions {
  /** The GPUDevice label, and the prefix of every GPU object's label. Default `shoal.gpu`. */
  label?: string;
  powerPreference?: GPUPowerPreference;
  /** Free bytes the buffer pool keeps for reuse. Default 256 MiB. */
  poolBytes?: number;
}

/** How long a failed call waits for `device.lost` to confirm the failure was the loss. */
const LOSS_GRACE_MS = 100;

export class GpuDevice {
  readonly device: GPUDevice;
  readonly label: string;
  readonly info: GpuAdapterInfo;
  readonly limits: GpuLimits;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  #state: GpuDeviceState = { status: 'ready' };
  readonly #lostListeners = new Set<(state: GpuDeviceState & { status: 'lost' }) => void>();
  /** Rejects with ERR_GPU_LOST once the device is lost; raced against every call. */
  readonly #lostSignal: Promise<never>;
  #rejectLost!: (error: ShoalError) => void;
  #lastUncapturedError: string | null = null;

  constructor(device: GPUDevice, info: GpuAdapterInfo, options: { label: string; poolBytes?: number }) {
    this.device = device;
    this.label = options.label;
    this.info = info;
    this.limits = pickLimits(device.limits);
    this.pool = new BufferPool(device, { maxFreeBytes: options.poolBytes, maxBufferSize: this.limits.maxBufferSize });
    this.pipelines = new PipelineCache(device);
    this.#lostSignal = new Promise<never>((_, reject) => {
      this.#rejectLost = reject;
    });
    this.#lostSignal.catch(() => undefined);
    device.lost.then((lost) => this.#markLost(lost.reason ?? 'unknown', lost.message || 'the device was lost'));
    device.addEventListener('uncapturederror', (event) => {
      this.#lastUncapturedError = (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  get state(): GpuDeviceState {
    return this.#state;
  }

  get isLost(): boolean {
    return this.#state.status === 'lost';
  }

  /** The last GPU error no error scope caught (for diagnostics). */
  get lastUncapturedError(): string | null {
    return this.#lastUncapturedError;
  }

  /** Calls `listener` once when the device is lost (at once if it already is). Returns "unsubscribe". */
  onLost(listener: (state: GpuDeviceState & { status: 'lost' }) => void): () => void {
    if (this.#state.status === 'lost') {
      listener(this.#state);
      return () => undefined;
    }
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Throws ERR_GPU_LOST if the device is lost. */
  assertReady(): void {
    if (this.#state.status === 'lost') throw this.#lostError();
  }

  /**
   * Runs GPU work so that device loss rejects it: ERR_GPU_LOST if the device
   * is lost before it starts, while it runs, or if it failed because of the loss.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.assertReady();
    try {
      return await Promise.race([work(), this.#lostSignal]);
    } catch (error) {
      if (error instanceof ShoalError && error.code !== 'ERR_INTERNAL') throw error;
      // mapAsync and friends may reject just before device.lost resolves.
      if (!this.isLost) await Promise.race([this.#lostSignal, sleep(LOSS_GRACE_MS)]).catch(() => undefined);
      if (this.isLost) throw this.#lostError(error);
      throw error;
    }
  }

  /** Destroys the device. Calls in flight and later reject with ERR_GPU_LOST. */
  destroy(): void {
    this.#markLost('destroyed', 'the device was destroyed');
    this.device.destroy();
  }

  #markLost(reason: string, message: string): void {
    if (this.#state.status === 'lost') return;
    const state = { status: 'lost' as const, reason, message };
    this.#state = state;
    this.pool.clear();
    this.pipelines.clear();
    this.#rejectLost(this.#lostError());
    for (const listener of this.#lostListeners) listener(state);
    this.#lostListeners.clear();
  }

  #lostError(cause?: unknown): ShoalError {
    const state = this.#state as GpuDeviceState & { status: 'lost' };
    return new ShoalError('ERR_GPU_LOST', `the WebGPU device "${this.label}" was lost (${state.reason}: ${state.message}); acquire a device again`, cause === undefined ? {} : { cause });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pickLimits(limits: GPUSupportedLimits): GpuLimits {
  const picked = {} as GpuLimits;
  for (const name of LIMIT_NAMES) picked[name] = limits[name];
  return picked;
}

/** Adapter info as a plain object; `isFallback` from `info.isFallbackAdapter`, `adapter.isFallbackAdapter`, or SwiftShader. */
export function readAdapterInfo(adapter: GPUAdapter): GpuAdapterInfo {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: Boolean(info.isFallbackAdapter ?? legacy ?? false) || architecture === 'swiftshader',
  };
}

function scopeName(): string {
  const scope = globalThis as { constructor?: { name?: string } };
  return scope.constructor?.name ?? 'this scope';
}

/**
 * Requests an adapter and a device, with the adapter's own limits for buffer
 * sizes and workgroup storage (the defaults are lower). Rejects with
 * ERR_WEBGPU_UNAVAILABLE, saying why, when there is no WebGPU.
 */
export async function acquireDevice(options: AcquireDeviceOptions = {}): Promise<GpuDevice> {
  const label = options.label ?? 'shoal.gpu';
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    throw new ShoalError(
      'ERR_WEBGPU_UNAVAILABLE',
      `WebGPU is not available in ${scopeName()}: navigator.gpu is missing` +
        (secure === false ? ' because the page is not a secure context (use https or localhost)' : '') +
        '. Chromium on Linux needs --enable-unsafe-webgpu; Node has no WebGPU.',
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (cause) {
    throw new ShoalError('ERR_WEBGPU_UNAVAILABLE', `requestAdapter() failed: ${String(cause)}`, { cause });
  }
  if (!adapter) throw new ShoalError('ERR_WEBGPU_UNAVAILABLE', 'WebGPU is present but no adapter is available (blocklisted GPU, or no software fallback)');
  const requiredLimits: Record<string, number> = {};
  for (const name of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage'] as const) {
    requiredLimits[name] = adapter.limits[name];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label, requiredLimits });
  } catch (cause) {
    throw new ShoalError('ERR_WEBGPU_UNAVAILABLE', `requestDevice() failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return new GpuDevice(device, readAdapterInfo(adapter), { label, poolBytes: options.poolBytes });
}

let shared: { promise: Promise<GpuDevice>; device: GpuDevice | null } | null = null;

/**
 * One device per page or Web Worker, made on first use and made again after
 * it is lost: what a worker's task context should hand to its tasks.
 * Concurrent first calls share one request; a failed request is not kept.
 */
export function sharedDevice(options: AcquireDeviceOptions = {}): Promise<GpuDevice> {
  if (shared && !shared.device?.isLost) return shared.promise;
  const entry: { promise: Promise<GpuDevice>; device: GpuDevice | null } = { promise: acquireDevice(options), device: null };
  shared = entry;
  entry.promise.then(
    (device) => {
      entry.device = device;
    },
    () => {
      if (shared === entry) shared = null;
    },
  );
  return entry.promise;
}
