import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { parseCluster } from '../../src/lvs/model/load.js';
import { dualStackInventory, labInventory } from '../fixtures/clusters/inventory.js';

const inv = labInventory();

function load(text: string, view = inv): { issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  try {
    const model = parseCluster(text, 'cluster.yml', view);
    return { issues: [], warnings: model.warnings };
  } catch (e) {
    if (e instanceof ConfigError) return { issues: e.issues, warnings: [] };
    throw e;
  }
}
const at = (i: ConfigIssue) => `${i.line}:${i.col} ${i.field}: ${i.message}`;

/** Two directors, VI_1 on eth1 (LAN 198.51.100.0/24) and a DIP on eth2 (LAN 192.0.2.0/24). */
const vrrp = (first: string, second = '{ address: 192.0.2.1/24, dev: eth2 }') => `lvs:
  directors: [dir1, dir2]
  vrrp_instances:
    - name: VI_1
      interface: eth1
      virtual_router_id: 51
      priority: { dir1: 150, dir2: 100 }
      state: { dir1: MASTER }
      virtual_ipaddress:
        - ${first}
        - ${second}
  virtual_services:
    - name: web
      vip: 198.51.100.10
      port: 80
      realservers:
        - { host: rs-dr, method: dr }
`;

describe('a VIP prefix never claims more than its LAN as on-link', () => {
  it('/0 is refused at the address: on failover it would be a second default route', () => {
    const { issues } = load(vrrp('198.51.100.10/0'));
    expect(issues.map(at)).toEqual([
      "10:11 lvs.vrrp_instances[0].virtual_ipaddress[0]: 198.51.100.10/0: a /0 prefix would make keepalived add 0.0.0.0/0 as an on-link route on eth1 (a second default route) on the director holding it; give /24 (the prefix of dir1's LAN 198.51.100.0/24 on eth1) or /32",
    ]);
  });
  it('a prefix shorter than the LAN the address is on is refused (a mapping entry with dev)', () => {
    const { issues } = load(vrrp('198.51.100.10/24', '{ address: 192.0.2.1/1, dev: eth2 }'));
    expect(issues.map(at)).toEqual([
      "11:11 lvs.vrrp_instances[0].virtual_ipaddress[1]: 192.0.2.1/1: the prefix /1 is wider than the LAN it is on (192.0.2.0/24): the director holding it would route all of 128.0.0.0/1 as on-link through eth2; give /24 (the prefix of dir1's LAN 192.0.2.0/24 on eth2) or /32",
    ]);
    expect(load(vrrp('198.51.100.10/23')).issues.map((i) => i.message)).toEqual([expect.stringMatching(/^198\.51\.100\.10\/23: the prefix \/23 is wider than the LAN it is on \(198\.51\.100\.0\/24\)/)]);
  });
  it('an address off the LAN whose prefix covers a LAN of the director is refused', () => {
    const { issues } = load(vrrp('198.51.100.10/24', '{ address: 198.0.0.1/8, dev: eth2 }'));
    expect(issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      expect.stringMatching(/^lvs\.vrrp_instances\[0\]\.virtual_ipaddress\[1\]: 198\.0\.0\.1\/8: the prefix \/8 is wide enough to cover dir1's LAN on eth1 \(198\.51\.100\.0\/24\)/),
    ]);
  });
  it('what operators write stays accepted: /32 on a /24 LAN, the LAN prefix itself, no prefix', () => {
    for (const vip of ['198.51.100.10/32', '198.51.100.10/24', '198.51.100.10', '198.51.100.10/28']) {
      expect(load(vrrp(vip)).issues, vip).toEqual([]);
    }
  });
  it('a routed VIP on no LAN keeps its prefix (with the "on no LAN" warning)', () => {
    const { issues, warnings } = load(vrrp('198.51.100.10/32', '{ address: 203.0.113.10/24, dev: eth2 }'));
    expect(issues).toEqual([]);
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('203.0.113.10 is on no LAN of dir1'));
  });
  it('IPv6: ::/0 and a prefix wider than the /64 are refused, /128 and /64 accepted', () => {
    const v6 = dualStackInventory();
    const text = (a: string) => vrrp('198.51.100.10/24').replace('  virtual_services:', `    - name: VI_6\n      interface: eth1\n      virtual_router_id: 52\n      priority: { dir1: 150, dir2: 100 }\n      virtual_ipaddress: [${a}]\n  virtual_services:`);
    expect(load(text('2001:db8:100::10/0'), v6).issues.map((i) => i.message)).toEqual([expect.stringContaining('would make keepalived add ::/0 as an on-link route on eth1')]);
    expect(load(text('2001:db8:100::10/48'), v6).issues.map((i) => i.message)).toEqual([expect.stringContaining('/48 is wider than the LAN it is on (2001:db8:100::/64)')]);
    expect(load(text('2001:db8:100::10/128'), v6).issues).toEqual([]);
    expect(load(text('2001:db8:100::10/64'), v6).issues).toEqual([]);
  });
  it('a static VIP is held to the same rule, at its address', () => {
    const text = (a: string) => `lvs:
  manager: ipvsadm
  directors: [dir1]
  static_vips:
    - { address: ${a}, host: dir1 }
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      realservers:
        - { host: rs-dr, method: dr }
`;
    expect(load(text('198.51.100.10/0')).issues.map(at)).toEqual([
      "5:18 lvs.static_vips[0].address: 198.51.100.10/0: a /0 prefix would make the static VIP add 0.0.0.0/0 as an on-link route on eth1 (a second default route) on the director holding it; give /24 (the prefix of dir1's LAN 198.51.100.0/24 on eth1) or /32",
    ]);
    expect(load(text('198.51.100.10/16')).issues.map((i) => i.field)).toEqual(['lvs.static_vips[0].address']);
    expect(load(text('198.51.100.10/32')).issues).toEqual([]);
  });
});

describe('a value the schema refuses for its type is coerced for the model checks, not removed', () => {
  const svc = (port: string, extra = '') => `lvs:
  directors: [dir1, dir2]
  vrrp_instances:
    - name: VI_1
      interface: eth1
      virtual_router_id: 51
      priority: { dir1: 150, dir2: 100 }
      state: { dir1: MASTER }
      virtual_ipaddress: [198.51.100.10/24, { address: 192.0.2.1/24, dev: eth2 }]
  virtual_services:
    - name: web
      vip: 198.51.100.10
      port: ${port}
      health_check: { type: TCP_CHECK, connect_timeout: 3 }${extra}
      realservers:
        - { host: rs-nat, method: nat }
        - { host: rs-dr, method: dr }
`;
  it('port: "80" is one schema error and no false "port 0" follow-on', () => {
    const { issues } = load(svc('"80"'));
    expect(issues.map(at)).toEqual(['13:13 lvs.virtual_services[0].port: must be a whole number, not the string "80"']);
  });
  it('a numeric string that is also out of range is removed after the coercion fails, reported once', () => {
    const { issues } = load(svc('"70000"'));
    expect(issues.filter((i) => i.field === 'lvs.virtual_services[0].port').map((i) => i.message)).toEqual(['must be a whole number, not the string "70000"']);
  });
  it('a number where text is wanted (name: 42) is one error and the model checks still run', () => {
    const { issues } = load(svc('80').replace('name: web', 'name: 42').replace('{ host: rs-dr, method: dr }', '{ host: rs-dr, method: dr, port: 81 }'));
    expect(issues.map((i) => i.field)).toEqual(['lvs.virtual_services[0].name', 'lvs.virtual_services[0].realservers[1].port']);
    expect(issues[1]!.message).toContain('DR realserver rs-dr port 81 differs from the virtual port 80');
  });
  it('a value with no obvious coercion is still removed (port: [80])', () => {
    const { issues } = load(svc('[80]'));
    expect(issues.filter((i) => i.field === 'lvs.virtual_services[0].port')).toHaveLength(1);
  });
});
