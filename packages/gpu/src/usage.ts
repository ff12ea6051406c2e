/**
 * WebGPU buffer usage and shader stage flags as plain numbers (their values
 * are fixed by the WebGPU spec). The `GPUBufferUsage` and `GPUShaderStage`
 * globals exist only in browsers; these let the pure parts run under Node.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;

/** Storage buffers that kernels read or write, and that uploads and readbacks copy to and from. */
export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
/** Uniform buffers, written with `queue.writeBuffer`. */
export const UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST;
/** Staging buffers that results are copied into and mapped for reading. */
export const READBACK_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;

/** `STORAGE|COPY_DST` style text for labels and messages. */
export function usageName(usage: number): string {
  const names = Object.entries(BufferUsage)
    .filter(([, bit]) => (usage & bit) !== 0)
    .map(([name]) => name);
  return names.length > 0 ? names.join('|') : String(usage);
}
