import { describe, expect, it } from 'vitest';
import { Rooms } from './rooms.ts';

const limits = { maxPeersPerRoom: 3, maxRooms: 2 };

function joinOk(rooms: Rooms<string>, room: string, role: 'coordinator' | 'worker', handle: string) {
  const outcome = rooms.join(room, role, undefined, handle);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome;
}

describe('Rooms', () => {
  it('creates a room on first join, lists the others, and deletes it when empty', () => {
    const rooms = new Rooms<string>(limits);
    const a = joinOk(rooms, 'r', 'coordinator', 'A');
    expect(a.others).toEqual([]);
    expect(a.self.info).toEqual({ peerId: expect.any(String), role: 'coordinator' });
    const b = joinOk(rooms, 'r', 'worker', 'B');
    expect(b.others.map((m) => m.handle)).toEqual(['A']);
    expect(rooms.find('r', b.self.info.peerId)?.handle).toBe('B');
    expect([rooms.roomCount, rooms.peerCount]).toEqual([1, 2]);

    expect(rooms.leave('r', a.self.info.peerId).map((m) => m.handle)).toEqual(['B']);
    expect(rooms.leave('r', a.self.info.peerId)).toEqual([]);
    expect(rooms.leave('r', b.self.info.peerId)).toEqual([]);
    expect([rooms.roomCount, rooms.peerCount]).toEqual([0, 0]);
  });

  it('keeps the name when given', () => {
    const rooms = new Rooms<string>(limits);
    const outcome = rooms.join('r', 'worker', 'laptop', 'A');
    expect(outcome.ok && outcome.self.info.name).toBe('laptop');
  });

  it('gives distinct ids and scopes lookups to the room', () => {
    const rooms = new Rooms<string>(limits);
    const a = joinOk(rooms, 'r1', 'worker', 'A');
    const b = joinOk(rooms, 'r1', 'worker', 'B');
    expect(a.self.info.peerId).not.toBe(b.self.info.peerId);
    joinOk(rooms, 'r2', 'worker', 'C');
    expect(rooms.find('r2', a.self.info.peerId)).toBeUndefined();
  });

  it('allows one coordinator per room', () => {
    const rooms = new Rooms<string>(limits);
    joinOk(rooms, 'r', 'coordinator', 'A');
    expect(rooms.join('r', 'coordinator', undefined, 'B')).toEqual({ ok: false, message: 'room r already has a coordinator' });
    joinOk(rooms, 'other', 'coordinator', 'C');
  });

  it('enforces maxPeersPerRoom and maxRooms', () => {
    const rooms = new Rooms<string>(limits);
    for (const handle of ['A', 'B', 'C']) joinOk(rooms, 'r1', 'worker', handle);
    expect(rooms.join('r1', 'worker', undefined, 'D')).toMatchObject({ ok: false, message: expect.stringContaining('3 peers') });
    joinOk(rooms, 'r2', 'worker', 'E');
    expect(rooms.join('r3', 'worker', undefined, 'F')).toMatchObject({ ok: false, message: expect.stringContaining('2 rooms') });
    expect(rooms.peerCount).toBe(4);
  });
});
