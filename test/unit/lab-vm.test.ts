import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setupScript } from '../../src/lab/guest.js';
import { inventoryDoc, groupVarsAll, knownHosts } from '../../src/lab/inventory.js';
import { builtinTopology } from '../../src/lab/paths.js';
import type { LabState } from '../../src/lab/state.js';
import { loadTopology } from '../../src/lab/topology.js';
import { macAddress, qemuArgs, type VmLaunch } from '../../src/lab/vm.js';

const topo = loadTopology(builtinTopology('default'));
const image = { dir: '/c', hash: 'h', rootfs: '/c/rootfs.img', kernel: '/c/vmlinuz', initrd: '/c/initrd.img', cmdline: 'root=/dev/vda' };
const launch = (name: string, index: number): VmLaunch => ({
  vm: topo.vms.find((v) => v.name === name)!,
  index,
  labByte: 0xab,
  dir: `/lab/vms/${name}`,
  image,
  accel: 'tcg',
  sshPort: 22022,
  proxyPort: 13142,
  lans: { front: '230.1.171.1:25000', back: '230.1.171.2:25001' },
});
const values = (args: string[], flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe('lab VM command line', () => {
  it('the management NIC is restricted: SSH forward on loopback and the proxy forward, nothing else', () => {
    const args = qemuArgs(launch('dir1', 2));
    const mgmt = values(args, '-netdev').find((n) => n.startsWith('user,'))!;
    expect(mgmt.split(',')).toContain('restrict=on');
    expect(mgmt).toContain('hostfwd=tcp:127.0.0.1:22022-:22');
    expect(mgmt).toContain('guestfwd=tcp:10.0.2.100:3142-cmd:nc 127.0.0.1 13142');
    expect(mgmt.match(/hostfwd|guestfwd/g)).toHaveLength(2);
  });

  it('plugs each LAN NIC into its LAN multicast group on loopback, eth0 first then eth1.. in order', () => {
    const args = qemuArgs(launch('dir1', 2));
    expect(values(args, '-netdev').filter((n) => n.startsWith('socket'))).toEqual([
      'socket,id=lan1,mcast=230.1.171.1:25000,localaddr=127.0.0.1',
      'socket,id=lan2,mcast=230.1.171.2:25001,localaddr=127.0.0.1',
    ]);
    const nics = values(args, '-device').filter((d) => d.startsWith('virtio-net'));
    expect(nics.map((d) => /addr=(0x\w+)/.exec(d)![1])).toEqual(['0x03', '0x04', '0x05']);
    expect(nics[0]).toContain('netdev=mgmt');
  });

  it('gives every NIC of every VM its own MAC', () => {
    const macs = topo.vms.flatMap((vm, i) =>
      values(qemuArgs(launch(vm.name, i + 1)), '-device').flatMap((d) => /mac=([\w:]+)/.exec(d)?.[1] ?? []),
    );
    expect(macs.length).toBe(topo.vms.reduce((n, v) => n + 1 + v.nics.length, 0));
    expect(new Set(macs).size).toBe(macs.length);
    expect(macAddress(0xab, 2, 1)).toBe('52:54:00:ab:02:01');
  });
});

describe('lab seed setup script', () => {
  it('sets the name, the management address with no default route, and the LAN addresses', () => {
    const s = setupScript(topo.vms.find((v) => v.name === 'dir1')!);
    expect(s).toContain('hostname dir1\n');
    expect(s).toContain('ip addr replace 10.0.2.15/24 dev eth0');
    expect(s).toContain('ip addr replace 198.51.100.2/24 dev eth1');
    expect(s).toContain('ip addr replace 192.0.2.2/24 dev eth2');
    expect(s).not.toContain('default');
    expect(s).not.toContain('/run/lvsible/http');
  });

  it('a NAT realserver routes through its director and answers HTTP with its name', () => {
    const s = setupScript(topo.vms.find((v) => v.name === 'rs-nat')!);
    expect(s).toContain('ip route replace default via 192.0.2.2');
    expect(s).toContain('touch /run/lvsible/http');
  });
});

describe('lab inventory', () => {
  const state: LabState = {
    topology: 'default', topologyFile: 'x', accel: 'tcg', imageHash: 'h', proxy: { pid: 1, port: 2 }, lans: {},
    keyFile: '/lab/keys/id_ed25519', knownHostsFile: '/inv/known_hosts', startedAt: '',
    vms: topo.vms.map((vm, i) => ({
      name: vm.name, pid: 100 + i, sshPort: 22000 + i, groups: vm.groups, dir: '',
      interfaces: Object.fromEntries(vm.nics.map((n) => [n.dev, `${n.address}/${n.prefix}`])),
      hostPublicKey: `ssh-ed25519 KEY${i} root@${vm.name}`,
    })),
  };

  it('has the shared groups, each host on its forwarded port with lvs_interfaces', () => {
    const doc = parse(JSON.stringify(inventoryDoc(state))) as { all: { children: Record<string, { hosts: Record<string, unknown> }> } };
    const g = doc.all.children;
    expect(Object.keys(g.directors!.hosts)).toEqual(['dir1', 'dir2']);
    expect(Object.keys(g.realservers!.hosts)).toEqual(['rs-nat', 'rs-dr', 'rs-tun']);
    expect(Object.keys(g.clients!.hosts)).toEqual(['client']);
    expect(g.directors!.hosts.dir1).toEqual({ ansible_host: '127.0.0.1', ansible_port: 22001, lvs_interfaces: { eth1: '198.51.100.2/24', eth2: '192.0.2.2/24' } });
    expect(groupVarsAll(state)).toMatchObject({ ansible_user: 'lvsible', ansible_become: true, lvsible_known_hosts_file: '/inv/known_hosts' });
  });

  it('known_hosts names each VM by its forwarded port', () => {
    expect(knownHosts(state).split('\n')[1]).toBe('[127.0.0.1]:22001 ssh-ed25519 KEY1');
  });
});
