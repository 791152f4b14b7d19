import { describe, expect, it } from 'vitest';
import { canonicalIp, contains, netmaskPrefix, networkOf, parseCidr, parseIp, prefixToNetmask } from '../../src/lvs/model/net.js';

describe('IP helpers used by the cluster checks', () => {
  it('canonicalises IPv6 the way ipvsadm prints it (RFC 5952)', () => {
    expect(canonicalIp('2001:DB8:0:0:0::1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalIp('::')).toBe('::');
    // glibc's inet_ntop, which ipvsadm prints with, keeps the IPv4 tail dotted.
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(canonicalIp('::ffff:c000:201')).toBe('::ffff:192.0.2.1');
    expect(canonicalIp('198.51.100.010')).toBe('198.51.100.10');
  });

  it('rejects what is not an address', () => {
    for (const bad of ['198.51.100.256', '1.2.3', '2001:db8::1::2', 'rs-dr', '1:2:3:4:5:6:7:8:9', '']) {
      expect(parseIp(bad), bad).toBeNull();
    }
    expect(parseCidr('198.51.100.2/33')).toBeNull();
    expect(parseCidr('198.51.100.2/x')).toBeNull();
  });

  it('tells which addresses share a LAN', () => {
    const lan = parseCidr('192.0.2.2/24')!;
    expect(networkOf(lan)).toBe('192.0.2.0/24');
    expect(contains(lan, parseIp('192.0.2.200')!)).toBe(true);
    expect(contains(lan, parseIp('192.0.3.1')!)).toBe(false);
    expect(contains(parseCidr('2001:db8:100::2/64')!, parseIp('2001:db8:100::ffff')!)).toBe(true);
    expect(contains(lan, parseIp('::1')!)).toBe(false);
  });

  it('converts persistence netmasks', () => {
    expect(netmaskPrefix('255.255.255.0', 4)).toBe(24);
    expect(netmaskPrefix('255.255.255.255', 4)).toBe(32);
    expect(netmaskPrefix('255.0.255.0', 4)).toBeNull();
    expect(netmaskPrefix(64, 6)).toBe(64);
    expect(netmaskPrefix('255.255.0.0', 6)).toBeNull();
    expect(prefixToNetmask(20)).toBe('255.255.240.0');
  });
});
