import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandHostRange, hostVars, loadInventory, parseHostKey, parseIniValue } from '../../src/inventory/index.js';
import { shellWords } from '../../src/inventory/ini.js';

const FIX = resolve('test/fixtures/inventories');

describe('INI values are read like Ansible (Python literal_eval, else the text)', () => {
  it.each<[string, unknown]>([
    ['22', 22],
    ['-3', -3],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['0x1F', 31],
    ['1_000', 1000],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'], // not a Python literal: stays text, like Ansible
    ['yes', 'yes'],
    ['010', '010'], // Python 3 refuses leading zeros
    ['10.0.0.1', '10.0.0.1'],
    ['192.168.1.0/24', '192.168.1.0/24'],
    ["'two words'", 'two words'],
    ['"it\'s"', "it's"],
    ["'a' 'b'", 'ab'],
    ['"tab\\there"', 'tab\there'],
    ["[1, 'a', [2]]", [1, 'a', [2]]],
    ['(1, 2)', [1, 2]],
    ["{'port': 80, \"on\": True}", { port: 80, on: true }],
    ['[1, 2', '[1, 2'],
    ['"unterminated', '"unterminated'],
    ['  padded  ', 'padded'],
    ['', ''],
    ['/etc/keepalived/keepalived.conf', '/etc/keepalived/keepalived.conf'],
  ])('%j -> %j', (text, expected) => {
    expect(parseIniValue(text)).toEqual(expected);
  });
});

describe('host lines split like shlex', () => {
  it('groups quotes, removes them, stops at #, and keeps columns', () => {
    expect(shellWords(`web1 a="x y" b='p q' c=d\\ e  # note="z"`)).toEqual([
      { text: 'web1', col: 1 },
      { text: 'a=x y', col: 6 },
      { text: 'b=p q', col: 14 },
      { text: 'c=d e', col: 22 },
    ]);
    expect(() => shellWords('web1 a="x')).toThrow(/unclosed " quote/);
  });
});

describe('host ranges and ports', () => {
  it.each<[string, string[]]>([
    ['web[01:03].lan', ['web01.lan', 'web02.lan', 'web03.lan']],
    ['web[1:3]', ['web1', 'web2', 'web3']],
    ['node[0:10:5]', ['node0', 'node5', 'node10']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
    ['[:2]x', ['0x', '1x', '2x']],
    ['plain.example.com', ['plain.example.com']],
  ])('%s', (pattern, expected) => {
    expect(expandHostRange(pattern)).toEqual(expected);
  });

  it.each([
    ['web[3:1]', /begin <= end/],
    ['web[01:3]', /same width/],
    ['web[1:]', /end value/],
    ['web[1:2:3:4]', /begin:end/],
    ['web[a:3]', /numbers or single letters/],
    ['web[0:99999]', /more than 10000 hosts/],
  ])('%s is refused', (pattern, why) => {
    expect(() => expandHostRange(pattern)).toThrow(why);
  });

  it('splits :port without mistaking IPv6 or ranges for it', () => {
    expect(parseHostKey('lb1:2222')).toEqual({ names: ['lb1'], port: 2222 });
    expect(parseHostKey('web[1:2]:2200')).toEqual({ names: ['web1', 'web2'], port: 2200 });
    expect(parseHostKey('web[1:2]')).toEqual({ names: ['web1', 'web2'] });
    expect(parseHostKey('fe80::1')).toEqual({ names: ['fe80::1'] });
    expect(parseHostKey('[2001:db8::5]:22')).toEqual({ names: ['2001:db8::5'], port: 22 });
    expect(() => parseHostKey('lb1:ssh')).toThrow(/port number/);
  });
});

describe('INI inventory file', () => {
  const inv = loadInventory([join(FIX, 'ini/hosts.ini')]);

  it('puts lines before any section in ungrouped and expands ranges with steps', () => {
    expect([...inv.groups.get('ungrouped')!.hosts]).toEqual(['bastion.example.com']);
    expect([...inv.groups.get('web')!.hosts]).toEqual([
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
      'web1.lab',
      'web3.lab',
      'web5.lab',
    ]);
  });

  it('links [group:children] even when the child is declared further down', () => {
    expect([...inv.groups.get('realservers')!.children].sort()).toEqual(['dns', 'web']);
    expect([...inv.groups.get('dns')!.hosts]).toEqual(['ns1.example.com', '192.168.56.53']);
  });

  it('parses host-line and [group:vars] values', () => {
    const lb1 = hostVars(inv, 'lb1.example.com');
    expect(lb1.priority).toBe(150);
    expect(lb1.state).toBe('MASTER');
    expect(lb1.ansible_become).toBe('true');
    const lb2 = hostVars(inv, 'lb2.example.com');
    expect(lb2.ansible_port).toBe(2222);
    expect(lb2.state).toBe('BACKUP'); // the trailing # comment is not part of the line
    const w = hostVars(inv, 'web01.example.com');
    expect([w.enabled, w.disabled, w.lowercase, w.weight]).toEqual([true, false, 'true', 1]);
    const w5 = hostVars(inv, 'web5.lab');
    expect([w5.note, w5.padded, w5.ratio, w5.items, w5.nothing]).toEqual(['two words', '010', 0.5, [1, 'a'], null]);
    expect(w5.weight).toBe(5); // from group_vars/web.yml beside the INI file
    expect([w5.rs_method, w5.vip, w5.quoted, w5.mapping]).toEqual(['dr', '192.168.56.100', 'a string', { port: 80, proto: 'tcp' }]);
    expect(hostVars(inv, 'bastion.example.com').ansible_port).toBe(2200);
  });
});
