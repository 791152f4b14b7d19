import { describe, expect } from 'vitest';
import { sysctl, type SysctlParams, type SysctlState } from '../../../src/modules/sysctl.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { fileOut } from '../../helpers/facts.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
const F = '/etc/sysctl.d/90-lvsible.conf';
/** The read's raw output: the live /proc/sys line, then the sysctl.d file. */
const out = (live: string, file?: string) => frame({ live, file: fileOut(file) });

describe('sysctl module table', () => {
  planTable<SysctlParams, SysctlState>(sysctl, ctx, [
    { why: 'live and file match', params: { name: 'net.ipv4.ip_forward', value: 1 }, out: out('value 1\n', 'net.ipv4.ip_forward = 1\n'), noop: `sysctl net.ipv4.ip_forward is 1, and ${F} says so` },
    { why: 'multi-value key, other whitespace', params: { name: 'net.ipv4.tcp_rmem', value: '4096 87380  6291456' }, out: out('value 4096\t87380 6291456 \n', 'net.ipv4.tcp_rmem = 4096\t87380 6291456\n'), noop: `sysctl net.ipv4.tcp_rmem is 4096 87380 6291456, and ${F} says so` },
    { why: 'VLAN device key', params: { name: 'net.ipv4.conf.eth1/100.arp_ignore', value: '1', sysctl_file: '/etc/sysctl.d/90-lvs.conf' }, out: out('value 1\n', 'net.ipv4.conf.eth1/100.arp_ignore = 1\n'), noop: 'sysctl net.ipv4.conf.eth1/100.arp_ignore is 1, and /etc/sysctl.d/90-lvs.conf says so' },
    { why: 'key missing live, persist only', params: { name: 'net.ipv4.vs.conntrack', value: 1, ignore_missing_live: true }, out: out('missing\n', 'net.ipv4.vs.conntrack = 1\n'), noop: `${F} says net.ipv4.vs.conntrack = 1; the key does not exist live yet (ignore_missing_live)` },
    { why: 'reload false', params: { name: 'a.b', value: 2, reload: false }, out: out('value 0\n', 'a.b = 2\n'), noop: `${F} says a.b = 2 (live value left alone: reload is false)` },
    { why: 'write-only key', params: { name: 'net.ipv4.route.flush', value: 1 }, out: out('unreadable\n', 'net.ipv4.route.flush = 1\n'), noop: `${F} says net.ipv4.route.flush = 1 (write-only key: the live value cannot be compared)` },
    { why: 'absent and not in the file', params: { name: 'a.b', state: 'absent' }, out: out('value 1\n', 'c.d = 1\n'), noop: `a.b is not in ${F}` },
    {
      why: 'persist then set live (file first, 0644)',
      params: { name: 'net.ipv4.ip_forward', value: 1 },
      out: out('value 0\n'),
      changes: [
        [`persist net.ipv4.ip_forward = 1 in ${F}`, [expect.stringMatching(/chmod 0644 "\$tmp"[\s\S]*mv -f -- "\$tmp" "\$dest"/)]],
        ['set net.ipv4.ip_forward = 1 (was 0)', [expect.stringContaining("printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward")]],
      ],
    },
    { why: 'the VLAN key is written at conf/eth1.100/', params: { name: 'net.ipv4.conf.eth1/100.arp_ignore', value: 1 }, out: out('value 0\n', 'net.ipv4.conf.eth1/100.arp_ignore = 1\n'), changes: [['set net.ipv4.conf.eth1/100.arp_ignore = 1 (was 0)', [expect.stringContaining('> /proc/sys/net/ipv4/conf/eth1.100/arp_ignore')]]] },
    { why: 'missing live key without the opt-in fails clearly', params: { name: 'net.ipv4.vs.conntrack', value: 1 }, out: out('missing\n', 'net.ipv4.vs.conntrack = 1\n'), changes: [['set net.ipv4.vs.conntrack = 1 (key does not exist live yet)']] },
    { why: 'remove from the file, leave live alone', params: { name: 'a.b', state: 'absent' }, out: out('value 1\n', 'a.b = 1\nc.d = 2\n'), changes: [[`remove a.b from ${F}`]] },
    { why: 'an unreadable file is not rewritten blind', params: { name: 'a.b', value: 1 }, out: out('value 1\n').replace(/type absent\n/, 'type file\nstat 600 0 0 9 root root\nunreadable\n'), changes: [[`persist a.b in ${F}: cannot read ${F} (permissions, or not a small regular file): its other settings would be lost`, [expect.stringContaining('exit 1')]]] },
  ]);
});
