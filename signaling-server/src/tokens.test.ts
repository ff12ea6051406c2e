import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { TokenIssuer, secretFrom, signToken, verifyToken } from './tokens.ts';

const secret = secretFrom('0123456789abcdef0123456789abcdef');
const now = Date.UTC(2026, 0, 1);
const inAnHour = now + 3_600_000;

describe('signToken / verifyToken', () => {
  it('round-trips the claims, in the documented readable format', () => {
    const token = signToken(secret, { room: 'k3x9qf2mwa', role: 'worker', expiresAt: inAnHour });
    expect(token).toMatch(/^shoal1\.k3x9qf2mwa\.worker\.1767229200\.[A-Za-z0-9_-]{43}$/);
    expect(verifyToken(secret, token, 'k3x9qf2mwa', 'worker', now)).toEqual({ ok: true, claims: { room: 'k3x9qf2mwa', role: 'worker', expiresAt: inAnHour } });
  });

  it('refuses a token signed with another secret', () => {
    const token = signToken(secretFrom('another secret, also long enough'), { room: 'r', role: 'worker', expiresAt: inAnHour });
    expect(verifyToken(secret, token, 'r', 'worker', now)).toMatchObject({ ok: false, code: 'ERR_UNAUTHORIZED', reason: 'signature' });
  });

  it('refuses any tampering with the claims or the MAC', () => {
    const token = signToken(secret, { room: 'room1', role: 'worker', expiresAt: inAnHour });
    const [v, room, role, expires, mac] = token.split('.') as [string, string, string, string, string];
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    const forgeries = [
      [v, 'room2', role, expires, mac], // another room, same MAC
      [v, room, 'coordinator', expires, mac], // promote itself
      [v, room, role, String(Number(expires) + 3600), mac], // live longer
      [v, room, role, expires, flipped],
    ];
    for (const parts of forgeries) {
      const check = verifyToken(secret, parts.join('.'), parts[1]!, parts[2] as 'worker', now);
      expect(check).toMatchObject({ ok: false, code: 'ERR_UNAUTHORIZED', reason: 'signature' });
    }
  });

  it('scopes a token to its room and its role', () => {
    const worker = signToken(secret, { room: 'r1', role: 'worker', expiresAt: inAnHour });
    expect(verifyToken(secret, worker, 'r2', 'worker', now)).toMatchObject({ ok: false, code: 'ERR_UNAUTHORIZED', reason: 'room', message: 'the join token is for room r1, not r2' });
    expect(verifyToken(secret, worker, 'r1', 'coordinator', now)).toMatchObject({ ok: false, reason: 'role', message: 'a worker token cannot join as coordinator' });
    const coordinator = signToken(secret, { room: 'r1', role: 'coordinator', expiresAt: inAnHour });
    expect(verifyToken(secret, coordinator, 'r1', 'worker', now)).toMatchObject({ ok: false, reason: 'role' });
    expect(verifyToken(secret, coordinator, 'r1', 'coordinator', now).ok).toBe(true);
  });

  it('expires at its expiry second, with its own code', () => {
    const token = signToken(secret, { room: 'r', role: 'worker', expiresAt: inAnHour });
    expect(verifyToken(secret, token, 'r', 'worker', inAnHour - 1).ok).toBe(true);
    expect(verifyToken(secret, token, 'r', 'worker', inAnHour)).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_EXPIRED',
      reason: 'expired',
      message: expect.stringContaining('2026-01-01T01:00:00.000Z'),
    });
  });

  it('checks the signature before the scope, so a forgery learns nothing', () => {
    const token = signToken(secret, { room: 'r', role: 'worker', expiresAt: now - 1000 });
    const forged = token.replace('.worker.', '.coordinator.');
    expect(verifyToken(secret, forged, 'other', 'worker', now)).toMatchObject({ reason: 'signature' });
  });

  it.each([
    ['', 'missing'],
    ['garbage', 'malformed'],
    ['shoal1.r.worker.123', 'malformed'],
    ['shoal2.r.worker.123.' + 'A'.repeat(43), 'malformed'],
    ['shoal1.r.admin.123.' + 'A'.repeat(43), 'malformed'],
    ['shoal1.r.worker.-5.' + 'A'.repeat(43), 'malformed'],
    ['shoal1.r.worker.123.' + 'A'.repeat(42), 'malformed'],
    ['shoal1.r!.worker.123.' + 'A'.repeat(43), 'malformed'],
    ['shoal1.r.worker.123.' + 'A'.repeat(43) + '.x', 'malformed'],
    ['shoal1.r.worker.123.' + 'A'.repeat(43), 'signature'],
  ])('refuses %j as %s without throwing', (token, reason) => {
    expect(verifyToken(secret, token, 'r', 'worker', now)).toMatchObject({ ok: false, code: 'ERR_UNAUTHORIZED', reason });
  });

  it('refuses a missing token with a hint', () => {
    expect(verifyToken(secret, undefined, 'r', 'worker')).toMatchObject({ ok: false, reason: 'missing', message: expect.stringContaining('token=') });
  });

  it('refuses to sign bad claims', () => {
    expect(() => signToken(secret, { room: 'a.b', role: 'worker', expiresAt: now })).toThrow(RangeError);
    expect(() => signToken(secret, { room: 'r', role: 'admin' as 'worker', expiresAt: now })).toThrow(RangeError);
  });
});

describe('secretFrom', () => {
  it('makes a random 32-byte secret per call when none is given', () => {
    const a = secretFrom(undefined);
    expect(a.byteLength).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(secretFrom(undefined)))).toBe(false);
  });

  it('refuses short secrets', () => {
    expect(() => secretFrom('short')).toThrow(/at least 16 bytes/);
    expect(secretFrom('sixteen chars!!!').byteLength).toBe(16);
  });
});

describe('TokenIssuer', () => {
  it('creates a room whose two tokens share one expiry and verify for their roles only', () => {
    const issuer = new TokenIssuer(secret, 600);
    const grant = issuer.createRoom({ now });
    expect(grant.room).toMatch(/^[a-z0-9]{10}$/);
    expect(grant.expiresAt).toBe(new Date(now + 600_000).toISOString());
    expect(issuer.verify(grant.coordinatorToken, grant.room, 'coordinator', now).ok).toBe(true);
    expect(issuer.verify(grant.workerToken, grant.room, 'worker', now).ok).toBe(true);
    expect(issuer.verify(grant.workerToken, grant.room, 'coordinator', now).ok).toBe(false);
    expect(issuer.verify(grant.workerToken, grant.room, 'worker', now + 600_000)).toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    expect(issuer.createRoom({ now }).room).not.toBe(grant.room);
  });

  it('mints for a given room, lifetime or expiry', () => {
    const issuer = new TokenIssuer(secret);
    expect(issuer.verify(issuer.mint('r', 'worker', { ttlSeconds: 1, now }), 'r', 'worker', now + 999).ok).toBe(true);
    expect(issuer.verify(issuer.mint('r', 'worker', { expiresAt: now - 1 }), 'r', 'worker', now)).toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    expect(() => issuer.mint('r', 'worker', { ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => new TokenIssuer(secret, -1)).toThrow(RangeError);
  });
});
