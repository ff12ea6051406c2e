import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerArgs } from './args.ts';
import { iceFromFlags, iceServersFor, mergeIce, mintTurnCredential, parseIceJson, resolveIce, validateIceServer } from './ice.ts';

const SECRET = '0123456789abcdef0123';

describe('TURN REST credentials (coturn use-auth-secret)', () => {
  it('mints username "<expiry>:<name>" and base64(HMAC-SHA1(secret, username))', () => {
    // Checked against: echo -n "1767225600:shoal-abc" | openssl dgst -sha1 -hmac 0123456789abcdef0123 -binary | base64
    const minted = mintTurnCredential(SECRET, 'shoal-abc', 600, 1_767_225_000_000);
    expect(minted).toEqual({ username: '1767225600:shoal-abc', credential: '2ltFWAEJahZnMYVih5AJ+Lw3kG8=', expiresAt: 1_767_225_600_000 });
  });

  it('gives each joining peer its own credential after the static servers', () => {
    const ice = resolveIce({ servers: [{ urls: 'stun:stun.example.com:3478' }], turnSecret: { urls: ['turn:turn.example.com:3478'], secret: SECRET, ttlSeconds: 3600 } });
    const now = 1_700_000_000_000;
    const servers = iceServersFor(ice, 'shoal-p1', now);
    expect(servers[0]).toEqual({ urls: 'stun:stun.example.com:3478' });
    const turn = servers[1]!;
    expect(turn).toMatchObject({ urls: ['turn:turn.example.com:3478'], username: `${now / 1000 + 3600}:shoal-p1` });
    expect(turn.credential).toBe(createHmac('sha1', SECRET).update(turn.username!).digest('base64'));
    expect(iceServersFor(ice, 'shoal-p2', now)[1]!.username).toBe(`${now / 1000 + 3600}:shoal-p2`);
  });

  it('defaults to a day and to no servers at all', () => {
    expect(resolveIce(undefined)).toEqual({ servers: [], turnSecret: undefined });
    expect(resolveIce({ turnSecret: { urls: ['turns:t.example.com:5349'], secret: SECRET } }).turnSecret?.ttlSeconds).toBe(86_400);
    expect(iceServersFor(resolveIce(undefined), 'x')).toEqual([]);
  });
});

describe('ICE server validation', () => {
  it('accepts stun, stuns, turn and turns URLs, and turn with credentials', () => {
    expect(validateIceServer({ urls: 'stun:h:3478' }, 'x')).toEqual({ urls: 'stun:h:3478' });
    expect(validateIceServer({ urls: ['turn:h:3478?transport=udp', 'turns:h:5349?transport=tcp'], username: 'u', credential: 'c' }, 'x')).toMatchObject({ username: 'u' });
  });

  it.each([
    [{ urls: 'http://h' }, /not a stun:/],
    [{ urls: [] }, /non-empty/],
    [{ urls: 'turn:h:3478' }, /needs a username and a credential/],
    [{ urls: 'stun:h', password: 'p' }, /unknown field "password"; valid ones are: urls, username, credential/],
    ['stun:h', /must be an object/],
  ])('refuses %j', (value, message) => {
    expect(() => validateIceServer(value, 'where')).toThrow(message);
  });

  it('parses JSON as an array or as {iceServers, turnSecret}, and says what is wrong', () => {
    expect(parseIceJson('[{"urls":"stun:h:3478"}]', 'env')).toEqual({ servers: [{ urls: 'stun:h:3478' }] });
    expect(parseIceJson(`{"iceServers":[{"urls":"stun:h"}],"turnSecret":{"urls":["turn:h:3478"],"secret":"${SECRET}","ttlSeconds":600}}`, 'f')).toEqual({
      servers: [{ urls: 'stun:h' }],
      turnSecret: { urls: ['turn:h:3478'], secret: SECRET, ttlSeconds: 600 },
    });
    expect(() => parseIceJson('{nope', 'SHOAL_ICE_SERVERS')).toThrow(/SHOAL_ICE_SERVERS: not JSON/);
    expect(() => parseIceJson('{"servers":[]}', 'f')).toThrow(/unknown field "servers"/);
    expect(() => parseIceJson('{"turnSecret":{"urls":["turn:h"],"secret":"short"}}', 'f')).toThrow(/at least 16 characters/);
    expect(() => parseIceJson(`{"turnSecret":{"urls":["stun:h"],"secret":"${SECRET}"}}`, 'f')).toThrow(/turn:\/turns: URLs/);
  });

  it('reads SHOAL_ICE_SERVERS from the environment, after the given servers', () => {
    const ice = resolveIce({ servers: [{ urls: 'stun:a' }] }, { SHOAL_ICE_SERVERS: '[{"urls":"stun:b"}]' });
    expect(ice.servers).toEqual([{ urls: 'stun:a' }, { urls: 'stun:b' }]);
    expect(() => resolveIce(undefined, { SHOAL_ICE_SERVERS: '[{"urls":"turn:b"}]' })).toThrow(/SHOAL_ICE_SERVERS\[0\]: a turn: URL needs/);
  });

  it('merges sources: servers add up, the last turnSecret wins', () => {
    expect(mergeIce(undefined, undefined)).toBeUndefined();
    const t1 = { urls: ['turn:a'], secret: SECRET };
    const t2 = { urls: ['turn:b'], secret: SECRET };
    expect(mergeIce({ servers: [{ urls: 'stun:a' }], turnSecret: t1 }, { servers: [{ urls: 'stun:b' }], turnSecret: t2 })).toEqual({ servers: [{ urls: 'stun:a' }, { urls: 'stun:b' }], turnSecret: t2 });
  });
});

describe('ICE flags', () => {
  it('turns --ice, --turn with a secret, or with fixed credentials, into options', () => {
    expect(iceFromFlags({})).toBeUndefined();
    expect(iceFromFlags({ ice: ['stun:a:3478,stun:b:3478'] })).toEqual({ servers: [{ urls: ['stun:a:3478', 'stun:b:3478'] }] });
    expect(iceFromFlags({ turn: ['turn:t:3478'], turnSecret: SECRET, turnTtlSeconds: 600 })).toEqual({ turnSecret: { urls: ['turn:t:3478'], secret: SECRET, ttlSeconds: 600 } });
    expect(iceFromFlags({ turn: ['turn:t:3478'], turnUser: 'u', turnCredential: 'c' })).toEqual({ servers: [{ urls: ['turn:t:3478'], username: 'u', credential: 'c' }] });
  });

  it.each([
    [{ turn: ['turn:t'] }, /needs a username and a credential/],
    [{ turn: ['turn:t'], turnUser: 'u' }, /--turn-user and --turn-credential go together/],
    [{ turnSecret: SECRET }, /need --turn URL/],
    [{ turn: ['turn:t'], turnSecret: SECRET, turnUser: 'u', turnCredential: 'c' }, /either --turn-secret/],
    [{ ice: ['stun:a'], turnTtlSeconds: 60 }, /--turn-ttl needs --turn-secret/],
    [{ ice: ['stun.example.com'] }, /--ice: "stun.example.com" is not a stun:/],
  ])('refuses %j', (flags, message) => {
    expect(() => iceFromFlags(flags)).toThrow(message);
  });

  it('main.ts reads the flags, SHOAL_TURN_SECRET and --ice-config', () => {
    const parsed = parseServerArgs(['--ice', 'stun:s:3478', '--turn', 'turn:t:3478', '--turn-ttl', '600'], { SHOAL_TURN_SECRET: SECRET });
    expect(parsed).toMatchObject({ help: false, options: { ice: { servers: [{ urls: ['stun:s:3478'] }], turnSecret: { urls: ['turn:t:3478'], secret: SECRET, ttlSeconds: 600 } } } });
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-ice-'));
    try {
      const file = path.join(dir, 'ice.json');
      writeFileSync(file, JSON.stringify([{ urls: 'turn:f:3478', username: 'u', credential: 'c' }]));
      const fromFile = parseServerArgs(['--ice-config', file, '--ice', 'stun:s'], {});
      expect(fromFile).toMatchObject({ options: { ice: { servers: [{ urls: 'turn:f:3478', username: 'u' }, { urls: ['stun:s'] }] } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(parseServerArgs([], {})).toMatchObject({ options: {} });
    const none = parseServerArgs([], {});
    expect(none.help === false && 'ice' in none.options).toBe(false);
  });
});
