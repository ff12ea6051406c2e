/**
 * The page that bench/gpu.ts and e2e/gpu.spec.ts drive. It exposes
 * `window.shoalGpu.run(where, op, args)`: the op (see bench-gpu-ops.ts) runs
 * in this page or in its dedicated Web Worker, where tasks run.
 */
import { runOp, type CaughtError } from './bench-gpu-ops.ts';

export type OpReply = { ok: true; value: unknown } | { ok: false; error: CaughtError };
export interface ShoalGpuPage {
  run(where: 'page' | 'worker', op: string, args?: unknown): Promise<OpReply>;
}

declare global {
  interface Window {
    shoalGpu?: ShoalGpuPage;
  }
}

const worker = new Worker(new URL('./bench-gpu.worker.ts', import.meta.url), { type: 'module', name: 'shoal-gpu-bench' });
const pending = new Map<number, (reply: OpReply) => void>();
let nextId = 1;
worker.addEventListener('message', (event: MessageEvent<OpReply & { id: number }>) => {
  const { id, ...reply } = event.data;
  pending.get(id)?.(reply as OpReply);
  pending.delete(id);
});
worker.addEventListener('error', (event) => console.error(`bench worker: ${event.message}`));

window.shoalGpu = {
  run(where, op, args = {}) {
    if (where === 'page') return runOp(op, args);
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ id, op, args });
    });
  },
};
document.getElementById('status')!.textContent = 'ready';
