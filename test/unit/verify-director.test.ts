import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCluster, parseCluster } from '../../src/lvs/model/load.js';
import { compareVrrpPlacement, directorNetExpectation, directorProbe, vrrpSettleSeconds } from '../../src/lvs/verify/director.js';
import { compareRealserver, parseRealserver, type RealserverState } from '../../src/lvs/verify/realserver.js';
import { clustersDir, labInventory } from '../fixtures/clusters/inventory.js';
import { ipvsOut, netOut } from '../helpers/facts.js';
import { frame } from '../../src/facts/index.js';

/**
 * A director's side of verify beyond IPVS: its static VIPs, ip_forward for NAT, and for keepalived pairs who
 * holds each VRRP address. Address data is real `ip -j addr` output from the lab (the realserver fixtures),
 * moved between hosts to make the cases.
 */
const mixed = loadCluster(`${clustersDir}/mixed.yml`, labInventory());
const dr = parseCluster(readFileSync('examples/dr/inventory/cluster.yml', 'utf8'), 'examples/dr/inventory/cluster.yml', labInventory());
/** rs-dr's real probe output: 198.51.100.10/32 on lo, 198.51.100.21/24 on eth1. */
const capture = readFileSync('test/fixtures/verify/rs-dr.probe.txt', 'utf8');
const withVip = () => parseRealserver(netOut(capture));
const withoutVip = () => {
  const s = withVip();
  s.addresses.get('lo')!.delete('198.51.100.10/32');
  return s;
};

describe('director verify: static VIPs and ip_forward', () => {
  it('a single director without keepalived carries the VIP on its front LAN device; no NAT, no ip_forward', () => {
    expect(directorNetExpectation(dr, 'dir1')).toEqual({ addresses: [{ address: '198.51.100.10/32', dev: 'eth1' }], sysctls: [] });
  });

  it('a keepalived pair has no static VIP (VRRP places it) and forwards for its NAT realserver', () => {
    for (const d of ['dir1', 'dir2']) {
      expect(directorNetExpectation(mixed, d)).toEqual({ addresses: [], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] });
    }
  });

  it('a missing static VIP is drift, named with its device', () => {
    const exp = directorNetExpectation(dr, 'dir1');
    const state = withoutVip();
    expect(compareRealserver('dir1', exp, state)).toEqual([
      { host: 'dir1', subject: 'VIP 198.51.100.10/32', field: 'placement', want: 'on eth1', got: 'absent', ok: false },
    ]);
    state.addresses.get('eth1')!.add('198.51.100.10/32');
    expect(compareRealserver('dir1', exp, state)[0]!.ok).toBe(true);
  });

  it('the probe reads IPVS and the addresses in one script, and splits them apart again', () => {
    const probe = directorProbe(directorNetExpectation(mixed, 'dir1'));
    expect(probe.script).toContain('ipvsadm -Ln --tun-info');
    expect(probe.script).toContain('/proc/sys/net/ipv4/ip_forward');
    const out = frame({ live: ipvsOut('@unloaded 0\n'), net: netOut(`${capture}@sysctl net.ipv4.ip_forward 0\n`) });
    const st = probe.parse(out);
    expect(st.live).toMatchObject({ available: true, loaded: false });
    expect(st.net.addresses.get('lo')).toContain('198.51.100.10/32');
    expect(st.net.sysctls.get('net.ipv4.ip_forward')).toBe('0');
    // A read cut after the IPVS part never passes for a host without addresses.
    expect(() => probe.parse(frame({ live: ipvsOut('@unloaded 0\n') }, undefined, false))).toThrow(/read of director stopped before/);
  });
});

describe('director verify: who holds each VRRP address', () => {
  const nets = (dir1: RealserverState, dir2: RealserverState) => new Map([['dir1', dir1], ['dir2', dir2]]);

  it('held by exactly one director: ok, and says which', () => {
    const f = compareVrrpPlacement(mixed, nets(withVip(), withoutVip()));
    expect(f.find((x) => x.subject === 'VIP 198.51.100.10 (VI_1)')).toMatchObject({ ok: true, got: 'held by dir1' });
    // The pair's second address (the NAT gateway) is on neither in this data: that is drift of its own.
    expect(f.find((x) => x.subject === 'VIP 192.0.2.1 (VI_1)')).toMatchObject({ ok: false, got: 'held by no director: the VIP is down' });
  });

  it('held by none is the VIP down; held by both is split brain', () => {
    const none = compareVrrpPlacement(mixed, nets(withoutVip(), withoutVip()))[0]!;
    expect(none).toMatchObject({ ok: false, got: 'held by no director: the VIP is down', want: 'held by one of dir1, dir2' });
    const both = compareVrrpPlacement(mixed, nets(withVip(), withVip()))[0]!;
    expect(both).toMatchObject({ ok: false, got: 'held by dir1 and dir2: split brain' });
  });

  it('not judged when a member was not read (--limit, unreachable): who holds it cannot be known', () => {
    expect(compareVrrpPlacement(mixed, new Map([['dir1', withoutVip()]]))).toEqual([]);
    expect(compareVrrpPlacement(dr, new Map([['dir1', withVip()]]))).toEqual([]);
  });

  it('an election settles within 3 adverts and a second: the re-read waits that long', () => {
    expect(vrrpSettleSeconds(mixed)).toBe(4);
    expect(vrrpSettleSeconds(dr)).toBe(0);
  });
});
