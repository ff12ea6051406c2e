/**
 * How much memory a tab's object store may hold before it spills.
 *
 * A quarter of the device's memory: the tab also needs room for the page, its
 * Web Workers' heaps and the copies a task makes while it runs, and the other
 * tabs on the same device (a join link opened twice) each take their own
 * share. At least 256 MiB, so small devices still hold a useful working set,
 * and at most 4 GiB, under what one renderer process may use. When the device
 * does not say (`navigator.deviceMemory` is Chromium-only, rounded and capped
 * at 8), 512 MiB.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const MIN_CAPACITY_BYTES = 256 * MiB;
export const MAX_CAPACITY_BYTES = 4 * GiB;
export const UNKNOWN_DEVICE_CAPACITY_BYTES = 512 * MiB;
export const DEVICE_MEMORY_SHARE = 0.25;

export function defaultCapacityBytes(deviceMemoryGiB: number | null): number {
  if (deviceMemoryGiB === null || !Number.isFinite(deviceMemoryGiB) || deviceMemoryGiB <= 0) return UNKNOWN_DEVICE_CAPACITY_BYTES;
  const share = Math.floor(deviceMemoryGiB * GiB * DEVICE_MEMORY_SHARE);
  return Math.min(MAX_CAPACITY_BYTES, Math.max(MIN_CAPACITY_BYTES, share));
}
