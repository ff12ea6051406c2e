/** Resources as the scheduler sees them, and value sizes for placement. */
import type { Capabilities, RemoteOptions } from '@shoal/protocol';
import type { Resources } from '@shoal/scheduler';

/** A task that names no resources: one cpu. Shared by every such task (the scheduler only reads it). */
const ONE_CPU: Resources = Object.freeze({ cpu: 1, gpu: 0, memory: 0, custom: Object.freeze({}) });

/** What a task needs; `gpuFree` decides a `gpu: 'prefer'` request (1 if a GPU is free now, else 0). */
export function resourcesOf(options: RemoteOptions, gpuFree: () => boolean = () => false): Resources {
  if (options.resources === undefined) return ONE_CPU;
  const r = options.resources;
  const gpu = r.gpu === 'prefer' ? (gpuFree() ? 1 : 0) : (r.gpu ?? 0);
  return { cpu: r.cpu ?? 1, gpu, memory: r.memory ?? 0, custom: r.custom ?? {} };
}

/** What a worker offers: a slot per Web Worker, its GPU, half its memory (1 GiB if unknown), its custom resources. */
export function offeredResources(caps: Capabilities): Resources {
  const gib = 1024 ** 3;
  return { cpu: caps.slots, gpu: caps.gpu ? 1 : 0, memory: caps.deviceMemoryGiB ? (caps.deviceMemoryGiB * gib) / 2 : gib, custom: caps.custom };
}

/** The encoded size of a wire-form value, in bytes (UTF-16 units of its JSON, close enough for placement). */
export function sizeOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value.length + 2 : 8;
  return JSON.stringify(value).length;
}
