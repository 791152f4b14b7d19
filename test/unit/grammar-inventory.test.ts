import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { loadInventory, hostVars } from '../../src/inventory/index.js';
import { varLocation } from '../../src/inventory/vars.js';
import { parseCluster } from '../../src/lvs/model/load.js';
import { openInventory } from '../../src/commands/inventory-view.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ginv-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}
const short = (i: ConfigIssue) => `${i.file.replace(/.*\//, '')}:${i.line}:${i.col} ${i.message}`;

describe('host and group names with blanks or control characters are refused where they are written', () => {
  const names: [string, string, string][] = [
    ['a newline (the keepalived.conf injection)', '"dir1\\nvrrp_script pwn {"', 'contains a newline'],
    ['a space', '"dir 1"', 'contains a space'],
    ['a tab', '"dir\\t1"', 'contains a tab'],
    ['a control character', '"dir\\x011"', 'U\\+0001'],
    ['a no-break space', '"dir\\u00a01"', 'U\\+00A0'],
    ['a zero-width space', '"web\\u200b1"', 'U\\+200B, an invisible format character'],
    ['a zero-width joiner', '"web\\u200d1"', 'U\\+200D'],
    ['a word joiner', '"web\\u20601"', 'U\\+2060'],
    ['a byte order mark (zero-width no-break space)', '"web\\ufeff1"', 'U\\+FEFF'],
    ['a right-to-left override', '"dir1\\u202e"', 'U\\+202E'],
    ['a right-to-left isolate', '"dir1\\u2067"', 'U\\+2067'],
    ['a soft hyphen (another format character)', '"dir\\u00ad1"', 'U\\+00AD'],
    ['an ideographic space', '"dir\\u30001"', 'U\\+3000'],
  ];
  for (const [what, key, why] of names) {
    it(`host name with ${what}`, () => {
      const dir = tree({ 'hosts.yml': `all:\n  hosts:\n    ok1:\n    ${key}:\n` });
      const issues = issuesOf(() => loadInventory([join(dir, 'hosts.yml')]));
      expect(issues.map(short)).toEqual([expect.stringMatching(new RegExp(`^hosts\\.yml:4:5 host name .*${why}`))]);
      expect(issues[0]!.field).not.toMatch(/[\n\t]/);
    });
  }
  it('a group name with a space, and every problem of the file at once', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  children:\n    "my group":\n      hosts:\n        h1:\n    web:\n      hosts:\n        "a b":\n' });
    // At the key where the name is written, not at the mapping under it.
    expect(issuesOf(() => loadInventory([join(dir, 'hosts.yml')])).map(short)).toEqual([
      expect.stringMatching(/^hosts\.yml:3:5 group name "my group" contains a space/),
      expect.stringMatching(/^hosts\.yml:8:9 host name "a b" contains a space/),
    ]);
  });
  it('an invisible character is never printed as it is: the message and the field escape it', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  children:\n    "lb\\u200d":\n      hosts:\n        "dir1\\u202e":\n' });
    const issues = issuesOf(() => loadInventory([join(dir, 'hosts.yml')]));
    expect(issues.map(short)).toEqual([expect.stringMatching(/^hosts\.yml:3:5 group name "lb\\u200d" contains U\+200D/)]);
    expect(issues[0]!.field).toBe('all.children["lb\\u200d"]');
    expect(JSON.stringify(issues)).not.toMatch(/[\u200d\u202e]/);
    const host = tree({ 'hosts.yml': 'all:\n  hosts:\n    "dir1\\u202e":\n' });
    expect(issuesOf(() => loadInventory([join(host, 'hosts.yml')])).map(short)).toEqual([expect.stringMatching(/^hosts\.yml:3:5 host name "dir1\\u202e" contains U\+202E/)]);
  });
  it('an INI inventory: the same names refused at their line', () => {
    const dir = tree({ 'hosts.ini': '[web]\nweb1\nweb\u200b2 ansible_port=22\n[lb\u2066]\ndir1\n' });
    const issues = issuesOf(() => loadInventory([join(dir, 'hosts.ini')]));
    expect(issues.map((i) => `${i.file.replace(/.*\//, '')}:${i.line} ${i.message}`)).toEqual([
      expect.stringMatching(/^hosts\.ini:3 host name "web\\u200b2" contains U\+200B/),
      expect.stringMatching(/^hosts\.ini:4 group name "lb\\u2066" contains U\+2066/),
    ]);
  });
  it('an invisible character in an lvs_interfaces interface name', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    dir1:\n      lvs_interfaces:\n        "eth1\\u200b": 198.51.100.2/24\n    web1:\n      lvs_interfaces: { eth1: 198.51.100.21/24 }\n' });
    const inv = loadInventory([join(dir, 'hosts.yml')]);
    const view = { hosts: [...inv.hosts.keys()], hostVars: (h: string) => hostVars(inv, h), locate: (h: string, n: string, s: (string | number)[]) => varLocation(inv, h, n, s) };
    const issues = issuesOf(() => parseCluster(cluster, join(dir, 'cluster.yml'), view));
    expect(issues.map(short)[0]).toMatch(/^hosts\.yml:5:\d+ host dir1: lvs_interfaces interface name "eth1\\u200b" contains U\+200B/);
  });
  it('what Ansible accepts and lvsible keeps: #, :, unicode', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    "a#b":\n    "h\u00e9te":\n    "10.0.0.1":\n    "m\u00fcnchen":\n' });
    expect([...loadInventory([join(dir, 'hosts.yml')]).hosts.keys()]).toEqual(['a#b', 'h\u00e9te', '10.0.0.1', 'm\u00fcnchen']);
  });
});

describe('varLocation: where the winning value of a host var is written', () => {
  const dir = tree({
    'hosts.yml': 'all:\n  vars:\n    x: 1\n  children:\n    lb:\n      vars:\n        x: 2\n      hosts:\n        dir1:\n          ifs:\n            eth1: 198.51.100.2/24\n        dir2:\n',
    'host_vars/dir2.yml': 'x: 3\nifs:\n  eth1:\n    - 198.51.100.3/24\n    - 198.51.100.4/24\n',
  });
  const inv = loadInventory([join(dir, 'hosts.yml')]);
  it('inline host var, with a path inside it', () => {
    expect(varLocation(inv, 'dir1', 'ifs', ['eth1'])).toMatchObject({ file: join(dir, 'hosts.yml'), line: 11, col: 19, field: 'all.children.lb.hosts.dir1.ifs.eth1' });
  });
  it('group var beats all, host_vars beats group', () => {
    expect(varLocation(inv, 'dir1', 'x')).toMatchObject({ line: 7 });
    expect(hostVars(inv, 'dir2').x).toBe(3);
    expect(varLocation(inv, 'dir2', 'x')).toMatchObject({ file: join(dir, 'host_vars/dir2.yml'), line: 1 });
    expect(varLocation(inv, 'dir2', 'ifs', ['eth1', 1])).toMatchObject({ line: 5, col: 7, field: 'ifs.eth1[1]' });
  });
  it('magic vars have no location', () => expect(varLocation(inv, 'dir1', 'inventory_hostname')).toBeUndefined());
});

const cluster = `lvs:
  directors: [dir1]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      realservers:
        - { host: web1, method: dr }
`;

describe('a bad lvs_interfaces is reported in the inventory file, with line and column', () => {
  const dir = tree({
    'hosts.yml': [
      'all:',
      '  hosts:',
      '    dir1:',
      '      lvs_interfaces:',
      '        eth1: 198.51.100.2/24',
      '        "eth 2": 192.0.2.2/24',
      '    web1:',
      '      lvs_interfaces:',
      '        eth1: [198.51.100.21/24, 198.51.100.22/33]',
      '    web2:',
      '',
    ].join('\n'),
    'host_vars/web2.yml': 'lvs_interfaces:\n  "eth1\\nvrrp_script pwn {": 198.51.100.23/24\n',
    'cluster.yml': cluster,
  });
  it('through the loader, given a locate function', () => {
    const inv = loadInventory([join(dir, 'hosts.yml')]);
    const view = { hosts: [...inv.hosts.keys()], hostVars: (h: string) => hostVars(inv, h), locate: (h: string, n: string, s: (string | number)[]) => varLocation(inv, h, n, s) };
    expect(issuesOf(() => parseCluster(cluster, join(dir, 'cluster.yml'), view)).map(short)).toEqual([
      expect.stringMatching(/^hosts\.yml:6:\d+ host dir1: lvs_interfaces interface name "eth 2" contains a space/),
      expect.stringMatching(/^hosts\.yml:9:34 host web1: lvs_interfaces\.eth1 = "198\.51\.100\.22\/33" has a bad prefix/),
      expect.stringMatching(/^web2\.yml:2:\d+ host web2: lvs_interfaces interface name .* contains a newline/),
    ]);
  });
  it('and through openInventory, as the commands load it', () => {
    const issues = issuesOf(() => openInventory([join(dir, 'hosts.yml')]));
    expect(issues.filter((i) => /lvs_interfaces/.test(i.message)).map((i) => `${i.file.replace(/.*\//, '')}:${i.line}`)).toEqual(['hosts.yml:6', 'hosts.yml:9', 'web2.yml:2']);
  });
});

describe('cluster.yml values keepalived.conf carries as written are checked at load', () => {
  const inv = {
    hosts: ['dir1', 'dir2', 'web1'],
    hostVars: (h: string) => ({ lvs_interfaces: { eth1: h === 'dir1' ? '198.51.100.2/24' : h === 'dir2' ? '198.51.100.3/24' : '198.51.100.21/24' } }),
  };
  const text = `lvs:
  directors: [dir1, dir2]
  vrrp_instances:
    - name: VI_1
      interface: eth1
      virtual_router_id: 51
      priority: { dir1: 150, dir2: 100 }
      authentication: { pass: "a'b" }
      virtual_ipaddress: [198.51.100.10/24]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      health_check: { type: HTTP_GET, path: "/$_HASH", connect_ip: "dir1" }
      realservers:
        - host: web1
          method: dr
          health_check: { type: MISC_CHECK, misc_path: "/bin/check \\\\" }
`;
  it('every problem, each at its line', () => {
    expect(issuesOf(() => parseCluster(text, 'cluster.yml', inv)).map((i) => `${i.line} ${i.field}: ${i.message}`)).toEqual([
      // The secret is neither quoted nor described by its characters.
      expect.stringMatching(/^8 lvs\.vrrp_instances\[0\]\.authentication\.pass: auth_pass must be one keepalived word: no blanks, quotes/),
      expect.stringMatching(/^13 lvs\.virtual_services\[0\]\.health_check\.path: path "\/\$_HASH" contains "\$"/),
      expect.stringMatching(/^13 lvs\.virtual_services\[0\]\.health_check\.connect_ip: connect_ip "dir1" is not an IPv4\/IPv6 address/),
      expect.stringMatching(/^17 lvs\.virtual_services\[0\]\.realservers\[0\]\.health_check\.misc_path: misc_path .* backslash/),
    ]);
  });
});

describe('connection vars that ssh would read as more than an address or a user', () => {
  it('are refused at the var, with line and column, in inventory files and vars files', () => {
    const dir = tree({
      'hosts.yml': 'all:\n  hosts:\n    web1: { ansible_host: "127.0.0.1\\nProxyCommand id" }\n    web2: { ansible_user: "root admin" }\n    "-oProxyCommand=id":\n    web3:\n',
      'host_vars/web3.yml': 'ansible_host: -oProxyCommand=id\n',
    });
    expect(issuesOf(() => loadInventory([join(dir, 'hosts.yml')])).map((i) => `${short(i)} (${i.field})`)).toEqual([
      'hosts.yml:3:27 "127.0.0.1\\nProxyCommand id" contains a newline (control characters are never valid here) (all.hosts.web1.ansible_host)',
      'hosts.yml:4:27 "root admin" contains a space (an address or user name is one word) (all.hosts.web2.ansible_user)',
      expect.stringMatching(/^hosts\.yml:5:\d+ host name "-oProxyCommand=id" starts with "-"/),
      'web3.yml:1:15 "-oProxyCommand=id" starts with "-" (ssh would read it as an option) (ansible_host)',
    ]);
  });
});

describe('cluster model: addresses by the grammar, and the inventory problems with the schema ones', () => {
  const inv = (extra: Record<string, Record<string, unknown>> = {}) => ({
    hosts: ['dir1', 'dir2', 'web1'],
    hostVars: (h: string) => ({ lvs_interfaces: { eth1: { dir1: '198.51.100.2/24', dir2: '198.51.100.3/24', web1: '198.51.100.21/24' }[h] }, ...(extra[h] ?? {}) }),
  });
  const svc = (vip: string) => `lvs:\n  directors: [dir1]\n  virtual_services:\n    - vip: ${vip}\n      port: 80\n      realservers:\n        - { host: web1, method: dr }\n`;
  it('a VIP with a leading-zero octet is refused, not read as .1', () => {
    expect(issuesOf(() => parseCluster(svc('198.51.100.010'), 'cluster.yml', inv())).map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      expect.stringMatching(/^4:\d+ "198\.51\.100\.010" is not an IPv4 address \("010" has a leading zero/),
    ]);
  });
  it('a director listed twice', () => {
    const text = svc('198.51.100.10').replace('[dir1]', '[dir1, dir1]');
    expect(issuesOf(() => parseCluster(text, 'cluster.yml', inv())).map((i) => `${i.field} ${i.message}`)).toContainEqual(
      expect.stringMatching(/^lvs\.directors\[1\] director "dir1" is listed twice \(also at line 2\)/),
    );
  });
  it('two hosts with the same LAN address, reported at the second', () => {
    const shared = { ...inv(), hostVars: (h: string) => ({ lvs_interfaces: { eth1: h === 'web1' ? '198.51.100.2/24' : inv().hostVars(h).lvs_interfaces.eth1 } }) };
    expect(issuesOf(() => parseCluster(svc('198.51.100.10'), 'cluster.yml', shared)).map((i) => i.message)).toContainEqual(
      expect.stringMatching(/^host web1: lvs_interfaces\.eth1 address 198\.51\.100\.2 is also host dir1's/),
    );
  });
  it('a bad lvs_interfaces and a schema error in cluster.yml come in one list', () => {
    const bad = { ...inv(), hostVars: (h: string) => ({ lvs_interfaces: { eth1: h === 'web1' ? '198.51.100.21/33' : inv().hostVars(h).lvs_interfaces.eth1 } }) };
    const msgs = issuesOf(() => parseCluster(svc('198.51.100.10').replace('port: 80', 'port: 70000'), 'cluster.yml', bad)).map((i) => i.message);
    expect(msgs).toEqual([expect.stringMatching(/^host web1: lvs_interfaces\.eth1 .* bad prefix/), expect.stringMatching(/65535/)]);
  });
});
