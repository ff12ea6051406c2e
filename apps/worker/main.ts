/** The worker page: thin wiring of WorkerRuntime to the DOM. */
import type { WorkerPageStatus } from '@shoal/protocol';
import { WorkerRuntime, detectCapabilities } from '@shoal/runtime';
import { signalingUrlFor } from '@shoal/transport';
import { byId, h, render, throttled } from '../dom.ts';

const params = new URLSearchParams(location.search);
const room = params.get('room');
const slotsParam = Number(params.get('slots'));
const slots = Number.isInteger(slotsParam) && slotsParam > 0 ? slotsParam : null;
const name = params.get('name') ?? undefined;
/** The join token from the link (once it worked, kept per room so a reload or a bare `?room=` link in this browser rejoins). */
const tokenKey = `shoal.token.worker.${room}`;
const token = params.get('token') ?? storage()?.getItem(tokenKey) ?? null;
/** `store=256` caps the object store at 256 MiB (beyond it, objects spill to OPFS). */
const storeParam = Number(params.get('store'));
const storeBytes = Number.isFinite(storeParam) && storeParam > 0 ? storeParam * 1024 * 1024 : null;
/** `colocated=0` sends object bytes over WebRTC even to tabs of this browser (for tests and benchmarks). */
const colocated = params.get('colocated') !== '0';
/** `resources=dataset:1,licence:2`: user-defined resources this worker offers. */
const custom = Object.fromEntries(
  (params.get('resources') ?? '')
    .split(',')
    .map((pair) => pair.split(':'))
    .filter(([key, amount]) => key && /^[\w.-]{1,64}$/.test(key) && Number(amount) >= 0)
    .map(([key, amount]) => [key!, Number(amount)]),
);

let status: WorkerPageStatus = { peerId: null, connection: 'joining', coordinator: 'none', tasksRun: 0, currentTask: null, store: null, traffic: null };
let runtime: WorkerRuntime | null = null;
/** `gpu=0` keeps this tab's GPU out of the cluster (tests use it for a worker without WebGPU). */
const useGpu = params.get('gpu') !== '0';
const capsPromise = detectCapabilities(slots, custom, useGpu);

window.shoalWorker = {
  status: () => status,
  leave: () => runtime?.leave(),
};

const CONNECTION_TEXT: Record<WorkerPageStatus['connection'], string> = {
  joining: 'Joining…',
  connected: 'Connected',
  left: 'You left the cluster',
  failed: 'Disconnected',
};

async function show(): Promise<void> {
  const caps = await capsPromise;
  const connection = byId('connection');
  connection.textContent = status.connection === 'connected' && status.coordinator !== 'open' ? 'Connected, waiting for the coordinator…' : CONNECTION_TEXT[status.connection];
  connection.className = `big ${status.connection === 'connected' ? 'ok' : status.connection === 'joining' ? '' : 'bad'}`;
  byId<HTMLButtonElement>('leave').disabled = status.connection !== 'connected';
  const gpu = caps.gpu ? `${caps.gpu.vendor} ${caps.gpu.architecture}${caps.gpu.isFallback ? ' (fallback)' : ''}` : 'none';
  const rows: Array<[string, string]> = [
    ['Peer id', status.peerId ?? '—'],
    ['Coordinator', status.coordinator],
    ['Tasks run', String(status.tasksRun)],
    ['Running now', status.currentTask ?? 'nothing'],
    ['Cores / task slots', `${caps.cores} / ${caps.slots}`],
    ['Memory', caps.deviceMemoryGiB ? `${caps.deviceMemoryGiB} GiB` : 'unknown'],
    ['WebGPU', gpu],
    ['Other resources', Object.entries(caps.custom).map(([key, amount]) => `${key}: ${amount}`).join(', ') || 'none'],
    ['Objects held', status.store ? `${status.store.objects} (${mib(status.store.memoryBytes)} in memory, ${mib(status.store.spilledBytes)} spilled; capacity ${mib(status.store.capacityBytes)})` : '—'],
  ];
  render(byId('status'), ...rows.map(([key, value]) => h('tr', {}, h('th', {}, key), h('td', { 'data-key': key }, value))));
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const redraw = throttled(() => void show());

async function main(): Promise<void> {
  byId('leave').addEventListener('click', () => runtime?.leave());
  // Closing the tab: no time to hand objects over; say goodbye at once, so recovery starts now.
  addEventListener('pagehide', () => runtime?.leave({ handover: false }));
  if (!room) {
    status = { ...status, connection: 'failed' };
    await show();
    byId('connection').textContent = 'No room in the link: open the join link from the coordinator page.';
    return;
  }
  byId('room').textContent = `room ${room}`;
  await show();
  try {
    runtime = await WorkerRuntime.start({
      url: signalingUrlFor(location, token), // the token rides on the URL: SignalingClient moves it into the join
      room,
      name,
      slots,
      custom,
      storeBytes,
      colocated,
      gpu: useGpu,
      bench: params.get('bench') !== '0',
      onChange: (next) => {
        status = next;
        redraw();
      },
    });
    if (token) storage()?.setItem(tokenKey, token);
  } catch (error) {
    status = { ...status, connection: 'failed' };
    await show();
    byId('connection').textContent = `Could not join: ${error instanceof Error ? error.message : String(error)}`;
  }
}

void main();

/** localStorage, or undefined where the browser refuses it (some privacy modes throw). */
function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}
