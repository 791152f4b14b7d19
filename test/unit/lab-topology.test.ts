import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { builtinTopology } from '../../src/lab/paths.js';
import { inCidr, loadTopology } from '../../src/lab/topology.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsible-topo-'));
function load(text: string) {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return () => loadTopology(file);
}
function issues(text: string): string[] {
  try {
    load(text)();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.line}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('lab topology', () => {
  it('the default topology is the shared lab: 6 VMs on front and back LANs', () => {
    const t = loadTopology(builtinTopology('default'));
    expect(t.vms.map((v) => v.name)).toEqual(['client', 'dir1', 'dir2', 'rs-nat', 'rs-dr', 'rs-tun']);
    const dir1 = t.vms.find((v) => v.name === 'dir1')!;
    expect(dir1.nics).toEqual([
      { dev: 'eth1', lan: 'front', address: '198.51.100.2', prefix: 24 },
      { dev: 'eth2', lan: 'back', address: '192.0.2.2', prefix: 24 },
    ]);
    expect(t.vms.filter((v) => v.http).map((v) => v.name)).toEqual(['rs-nat', 'rs-dr', 'rs-tun']);
    expect(t.vms.find((v) => v.name === 'rs-nat')!.gateway).toBe('192.0.2.2');
  });

  it('points at the line of an address outside its LAN, an unknown LAN and a NIC gap', () => {
    const got = issues(`lans:
  front: { cidr: 198.51.100.0/24 }
vms:
  a:
    nics:
      eth1: { lan: front, address: 10.1.1.1 }
  b:
    nics:
      eth1: { lan: nowhere, address: 198.51.100.5 }
  c:
    nics:
      eth2: { lan: front, address: 198.51.100.6 }
`);
    expect(got).toEqual([
      '6: 10.1.1.1 is not inside LAN front (198.51.100.0/24)',
      '9: unknown LAN "nowhere" (known: front)',
      '12: NICs must be eth1, eth2, ... without gaps (found eth2)',
    ]);
  });

  it('rejects a duplicate address, an off-LAN gateway and schema mistakes', () => {
    const got = issues(`lans:
  front: { cidr: 198.51.100.0/24 }
vms:
  a:
    gateway: 192.0.2.1
    nics:
      eth1: { lan: front, address: 198.51.100.5 }
  b:
    nics:
      eth1: { lan: front, address: 198.51.100.5 }
`);
    expect(got).toEqual(["5: gateway 192.0.2.1 is on none of a's LANs", '10: 198.51.100.5 is already used by a eth1']);
    expect(issues('lans: {}\nvms:\n  A_B:\n    nics: {}\n    colour: red\n').length).toBeGreaterThan(0);
  });

  it('inCidr compares the network part only', () => {
    expect(inCidr('192.0.2.200', '192.0.2.0/24')).toBe(true);
    expect(inCidr('192.0.3.1', '192.0.2.0/24')).toBe(false);
    expect(inCidr('10.255.0.1', '10.0.0.0/8')).toBe(true);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
  });
});
