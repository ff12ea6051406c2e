/**
 * One round trip to the GPU: buffers taken from the pool, any number of
 * dispatches recorded into one command encoder, one submit, then the chosen
 * buffers read back. Every buffer goes back to the pool when the round trip
 * ends; if it fails, they are destroyed instead (the GPU may still use them).
 *
 *   const sub = new Submission(gpu, 'shoal.reduce');
 *   const input = sub.upload(data, 'input');
 *   const out = sub.output(4, 'result');
 *   sub.dispatch(pipeline, [input, out], [1, 1, 1], 'pass0');
 *   const [bytes] = await sub.finish([out]);
 */
import type { GpuDevice } from './device.ts';
import type { CachedPipeline } from './pipelineCache.ts';
import { READBACK_USAGE, STORAGE_USAGE, UNIFORM_USAGE } from './usage.ts';

/** A buffer and how many of its bytes a binding covers (pooled buffers are larger than the data). */
export interface Binding {
  buffer: GPUBuffer;
  size: number;
}

const MAP_READ = 0x1;

/** Bytes bound for `bytes` of data: WebGPU refuses zero-sized bindings, so empty arrays bind 4 bytes. */
export function boundSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

export class Submission {
  readonly gpu: GpuDevice;
  readonly label: string;
  readonly encoder: GPUCommandEncoder;
  readonly #buffers: GPUBuffer[] = [];
  #passes = 0;
  #done = false;

  constructor(gpu: GpuDevice, label: string) {
    gpu.assertReady();
    this.gpu = gpu;
    this.label = label;
    this.encoder = gpu.device.createCommandEncoder({ label: `${label}.encoder` });
  }

  #acquire(bytes: number, usage: number, name: string): Binding {
    const size = boundSize(bytes);
    const buffer = this.gpu.pool.acquire(size, usage, `${this.label}.${name}`);
    this.#buffers.push(buffer);
    return { buffer, size };
  }

  /** A storage buffer holding a copy of `data`. */
  upload(data: ArrayBufferView, name: string): Binding {
    const binding = this.#acquire(data.byteLength, STORAGE_USAGE, name);
    if (data.byteLength > 0) this.gpu.device.queue.writeBuffer(binding.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return binding;
  }

  /** A storage buffer of `bytes` for a kernel to write; zeroed first unless `zero` is false. */
  output(bytes: number, name: string, zero = true): Binding {
    const binding = this.#acquire(bytes, STORAGE_USAGE, name);
    if (zero) this.encoder.clearBuffer(binding.buffer, 0, binding.size);
    return binding;
  }

  /** A uniform buffer holding `bytes`. */
  uniform(bytes: ArrayBuffer, name: string): Binding {
    const binding = this.#acquire(bytes.byteLength, UNIFORM_USAGE, name);
    this.gpu.device.queue.writeBuffer(binding.buffer, 0, bytes);
    return binding;
  }

  /** Records one compute pass: `bindings[i]` at binding i of group 0. */
  dispatch(pipeline: CachedPipeline, bindings: readonly Binding[], workgroups: readonly [number, number, number], name: string): void {
    const label = `${this.label}.${name}`;
    const bindGroup = this.gpu.device.createBindGroup({
      label: `${label}.bindGroup`,
      layout: pipeline.bindGroupLayout,
      entries: bindings.map((b, binding) => ({ binding, resource: { buffer: b.buffer, offset: 0, size: b.size } })),
    });
    const pass = this.encoder.beginComputePass({ label: `${label}.pass${this.#passes++}` });
    pass.setPipeline(pipeline.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    pass.end();
  }

  /**
   * Submits, waits, and returns a copy of each of `reads` (its bound bytes, or
   * `bytes` of it). The pool gets every buffer back.
   */
  async finish(reads: readonly (Binding & { bytes?: number })[]): Promise<ArrayBuffer[]> {
    const device = this.gpu.device;
    const staging = reads.map((read, i) => {
      const bytes = read.bytes ?? read.size;
      const size = boundSize(bytes);
      const buffer = this.#acquire(size, READBACK_USAGE, `readback${i}`).buffer;
      this.encoder.copyBufferToBuffer(read.buffer, 0, buffer, 0, size);
      return { buffer, bytes, size };
    });
    try {
      device.queue.submit([this.encoder.finish({ label: `${this.label}.commands` })]);
      await Promise.all(staging.map((s) => s.buffer.mapAsync(MAP_READ, 0, s.size)));
      const results = staging.map((s) => {
        const copy = s.buffer.getMappedRange(0, s.size).slice(0, s.bytes);
        s.buffer.unmap();
        return copy;
      });
      this.#done = true;
      this.gpu.pool.releaseAll(this.#buffers);
      return results;
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  /** Destroys every buffer of this round trip (after a failure). */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    for (const buffer of this.#buffers) this.gpu.pool.discard(buffer);
  }
}

/** Workgroups for `groups` in a grid whose x stays within the per-dimension limit: `[x, y, 1]`. */
export function grid1d(groups: number, maxPerDimension: number): [number, number, number] {
  if (groups <= maxPerDimension) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y, 1];
}
