import { describe, expect, it } from 'vitest';
import { signalingUrlFor, splitToken } from './signalingClient.ts';

describe('signalingUrlFor', () => {
  it('points at /ws on the same host, with the token when given', () => {
    const page = { protocol: 'https:', host: 'shoal.example.com' } as Location;
    expect(signalingUrlFor(page)).toBe('wss://shoal.example.com/ws');
    expect(signalingUrlFor({ protocol: 'http:', host: 'localhost:8080' } as Location, 'shoal1.r.worker.1.a+b')).toBe('ws://localhost:8080/ws?token=shoal1.r.worker.1.a%2Bb');
    expect(signalingUrlFor(page, null)).toBe('wss://shoal.example.com/ws');
  });
});

describe('splitToken', () => {
  it('takes the token off the URL, so it travels only in the join message', () => {
    expect(splitToken('ws://h/ws?token=shoal1.r.worker.1.a%2Bb', undefined)).toEqual({ url: 'ws://h/ws', token: 'shoal1.r.worker.1.a+b' });
    expect(splitToken('ws://h/ws?x=1&token=t', undefined)).toEqual({ url: 'ws://h/ws?x=1', token: 't' });
  });

  it('prefers an explicit token, and leaves URLs without one alone', () => {
    expect(splitToken('ws://h/ws?token=from-url', 'explicit')).toEqual({ url: 'ws://h/ws', token: 'explicit' });
    expect(splitToken('ws://h/ws', 'explicit')).toEqual({ url: 'ws://h/ws', token: 'explicit' });
    expect(splitToken('ws://h/ws', undefined)).toEqual({ url: 'ws://h/ws', token: undefined });
    expect(splitToken('ws://h/ws?token=', undefined)).toEqual({ url: 'ws://h/ws', token: undefined });
  });
});
