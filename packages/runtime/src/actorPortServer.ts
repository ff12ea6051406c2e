/**
 * Direct ports, the actor's side: in an actor's Web Worker, calls arriving
 * on ports from callers' Web Workers (actorPorts.ts) run on the actor like
 * the calls its page hands over, in arrival order (`run` enters the actor's
 * queue before it first awaits, and the Web Worker handles port and page
 * messages in the order they come). The reply goes back on the port; the
 * outcome goes to the page (`host.actorPortServed`: every 20 ms, at once for
 * outcomes the caller leaves to the coordinator, and before this Web Worker
 * answers any call its page handed over, so the coordinator sees checkpoints
 * in the order they were made), which reports it to the coordinator and keeps
 * stored outputs in its store.
 */
import { transfer } from 'comlink';
import type { ActorCallResult } from './actorInstance.ts';
import { local } from './directValues.ts';
import type { PortCall, PortReply } from './actorPorts.ts';
import type { PortReport, TaskHost } from './host.ts';

type Run = (call: { actorId: string; callId: string; method: string; args: unknown[] }) => Promise<ActorCallResult & { durationMs: number }>;

/** How long outcomes wait to be batched. */
const REPORT_MS = 20;

export class ActorPortServer {
  private reports: PortReport[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly host: () => TaskHost | null,
    private readonly run: Run,
  ) {}

  /** Serves actor `actorId`'s calls arriving on `port`. */
  accept(actorId: string, port: MessagePort): void {
    port.onmessage = (event: MessageEvent) => {
      const call = event.data as PortCall;
      if (typeof call !== 'object' || call === null || call.t !== 'call' || call.actorId !== actorId) return;
      void this.serve(port, call);
    };
  }

  /** Sends the batched outcomes to the page now. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const host = this.host();
    if (this.reports.length === 0 || !host) return;
    const reports = this.reports;
    this.reports = [];
    const buffers = reports.flatMap((report) => report.buffers ?? []);
    host.actorPortServed?.(buffers.length > 0 ? transfer(reports, buffers) : reports);
  }

  private async serve(port: MessagePort, call: PortCall): Promise<void> {
    const outcome = await this.run(call).catch(
      (thrown: unknown): ActorCallResult & { durationMs: number } => ({ ok: false, error: { name: 'ShoalError', code: 'ERR_ACTOR_DIED', message: `the actor's Web Worker could not run the call: ${thrown instanceof Error ? thrown.message : String(thrown)}` }, durationMs: 0 }),
    );
    const { durationMs, buffers, checkpoint, ...result } = outcome;
    const reply: PortReply = { t: 'result', callId: call.callId, result };
    try {
      port.postMessage(reply);
    } catch {
      // the caller's side is gone: it left the call to the coordinator, which gets the outcome below
    }
    this.reports.push({ actorId: call.actorId, callId: call.callId, result, durationMs, ...(checkpoint !== undefined ? { checkpoint } : {}), ...(buffers ? { buffers } : {}) });
    if (!local(result) || this.reports.length >= 500) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), REPORT_MS);
  }
}
