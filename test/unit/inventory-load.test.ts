import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addGroup, groupHosts, hostVars, loadInventory } from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');
const kids = (inv: ReturnType<typeof loadInventory>, g: string) => [...inv.groups.get(g)!.children].sort();

describe('YAML inventory', () => {
  const inv = loadInventory([join(FIX, 'yaml/hosts.yml')]);

  it('expands ranges and :port, keeping the order of the file', () => {
    expect([...inv.hosts.keys()]).toEqual([
      'client.example.com',
      'lb1.example.com',
      'lb2.example.com',
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
      'nsa.example.com',
      'nsb.example.com',
      'fe80::10',
    ]);
    expect(inv.hosts.get('lb2.example.com')!.vars.ansible_port).toBe(2222);
    expect(inv.hosts.get('fe80::10')!.vars.ansible_port).toBe(2200);
    expect(inv.hosts.get('web02.example.com')!.vars.http_port).toBe(8080);
  });

  it('builds the group tree with all, ungrouped and nested children', () => {
    expect(kids(inv, 'all')).toEqual(['directors', 'realservers', 'ungrouped']);
    expect(kids(inv, 'realservers')).toEqual(['dns', 'web']);
    expect([...inv.groups.get('ungrouped')!.hosts]).toEqual(['client.example.com']);
    expect([...inv.groups.get('web')!.parents]).toEqual(['realservers']);
    expect(groupHosts(inv, 'realservers')).toHaveLength(6);
    // Located at the group's value (its first line), like every position the YAML loader gives.
    expect(inv.groups.get('directors')!.source).toBe(`${join(FIX, 'yaml/hosts.yml')}:10`);
  });

  it('reads group_vars files, directories (merged in lexical order) and host_vars without extension', () => {
    const web2 = hostVars(inv, 'web02.example.com');
    expect(web2.tier).toBe('override'); // group_vars/web/20-override.yaml after 10-base.yml
    expect(web2.web_root).toBe('/srv/www');
    expect(web2.weight).toBe(3); // host_vars/web02.example.com (no extension)
    expect(hostVars(inv, 'lb2.example.com').keepalived_state).toBe('BACKUP'); // group_vars/directors.json
    expect(hostVars(inv, 'lb1.example.com').keepalived_state).toBe('MASTER');
  });

  it('warns that group_vars/web.yml is shadowed by group_vars/web/, as Ansible silently ignores it', () => {
    expect(inv.warnings).toHaveLength(1);
    expect(inv.warnings[0]).toContain('group_vars/web.yml is ignored');
    expect(hostVars(inv, 'web01.example.com').tier).not.toBe('shadowed');
  });

  it('records sources and dirs', () => {
    expect(inv.sources).toEqual([join(FIX, 'yaml/hosts.yml')]);
    expect(inv.dirs).toEqual([join(FIX, 'yaml')]);
  });
});

describe('directory inventory', () => {
  const inv = loadInventory([join(FIX, 'dir')]);

  it('merges every hosts file in lexical order and skips cluster.yml, README.md and hidden files', () => {
    expect(inv.sources.map((s) => s.slice(join(FIX, 'dir').length + 1))).toEqual(['01-directors.ini', '02-realservers.yml', 'hosts']);
    expect([...inv.hosts.keys()]).toEqual(['lb1', 'lb2', 'rs1', 'rs2', 'rs3']);
    expect(inv.groups.has('virtual_services')).toBe(false);
    expect(groupHosts(inv, 'realservers')).toEqual(['rs1', 'rs2', 'rs3']);
    expect([...inv.hosts.get('lb2')!.groups].sort()).toEqual(['both', 'directors']);
    expect(inv.dirs).toEqual([join(FIX, 'dir')]);
  });

  it('merges group_vars/all/ files in order and ignores hidden ones', () => {
    const v = hostVars(inv, 'rs2');
    expect(v.ansible_user).toBe('lab2');
    expect(v.lvs_vip).toBe('10.10.0.100');
    expect(v.role).toBe('realserver');
    expect(v.role_from_file).toBe('rs'); // group_vars/realservers.yaml
    expect(hostVars(inv, 'lb1').role).toBe('director');
  });
});

describe('several sources and dynamic groups', () => {
  let tmp = '';
  afterEach(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('merges sources in order: hosts accumulate and a later source overrides a host var', () => {
    tmp = mkdtempSync(join(tmpdir(), 'lvsible-inv-'));
    mkdirSync(join(tmp, 'a'));
    mkdirSync(join(tmp, 'b'));
    writeFileSync(join(tmp, 'a/hosts.yml'), 'all:\n  hosts:\n    h1: { color: red }\n');
    writeFileSync(join(tmp, 'b/hosts.ini'), '[web]\nh1 color=blue\nh2\n');
    const inv = loadInventory([join(tmp, 'a/hosts.yml'), join(tmp, 'b/hosts.ini')]);
    expect([...inv.hosts.keys()]).toEqual(['h1', 'h2']);
    expect(hostVars(inv, 'h1').color).toBe('blue');
    expect(inv.groups.get('ungrouped')!.hosts.size).toBe(0); // h1 joined web in the second source
    expect(inv.dirs).toEqual([join(tmp, 'a'), join(tmp, 'b')]);
  });

  it('addGroup adds a group whose group_vars file, loaded earlier, applies', () => {
    const inv = loadInventory([join(FIX, 'precedence/hosts.yml')]);
    expect(hostVars(inv, 'h2').from_dynamic_group_file).toBeUndefined();
    addGroup(inv, 'dynamic_lbs', ['h2']);
    expect(hostVars(inv, 'h2').from_dynamic_group_file).toBe('yes-it-applies');
    expect((hostVars(inv, 'h1').groups as Record<string, string[]>).dynamic_lbs).toEqual(['h2']); // magic var follows
    expect(hostVars(inv, 'h2').group_names).toEqual(['dynamic_lbs', 'h2only']);
    expect([...inv.groups.get('all')!.children]).toContain('dynamic_lbs');
    addGroup(inv, 'dynamic_sub', ['h1'], 'dynamic_lbs');
    expect(groupHosts(inv, 'dynamic_lbs')).toEqual(['h1', 'h2']);
    expect((hostVars(inv, 'h2').groups as Record<string, string[]>).dynamic_lbs).toEqual(['h1', 'h2']);
    expect(() => addGroup(inv, 'x', ['nope'])).toThrow(/unknown host/);
    expect(() => addGroup(inv, 'dynamic_lbs', [], 'dynamic_sub')).toThrow(/its own ancestor/);
  });

  it('moves a host out of ungrouped when addGroup gives it a group', () => {
    const inv = loadInventory([join(FIX, 'yaml/hosts.yml')]);
    addGroup(inv, 'clients', ['client.example.com']);
    expect(inv.groups.get('ungrouped')!.hosts.size).toBe(0);
  });
});

describe('warnings (test/fixtures/inventories/lint)', () => {
  const inv = loadInventory([join(FIX, 'lint/hosts.yml')]);

  it('an explicit ansible_port wins over a :port suffix, as in Ansible', () => {
    expect(hostVars(inv, 'lb1').ansible_port).toBe(2200);
  });

  it('flags a group named like a host, a group name patterns cannot express, and orphan host_vars', () => {
    expect(inv.warnings.map((w) => w.replace(FIX + '/', ''))).toEqual([
      '"web" is both a group and a host (lint/hosts.yml:4); in host patterns the group wins',
      'group name "bad:name" (lint/hosts.yml:9) cannot be used in host patterns: avoid spaces and : , ! & ~ [ ] * ?',
      'lint/host_vars/lb1.example.com.yml matches no host in the inventory',
    ]);
    expect(hostVars(inv, 'lb1').x).toBe(2);
  });
});
