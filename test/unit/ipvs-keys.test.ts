import { describe, expect, it } from 'vitest';
import { destKey, normalizeAddress, serviceKey, splitAddrPort } from '../../src/lvs/ipvs/keys.js';

describe('address normalisation (keys of IPv6 entries that differ only in text)', () => {
  it.each([
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], // the longer run
    ['1:2:3:4:5:6:0:8', '1:2:3:4:5:6:0:8'], // a single zero group is not compressed
    ['::', '::'],
    ['::1', '::1'],
    ['::FFFF:c000:0201', '::ffff:192.0.2.1'], // as inet_ntop prints it, so the drain loop finds it
    ['fe80::1%eth0', 'fe80::1'],
    ['10.0.0.1', '10.0.0.1'],
    ['not:an:address::x', 'not:an:address::x'],
  ])('%s -> %s', (a, b) => {
    expect(normalizeAddress(a)).toBe(b);
  });

  it('keys ignore textual form, not meaning', () => {
    const a = serviceKey({ kind: 'tcp', family: 'inet6', address: '2001:DB8::0:1', port: 80 });
    expect(a).toBe(serviceKey({ kind: 'tcp', family: 'inet6', address: '2001:db8::1', port: 80 }));
    expect(a).not.toBe(serviceKey({ kind: 'udp', family: 'inet6', address: '2001:db8::1', port: 80 }));
    expect(a).not.toBe(serviceKey({ kind: 'tcp', family: 'inet6', address: '2001:db8::1', port: 81 }));
    expect(serviceKey({ kind: 'fwmark', family: 'inet', fwmark: 7 })).not.toBe(serviceKey({ kind: 'fwmark', family: 'inet6', fwmark: 7 }));
    expect(destKey({ address: 'FD20::A', port: 53 })).toBe('[fd20::a]:53');
  });

  it('splits host:port at the last colon, IPv6 only in brackets', () => {
    expect(splitAddrPort('[2001:db8::1]:443')).toEqual({ address: '2001:db8::1', port: '443' });
    expect(splitAddrPort('10.0.0.1:80')).toEqual({ address: '10.0.0.1', port: '80' });
    expect(splitAddrPort('abc.my.host.net.')).toEqual({ address: 'abc.my.host.net.' });
    expect(splitAddrPort('2001:db8::1')).toEqual({ address: '2001:db8::1' });
  });
});
