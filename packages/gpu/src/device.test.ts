import { describe, expect, it, vi } from 'vitest';
import { ShoalError } from '@shoal/protocol';
import { GpuDevice, acquireDevice, readAdapterInfo } from './device.ts';

/** A GPUDevice stand-in whose loss the test controls. */
function fakeDevice() {
  let lose!: (info: { reason: string; message: string }) => void;
  const lost = new Promise<{ reason: string; message: string }>((resolve) => {
    lose = resolve;
  });
  const device = {
    limits: { maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 1 << 20, maxComputeWorkgroupsPerDimension: 65535 },
    lost,
    destroyed: false,
    addEventListener: vi.fn(),
    destroy() {
      this.destroyed = true;
      lose({ reason: 'destroyed', message: '' });
    },
  };
  return { device, lose };
}

const info = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallback: true };

describe('GpuDevice', () => {
  it('rejects calls in flight and later ones with ERR_GPU_LOST when the device is lost', async () => {
    const { device, lose } = fakeDevice();
    const gpu = new GpuDevice(device as unknown as GPUDevice, info, { label: 'test' });
    expect(gpu.state).toEqual({ status: 'ready' });
    const seen: string[] = [];
    gpu.onLost((state) => seen.push(state.reason));
    const inFlight = gpu.run(() => new Promise(() => undefined));
    lose({ reason: 'unknown', message: 'driver reset' });
    await expect(inFlight).rejects.toMatchObject({ code: 'ERR_GPU_LOST', message: expect.stringContaining('driver reset') });
    await expect(gpu.run(async () => 1)).rejects.toBeInstanceOf(ShoalError);
    expect(() => gpu.assertReady()).toThrow(/was lost/);
    expect(gpu.state).toEqual({ status: 'lost', reason: 'unknown', message: 'driver reset' });
    expect(seen).toEqual(['unknown']);
  });

  it('turns a failure that the loss caused into ERR_GPU_LOST, and passes other errors through', async () => {
    const { device, lose } = fakeDevice();
    const gpu = new GpuDevice(device as unknown as GPUDevice, info, { label: 'test' });
    await expect(gpu.run(async () => Promise.reject(new RangeError('plain')))).rejects.toBeInstanceOf(RangeError);
    const failing = gpu.run(async () => {
      setTimeout(() => lose({ reason: 'unknown', message: 'gone' }), 10);
      throw new DOMException('mapAsync aborted', 'AbortError');
    });
    await expect(failing).rejects.toMatchObject({ code: 'ERR_GPU_LOST' });
  });

  it('destroy() marks it lost at once', async () => {
    const { device } = fakeDevice();
    const gpu = new GpuDevice(device as unknown as GPUDevice, info, { label: 'test' });
    gpu.destroy();
    expect(gpu.isLost).toBe(true);
    expect(device.destroyed).toBe(true);
    await expect(gpu.run(async () => 1)).rejects.toMatchObject({ code: 'ERR_GPU_LOST', message: expect.stringContaining('destroyed') });
  });
});

describe('acquireDevice', () => {
  it('says why when there is no WebGPU', async () => {
    await expect(acquireDevice()).rejects.toMatchObject({ code: 'ERR_WEBGPU_UNAVAILABLE', message: expect.stringContaining('navigator.gpu is missing') });
  });

  it('reads fallback adapters from info, the adapter, or SwiftShader', () => {
    const adapter = (infoFields: object, extra: object = {}) => ({ info: { vendor: 'v', architecture: 'a', device: 'd', description: 'x', ...infoFields }, ...extra }) as unknown as GPUAdapter;
    expect(readAdapterInfo(adapter({ isFallbackAdapter: true })).isFallback).toBe(true);
    expect(readAdapterInfo(adapter({}, { isFallbackAdapter: true })).isFallback).toBe(true);
    expect(readAdapterInfo(adapter({ architecture: 'swiftshader' })).isFallback).toBe(true);
    expect(readAdapterInfo(adapter({}))).toEqual({ vendor: 'v', architecture: 'a', device: 'd', description: 'x', isFallback: false });
  });
});
