import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addGroup, inventoryGraph, inventoryList, loadInventory } from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');

describe('inventory --graph', () => {
  const inv = loadInventory([join(FIX, 'yaml/hosts.yml')]);

  it('prints the tree like ansible-inventory --graph (groups and hosts sorted by name)', () => {
    expect(inventoryGraph(inv)).toBe(
      [
        '@all:',
        '  |--@directors:',
        '  |  |--lb1.example.com',
        '  |  |--lb2.example.com',
        '  |--@realservers:',
        '  |  |--@dns:',
        '  |  |  |--fe80::10',
        '  |  |  |--nsa.example.com',
        '  |  |  |--nsb.example.com',
        '  |  |--@web:',
        '  |  |  |--web01.example.com',
        '  |  |  |--web02.example.com',
        '  |  |  |--web03.example.com',
        '  |--@ungrouped:',
        '  |  |--client.example.com',
        '',
      ].join('\n'),
    );
  });

  it('starts from a given group', () => {
    expect(inventoryGraph(inv, 'dns')).toBe('@dns:\n  |--fe80::10\n  |--nsa.example.com\n  |--nsb.example.com\n');
    expect(() => inventoryGraph(inv, 'nope')).toThrow(/unknown group "nope"/);
  });
});

describe('inventory --list', () => {
  it("has Ansible's JSON shape: _meta.hostvars, groups with hosts/children/vars, empty groups left out", () => {
    const inv = loadInventory([join(FIX, 'dir')]);
    const allVars = {
      ansible_user: 'lab2',
      ansible_ssh_common_args: '-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/lab_known_hosts',
      lvs_vip: '10.10.0.100',
    };
    const rs = { ...allVars, role: 'realserver', role_from_file: 'rs' };
    expect(inventoryList(inv)).toEqual({
      _meta: {
        hostvars: {
          lb1: { ...allVars, role: 'director' },
          lb2: { ...allVars, role: 'director' },
          rs1: { ...rs, ansible_port: 2201, lvsible_host_key_checking: 'strict', lvsible_known_hosts_file: '/tmp/rs1_known_hosts' },
          rs2: rs,
          rs3: rs,
        },
      },
      all: { children: ['both', 'directors', 'realservers', 'ungrouped'], vars: allVars },
      both: { hosts: ['lb2'] },
      directors: { hosts: ['lb1', 'lb2'], vars: { role: 'director' } },
      realservers: { hosts: ['rs1', 'rs2', 'rs3'], vars: { role: 'realserver', role_from_file: 'rs' } },
    });
  });

  it('export mode keeps only each host its own vars', () => {
    const inv = loadInventory([join(FIX, 'dir')]);
    const list = inventoryList(inv, { export: true }) as { _meta: { hostvars: Record<string, unknown> } };
    expect(list._meta.hostvars).toEqual({
      rs1: { ansible_port: 2201, lvsible_host_key_checking: 'strict', lvsible_known_hosts_file: '/tmp/rs1_known_hosts' },
    });
  });

  it('never prints a secret', () => {
    const inv = loadInventory([join(FIX, 'yaml/hosts.yml')]);
    const list = inventoryList(inv) as Record<string, { vars?: Record<string, unknown> }> & {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
    };
    const text = JSON.stringify(list);
    expect(text).not.toContain('hunter2');
    expect(list.all.vars!.ansible_password).toBe('********');
    expect(list._meta.hostvars['lb1.example.com']!.ansible_password).toBe('********');
    const ini = JSON.stringify(inventoryList(loadInventory([join(FIX, 'ini/hosts.ini')]))); // ansible_become_password
    expect(ini).not.toContain('s3cret');
    expect(ini).toContain('"ansible_become_password":"********"');
  });

  it('shows groups added after loading', () => {
    const inv = loadInventory([join(FIX, 'dir')]);
    addGroup(inv, 'lvs_directors', ['lb1', 'lb2']);
    const list = inventoryList(inv) as Record<string, { hosts?: string[]; children?: string[] }>;
    expect(list.lvs_directors).toEqual({ hosts: ['lb1', 'lb2'] });
    expect(list.all!.children).toContain('lvs_directors');
    expect(inventoryGraph(inv)).toContain('  |--@lvs_directors:\n  |  |--lb1\n  |  |--lb2\n');
  });
});
