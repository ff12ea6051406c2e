/** The dedicated Web Worker of the GPU bench page: runs ops from bench-gpu-ops.ts on request. */
import { runOp } from './bench-gpu-ops.ts';

self.addEventListener('message', (event: MessageEvent<{ id: number; op: string; args: unknown }>) => {
  const { id, op, args } = event.data;
  void runOp(op, args).then((reply) => self.postMessage({ id, ...reply }));
});
