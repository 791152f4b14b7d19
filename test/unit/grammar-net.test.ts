import { describe, expect, it } from 'vitest';
import { cidr, interfaceName, ipAddress, ipv4, ipv6, prefixLength } from '../../src/grammar/index.js';

import { table } from '../helpers/grammar-table.js';

table('ipv4', ipv4, [
  ['192.0.2.1', null],
  ['0.0.0.0', null],
  ['255.255.255.255', null],
  ['192.0.2.256', 'above 255'],
  ['010.0.0.1', 'leading zero'],
  ['1.2.3', 'four dot-separated'],
  ['1.2.3.4\n', 'not a number'],
  ['1.2.3.-4', 'not a number'],
  [' 1.2.3.4', 'not a number'],
]);

table('ipv6', ipv6, [
  ['2001:db8::1', null],
  ['::', null],
  ['::1', null],
  ['2001:DB8:0:0:0:0:0:1', null],
  ['::ffff:192.0.2.1', null],
  ['fe80::1%eth0', 'zone index'],
  ['1::2::3', '"::" may appear once'],
  ['2001:db8:::1', 'not 1-4 hex digits'],
  ['1:2:3:4:5:6:7:8:9', '9 groups'],
  ['1:2:3:4:5:6:7', '7 groups'],
  ['2001:db8::12345', 'not 1-4 hex digits'],
  ['2001:db8::1\nvrrp_script', 'only hex digits'],
  ['::ffff:192.0.2.300', 'bad IPv4 tail'],
]);

table('ipAddress', ipAddress, [
  ['198.51.100.10', null],
  ['2001:db8::10', null],
  ['dir1', 'not an IPv4/IPv6 address'],
  ['', 'not an IPv4/IPv6 address'],
]);

table('prefixLength v4', (v) => prefixLength(v, 4), [['0', null], ['32', null], ['33', '0 to 32'], ['024', '0 to 32'], ['-1', '0 to 32']]);
table('prefixLength v6', (v) => prefixLength(v, 6), [['128', null], ['64', null], ['129', '0 to 128']]);

table('cidr', (v) => cidr(v), [
  ['198.51.100.2/24', null],
  ['198.51.100.2', null],
  ['2001:db8::2/64', null],
  ['198.51.100.2/33', 'bad prefix'],
  ['198.51.100.2/24\nvrrp_script x {', 'bad prefix'],
  ['198.51.100.2/', 'bad prefix'],
  ['x/24', 'bad address part'],
]);
table('cidr required', (v) => cidr(v, { required: true }), [['198.51.100.2', 'has no /prefix'], ['198.51.100.2/32', null]]);

table('interfaceName', (v) => interfaceName(v), [
  ['eth0', null],
  ['lo', null],
  ['tunl0', null],
  ['eth0.100', null],
  ['bond0.10@x', null],
  ['veth_a-b+c', null],
  ['abcdefghijklmno', null],
  ['abcdefghijklmnop', '16 bytes'],
  ['', 'is empty'],
  ['.', '"." and ".."'],
  ['..', '"." and ".."'],
  ['eth/0', 'the kernel refuses /'],
  ['eth0:1', '":" is only for address labels'],
  ['eth 0', 'a space'],
  ['eth0\n', 'a newline'],
  ['eth0\nvrrp_script x {', 'a newline'],
  ['eth0}', 'letters, digits and _ . @ + -'],
  ['eth0#', 'letters, digits and _ . @ + -'],
  ['eth0%n', 'letters, digits and _ . @ + -'],
  ['-eth0', 'starts with "-"'],
  ['.eth0', 'starts with "."'],
  ['\u00e9th0', 'letters, digits'],
  // Invisible characters are named by code point, never printed as they are.
  ['eth\u200b1', 'U+200B'],
  ['eth1\u202e', 'U+202E'],
  ['eth1\u00a0', 'U+00A0'],
]);

table('interfaceName alias', (v) => interfaceName(v, { alias: true }), [
  ['lo:vip', null],
  ['eth0:1', null],
  ['eth0:', 'not an alias label'],
  ['eth0:a:b', 'not an alias label'],
  ['eth/0:1', 'bad device part'],
  ['lo:vip\n', 'a newline'],
]);
