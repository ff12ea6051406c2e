import { describe, expect, it } from 'vitest';
import { iceOptions, startBanner } from './start.ts';

const grant = {
  room: 'k3x9qf2mwa',
  coordinatorToken: 'shoal1.k3x9qf2mwa.coordinator.1767225600.CCC',
  workerToken: 'shoal1.k3x9qf2mwa.worker.1767225600.WWW',
  expiresAt: '2026-01-01T00:00:00.000Z',
};

describe('startBanner', () => {
  it('prints a tokenized coordinator link (with the worker token for its QR code) and a tokenized worker link', () => {
    const text = startBanner(grant, { port: 8080, scheme: 'http', joinHost: '192.168.1.5', lan: '192.168.1.5', open: false });
    const lines = text.split('\n');
    expect(lines[1]).toBe(
      '  Coordinator:  http://localhost:8080/coordinator.html?room=k3x9qf2mwa&token=shoal1.k3x9qf2mwa.coordinator.1767225600.CCC&workerToken=shoal1.k3x9qf2mwa.worker.1767225600.WWW&joinBase=http%3A%2F%2F192.168.1.5%3A8080',
    );
    expect(lines[2]).toBe('  Worker link:  http://192.168.1.5:8080/worker.html?room=k3x9qf2mwa&token=shoal1.k3x9qf2mwa.worker.1767225600.WWW');
    expect(text).toContain('until 2026-01-01T00:00:00.000Z');
    expect(text).toContain('Share only the worker link');
    expect(text).toContain('WebGPU needs a secure context');
    expect(text).not.toContain('WARNING');
  });

  it('uses https with TLS and warns in open mode', () => {
    const text = startBanner(grant, { port: 8443, scheme: 'https', joinHost: 'localhost', lan: undefined, open: true });
    expect(text).toContain('https://localhost:8443/worker.html?room=k3x9qf2mwa&token=');
    expect(text).not.toContain('joinBase');
    expect(text).not.toContain('WebGPU needs');
    expect(text).toContain('WARNING: --open');
  });
});

describe('shoal start ICE flags', () => {
  const args = (flags: Record<string, string | number>) => ({ flags, positionals: [], help: false });
  it('turn --ice, --turn with --turn-secret or $SHOAL_TURN_SECRET, into server options; none by default', () => {
    expect(iceOptions(args({}), {})).toBeUndefined();
    expect(iceOptions(args({ ice: 'stun:a:3478,stun:b:3478' }), {})).toEqual({ servers: [{ urls: ['stun:a:3478', 'stun:b:3478'] }] });
    const secret = '0123456789abcdef0123';
    expect(iceOptions(args({ turn: 'turn:t:3478', 'turn-ttl': 600 }), { SHOAL_TURN_SECRET: secret })).toEqual({ turnSecret: { urls: ['turn:t:3478'], secret, ttlSeconds: 600 } });
    expect(iceOptions(args({ turn: 'turn:t:3478', 'turn-user': 'u', 'turn-credential': 'c' }), { SHOAL_TURN_SECRET: secret })).toEqual({ servers: [{ urls: ['turn:t:3478'], username: 'u', credential: 'c' }] });
  });
  it('answers a usage error for a TURN server without credentials', () => {
    expect(() => iceOptions(args({ turn: 'turn:t:3478' }), {})).toThrow(/needs a username and a credential/);
  });
});
