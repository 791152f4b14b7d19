import { describe, expect, it } from 'vitest';
import { loadCluster, parseCluster } from '../../src/lvs/model/load.js';
import { desiredTable } from '../../src/lvs/model/table.js';
import { clusterGroups, hostView } from '../../src/lvs/model/view.js';
import { clustersDir, dualStackInventory, labInventory } from '../fixtures/clusters/inventory.js';

const mixed = loadCluster(`${clustersDir}/mixed.yml`, labInventory());
type View = {
  lvs_is_director: boolean;
  lvs_is_realserver: boolean;
  lvs_director: Record<string, unknown>;
  lvs_realserver: Record<string, unknown>;
};
const view = (m: typeof mixed, h: string) => hostView(m, h) as View;

describe('mixed cluster (seed 001 NAT+DR+TUN behind seed 000 keepalived pair)', () => {
  it('loads clean, with RIPs taken from the LAN each realserver shares with the directors', () => {
    expect(mixed.warnings).toEqual([]);
    expect(mixed.manager).toBe('keepalived');
    expect(mixed.virtual_services[0]!.realservers.map((r) => [r.host, r.address, r.method, r.port, r.weight])).toEqual([
      ['rs-nat', '192.0.2.11', 'nat', 80, 2],
      ['rs-dr', '198.51.100.21', 'dr', 80, 1],
      ['rs-tun', '198.51.100.31', 'tun', 80, 1],
    ]);
  });

  it('desiredTable: one TCP service, three methods, on both directors', () => {
    const expected = {
      services: [
        {
          kind: 'tcp', family: 'inet', address: '198.51.100.10', port: 80, scheduler: 'wrr', schedFlags: [], ops: false,
          destinations: [
            { address: '192.0.2.11', port: 80, method: 'nat', weight: 2 },
            { address: '198.51.100.21', port: 80, method: 'dr', weight: 1 },
            { address: '198.51.100.31', port: 80, method: 'tun', weight: 1 },
          ],
        },
      ],
      timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    };
    expect(desiredTable(mixed, 'dir1')).toEqual(expected);
    expect(desiredTable(mixed, 'dir2')).toEqual(expected);
  });

  it('directors: keepalived owns IPVS, forwarding on for NAT, VIPs float (none static)', () => {
    const d = view(mixed, 'dir1');
    expect(d.lvs_is_director).toBe(true);
    expect(d.lvs_is_realserver).toBe(false);
    expect(d.lvs_director).toMatchObject({
      manager: 'keepalived', keepalived: true, ipvs_services: [], needs_ip_forward: true, vips: [],
      modules: ['ip_vs', 'ip_vs_wrr'], packages: ['ipvsadm', 'keepalived'],
    });
    expect(d.lvs_director.keepalived_conf).toContain('state MASTER');
    expect(view(mixed, 'dir2').lvs_director.keepalived_conf).toContain('state BACKUP');
  });

  it('realservers: per-method VIP placement, sysctls and the NAT route back via the floating DIP', () => {
    expect(view(mixed, 'rs-nat').lvs_realserver).toMatchObject({ methods: ['nat'], nat_gateway: '192.0.2.1', addresses: [], sysctls: [], modules: [] });
    expect(view(mixed, 'rs-dr').lvs_realserver).toEqual({
      methods: ['dr'], dr_vips: ['198.51.100.10'], tun_vips: [], nat_gateway: null,
      addresses: [{ address: '198.51.100.10/32', dev: 'lo' }],
      sysctls: [
        { name: 'net.ipv4.conf.all.arp_ignore', value: '1' }, { name: 'net.ipv4.conf.all.arp_announce', value: '2' },
        { name: 'net.ipv4.conf.eth1.arp_ignore', value: '1' }, { name: 'net.ipv4.conf.eth1.arp_announce', value: '2' },
      ],
      modules: [], arp_interfaces: ['all', 'eth1'],
    });
    const tun = view(mixed, 'rs-tun').lvs_realserver;
    expect(tun).toMatchObject({ methods: ['tun'], tun_vips: ['198.51.100.10'], modules: ['ipip'], addresses: [{ address: '198.51.100.10/32', dev: 'tunl0' }] });
    expect(tun.sysctls).toEqual(expect.arrayContaining([
      { name: 'net.ipv4.conf.tunl0.rp_filter', value: '0' },
      { name: 'net.ipv4.conf.all.rp_filter', value: '2' },
      { name: 'net.ipv4.conf.all.arp_ignore', value: '1' },
    ]));
    expect(view(mixed, 'client')).toMatchObject({ lvs_is_director: false, lvs_is_realserver: false });
  });

  it('groups order the site play: realservers, then BACKUP, then MASTER', () => {
    expect(clusterGroups(mixed)).toEqual({
      lvs_directors: ['dir1', 'dir2'], lvs_master: ['dir1'], lvs_backup: ['dir2'],
      lvs_realservers: ['rs-nat', 'rs-dr', 'rs-tun'], lvs_rs_nat: ['rs-nat'], lvs_rs_dr: ['rs-dr'], lvs_rs_tun: ['rs-tun'],
    });
  });
});

describe('single director without keepalived', () => {
  const text = `lvs:
  directors: [dir1]
  timeouts: { tcp: 300 }
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      scheduler: rr
      realservers:
        - { host: rs-nat, method: nat, port: 8080 }
        - { host: rs-dr, method: dr }
`;
  const m = parseCluster(text, 'solo.yml', labInventory());

  it('places the VIP statically on the director interface of its LAN and lets ipvsadm program IPVS', () => {
    expect(m.manager).toBe('ipvsadm');
    const d = view(m, 'dir1').lvs_director;
    expect(d.vips).toEqual([{ address: '198.51.100.10/32', dev: 'eth1' }]);
    expect(d.keepalived).toBe(false);
    expect(d.keepalived_conf).toBe('');
    expect(d.packages).toEqual(['ipvsadm']);
    expect(d.ipvs_timeouts).toEqual({ tcp: 300, tcpfin: 0, udp: 0 });
    expect((d.ipvs_services as { destinations: unknown[] }[])[0]!.destinations).toEqual([
      { address: '192.0.2.11', port: 8080, method: 'nat', weight: 1 },
      { address: '198.51.100.21', port: 80, method: 'dr', weight: 1 },
    ]);
    expect(m.virtual_services[0]!.name).toBe('tcp-198.51.100.10-80');
  });

  it("NAT realserver's gateway is the director's own address on its LAN", () => {
    expect(view(m, 'rs-nat').lvs_realserver.nat_gateway).toBe('192.0.2.2');
    expect(clusterGroups(m)).toMatchObject({ lvs_master: ['dir1'], lvs_backup: [] });
  });
});

describe('every feature', () => {
  const m = loadCluster(`${clustersDir}/features.yml`, dualStackInventory());

  it('canonicalises IPv6 and keeps fwmark DR/TUN ports at 0', () => {
    const [dns, fw, web6] = desiredTable(m, 'dir1').services;
    expect(web6).toMatchObject({ family: 'inet6', address: '2001:db8:100::10', persistence: { timeout: 60, netmask: '64' }, schedFlags: ['mh-port'] });
    expect(web6!.destinations).toEqual([{ address: '2001:db8:100::21', port: 80, method: 'dr', weight: 1, upperThreshold: 100, lowerThreshold: 50 }]);
    expect(fw).toMatchObject({ kind: 'fwmark', fwmark: 7, persistence: { timeout: 1800, netmask: '255.255.255.0' } });
    expect(fw!.address).toBeUndefined();
    expect(fw!.destinations.map((d) => d.port)).toEqual([0, 0]);
    expect(dns).toMatchObject({ kind: 'udp', ops: true, schedFlags: ['sh-port', 'sh-fallback'] });
  });

  it('warns about the unmanaged NAT realserver, naming the gateway it needs', () => {
    expect(m.warnings.map((w) => [w.line, w.message])).toEqual([
      [34, 'NAT realserver 192.0.2.50 is not managed by lvsible: its default route must point at 192.0.2.1'],
    ]);
  });

  it('DR realserver of the fwmark service gets the VIP on lo; IPv6-only gets no ARP sysctls', () => {
    expect(view(m, 'rs-dr').lvs_realserver).toMatchObject({ dr_vips: ['198.51.100.10'] });
    expect(view(m, 'rs-v6').lvs_realserver).toMatchObject({ addresses: [{ address: '2001:db8:100::10/128', dev: 'lo' }], sysctls: [] });
    expect(view(m, 'dir1').lvs_director.modules).toEqual(['ip_vs', 'ip_vs_lc', 'ip_vs_mh', 'ip_vs_sh']);
  });
});
