/** The worker page: thin wiring of WorkerRuntime to the DOM. */
import { ShoalError, type WorkerPageStatus } from '@shoal/protocol';
import { DEFAULT_TASK_MEMORY_MIB, DEFAULT_TASK_SECONDS, WorkerRuntime, detectCapabilities, testHooksFrom } from '@shoal/runtime';
import { signalingUrlFor } from '@shoal/transport';
import { byId, h, render, throttled } from '../dom.ts';

const params = new URLSearchParams(location.search);
const room = params.get('room');
const slotsParam = Number(params.get('slots'));
/** `cores=2`: use at most 2 cores (task slots); changed live with the page's "Use N of M cores" input. */
const coresParam = Number(params.get('cores'));
const slots = capSlots(Number.isInteger(slotsParam) && slotsParam > 0 ? slotsParam : null, Number.isInteger(coresParam) && coresParam > 0 ? coresParam : null);
/** Runaway caps: `taskSeconds=600` (longest a task may run) and `taskMemory=1024` (MiB of buffers per task Web Worker); `0` turns one off. */
const taskSeconds = capParam('taskSeconds', DEFAULT_TASK_SECONDS);
const taskMemoryMiB = capParam('taskMemory', DEFAULT_TASK_MEMORY_MIB);
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

let status: WorkerPageStatus = {
  peerId: null,
  connection: 'joining',
  coordinator: 'none',
  tasksRun: 0,
  currentTask: null,
  store: null,
  traffic: null,
  paused: false,
  coreCap: slots ?? 1,
  job: null,
  taskSeconds: taskSeconds ?? 0,
  taskMemoryMiB: taskMemoryMiB ?? 0,
};
let runtime: WorkerRuntime | null = null;
/**
 * `ui=0`: the page draws nothing (worker.html hides it before it is laid out): for tabs no one looks at, such as
 * a test rig's 128 headless tabs, where laying out, painting and compositing each tab's status took 0.70 CPU s a
 * tab to join instead of 0.49, and idle tabs twice the CPU (docs/scale.md). `window.shoalWorker` answers as usual.
 */
const ui = params.get('ui') !== '0';
/** `gpu=0` keeps this tab's GPU out of the cluster (tests use it for a worker without WebGPU). */
const useGpu = params.get('gpu') !== '0';
const capsPromise = detectCapabilities(slots, custom, useGpu);

window.shoalWorker = {
  status: () => status,
  leave: () => runtime?.leave(),
  pause: () => runtime?.setPaused(true),
  resume: () => runtime?.setPaused(false),
  setCores: (cores) => runtime?.setCores(cores) ?? status.coreCap,
  links: () => runtime?.linkStats() ?? null,
};

const CONNECTION_TEXT: Record<WorkerPageStatus['connection'], string> = {
  joining: 'Joining…',
  connected: 'Connected',
  left: 'You left the cluster',
  failed: 'Disconnected',
};

async function show(): Promise<void> {
  if (!ui) return;
  const caps = await capsPromise;
  const connection = byId('connection');
  connection.textContent = status.connection === 'connected' && status.coordinator !== 'open' ? 'Connected, waiting for the coordinator…' : CONNECTION_TEXT[status.connection];
  connection.className = `big ${status.connection === 'connected' ? 'ok' : status.connection === 'joining' ? '' : 'bad'}`;
  byId<HTMLButtonElement>('leave').disabled = status.connection !== 'connected';
  showControls(caps.cores);
  const gpu = caps.gpu ? `${caps.gpu.vendor} ${caps.gpu.architecture}${caps.gpu.isFallback ? ' (fallback)' : ''}` : 'none';
  const rows: Array<[string, string]> = [
    ['Peer id', status.peerId ?? '—'],
    ['Coordinator', status.coordinator],
    ['Tasks run', String(status.tasksRun)],
    ['Running now', status.currentTask ?? 'nothing'],
    ['Cores / task slots', `${caps.cores} / ${status.coreCap}`],
    ['Job', status.job ? status.job.name : 'none'],
    ['Job code hash', status.job ? status.job.codeHash : '—'],
    ['Task caps', capsText()],
    ['Memory', caps.deviceMemoryGiB ? `${caps.deviceMemoryGiB} GiB` : 'unknown'],
    ['WebGPU', gpu],
    ['Other resources', Object.entries(caps.custom).map(([key, amount]) => `${key}: ${amount}`).join(', ') || 'none'],
    ['Objects held', status.store ? `${status.store.objects} (${mib(status.store.memoryBytes)} in memory, ${mib(status.store.spilledBytes)} spilled; capacity ${mib(status.store.capacityBytes)})` : '—'],
  ];
  render(byId('status'), ...rows.map(([key, value]) => h('tr', {}, h('th', {}, key), h('td', { 'data-key': key }, value))));
}

/** The pause button, the core cap input and the job line. */
function showControls(cores: number): void {
  const pause = byId<HTMLButtonElement>('pause');
  pause.textContent = status.paused ? 'Resume' : 'Pause';
  pause.disabled = status.connection !== 'connected';
  const input = byId<HTMLInputElement>('cores');
  input.max = String(Math.max(cores, status.coreCap));
  if (document.activeElement !== input) input.value = String(status.coreCap);
  byId('cores-total').textContent = String(cores);
  byId('caps').textContent = `Each task may run ${capsText()}.`;
  const job = byId('job');
  job.textContent = status.job ? `Running job “${status.job.name}”, code hash ${status.job.codeHash.slice(0, 16)}…` : 'No job is running.';
  job.title = status.job?.codeHash ?? '';
}

function capsText(): string {
  const time = status.taskSeconds > 0 ? `at most ${status.taskSeconds} s` : 'with no time cap';
  const memory = status.taskMemoryMiB > 0 ? `${status.taskMemoryMiB} MiB of buffers` : 'no memory cap';
  return `${time} and use ${memory}`;
}

/** The slots to start with: `slots`, capped by `cores`. */
function capSlots(slots: number | null, cores: number | null): number | null {
  if (cores === null) return slots;
  return slots === null ? cores : Math.min(slots, cores);
}

/** A cap from the link: a number ≥ 0 (0: none, null), or the default. */
function capParam(name: string, fallback: number): number | null {
  const value = params.get(name);
  if (value === null || value === '' || !Number.isFinite(Number(value)) || Number(value) < 0) return fallback;
  return Number(value) === 0 ? null : Number(value);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const redraw = throttled(() => void show());

async function main(): Promise<void> {
  byId('leave').addEventListener('click', () => runtime?.leave());
  byId('pause').addEventListener('click', () => runtime?.setPaused(!status.paused));
  byId<HTMLInputElement>('cores').addEventListener('change', (event) => {
    const input = event.target as HTMLInputElement;
    input.value = String(runtime?.setCores(Number(input.value)) ?? status.coreCap);
  });
  // Closing the tab: no time to hand objects over; say goodbye at once, so recovery starts now.
  addEventListener('pagehide', () => runtime?.leave({ handover: false }));
  if (!room) {
    status = { ...status, connection: 'failed' };
    await show();
    // Written with ui=0 too (a hidden page lays nothing out): `shoal worker` reads why a tab could not join here.
    byId('connection').textContent = 'No room in the link: open the join link from the coordinator page.';
    return;
  }
  byId('room').textContent = `room ${room}`;
  await show();
  for (let attempt = 0; ; attempt++) {
    const error = await join(room);
    if (error === null) return;
    const final = error instanceof ShoalError && FINAL_JOIN_ERRORS.has(error.code);
    const waitMs = Math.min(MAX_REJOIN_MS, REJOIN_MS * 2 ** attempt);
    status = { ...status, connection: final ? 'failed' : 'joining' };
    await show();
    const message = error instanceof Error ? error.message : String(error);
    byId('connection').textContent = final ? `Could not join: ${message}` : `Could not join (${message}); trying again in ${Math.round(waitMs / 1000)} s`;
    if (final) return;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * Joining fails for good only when the link itself is refused (a bad,
 * expired or revoked token, a bad option); anything else (the server busy or
 * restarting, a socket closed before the welcome, a tab starved in a join
 * storm of hundreds) is tried again after 1 s, doubling to 30 s, so a
 * volunteer's tab never sits outside the room.
 */
const FINAL_JOIN_ERRORS: ReadonlySet<string> = new Set(['ERR_UNAUTHORIZED', 'ERR_TOKEN_EXPIRED', 'ERR_TOKEN_REVOKED', 'ERR_BAD_OPTION']);
const REJOIN_MS = 1000;
const MAX_REJOIN_MS = 30_000;

/** One try at joining the room: null once joined, else why not. */
async function join(room: string): Promise<unknown> {
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
      taskSeconds,
      taskMemoryMiB,
      testHooks: testHooksFrom(params), // `throttle=<ms>`, `corruptResults=1`: for tests only
      onChange: (next) => {
        status = next;
        redraw();
      },
    });
    if (token) storage()?.setItem(tokenKey, token);
    return null;
  } catch (error) {
    return error;
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
