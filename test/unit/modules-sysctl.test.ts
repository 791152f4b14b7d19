import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rewriteSysctlFile, sysctl, sysctlPath, type SysctlParams, type SysctlState } from '../../src/modules/sysctl.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';
import { converge, planOn, testContext } from '../helpers/converge.js';

const FILE = '/etc/sysctl.d/90-lvsible.conf';

describe('sysctl names', () => {
  it.each([
    ['net.ipv4.ip_forward', 'net/ipv4/ip_forward'],
    ['net/ipv4/conf/eth0.1/rp_filter', 'net/ipv4/conf/eth0.1/rp_filter'],
    ['net.ipv4.conf.eth0/1.rp_filter', 'net/ipv4/conf/eth0.1/rp_filter'],
    ['-net.ipv4.vs.conntrack', 'net/ipv4/vs/conntrack'],
  ])('%s -> /proc/sys/%s', (name, path) => {
    expect(sysctlPath(name)).toBe(path);
  });
});

describe('sysctl file rewrite', () => {
  it.each([
    ['appends to a missing file', undefined, 'net.ipv4.ip_forward', '1', 'net.ipv4.ip_forward = 1\n'],
    [
      'replaces only its own key, keeps comments and others',
      '# lvs\nnet.ipv4.ip_forward = 0\nnet.ipv4.conf.all.arp_ignore = 1\n',
      'net.ipv4.ip_forward',
      '1',
      '# lvs\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.arp_ignore = 1\n',
    ],
    [
      'matches the slashed spelling of the same key, drops later duplicates',
      'net/ipv4/conf/eth0.1/rp_filter=2\nkernel.x = 1\nnet.ipv4.conf.eth0/1.rp_filter = 1\n',
      'net.ipv4.conf.eth0/1.rp_filter',
      '0',
      'net.ipv4.conf.eth0/1.rp_filter = 0\nkernel.x = 1\n',
    ],
    ['keeps a matching line as written', 'net.ipv4.ip_forward=1\n', 'net.ipv4.ip_forward', '1', 'net.ipv4.ip_forward=1\n'],
    ['removes the key', 'a.b = 1\nnet.ipv4.ip_forward = 1\n', 'net.ipv4.ip_forward', undefined, 'a.b = 1\n'],
  ])('%s', (_why, content, name, value, expected) => {
    expect(rewriteSysctlFile(content, name, value)).toBe(expected);
  });
});

describe('sysctl plan table', () => {
  const ctx = testContext('');
  const rows: [string, SysctlParams, SysctlState, string[], string[]][] = [
    [
      'noop: live and file already match (multi-value, other whitespace)',
      { name: 'net.ipv4.tcp_rmem', value: '4096 87380  6291456' },
      { live: '4096 87380 6291456', liveUnreadable: false, file: 'net.ipv4.tcp_rmem = 4096\t87380 6291456\n' },
      [],
      [],
    ],
    [
      'noop: integers compare by value (the kernel prints 1 for 01)',
      { name: 'net.ipv4.vs.expire_nodest_conn', value: '01' },
      { live: '1', liveUnreadable: false, file: 'net.ipv4.vs.expire_nodest_conn = 1\n' },
      [],
      [],
    ],
    [
      'noop: write-only key with the line persisted',
      { name: 'net.ipv4.route.flush', value: 1 },
      { live: undefined, liveUnreadable: true, file: 'net.ipv4.route.flush = 1\n' },
      [],
      [],
    ],
    [
      'both differ',
      { name: 'net.ipv4.ip_forward', value: 1 },
      { live: '0', liveUnreadable: false, file: undefined },
      [`persist net.ipv4.ip_forward = 1 in ${FILE}`, 'set net.ipv4.ip_forward = 1 (was 0)'],
      ["if [ ! -e /proc/sys/net/ipv4/ip_forward ]; then echo 'sysctl net.ipv4.ip_forward does not exist"],
    ],
    [
      'reload false: only the file',
      { name: 'net.ipv4.ip_forward', value: 1, reload: false },
      { live: '0', liveUnreadable: false, file: undefined },
      [`persist net.ipv4.ip_forward = 1 in ${FILE}`],
      [],
    ],
    [
      'key missing live, ignore_missing_live: only the file',
      { name: 'net.ipv4.conf.tunl0.rp_filter', value: 0, ignore_missing_live: true },
      { live: undefined, liveUnreadable: false, file: undefined },
      [`persist net.ipv4.conf.tunl0.rp_filter = 0 in ${FILE}`],
      [],
    ],
    [
      'key missing live: the live write is planned (and will fail loudly)',
      { name: 'net.ipv4.vs.conntrack', value: 1 },
      { live: undefined, liveUnreadable: false, file: 'net.ipv4.vs.conntrack = 1\n' },
      ['set net.ipv4.vs.conntrack = 1 (key does not exist live yet)'],
      ['does not exist on this host'],
    ],
    [
      'absent: noop when the file has no such key',
      { name: 'net.ipv4.ip_forward', state: 'absent' },
      { live: '1', liveUnreadable: false, file: 'a.b = 1\n' },
      [],
      [],
    ],
  ];
  it.each(rows)('%s', (_why, params, state, summaries, cmdFragments) => {
    const changes = sysctl.plan(sysctl.normalize!(params, ctx), state, ctx);
    expect(changes.map((c) => c.summary)).toEqual(summaries);
    const cmds = changes.flatMap((c) => c.steps.map((s) => s.cmd)).join('\n');
    for (const f of cmdFragments) expect(cmds).toContain(f);
  });
});

describe('sysctl converges against a fake /proc/sys', () => {
  let root: string;
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const get = (path: string) => readFileSync(join(root, path), 'utf8');
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-sysctl-'));
    put('/proc/sys/net/ipv4/ip_forward', '0\n');
    put('/proc/sys/net/ipv4/tcp_rmem', '4096\t131072\t6291456\n');
    put('/proc/sys/net/ipv4/conf/eth0.1/rp_filter', '1\n');
    put(FILE, '# managed\nnet.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.ip_forward = 0\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('sets live and persisted values, leaves other keys, then plans nothing', async () => {
    const { first, second } = await converge(sysctl, { name: 'net.ipv4.ip_forward', value: 1 }, testContext(root));
    expect(first.map((c) => c.summary)).toEqual([`persist net.ipv4.ip_forward = 1 in ${FILE}`, 'set net.ipv4.ip_forward = 1 (was 0)']);
    expect(second).toEqual([]);
    expect(get('/proc/sys/net/ipv4/ip_forward')).toBe('1\n');
    expect(get(FILE)).toBe('# managed\nnet.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.ip_forward = 1\n');
  });

  it('a multi-value key and an interface name with a dot', async () => {
    const rmem = await converge(sysctl, { name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' }, testContext(root));
    expect(rmem.first).toHaveLength(2);
    expect(rmem.second).toEqual([]);
    expect(get('/proc/sys/net/ipv4/tcp_rmem')).toBe('4096 87380 6291456\n');
    const vlan = await converge(sysctl, { name: 'net/ipv4/conf/eth0.1/rp_filter', value: 0 }, testContext(root));
    expect(vlan.second).toEqual([]);
    expect(get('/proc/sys/net/ipv4/conf/eth0.1/rp_filter')).toBe('0\n');
    expect(get(FILE)).toContain('net/ipv4/conf/eth0.1/rp_filter = 0\n');
  });

  it('a key that does not exist live: clear failure, or persisted only with ignore_missing_live', async () => {
    const ctx = testContext(root);
    const params = { name: 'net.ipv4.conf.tunl0.rp_filter', value: 0 };
    const { changes } = await planOn(sysctl, params, ctx);
    const conn = new LocalConnection();
    await applyChange(conn, changes[0]!);
    await expect(applyChange(conn, changes[1]!)).rejects.toThrow(/net.ipv4.conf.tunl0.rp_filter does not exist on this host/);
    const ok = await converge(sysctl, { ...params, ignore_missing_live: true }, ctx);
    expect(ok.first).toEqual([]); // the file was already written above
    expect(get(FILE)).toContain('net.ipv4.conf.tunl0.rp_filter = 0\n');
  });

  it('absent removes the persisted line only', async () => {
    const { first, second } = await converge(sysctl, { name: 'net.ipv4.ip_forward', state: 'absent' }, testContext(root));
    expect(first.map((c) => c.summary)).toEqual([`remove net.ipv4.ip_forward from ${FILE}`]);
    expect(second).toEqual([]);
    expect(get(FILE)).toBe('# managed\nnet.ipv4.conf.all.arp_ignore = 1\n');
    expect(get('/proc/sys/net/ipv4/ip_forward')).toBe('0\n');
  });

  it('a value with shell metacharacters is written literally', async () => {
    const { second } = await converge(sysctl, { name: 'kernel.core_pattern', value: "|/bin/x '$HOME' `id`", reload: false }, testContext(root));
    expect(second).toEqual([]);
    expect(get(FILE)).toContain("kernel.core_pattern = |/bin/x '$HOME' `id`\n");
  });
});
