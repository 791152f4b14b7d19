import { describe, expect, it } from 'vitest';
import {
  absolutePath, accountName, GrammarError, inventoryName, ipvsAddrPort, ipvsNetmask, ipvsSchedFlags, ipvsScheduler, ipvsWord,
  connectionWord, kernelModuleName, packageName, sysctlKey, sysctlValue, unixMode,
} from '../../src/grammar/index.js';
import { rewriteSysctlFile } from '../../src/modules/sysctl.js';
import { restoreLine } from '../../src/lvs/ipvs/serialize.js';
import type { VirtualService } from '../../src/lvs/ipvs/types.js';

import { table } from '../helpers/grammar-table.js';

table('sysctlKey', sysctlKey, [
  ['net.ipv4.ip_forward', null],
  ['net.ipv4.conf.eth0/1.rp_filter', null],
  ['net/ipv4/conf/eth0.1/rp_filter', null],
  ['net.ipv4.vs.conntrack', null],
  ['net.ipv4.conf.all.arp_ignore\nkernel.core_pattern', 'a newline'],
  ['net.ipv4.ip_forward=1', 'contains "="'],
  ['net ipv4', 'a space'],
  ['#net.ipv4.ip_forward', 'comment'],
  [';net.ipv4.ip_forward', 'comment'],
  ['-net.ipv4.ip_forward', 'ignore errors'],
  ['net.ipv4.conf.*.rp_filter', 'a glob'],
  ['net..ipv4', 'empty, "." or ".."'],
  ['net/../../etc/passwd', 'empty, "." or ".."'],
  ['/net/ipv4', 'starts with "/"'],
  ['net.ipv4.$(id)', 'contains "$"'],
  ['', 'is empty'],
]);

table('sysctlValue', sysctlValue, [
  ['1', null],
  ['4096 87380 6291456', null],
  ['4096\t87380', null],
  ['|/usr/lib/systemd/systemd-coredump %P', null],
  ['value # with hash', null],
  ['1\nkernel.core_pattern = |/tmp/pwn', 'a newline'],
  ['1\rx', 'a carriage return'],
  ['1\u0000', 'NUL'],
  ['', 'is empty'],
  ['  ', 'is empty'],
]);

describe('the sysctl.d file is never written with a line that does not fit', () => {
  it('a value with a newline and a second key throws, naming the field', () => {
    expect(() => rewriteSysctlFile('', 'net.ipv4.ip_forward', '1\nkernel.core_pattern = |/tmp/pwn')).toThrow(GrammarError);
    expect(() => rewriteSysctlFile('', 'net.ipv4.ip_forward', '1\nkernel.core_pattern = |/tmp/pwn')).toThrow(/sysctl\.value/);
  });
  it('a key with a newline throws, naming the field', () => {
    expect(() => rewriteSysctlFile('', 'a.b\nkernel.core_pattern', '1')).toThrow(/sysctl\.name/);
  });
  it('a fitting line is written once', () => {
    expect(rewriteSysctlFile('', 'net.ipv4.conf.eth0/1.rp_filter', '2')).toBe('net.ipv4.conf.eth0/1.rp_filter = 2\n');
  });
});

table('ipvsWord', ipvsWord, [
  ['wlc', null],
  ['10.0.0.1:80', null],
  ['-C', 'starts with "-"'],
  ['#x', 'starts with "#"'],
  ['wlc -C', 'a space'],
  ['wlc\n-C', 'a newline'],
  ['', 'is empty'],
]);
table('ipvsAddrPort', ipvsAddrPort, [
  ['198.51.100.10:80', null],
  ['[2001:db8::10]:443', null],
  ['198.51.100.10:0', null],
  ['198.51.100.10', 'not ADDRESS:PORT'],
  ['2001:db8::10:80', 'not ADDRESS:PORT'],
  ['[198.51.100.10]:80', 'only IPv6 goes in brackets'],
  ['198.51.100.10:65536', 'bad port'],
  ['198.51.100.10:80\n-C', 'bad port'],
  ['x:80', 'bad address'],
]);
table('ipvsScheduler', ipvsScheduler, [['wlc', null], ['mh', null], ['twos', null], ['-C', 'not a scheduler'], ['wlc\n-C', 'not a scheduler'], ['WLC', 'not a scheduler']]);
table('ipvsSchedFlags', ipvsSchedFlags, [['sh-fallback,sh-port', null], ['flag-1', null], ['-x', 'not a list'], ['a,,b', 'not a list'], ['a b', 'not a list']]);
table('ipvsNetmask', ipvsNetmask, [['255.255.255.0', null], ['64', null], ['129', '0 to 128'], ['255.255.255.0 -C', 'not a netmask']]);

describe('ipvsadm -R lines refuse values that would become options or commands', () => {
  const svc = (over: Partial<VirtualService>): VirtualService => ({
    kind: 'tcp', family: 'inet', address: '198.51.100.10', port: 80, scheduler: 'wlc', schedFlags: [], ops: false, destinations: [], ...over,
  } as VirtualService);
  it('a valid service line', () => {
    expect(restoreLine({ op: 'add-service', service: svc({}) })).toBe('-A -t 198.51.100.10:80 -s wlc');
  });
  const bad: [string, Partial<VirtualService>, RegExp][] = [
    ['a scheduler with a newline and a flush', { scheduler: 'wlc\n-C' }, /scheduler/],
    ['a scheduler that is an option', { scheduler: '-C' }, /scheduler/],
    ['an address with a blank', { address: '198.51.100.10 -C' }, /service address/],
    ['a port out of range', { port: 70000 }, /service/],
    ['flags with a blank', { schedFlags: ['sh-port -C'] }, /scheduler flags/],
    ['a fwmark of 0', { kind: 'fwmark', fwmark: 0, address: undefined, port: undefined }, /fwmark/],
  ];
  for (const [what, over, field] of bad) {
    it(what, () => {
      expect(() => restoreLine({ op: 'add-service', service: svc(over) })).toThrow(GrammarError);
      expect(() => restoreLine({ op: 'add-service', service: svc(over) })).toThrow(field);
    });
  }
  it('a destination address with a newline', () => {
    const dest = { address: '192.0.2.11\n-C', port: 80, method: 'nat', weight: 1 } as never;
    expect(() => restoreLine({ op: 'add-dest', service: svc({}), dest })).toThrow(/realserver .* address/);
  });
});

table('absolutePath', absolutePath, [
  ['/etc/keepalived/keepalived.conf', null],
  ['/tmp/a b', null],
  ['etc/x', 'not an absolute path'],
  ['/etc/x\n/etc/y', 'a newline'],
  ['/etc/\u0000x', 'NUL'],
  ['', 'is empty'],
]);
table('unixMode', unixMode, [['0644', null], ['644', null], ['1777', null], ['0o755', null], ['0888', 'octal'], ['u+x', 'octal'], ['06444', 'octal']]);
table('accountName', accountName, [
  ['root', null],
  ['0', null],
  ['www-data', null],
  ['MACHINE$', null],
  ['-oProxyCommand', 'starts with "-"'],
  ['a b', 'a space'],
  ['a;id', '";"'],
  ['a$b', '"$"'],
  ['x'.repeat(33), '33 characters'],
]);
table('inventoryName', inventoryName, [
  ['dir1', null],
  ['dir1.example.com', null],
  ['10.0.0.1', null],
  ['a#b', null],
  ['a:b', null],
  ['h\u00e9te', null],
  ['a b', 'a space'],
  ['a\nvrrp_script x', 'a newline'],
  ['a\tb', 'a tab'],
  ['a\u0001b', 'U+0001'],
  ['a\u00a0b', 'U+00A0'],
  ['web\u200b1', 'U+200B'],
  ['dir1\u202e', 'U+202E'],
  ['a\u200cb', 'U+200C'],
  ['a\u2069b', 'U+2069'],
  ['\ufeffweb1', 'U+FEFF'],
  ['a\u00adb', 'U+00AD'],
  ['a\u2007b', 'U+2007'],
  ['m\u00fcnchen-\u00e9', null],
  ['-oProxyCommand=id', 'starts with "-"'],
  ['web-1', null],
  ['', 'is empty'],
]);
table('connectionWord (ansible_host, ansible_user)', connectionWord, [
  ['127.0.0.1', null],
  ['2001:db8::1', null],
  ['lvsible', null],
  ['127.0.0.1\nProxyCommand id', 'a newline'],
  ['root admin', 'a space'],
  ['-oProxyCommand=id', 'starts with "-"'],
  ['lvs\u200bible', 'U+200B'],
  ['{{ inventory_hostname }}.example.com', 'is a template'],
]);
table('kernelModuleName', kernelModuleName, [['ip_vs', null], ['ip_vs_wlc', null], ['ipip', null], ['-r', 'starts with "-"'], ['ip_vs;reboot', 'not a kernel module'], ['ip vs', 'not a kernel module']]);
table('packageName', packageName, [
  ['ipvsadm', null],
  ['keepalived=1:2.2.7-1', null],
  ['libstdc++6', null],
  ['python3.11', null],
  ['--allow-unauthenticated', 'starts with "-"'],
  ['a b', 'a space'],
  ['a;reboot', '";"'],
  ['$(id)', '"$"'],
  ['`id`', '"`"'],
  ['.hidden', 'does not start with a letter or digit'],
]);
