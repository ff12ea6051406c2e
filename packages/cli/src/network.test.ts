import { describe, expect, it } from 'vitest';
import { isLoopbackHost, lanAddress } from './network.ts';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as const;

describe('lanAddress', () => {
  it('picks the first non-internal IPv4 address', () => {
    expect(
      lanAddress({
        lo: [iface('127.0.0.1', 'IPv4', true)],
        eth0: [iface('fe80::1', 'IPv6', false), iface('192.168.1.5', 'IPv4', false)],
        eth1: [iface('10.0.0.2', 'IPv4', false)],
      } as never),
    ).toBe('192.168.1.5');
  });

  it('is undefined with only loopback', () => {
    expect(lanAddress({ lo: [iface('127.0.0.1', 'IPv4', true)] } as never)).toBeUndefined();
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names', () => {
    expect(['localhost', '127.0.0.1', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '192.168.1.5', '::'].some(isLoopbackHost)).toBe(false);
  });
});
