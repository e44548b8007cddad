import { describe, expect, it } from 'vitest';
import { SettingsError, clientAddressOf, parseSettings, trustedProxyCheck } from '../src/index.ts';

const request = (peer: string | undefined, forwardedFor?: string) => ({
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  socket: { remoteAddress: peer },
}) as unknown as Parameters<typeof clientAddressOf>[0];

describe('the client address a subgraph records', () => {
  const defaults = trustedProxyCheck(parseSettings({}).trustedProxies);

  it('is the last hop of x-forwarded-for (what the gateway saw) when the gateway calls from a trusted address', () => {
    expect(clientAddressOf(request('127.0.0.1', '203.0.113.9, 198.51.100.7'), defaults)).toBe('198.51.100.7');
    expect(clientAddressOf(request('::ffff:10.0.3.4', '198.51.100.7'), defaults)).toBe('198.51.100.7');
    expect(clientAddressOf(request('172.18.0.5', '198.51.100.7'), defaults)).toBe('198.51.100.7');
  });

  it('is the socket address of a direct caller from elsewhere, whatever x-forwarded-for it sends', () => {
    expect(clientAddressOf(request('198.51.100.20', '203.0.113.9'), defaults)).toBe('198.51.100.20');
    expect(clientAddressOf(request('198.51.100.20'), defaults)).toBe('198.51.100.20');
  });

  it('trusts only the listed proxies when TRUSTED_PROXIES is set', () => {
    const onlyGateway = trustedProxyCheck(parseSettings({ TRUSTED_PROXIES: '10.20.0.0/16, 10.30.0.7' }).trustedProxies);
    expect(clientAddressOf(request('10.20.1.1', '198.51.100.7'), onlyGateway)).toBe('198.51.100.7');
    expect(clientAddressOf(request('10.30.0.7', '198.51.100.7'), onlyGateway)).toBe('198.51.100.7');
    expect(clientAddressOf(request('127.0.0.1', '203.0.113.9'), onlyGateway)).toBe('127.0.0.1');
    expect(clientAddressOf(request('10.30.0.8', '203.0.113.9'), onlyGateway)).toBe('10.30.0.8');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address, a range or a known name, naming it', () => {
    expect(() => parseSettings({ TRUSTED_PROXIES: 'loopback, gateway.internal' })).toThrow(SettingsError);
    expect(() => parseSettings({ TRUSTED_PROXIES: 'loopback, gateway.internal' })).toThrow(/TRUSTED_PROXIES: gateway\.internal is not an address/);
  });
});
