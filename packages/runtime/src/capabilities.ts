/** What a worker tab can offer, as reported to the coordinator. */
import type { Capabilities, GpuInfo } from '@shoal/protocol';

/** Reads the WebGPU adapter, if the browser exposes one. Never throws. */
export async function detectGpu(): Promise<GpuInfo | null> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info;
    const isFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
    return {
      vendor: info.vendor.slice(0, 256),
      architecture: info.architecture.slice(0, 256),
      device: info.device.slice(0, 256),
      description: info.description.slice(0, 256),
      isFallback: isFallback || info.architecture === 'swiftshader',
    };
  } catch {
    return null;
  }
}

/** `useGpu: false` reports no GPU even if there is one (the worker then offers none, and its tasks get `ctx.gpu === null`). */
export async function detectCapabilities(requestedSlots: number | null, custom: Record<string, number> = {}, useGpu = true): Promise<Capabilities> {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  return {
    cores,
    slots: Math.max(1, Math.min(requestedSlots ?? cores, 4096)),
    deviceMemoryGiB: typeof memory === 'number' && memory > 0 ? memory : null,
    gpu: useGpu ? await detectGpu() : null,
    userAgent: navigator.userAgent.slice(0, 1024),
    custom,
    bench: null,
  };
}
