import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { loadCluster, parseCluster } from '../../src/lvs/model/load.js';
import { clustersDir, labInventory } from '../fixtures/clusters/inventory.js';

/**
 * One refused cluster per check: the fixture marks the line the first error must point at with `# <- error`,
 * and the table gives every message, exactly. The mistakes are mostly the seeds' (see docs/cluster-model.md).
 */
const cases: Record<string, string[]> = {
  'auth-pass-long': ['vrrp_instance VI_1: auth_pass is 11 characters; keepalived silently uses only the first 8, so give at most 8'],
  'director-as-realserver': ['dir1 is a director and a realserver; lvsible does not support collocated directors (their IPVS would forward the traffic again)'],
  'dr-no-lan': ['DR realserver rs-far (203.0.113.5) shares no LAN with director dir1 (eth1 198.51.100.2/24, eth2 192.0.2.2/24): DR forwards by MAC address, so the realserver must be on a LAN of every director that can hold the VIP; use TUN across networks'],
  'dr-port': ['DR realserver rs-dr port 8080 differs from the virtual port 80: DR cannot rewrite ports (ipvsadm silently uses 80); use NAT or port 80'],
  'equal-priorities': ['vrrp_instance VI_1: no MASTER and equal priorities (dir1=100, dir2=100): the election would depend on addresses; make priorities distinct'],
  'fwmark-dr-port': ['DR realserver rs-dr of a fwmark service keeps the packet\'s port: leave port out (it is 0)'],
  'method-conflict': ['rs-dr is a NAT realserver (web, at line 9) and a DR realserver here: NAT needs its default route through the director, while DR replies leave with the VIP as source straight to the client; through the director they are dropped (the director owns the VIP). Use one method per host'],
  'nat-dip-other-instance': ['NAT realserver rs-nat: its gateway 192.0.2.1 floats with vrrp_instance VI_BACK but the VIP 198.51.100.10 with VI_FRONT: they can end up on different directors; put both in one instance'],
  'nat-no-floating-dip': ['NAT realserver rs-nat: 2 directors can hold the VIP but no keepalived floating address (DIP) is on its LAN: its default route cannot follow the master; add a DIP to the vrrp_instance carrying 198.51.100.10'],
  'nat-no-forward': ['NAT realserver rs-nat: the directors must forward (net.ipv4.ip_forward=1) but manage_ip_forward is false'],
  'nat-no-lan': ['NAT realserver rs-far (203.0.113.5) shares no LAN with director dir1 (eth1 198.51.100.2/24, eth2 192.0.2.2/24): its replies must return through the director, which needs an address on its LAN'],
  'nopreempt-master': ['vrrp_instance VI_1: nopreempt only works with state BACKUP, and dir1 is MASTER (keepalived clears nopreempt there); use state BACKUP on every director and let priority elect the master'],
  'ops-on-tcp': ['one-packet scheduling (ops) is only for UDP and fwmark services'],
  'schema-scheduler': ['must be one of: "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos", got "wrrr"'],
  'schema-unknown-field': ['unknown field "persistance"'],
  'schema-weight': ['must be <= 65535'],
  'service-twice': ['virtual service tcp 198.51.100.10:80 is declared twice (first as "web" at line 5): IPVS has one entry per protocol, VIP and port'],
  'sh-flag-with-wrr': ['sh-port only applies to scheduler sh (this service uses wrr)'],
  'sync-daemon-no-keepalived': ['the connection sync daemon is run by keepalived, and no director here runs keepalived (manager: ipvsadm, no vrrp_instances): remove sync_daemon or use keepalived'],
  'tun-port': ['TUN realserver rs-tun port 8080 differs from the virtual port 80: TUN cannot rewrite ports (ipvsadm silently uses 80); use NAT or port 80'],
  'two-masters': ['vrrp_instance VI_1: dir1, dir2 all have state MASTER; give one director state MASTER (or all BACKUP with distinct priorities)'],
  'unknown-host': ['host "rs-dx" is not in the inventory (did you mean "rs-dr"?)'],
  'vip-is-a-host': ['VIP 198.51.100.100 is the address of client (eth1), not a VIP: a typo?'],
  'vip-off-lan': ['VIP 192.168.1.100 is on no LAN of director dir1 (eth1 198.51.100.2/24, eth2 192.0.2.2/24): a typo? If traffic for it is routed to dir1, declare it in static_vips with a dev'],
  'vip-twice': ['198.51.100.10 is declared twice: in vrrp_instance VI_1 and in static VIP on dir1; two owners would both answer ARP for it'],
  'vip-typo-keepalived': ['VIP 198.51.100.11 is carried by no vrrp_instance (they carry 198.51.100.10, 192.0.2.1): a typo? IPVS would accept it and nobody would answer for it'],
  'vrid-twice': ['virtual_router_id 51 is also used by vrrp_instance VI_1 on the same LAN (198.51.100.0/24); VRIDs must be unique per LAN'],
  'vrrp-interface': [
    'vrrp_instance VI_1: director dir1 has no interface eth3 in lvs_interfaces (eth1 198.51.100.2/24, eth2 192.0.2.2/24)',
    'vrrp_instance VI_1: director dir2 has no interface eth3 in lvs_interfaces (eth1 198.51.100.3/24, eth2 192.0.2.3/24)',
    '198.51.100.10: director dir1 has no interface eth3 (eth1 198.51.100.2/24, eth2 192.0.2.2/24)',
    '198.51.100.10: director dir2 has no interface eth3 (eth1 198.51.100.3/24, eth2 192.0.2.3/24)',
  ],
};

// A host off every director LAN, for the "shares no LAN" checks.
const inv = labInventory({ 'rs-far': { lvs_interfaces: { eth1: '203.0.113.5/24' } } });

function refused(file: string): ConfigIssue[] {
  try {
    loadCluster(file, inv);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

describe('cluster checks refuse each mistake with its line', () => {
  for (const [name, messages] of Object.entries(cases)) {
    it(name, () => {
      const file = `${clustersDir}/bad/${name}.yml`;
      const marked = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('# <- error')) + 1;
      const issues = refused(file);
      expect(issues.map((i) => i.message)).toEqual(messages);
      expect(issues[0]!.line).toBe(marked);
      expect(issues.every((i) => i.file === file)).toBe(true);
      // A refused secret is described, never echoed.
      expect(JSON.stringify(issues)).not.toContain('supersecret');
    });
  }

  it('collects every problem at once instead of stopping at the first', () => {
    const text = readFileSync(`${clustersDir}/bad/two-masters.yml`, 'utf8')
      .replace('virtual_router_id: 51', 'virtual_router_id: 51\n      nopreempt: true')
      .replace('{ host: rs-dr, method: dr }', '{ host: rs-dr, method: dr, port: 81 }');
    let issues: ConfigIssue[] = [];
    try {
      parseCluster(text, 'many.yml', inv);
    } catch (e) {
      issues = (e as ConfigError).issues;
    }
    expect(issues.map((i) => `${i.line} ${i.field}`)).toEqual([
      '8 lvs.vrrp_instances[0].nopreempt',
      '10 lvs.vrrp_instances[0].state',
      '19 lvs.virtual_services[0].realservers[0].port',
    ]);
  });
});
