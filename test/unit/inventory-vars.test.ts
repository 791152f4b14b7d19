import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  VARIABLE_PRECEDENCE,
  groupDepth,
  hostVarLayers,
  hostVars,
  loadInventory,
  loadVarsDir,
  sortGroups,
} from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');

describe('variable precedence (test/fixtures/inventories/precedence)', () => {
  const inv = loadInventory([join(FIX, 'precedence/hosts.yml')]);
  const h1 = hostVars(inv, 'h1');

  it('a child group beats its parent (greater depth)', () => {
    expect(groupDepth(inv, 'parent')).toBe(1);
    expect(groupDepth(inv, 'child')).toBe(2);
    expect(h1.pc).toBe('child-inline');
    expect(h1.gfile).toBe('child-file'); // the same among group_vars files
  });

  it('at the same depth, the later name wins', () => {
    expect(h1.same_depth).toBe('beta');
  });

  it('ansible_group_priority beats name order at the same depth', () => {
    expect(h1.prio).toBe('low');
    expect(sortGroups(inv, ['low', 'zzz', 'alpha', 'child'])).toEqual(['alpha', 'zzz', 'low', 'child']);
  });

  it('group_vars files sit above every inline group var, as in Ansible', () => {
    // group_vars/all.yml beats `vars:` of a child group written in the inventory file.
    expect(h1.file_vs_inline).toBe('all-file');
  });

  it('host vars in the inventory beat group vars of every kind, host_vars files beat those', () => {
    expect(h1.g_vs_h).toBe('host-inline');
    expect(h1.hv).toBe('host-file');
    expect(h1.only_all).toBe('all-inline');
  });

  it('explains where each value came from, in VARIABLE_PRECEDENCE order', () => {
    const layers = hostVarLayers(inv, 'h1');
    const idx = layers.map((l) => VARIABLE_PRECEDENCE.indexOf(l.layer));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(layers.map((l) => `${l.layer} ${l.source.replace(FIX + '/', '')}`)).toEqual([
      'all_inventory group all',
      'groups_inventory group alpha',
      'groups_inventory group beta',
      'groups_inventory group parent',
      'groups_inventory group zzz',
      'groups_inventory group low',
      'groups_inventory group child',
      'all_plugins_inventory precedence/group_vars/all.yml',
      'groups_plugins_inventory precedence/group_vars/parent.yml',
      'groups_plugins_inventory precedence/group_vars/child.yml',
      'host_inventory host h1 (precedence/hosts.yml:18)',
      'host_plugins_inventory precedence/host_vars/h1.yml',
    ]);
  });

  it('sets the magic variables', () => {
    expect(h1.inventory_hostname).toBe('h1');
    expect(h1.group_names).toEqual(['alpha', 'beta', 'child', 'low', 'parent', 'zzz']);
    const groups = h1.groups as Record<string, string[]>;
    expect(groups.all).toEqual(['h1', 'h2']);
    expect(groups.parent).toEqual(['h1']);
    expect(groups.ungrouped).toEqual([]);
    expect(h1.inventory_dir).toBe(join(FIX, 'precedence'));
  });

  it('short names cut DNS names, not IP addresses', () => {
    const inv2 = loadInventory([join(FIX, 'ini/hosts.ini')]);
    expect(hostVars(inv2, 'lb1.example.com').inventory_hostname_short).toBe('lb1');
    expect(hostVars(inv2, '192.168.56.53').inventory_hostname_short).toBe('192.168.56.53');
  });
});

describe('playbook group_vars/host_vars', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lvsible-pbvars-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('slot between inventory group_vars and host vars (Ansible *_plugins_play)', () => {
    mkdirSync(join(tmp, 'group_vars'));
    mkdirSync(join(tmp, 'host_vars'));
    writeFileSync(join(tmp, 'group_vars/all.yml'), 'file_vs_inline: playbook-all\ngfile: playbook-all\n');
    writeFileSync(join(tmp, 'group_vars/child.yml'), 'pc: playbook-child\ng_vs_h: playbook-child\n');
    writeFileSync(join(tmp, 'host_vars/h1.yml'), 'hv: playbook-host\n');
    const issues: never[] = [];
    const pb = loadVarsDir(tmp, issues, []);
    const inv = loadInventory([join(FIX, 'precedence/hosts.yml')]);
    const v = hostVars(inv, 'h1', { playbookVarsDirs: [pb] });
    expect(v.file_vs_inline).toBe('playbook-all'); // beats inventory group_vars/all.yml
    expect(v.gfile).toBe('child-file'); // inventory group_vars/child beats playbook group_vars/all
    expect(v.pc).toBe('playbook-child');
    expect(v.g_vs_h).toBe('host-inline'); // host vars still win
    expect(v.hv).toBe('playbook-host');
  });
});
