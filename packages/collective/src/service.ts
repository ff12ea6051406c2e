/**
 * The worker page's side of collectives. A member's task (in a Web Worker)
 * hands its array to its page with one request per collective; the page runs
 * the ring (ring.ts) here, pushing each chunk to the neighbour's page over
 * the bulk links (data channels, or the co-located MessagePort when both
 * tabs share a browser: ByteLinks picks), and hands the result back.
 *
 *   member task ─request (array transferred)→ page ─push chunks→ neighbour's page
 *                ←reply (result transferred)─      ←push chunks─
 *
 * Message ids on the bulk link: `shoal.coll/<group>/<to rank>/<from rank>/<tag>`,
 * and `shoal.coll/<group>/abort/<from rank>` (body: the reason, UTF-8).
 *
 * A group breaks, here and for good, when a tab holding one of its members
 * closes (`peerLost`), when a push to a member fails, or when another member
 * says it broke (abort): every pending and later collective of that group on
 * this page fails with ERR_GROUP_BROKEN, and this page tells the members it
 * can still reach, so nobody hangs. Re-forming means a new group id with the
 * members that remain.
 */
import { ShoalError, type RemoteError } from '@shoal/protocol';
import { Mailbox } from './mailbox.ts';
import { ringAllgather, ringAllreduce, ringBarrier, ringBroadcast, ringReduceScatter, ringShift } from './ring.ts';
import { arrayOf, type CollectiveOp, type FloatDtype, type GroupTransport, type ReduceOp, type RingOptions } from './types.ts';

export const COLLECTIVE_PREFIX = 'shoal.coll/';

/** One collective of one member, as its task asks its page. */
export interface CollectiveRequest {
  groupId: string;
  rank: number;
  /** The worker (peer id) of every rank. */
  peers: string[];
  /** The member's count of collectives in this group so far: the same on every member for the same call. */
  seq: number;
  op: CollectiveOp;
  dtype: FloatDtype;
  /** The member's array (handed over). */
  data: ArrayBuffer;
  reduce?: ReduceOp;
  root?: number;
  chunkBytes?: number;
  /** The member's task: if it fails on this page, its groups break here and the other members are told (`taskEnded`). */
  taskId?: string;
}

export type CollectiveReply = { ok: true; data: ArrayBuffer[] } | { ok: false; error: RemoteError };

export interface CollectiveServiceOptions {
  /** This page's peer id. */
  self: string;
  /** Pushes bytes to another page (its `onPushed` gets them); rejects if the peer is gone. `data` is handed over: the service never reads it again, so it may be transferred. */
  push: (peerId: string, objectId: string, data: ArrayBuffer) => Promise<void>;
  ring?: RingOptions;
  /**
   * Called when this page starts running collectives (`true`: none was running)
   * and when the last one ends (`false`). The runtime beats at once on `true`,
   * with the heartbeat's `bulk` flag, so the coordinator gives this tab bulk
   * patience before its main thread is swamped by chunks.
   */
  onBusy?: (busy: boolean) => void;
}

interface GroupState {
  peers: string[] | null;
  mailboxes: Map<number, Mailbox>;
  broken: ShoalError | null;
}

export class CollectiveService {
  private readonly groups = new Map<string, GroupState>();
  /** Collectives run and bytes pushed, for figures. */
  readonly stats = { collectives: 0, bytesSent: 0, broken: 0 };
  /** Collectives running on this page now. */
  private running = 0;
  /** The groups each member task on this page has used, until the task ends. */
  private readonly memberTasks = new Map<string, Set<string>>();

  constructor(private readonly options: CollectiveServiceOptions) {}

  /** Whether a collective is running on this page (its main thread may be busy moving chunks). */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Runs one member's collective; never rejects. */
  async run(request: CollectiveRequest): Promise<CollectiveReply> {
    if (request.taskId !== undefined) {
      const groups = this.memberTasks.get(request.taskId) ?? new Set<string>();
      groups.add(request.groupId);
      this.memberTasks.set(request.taskId, groups);
    }
    this.running += 1;
    if (this.running === 1) this.options.onBusy?.(true);
    try {
      return await this.runOne(request);
    } finally {
      this.running -= 1;
      if (this.running === 0) this.options.onBusy?.(false);
    }
  }

  private async runOne(request: CollectiveRequest): Promise<CollectiveReply> {
    const group = this.group(request.groupId);
    group.peers ??= request.peers;
    try {
      if (group.broken) throw group.broken;
      const data = await this.execute(this.transport(request, group), request);
      this.stats.collectives += 1;
      return { ok: true, data };
    } catch (error) {
      const shoal = error instanceof ShoalError && error.code === 'ERR_GROUP_BROKEN' ? error : this.break(request.groupId, `rank ${request.rank} failed: ${error instanceof Error ? error.message : String(error)}`);
      return { ok: false, error: { name: 'ShoalError', code: 'ERR_GROUP_BROKEN', message: shoal.message, workerId: this.options.self } };
    }
  }

  /** A bulk push arrived: takes it if it is a collective message (answers whether it was). */
  onPushed(objectId: string, data: ArrayBuffer): boolean {
    if (!objectId.startsWith(COLLECTIVE_PREFIX)) return false;
    const [groupId, to, from, ...tag] = objectId.slice(COLLECTIVE_PREFIX.length).split('/');
    if (!groupId || to === undefined || from === undefined) return true;
    if (to === 'abort') {
      this.break(groupId, new TextDecoder().decode(data) || `rank ${from} broke the group`, false);
      return true;
    }
    const group = this.group(groupId);
    if (!group.broken) this.mailbox(group, Number(to)).deliver(`${from}/${tag.join('/')}`, data);
    return true;
  }

  /** A peer's connection closed: every group with a member there breaks. */
  peerLost(peerId: string): void {
    for (const [groupId, group] of this.groups) {
      if (!group.broken && group.peers?.includes(peerId)) this.break(groupId, `a member's worker (${peerId}) was lost`, true, peerId);
    }
  }

  /**
   * A task on this page ended. If it failed (threw, timed out, hit its memory
   * cap) while a member of groups, those groups break: the other members
   * would otherwise wait for it in their next collective, since its tab, and
   * so every link to it, is still there.
   */
  taskEnded(taskId: string, ok: boolean): void {
    const groups = this.memberTasks.get(taskId);
    if (!groups) return;
    this.memberTasks.delete(taskId);
    if (!ok) for (const groupId of groups) this.break(groupId, `the task of a member on ${this.options.self} failed`);
  }

  /** Forgets a group (its members are done with it); later messages for it start afresh. */
  forget(groupId: string): void {
    this.groups.delete(groupId);
  }

  private execute(t: GroupTransport, request: CollectiveRequest): Promise<ArrayBuffer[]> {
    const array = arrayOf(request.dtype, request.data);
    const tag = String(request.seq);
    const ring = { ...this.options.ring, ...(request.chunkBytes ? { chunkBytes: request.chunkBytes } : {}) };
    const bytes = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
      a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? (a.buffer as ArrayBuffer) : (a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer);
    switch (request.op) {
      case 'allreduce':
        return ringAllreduce(t, array, request.reduce ?? 'sum', tag, ring).then((out) => [bytes(out)]);
      case 'reduceScatter':
        return ringReduceScatter(t, array, request.reduce ?? 'sum', tag, ring).then((out) => [bytes(out)]);
      case 'allgather':
        return ringAllgather(t, array, tag, ring).then((parts) => parts.map(bytes));
      case 'broadcast':
        return ringBroadcast(t, array, request.root ?? 0, tag, ring).then((out) => [bytes(out)]);
      case 'shift':
        return ringShift(t, array, tag, ring).then((out) => [bytes(out)]);
      case 'barrier':
        return ringBarrier(t, tag).then(() => []);
    }
  }

  private transport(request: CollectiveRequest, group: GroupState): GroupTransport {
    const { groupId, rank, peers } = request;
    const box = this.mailbox(group, rank);
    return {
      rank,
      size: peers.length,
      send: (to, tag, data) => {
        if (group.broken) return Promise.reject(group.broken);
        const peer = peers[to]!;
        this.stats.bytesSent += data.byteLength;
        if (peer === this.options.self) {
          this.mailbox(group, to).deliver(`${rank}/${tag}`, data);
          return Promise.resolve();
        }
        return this.options.push(peer, `${COLLECTIVE_PREFIX}${groupId}/${to}/${rank}/${tag}`, data).catch((error: unknown) => {
          throw this.break(groupId, `rank ${rank} could not reach rank ${to} on ${peer}: ${error instanceof Error ? error.message : String(error)}`);
        });
      },
      recv: (from, tag) => box.take(`${from}/${tag}`),
    };
  }

  /** Breaks a group on this page (idempotent) and, unless told by another member, tells the members still reachable. */
  private break(groupId: string, why: string, tell = true, lostPeer?: string): ShoalError {
    const group = this.group(groupId);
    if (group.broken) return group.broken;
    const error = new ShoalError('ERR_GROUP_BROKEN', `collective group ${groupId} is broken: ${why}`);
    group.broken = error;
    this.stats.broken += 1;
    for (const box of group.mailboxes.values()) box.fail(error);
    if (tell && group.peers) {
      const reason = new TextEncoder().encode(why);
      for (const peer of new Set(group.peers)) {
        if (peer === this.options.self || peer === lostPeer) continue; // a lost tab hears nothing; one we merely failed to reach is still told
        const rank = group.peers.indexOf(peer);
        void this.options.push(peer, `${COLLECTIVE_PREFIX}${groupId}/abort/${rank}`, reason.slice().buffer).catch(() => undefined);
      }
    }
    return error;
  }

  private group(groupId: string): GroupState {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { peers: null, mailboxes: new Map(), broken: null };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private mailbox(group: GroupState, rank: number): Mailbox {
    let box = group.mailboxes.get(rank);
    if (!box) {
      box = new Mailbox();
      if (group.broken) box.fail(group.broken);
      group.mailboxes.set(rank, box);
    }
    return box;
  }
}
