import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConnectionCounter, clientAddress, originAllowed } from './admission.ts';

function request(headers: Record<string, string>, remoteAddress = '10.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('originAllowed', () => {
  it("allows the server's own pages, listed origins, and non-browser clients", () => {
    expect(originAllowed('http://localhost:8080', 'localhost:8080', [])).toBe(true);
    expect(originAllowed('https://Shoal.Example.com', 'shoal.example.com', [])).toBe(true);
    expect(originAllowed(undefined, 'localhost:8080', [])).toBe(true);
    expect(originAllowed('https://app.example.com', 'signal.example.com', ['https://app.example.com'])).toBe(true);
    expect(originAllowed('https://evil.example', 'localhost:8080', ['*'])).toBe(true);
  });

  it('refuses other origins, other ports, and opaque ones', () => {
    expect(originAllowed('https://evil.example', 'localhost:8080', [])).toBe(false);
    expect(originAllowed('http://localhost:9999', 'localhost:8080', [])).toBe(false);
    expect(originAllowed('https://app.example.com.evil.example', 'x', ['https://app.example.com'])).toBe(false);
    expect(originAllowed('null', 'localhost:8080', [])).toBe(false);
  });
});

describe('clientAddress', () => {
  it('trusts X-Forwarded-For only when told to, and then its last hop', () => {
    const req = request({ 'x-forwarded-for': '1.1.1.1, 2.2.2.2' });
    expect(clientAddress(req, false)).toBe('10.0.0.1');
    expect(clientAddress(req, true)).toBe('2.2.2.2');
    expect(clientAddress(request({}), true)).toBe('10.0.0.1');
  });
});

describe('ConnectionCounter', () => {
  it('enforces the total and per-address limits and frees slots on remove', () => {
    const counter = new ConnectionCounter({ allowOrigins: [], maxConnections: 3, maxConnectionsPerIp: 2, trustProxy: false });
    const a = request({}, '1.1.1.1');
    const b = request({}, '2.2.2.2');
    for (let i = 0; i < 2; i++) {
      const admitted = counter.admit(a);
      expect(admitted).toEqual({ ok: true, address: '1.1.1.1' });
      counter.add('1.1.1.1');
    }
    expect(counter.admit(a)).toMatchObject({ ok: false, status: 503, reason: 'perIp' });
    counter.add('2.2.2.2');
    expect(counter.admit(b)).toMatchObject({ ok: false, status: 503, reason: 'capacity' });
    counter.remove('1.1.1.1');
    expect(counter.admit(a).ok).toBe(true);
    expect(counter.total).toBe(2);
    expect(counter.admit(request({ origin: 'https://evil.example', host: 'localhost' }, '3.3.3.3'))).toMatchObject({ ok: false, status: 403, reason: 'origin' });
  });
});
