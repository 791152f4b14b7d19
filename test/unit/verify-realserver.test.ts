import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRealserver, parseRealserver, type RealserverExpectation } from '../../src/lvs/verify/realserver.js';
import { netOut } from '../helpers/facts.js';

/** Realserver verification against probe output a real lab kernel printed after a converged apply. */
const load = (h: string) => ({
  exp: JSON.parse(readFileSync(`test/fixtures/verify/${h}.expect.json`, 'utf8')) as RealserverExpectation,
  out: netOut(readFileSync(`test/fixtures/verify/${h}.probe.txt`, 'utf8')),
});

describe('realserver verify', () => {
  it('a converged DR realserver: VIP on lo, ARP settings on all and eth1', () => {
    const { exp, out } = load('rs-dr');
    const f = compareRealserver('rs-dr', exp, parseRealserver(out));
    expect(f.map((x) => [x.subject, x.ok])).toEqual([
      ['VIP 198.51.100.10/32', true],
      ['net.ipv4.conf.all.arp_ignore', true],
      ['net.ipv4.conf.all.arp_announce', true],
      ['net.ipv4.conf.eth1.arp_ignore', true],
      ['net.ipv4.conf.eth1.arp_announce', true],
    ]);
  });

  it('a converged TUN realserver: VIP on tunl0 that is up, rp_filter relaxed', () => {
    const { exp, out } = load('rs-tun');
    const state = parseRealserver(out);
    expect(state.up.has('tunl0')).toBe(true);
    const f = compareRealserver('rs-tun', exp, state);
    expect(f.every((x) => x.ok)).toBe(true);
    expect(f.find((x) => x.subject === 'net.ipv4.conf.tunl0.rp_filter')).toMatchObject({ want: '0', got: '0' });
  });

  it('a converged NAT realserver: default route through the floating DIP', () => {
    const { exp, out } = load('rs-nat');
    expect(compareRealserver('rs-nat', exp, parseRealserver(out))).toEqual([
      { host: 'rs-nat', subject: 'default route', field: 'gateway', want: 'via 192.0.2.1', got: 'via 192.0.2.1', ok: true },
    ]);
  });

  it('drift: a VIP moved to the wrong device, tunl0 down, a sysctl reset, a second default route', () => {
    const { exp, out } = load('rs-tun');
    const state = parseRealserver(out);
    state.addresses.get('tunl0')!.delete('198.51.100.10/32');
    state.addresses.get('lo')!.add('198.51.100.10/32');
    state.sysctls.set('net.ipv4.conf.all.arp_announce', '0');
    const bad = compareRealserver('rs-tun', exp, state).filter((x) => !x.ok);
    expect(bad.map((x) => `${x.subject}: want ${x.want}, got ${x.got}`)).toEqual([
      'VIP 198.51.100.10/32: want on tunl0 (up), got on lo',
      'net.ipv4.conf.all.arp_announce: want 2, got 0',
    ]);
    const nat = load('rs-nat');
    const s2 = parseRealserver(nat.out);
    s2.defaultVia.push('10.0.2.2');
    expect(compareRealserver('rs-nat', nat.exp, s2)[0]).toMatchObject({ ok: false, got: 'via 192.0.2.1, via 10.0.2.2' });
  });
});
