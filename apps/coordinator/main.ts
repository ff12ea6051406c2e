/** The coordinator page: thin wiring of the client's Coordinator to the DOM. */
import QRCode from 'qrcode';
import { ShoalError, randomId, type CoordinatorPageApi, type JobOutcome, type WorkerSummary } from '@shoal/protocol';
import { Coordinator, createCluster, runJob, type TaskLog } from '@shoal/client';
import { Mesh, signalingUrlFor } from '@shoal/transport';
import { byId, h, render, throttled } from '../dom.ts';
import { EXAMPLES } from './examples.ts';

const params = new URLSearchParams(location.search);
let room = params.get('room');
if (!room) {
  room = randomId(8);
  params.set('room', room);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}
/** Where volunteers should connect; the CLI passes its LAN address here. */
const joinBase = params.get('joinBase') ?? location.origin;
const joinUrl = `${joinBase.replace(/\/$/, '')}/worker.html?room=${encodeURIComponent(room)}`;

let coordinator: Coordinator | null = null;
const ready = new Promise<Coordinator>((resolve) => {
  const api: CoordinatorPageApi = {
    peerId: () => coordinator?.mesh.peerId ?? null,
    workers: () => coordinator?.workers() ?? [],
    waitForWorkers: async (count, timeoutMs) => (await ready).waitForWorkers(count, timeoutMs),
    runJob: async (source) => runFromSource(await ready, source),
    traffic: () => coordinator?.plane.traffic() ?? { controlBytesIn: 0, controlBytesOut: 0, objectsServed: 0, objectBytesServed: 0, objectsFetched: 0, objectBytesFetched: 0, bulkPaths: {} },
  };
  window.shoalCoordinator = api;
  void start(resolve);
});

async function start(resolve: (coordinator: Coordinator) => void): Promise<void> {
  byId('room').textContent = `room ${room}`;
  const link = byId<HTMLAnchorElement>('join-link');
  link.href = joinUrl;
  link.textContent = joinUrl;
  byId('copy').addEventListener('click', () => void navigator.clipboard?.writeText(joinUrl));
  void QRCode.toCanvas(byId<HTMLCanvasElement>('qr'), joinUrl, { width: 148, margin: 1 });
  setUpEditor();
  try {
    const mesh = await Mesh.join({ url: signalingUrlFor(location), room: room!, role: 'coordinator', name: 'coordinator' });
    coordinator = new Coordinator(mesh);
    const redraw = throttled(() => showWorkers(coordinator!.workers()));
    coordinator.on('workersChanged', redraw);
    coordinator.on('taskLog', showLog);
    coordinator.on('taskInfeasible', (taskId, name, reason) =>
      showLog({ taskId, taskName: name, workerId: 'scheduler', level: 'warn', text: `cannot run on any worker present, so it waits: ${reason}` }),
    );
    coordinator.on('rejected', (from, reason) => console.warn(`[shoal] refused a message from ${from.peerId}: ${reason}`));
    mesh.on('closed', (reason) => setConnection(`disconnected: ${reason}`, 'bad'));
    setConnection(`connected as ${mesh.peerId}`, 'ok');
    showWorkers([]);
    resolve(coordinator);
  } catch (error) {
    setConnection(error instanceof ShoalError ? `${error.code}: ${error.message}` : String(error), 'bad');
  }
}

function setConnection(text: string, kind: 'ok' | 'bad'): void {
  const element = byId('connection');
  element.textContent = text;
  element.className = kind;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function showWorkers(workers: WorkerSummary[]): void {
  byId('worker-count').textContent = String(workers.length);
  render(
    byId('workers'),
    ...workers.map((worker) => {
      const caps = worker.caps;
      const gpu = caps?.gpu ? `${caps.gpu.vendor} ${caps.gpu.architecture}${caps.gpu.isFallback ? ' (fallback)' : ''}` : 'none';
      return h(
        'tr',
        { 'data-peer': worker.peerId },
        h('td', {}, worker.name ?? '—'),
        h('td', {}, h('code', {}, worker.peerId)),
        h('td', {}, worker.state),
        h('td', {}, caps ? `${caps.cores} / ${caps.slots}` : '—'),
        h('td', {}, caps?.deviceMemoryGiB ? `${caps.deviceMemoryGiB} GiB` : '—'),
        h('td', {}, gpu),
        h('td', {}, worker.running),
        h('td', {}, worker.tasksDone),
        h('td', {}, worker.store ? `${worker.store.objects} (${mib(worker.store.memoryBytes)} / ${mib(worker.store.spilledBytes)})` : '—'),
      );
    }),
  );
}

function showLog(log: TaskLog): void {
  const line = `[${log.taskName}@${log.workerId}] ${log.text}`;
  if (log.level === 'warn' || log.level === 'error') console.warn(line);
  else console.log(line);
  const logs = byId('logs');
  logs.append(`${line}\n`);
  while (logs.childNodes.length > 500) logs.firstChild?.remove();
}

function setUpEditor(): void {
  const select = byId<HTMLSelectElement>('examples');
  const editor = byId<HTMLTextAreaElement>('editor');
  render(select, ...EXAMPLES.map((example) => h('option', { value: example.name }, example.name)));
  const load = () => (editor.value = EXAMPLES.find((example) => example.name === select.value)?.source ?? '');
  select.addEventListener('change', load);
  load();
  byId('run').addEventListener('click', () => void ready.then((c) => runFromSource(c, editor.value)));
}

let running = false;

async function runFromSource(coordinator: Coordinator, source: string): Promise<JobOutcome> {
  if (running) {
    return { ok: false, error: { code: 'ERR_BAD_JOB', message: 'a job is already running in this coordinator' }, elapsedMs: 0 };
  }
  running = true;
  const button = byId<HTMLButtonElement>('run');
  button.disabled = true;
  byId('job-state').textContent = 'running…';
  const outcome = await runJob(createCluster(coordinator), source);
  running = false;
  button.disabled = false;
  byId('job-state').textContent = `${outcome.ok ? 'done' : 'failed'} in ${outcome.elapsedMs} ms`;
  const result = byId('result');
  result.className = outcome.ok ? 'ok' : 'bad';
  result.textContent = outcome.ok ? JSON.stringify(outcome.result, null, 2) ?? 'undefined' : `${outcome.error.code}: ${outcome.error.message}${outcome.error.remote?.stack ? `\n\nRemote stack:\n${outcome.error.remote.stack}` : ''}`;
  return outcome;
}
