/**
 * An in-memory group: `n` GroupTransports in one thread, for tests of the
 * ring algorithms. Messages are delivered on a later macrotask (optionally
 * after `delayMs`), so ranks really interleave. `kill(rank)` is a member lost:
 * that rank goes silent and every other member's pending and later
 * operations fail with ERR_GROUP_BROKEN, as the real service does when a
 * member's tab closes.
 */
import { ShoalError } from '@shoal/protocol';
import { Mailbox } from './mailbox.ts';
import type { GroupTransport } from './types.ts';

export interface MemoryGroup {
  transports: GroupTransport[];
  kill(rank: number): void;
  /** Bytes each rank sent so far. */
  sentBytes: number[];
}

export function memoryGroup(n: number, options: { delayMs?: number } = {}): MemoryGroup {
  const boxes = Array.from({ length: n }, () => new Mailbox());
  const dead = new Set<number>();
  const sentBytes = Array.from({ length: n }, () => 0);
  const broken = (why: string) => new ShoalError('ERR_GROUP_BROKEN', why);
  const transports = boxes.map(
    (box, rank): GroupTransport => ({
      rank,
      size: n,
      send(to, tag, data) {
        if (dead.has(rank)) return new Promise(() => undefined); // a lost member says nothing more
        if (box.failed) return Promise.reject(box.failed);
        sentBytes[rank]! += data.byteLength;
        return new Promise((resolve) =>
          setTimeout(() => {
            if (!dead.has(to)) boxes[to]!.deliver(`${rank}/${tag}`, data);
            resolve();
          }, options.delayMs ?? 0),
        );
      },
      recv(from, tag) {
        if (dead.has(rank)) return new Promise(() => undefined);
        return box.take(`${from}/${tag}`);
      },
    }),
  );
  return {
    transports,
    sentBytes,
    kill(rank) {
      dead.add(rank);
      boxes.forEach((box, other) => {
        if (other !== rank) box.fail(broken(`member ${rank} of the group was lost`));
      });
    },
  };
}
