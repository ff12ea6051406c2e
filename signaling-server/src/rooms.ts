/**
 * Room membership as plain state: who is in which room, under which id.
 * No sockets here; each member carries an opaque `handle` (the server's
 * connection) so this file can be tested with plain values.
 *
 * Rules: a room is created by its first join and deleted when its last member
 * leaves; at most one coordinator per room; `maxPeersPerRoom` and `maxRooms`
 * bound memory.
 */
import { randomId, type PeerInfo, type Role } from '@shoal/protocol';

export interface RoomLimits {
  maxPeersPerRoom: number;
  maxRooms: number;
}

export interface Member<T> {
  info: PeerInfo;
  handle: T;
}

export type JoinOutcome<T> =
  | { ok: true; self: Member<T>; others: Member<T>[] }
  | { ok: false; message: string };

export class Rooms<T> {
  readonly #rooms = new Map<string, Map<string, Member<T>>>();
  readonly #limits: RoomLimits;
  #peers = 0;

  constructor(limits: RoomLimits) {
    this.#limits = limits;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  get peerCount(): number {
    return this.#peers;
  }

  /** Adds a member with a fresh peer id, or says why the room is full. */
  join(room: string, role: Role, name: string | undefined, handle: T): JoinOutcome<T> {
    const members = this.#rooms.get(room);
    if (!members && this.#rooms.size >= this.#limits.maxRooms) {
      return { ok: false, message: `the server is at its limit of ${this.#limits.maxRooms} rooms` };
    }
    if (members && members.size >= this.#limits.maxPeersPerRoom) {
      return { ok: false, message: `room ${room} is at its limit of ${this.#limits.maxPeersPerRoom} peers` };
    }
    if (role === 'coordinator' && members && [...members.values()].some((m) => m.info.role === 'coordinator')) {
      return { ok: false, message: `room ${room} already has a coordinator` };
    }
    const others = members ? [...members.values()] : [];
    const target = members ?? new Map<string, Member<T>>();
    let peerId = randomId();
    while (target.has(peerId)) peerId = randomId();
    const info: PeerInfo = name === undefined ? { peerId, role } : { peerId, role, name };
    const self: Member<T> = { info, handle };
    target.set(peerId, self);
    if (!members) this.#rooms.set(room, target);
    this.#peers += 1;
    return { ok: true, self, others };
  }

  /** Removes a member; returns the members left behind (to tell). */
  leave(room: string, peerId: string): Member<T>[] {
    const members = this.#rooms.get(room);
    if (!members || !members.delete(peerId)) return [];
    this.#peers -= 1;
    if (members.size === 0) this.#rooms.delete(room);
    return [...members.values()];
  }

  find(room: string, peerId: string): Member<T> | undefined {
    return this.#rooms.get(room)?.get(peerId);
  }

  /** The members of a room, as a snapshot. */
  members(room: string): Member<T>[] {
    const members = this.#rooms.get(room);
    return members ? [...members.values()] : [];
  }

  clear(): void {
    this.#rooms.clear();
    this.#peers = 0;
  }
}
