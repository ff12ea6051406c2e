/**
 * The coordinator page: joins the room as the coordinator, shows the join
 * link and its QR code, and hands the Coordinator to the dashboard
 * (coordinatorUi.ts). Sets `window.shoalCoordinator` (protocol/src/page.ts).
 */
import QRCode from 'qrcode';
import { ShoalError, randomId, type CoordinatorPageApi, type JobOutcome } from '@shoal/protocol';
import { Coordinator, exportHistory } from '@shoal/client';
import type { QueryRecord } from '@shoal/dataframe';
import { Mesh, signalingUrlFor } from '@shoal/transport';
import { byId } from '../dom.ts';
import { createCoordinatorUi } from './coordinatorUi.ts';
import { TaskProgressFeed } from './model/taskProgress.ts';
import { datasetLog, datasetProgress } from './views/datasets.ts';

const params = new URLSearchParams(location.search);
let room = params.get('room');
if (!room) {
  room = randomId(8);
  params.set('room', room);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}
/** Where volunteers should connect; the CLI passes its LAN address here. */
const joinBase = params.get('joinBase') ?? location.origin;
/** This page's join token (`token`; once it worked, kept per room so a bare `?room=` link in this browser rejoins); `workerToken` goes into the join link. */
const tokenKey = `shoal.token.coordinator.${room}`;
const token = params.get('token') ?? storage()?.getItem(tokenKey) ?? undefined;
const workerToken = params.get('workerToken');
const joinUrl = `${joinBase.replace(/\/$/, '')}/worker.html?room=${encodeURIComponent(room)}${workerToken ? `&token=${encodeURIComponent(workerToken)}` : ''}`;

/** The dashboard's views exist from the start; the Coordinator is attached once the room is joined. */
const ui = createCoordinatorUi();
/** Task counts per name for `shoal run`'s progress bars. */
const taskProgress = new TaskProgressFeed();
let coordinator: Coordinator | null = null;
const ready = new Promise<Coordinator>((resolve) => {
  const api: CoordinatorPageApi = {
    peerId: () => coordinator?.mesh.peerId ?? null,
    workers: () => coordinator?.workers() ?? [],
    waitForWorkers: async (count, timeoutMs) => (await ready).waitForWorkers(count, timeoutMs),
    runJob: async (source, label) => runFromSource(await ready, source, label),
    traffic: () => coordinator?.plane.traffic() ?? { controlBytesIn: 0, controlBytesOut: 0, objectsServed: 0, objectBytesServed: 0, objectsFetched: 0, objectBytesFetched: 0, bulkPaths: {} },
    dashboard: () => ui.snapshot(),
    dashboardBarAt: (taskId) => ui.barAt(taskId),
    taskProgress: (since) => taskProgress.since(since),
    datasetProgress: () => datasetProgress(datasetLog.list().at(-1)?.operators ?? []),
    actorLog: () => [...(coordinator?.actors.log ?? [])],
    queries: () => ui.queries(),
    recordQuery: (record) => ui.recordQuery(record as QueryRecord),
    lastJobRecord: () => {
      const record = ui.lastRecord();
      return record ? exportHistory([record]) : null;
    },
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
  void QRCode.toCanvas(byId<HTMLCanvasElement>('qr'), joinUrl, { width: 132, margin: 1 });
  try {
    const mesh = await Mesh.join({ url: signalingUrlFor(location), room: room!, role: 'coordinator', name: 'coordinator', token });
    if (token) storage()?.setItem(tokenKey, token);
    coordinator = new Coordinator(mesh);
    coordinator.on('task', (event) => taskProgress.apply(event));
    ui.attach(coordinator);
    coordinator.on('rejected', (from, reason) => console.warn(`[shoal] refused a message from ${from.peerId}: ${reason}`));
    mesh.on('closed', (reason) => setConnection(`disconnected: ${reason}`, 'bad'));
    setConnection(`connected as ${mesh.peerId}`, 'ok');
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

/** Runs a job through the dashboard: one at a time, recorded in the history, cancellable. */
function runFromSource(_coordinator: Coordinator, source: string, label?: string): Promise<JobOutcome> {
  return ui.run(source, label);
}

/** localStorage, or undefined where the browser refuses it (some privacy modes throw). */
function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}
