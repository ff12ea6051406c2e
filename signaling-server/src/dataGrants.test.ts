/** Data grants: signing, and every way a grant is refused. */
import { describe, expect, it } from 'vitest';
import { GrantSigner, underDirectory } from './dataGrants.ts';
import { TokenIssuer, secretFrom } from './tokens.ts';

const secret = secretFrom('0123456789abcdef0123456789abcdef');
const signer = new GrantSigner(secret);
const now = 1_800_000_000_000;
const later = now + 60_000;

describe('GrantSigner', () => {
  it('signs read and write grants that verify for their use', () => {
    const read = signer.sign({ room: 'room1', kind: 'read', expiresAt: later, dir: '' });
    expect(read).toMatch(/^shoalg1\.room1\.r\.\d+\.-\.[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(read, 'read', { now })).toEqual({ ok: true, claims: { room: 'room1', kind: 'read', expiresAt: later, dir: '' } });
    const write = signer.sign({ room: 'room1', kind: 'write', expiresAt: later, dir: 'out/ünïcode x' });
    const check = signer.verify(write, 'write', { now, room: 'room1' });
    expect(check.ok && check.claims.dir).toBe('out/ünïcode x');
  });

  it('refuses a read grant used to write, and a write grant used to read (403)', () => {
    const read = signer.sign({ room: 'room1', kind: 'read', expiresAt: later, dir: '' });
    expect(signer.verify(read, 'write', { now })).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/a read grant cannot be used for writing/) });
    const write = signer.sign({ room: 'room1', kind: 'write', expiresAt: later, dir: 'out' });
    expect(signer.verify(write, 'read', { now })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses expired, forged, altered, missing and other-room grants', () => {
    const read = signer.sign({ room: 'room1', kind: 'read', expiresAt: later, dir: '' });
    expect(signer.verify(read, 'read', { now: later })).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/^ERR_TOKEN_EXPIRED: the grant expired/) });
    expect(signer.verify(read, 'read', { now, room: 'room2' })).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/for room room1, not room2/) });
    const other = new GrantSigner(secretFrom('another secret, 16+ bytes long'));
    expect(other.verify(read, 'read', { now })).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/bad signature/) });
    const write = signer.sign({ room: 'room1', kind: 'write', expiresAt: later, dir: 'out' });
    const widened = write.replace(`.${Buffer.from('out').toString('base64url')}.`, `.${Buffer.from('events').toString('base64url')}.`);
    expect(signer.verify(widened, 'write', { now })).toMatchObject({ ok: false, message: expect.stringMatching(/bad signature/) });
    const promoted = read.replace('.r.', '.w.');
    expect(signer.verify(promoted, 'write', { now })).toMatchObject({ ok: false, status: 401 });
    expect(signer.verify(undefined, 'read', { now })).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/needs a read grant/) });
    expect(signer.verify('shoalg1.x', 'read', { now })).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/malformed/) });
  });

  it('is not a join token, nor a join token a grant (separate keys)', () => {
    const token = new TokenIssuer(secret).mint('room1', 'coordinator', { expiresAt: later });
    expect(signer.verify(token, 'read', { now }).ok).toBe(false);
    const read = signer.sign({ room: 'room1', kind: 'read', expiresAt: later, dir: '' });
    expect(new TokenIssuer(secret).verify(read, 'room1', 'coordinator', now).ok).toBe(false);
  });

  it('refuses a write grant without a directory', () => {
    expect(() => signer.sign({ room: 'room1', kind: 'write', expiresAt: later, dir: '' })).toThrow(/needs a directory/);
  });
});

describe('underDirectory', () => {
  it('is true only strictly under the directory', () => {
    expect(underDirectory('out/x/part-0.parquet', 'out/x')).toBe(true);
    expect(underDirectory('out/x/a/b', 'out/x')).toBe(true);
    expect(underDirectory('out/x', 'out/x')).toBe(false);
    expect(underDirectory('out/xy/part', 'out/x')).toBe(false);
    expect(underDirectory('events/a', 'out/x')).toBe(false);
  });
});
