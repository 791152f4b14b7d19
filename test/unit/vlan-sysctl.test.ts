import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCluster } from '../../src/lvs/model/load.js';
import { hostView } from '../../src/lvs/model/view.js';
import { realserverProbe } from '../../src/lvs/verify/realserver.js';
import { sysctl } from '../../src/modules/sysctl.js';
import { converge, testContext } from '../helpers/converge.js';
import { labInventory } from '../fixtures/clusters/inventory.js';

/**
 * A realserver on a VLAN device (`eth1.100`): its per-device ARP sysctls live at
 * /proc/sys/net/ipv4/conf/eth1.100/, which sysctl's dotted form writes `net.ipv4.conf.eth1/100.arp_ignore`.
 * The model, the sysctl module and verify must name the same file; `conf/eth1/100/` does not exist.
 */

const CLUSTER = `lvs:
  manager: ipvsadm
  directors: [dir1]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      realservers:
        - { host: rs-vlan, method: dr }
`;

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('a DR realserver on a VLAN interface', () => {
  const model = parseCluster(CLUSTER, 'cluster.yml', labInventory({ 'rs-vlan': { lvs_interfaces: { 'eth1.100': '198.51.100.40/24' } } }));
  const rs = (hostView(model, 'rs-vlan') as { lvs_realserver: { sysctls: { name: string; value: string }[] } }).lvs_realserver;

  it('the model names its sysctls in the dotted form, the VLAN dot written as /', () => {
    expect(rs.sysctls.map((s) => s.name)).toContain('net.ipv4.conf.eth1/100.arp_ignore');
    expect(rs.sysctls.map((s) => s.name)).not.toContain('net.ipv4.conf.eth1.100.arp_ignore');
  });

  it('the sysctl module writes conf/eth1.100/ and then finds nothing to do', async () => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-vlan-'));
    const dir = join(root, 'proc/sys/net/ipv4/conf/eth1.100');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'arp_ignore'), '0\n');
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    const { first, second } = await converge(sysctl, { name: 'net.ipv4.conf.eth1/100.arp_ignore', value: '1' }, testContext(root));
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual([]);
    expect(readFileSync(join(dir, 'arp_ignore'), 'utf8').trim()).toBe('1');
    expect(readFileSync(join(root, 'etc/sysctl.d/90-lvsible.conf'), 'utf8')).toContain('net.ipv4.conf.eth1/100.arp_ignore = 1');
  });

  it('verify reads the same file', () => {
    const script = realserverProbe({ addresses: [], sysctls: rs.sysctls }).script;
    expect(script).toContain('/proc/sys/net/ipv4/conf/eth1.100/arp_ignore');
    expect(script).not.toContain('conf/eth1/100/');
    // The module reads the very same path (one sysctl fact for both).
    const mod = sysctl.read({ name: 'net.ipv4.conf.eth1/100.arp_ignore', value: '1' }, testContext('')).script;
    expect(mod).toContain('/proc/sys/net/ipv4/conf/eth1.100/arp_ignore');
  });
});
