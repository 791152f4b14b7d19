import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addressUnit, ipAddressModule, parseAddrState, type IpAddressParams, type IpAddressState } from '../../src/modules/ip_address.js';
import { sha256 } from '../../src/modules/files.js';
import { applyChange } from '../../src/engine/steps.js';
import { converge, pathFirst, planOn, testContext } from '../helpers/converge.js';
import { Netns } from '../helpers/netns.js';
import { unitOut } from '../helpers/facts.js';
import { frame } from '../../src/facts/index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/iproute', name), 'utf8');
/** A probe section as the batch would hand it over: the address JSON, then an absent unit. */
const probeOut = (json: string, unit = unitOut(undefined)) => frame({ addr: json, unit });
const ctx = testContext('');
const norm = (p: IpAddressParams) => ipAddressModule.normalize!(p, ctx);

describe('ip_address: parsing real `ip -j addr show` output', () => {
  it('reads addresses, prefixes, scopes and labels of an up device', () => {
    const st = parseAddrState(probeOut(fixture('addr-v0.json')));
    expect(st.device).toBe(true);
    expect(st.up).toBe(true);
    expect(st.addresses).toContainEqual({ local: '10.9.0.10', prefixlen: 32, scope: 'host', label: 'v0:vip' });
    expect(st.addresses).toContainEqual({ local: '10.9.0.1', prefixlen: 24, scope: 'global', label: 'v0' });
    expect(st.addresses).toContainEqual({ local: '2001:db8::20', prefixlen: 64, scope: 'global' });
    expect(st.addresses).toHaveLength(5);
    expect(st.unit.file.type).toBe('absent');
  });

  it('a down device and a missing one', () => {
    const down = parseAddrState(probeOut(fixture('addr-v1.json')));
    expect(down).toMatchObject({ device: true, up: false, addresses: [{ local: '10.9.1.5', prefixlen: 32 }] });
    const missing = parseAddrState(probeOut(fixture('addr-missing.json')));
    expect(missing).toMatchObject({ device: false, up: false, addresses: [] });
  });
});

describe('ip_address plan (noop rows)', () => {
  const v0 = parseAddrState(probeOut(fixture('addr-v0.json')));
  const lo = parseAddrState(probeOut(fixture('addr-lo.json')));
  const rows: [string, IpAddressParams, IpAddressState][] = [
    ['v4 with scope and label', { address: '10.9.0.10/32', dev: 'v0', scope: 'host', label: 'v0:vip', persistent: false }, v0],
    ['bare v4 means /32', { address: '10.9.0.10', dev: 'v0', persistent: false }, v0],
    ['v6 written expanded', { address: '2001:DB8:0:0::10/128', dev: 'v0', persistent: false }, v0],
    ['VIP on lo', { address: '192.0.2.10/32', dev: 'lo', persistent: false }, lo],
    ['absent address', { address: '10.9.9.9/32', dev: 'v0', state: 'absent', persistent: false }, v0],
    ['absent on a missing device', { address: '10.9.9.9', dev: 'nope', state: 'absent' }, parseAddrState(probeOut(''))],
  ];
  for (const [name, params, st] of rows) {
    it(`${name} plans []`, () => expect(ipAddressModule.plan(norm(params), st, ctx)).toEqual([]));
  }

  it('persistent: identical unit file + wants link plans []', () => {
    const p = norm({ address: '192.0.2.10/32', dev: 'lo' });
    const unit = addressUnit(p);
    const st: IpAddressState = { ...lo, unit: { file: { type: 'file', sha256: sha256(unit) }, wantedBy: { 'multi-user.target': '/etc/systemd/system/lvsible-addr-lo-192.0.2.10_32.service' } } };
    expect(ipAddressModule.plan(p, st, ctx)).toEqual([]);
    // Not enabled: one change, which only links (no rewrite).
    const notEnabled = ipAddressModule.plan(p, { ...st, unit: { file: st.unit.file, wantedBy: {} } }, ctx);
    expect(notEnabled).toHaveLength(1);
    expect(notEnabled[0]!.summary).toMatch(/^enable boot unit/);
    expect(notEnabled[0]!.steps.some((s) => s.stdin !== undefined)).toBe(false);
  });

  it('wrong prefix: delete the old one, then replace', () => {
    const changes = ipAddressModule.plan(norm({ address: '10.9.0.1/32', dev: 'v0', persistent: false }), v0, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toBe('add 10.9.0.1/32 to v0 (was 10.9.0.1/24 scope global label v0)');
    expect(changes[0]!.steps.map((s) => s.cmd)).toEqual(['ip addr del 10.9.0.1/24 dev v0', 'ip addr replace 10.9.0.1/32 dev v0']);
  });

  it('the unit runs the same commands as the live change', () => {
    const unit = addressUnit(norm({ address: '10.1.1.1', dev: 'tunl0', scope: 'host' }));
    expect(unit).toContain('ExecStart=/sbin/ip link set dev tunl0 up\n');
    expect(unit).toContain('ExecStart=/sbin/ip addr replace 10.1.1.1/32 dev tunl0 scope host\n');
    expect(unit).toContain('BindsTo=sys-subsystem-net-devices-tunl0.device');
    expect(unit).toContain('After=network-pre.target systemd-modules-load.service');
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(addressUnit(norm({ address: '10.1.1.1', dev: 'br-lan' }))).toContain('sys-subsystem-net-devices-br\\x2dlan.device');
    expect(addressUnit(norm({ address: '10.1.1.1', dev: 'lo' }))).not.toContain('BindsTo');
  });

  it('a unit on a device is also wanted by the device, so it starts whenever the device appears', () => {
    expect(addressUnit(norm({ address: '10.1.1.1', dev: 'tunl0' }))).toMatch(/^WantedBy=multi-user\.target sys-subsystem-net-devices-tunl0\.device$/m);
    expect(addressUnit(norm({ address: '10.1.1.1', dev: 'lo' }))).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it('a malformed address is refused before connecting', () => {
    expect(() => norm({ address: '10.0.0.300/32', dev: 'lo' })).toThrow(/not an IP address/);
  });
});

describe('ip_address converge in a network namespace', () => {
  let ns: Netns;
  let root: string;
  beforeAll(() => {
    ns = new Netns('addr');
    ns.run('ip link add v0 type veth peer name v0p; ip link set lo up');
  });
  afterAll(() => ns.destroy());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-addr-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it('adds a VIP to a down device (and brings it up), then plans []', async () => {
    const c = testContext(root);
    const { first, second, state } = await converge(ipAddressModule, { address: '10.9.0.10/32', dev: 'v0', label: 'v0:vip', persistent: false }, c, ns.connection());
    expect(first).toHaveLength(1);
    expect(first[0]!.summary).toBe('bring v0 up, add 10.9.0.10/32 to v0');
    expect(second).toEqual([]);
    expect((state as IpAddressState).addresses).toContainEqual({ local: '10.9.0.10', prefixlen: 32, scope: 'global', label: 'v0:vip' });
  });

  it('fixes a wrong prefix and scope', async () => {
    ns.run('ip addr add 10.9.0.20/24 dev v0');
    const { first, second } = await converge(ipAddressModule, { address: '10.9.0.20', dev: 'v0', scope: 'host', persistent: false }, testContext(root), ns.connection());
    expect(first[0]!.summary).toContain('(was 10.9.0.20/24 scope global');
    expect(second).toEqual([]);
    expect(ns.run('ip -o addr show dev v0')).toMatch(/inet 10\.9\.0\.20\/32 scope host/);
  });

  it('IPv6, written in long form', async () => {
    const { first, second } = await converge(ipAddressModule, { address: '2001:db8:0:0:0:0:0:10/128', dev: 'lo', persistent: false }, testContext(root), ns.connection());
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
  });

  it('persistent: writes and enables the boot unit under the root, then plans []; absent removes both', async () => {
    const c = testContext(root);
    const params: IpAddressParams = { address: '192.0.2.10/32', dev: 'lo' };
    const { first, second } = await converge(ipAddressModule, params, c, ns.connection());
    expect(first.map((x) => x.summary)).toEqual(['add 192.0.2.10/32 to lo', 'install boot unit lvsible-addr-lo-192.0.2.10_32.service for 192.0.2.10/32 on lo']);
    expect(second).toEqual([]);
    const unitPath = `${root}/etc/systemd/system/lvsible-addr-lo-192.0.2.10_32.service`;
    expect(readFileSync(unitPath, 'utf8')).toBe(addressUnit(norm(params)));
    expect(readlinkSync(`${root}/etc/systemd/system/multi-user.target.wants/lvsible-addr-lo-192.0.2.10_32.service`)).toBe(
      '/etc/systemd/system/lvsible-addr-lo-192.0.2.10_32.service',
    );

    const gone = await converge(ipAddressModule, { ...params, state: 'absent' }, c, ns.connection());
    expect(gone.first).toHaveLength(2);
    expect(gone.second).toEqual([]);
    expect(existsSync(unitPath)).toBe(false);
    expect(ns.run('ip -o addr show dev lo')).not.toContain('192.0.2.10');
  });

  it('a unit on a device: enabled for multi-user.target and the device; an older single link is completed; absent removes every link', async () => {
    const c = testContext(root);
    const params: IpAddressParams = { address: '10.9.0.30/32', dev: 'v0' };
    const name = 'lvsible-addr-v0-10.9.0.30_32.service';
    const wants = (by: string) => `${root}/etc/systemd/system/${by}.wants/${name}`;
    const { first, second } = await converge(ipAddressModule, params, c, ns.connection());
    expect(first.map((x) => x.summary)).toEqual(['add 10.9.0.30/32 to v0', `install boot unit ${name} for 10.9.0.30/32 on v0`]);
    expect(second).toEqual([]);
    for (const by of ['multi-user.target', 'sys-subsystem-net-devices-v0.device']) expect(readlinkSync(wants(by))).toBe(`/etc/systemd/system/${name}`);

    // As an earlier lvsible left it: the unit wanted by multi-user.target only. The read sees the missing link.
    rmSync(wants('sys-subsystem-net-devices-v0.device'));
    const again = await converge(ipAddressModule, params, c, ns.connection());
    expect(again.first.map((x) => x.summary)).toEqual([`enable boot unit ${name} for 10.9.0.30/32 on v0`]);
    expect(again.second).toEqual([]);
    expect(readlinkSync(wants('sys-subsystem-net-devices-v0.device'))).toBe(`/etc/systemd/system/${name}`);

    // A link the unit no longer asks for (made by hand, or by an older version) is removed: it would pull the unit in.
    execFileSync('sh', ['-c', `mkdir -p ${root}/etc/systemd/system/network.target.wants && ln -s /etc/systemd/system/${name} ${wants('network.target')}`]);
    const stale = await converge(ipAddressModule, params, c, ns.connection());
    expect(stale.first.map((x) => x.summary)).toEqual([`enable boot unit ${name} for 10.9.0.30/32 on v0`]);
    expect(existsSync(wants('network.target'))).toBe(false);

    const gone = await converge(ipAddressModule, { ...params, state: 'absent' }, c, ns.connection());
    expect(gone.second).toEqual([]);
    for (const by of ['multi-user.target', 'sys-subsystem-net-devices-v0.device']) expect(existsSync(wants(by))).toBe(false);
    expect(existsSync(`${root}/etc/systemd/system/${name}`)).toBe(false);
  });

  it('a missing device is never asked for by name (the kernel would load the module aliased to it)', async () => {
    // A logging `ip` in front of the real one: `ip ... dev tunl0` as root is what loads ipip for a missing tunl0.
    const real = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
    writeFileSync(join(root, 'ip'), `#!/bin/sh\necho "$*" >> ${root}/ip-calls\nexec ${real} "$@"\n`);
    chmodSync(join(root, 'ip'), 0o755);
    const conn = pathFirst(root, ns.connection());
    const missing = await planOn(ipAddressModule, { address: '10.1.1.1', dev: 'tunl0', state: 'absent', persistent: false }, testContext(root), conn);
    expect(missing.state).toMatchObject({ device: false, addresses: [] });
    expect(missing.changes).toEqual([]);
    expect(existsSync(join(root, 'ip-calls'))).toBe(false);
    // The same read of a device that exists does go through the wrapper: the check above can fail.
    await planOn(ipAddressModule, { address: '10.1.1.1', dev: 'v0', state: 'absent', persistent: false }, testContext(root), conn);
    expect(readFileSync(join(root, 'ip-calls'), 'utf8')).toBe('-j addr show dev v0\n');
  });

  it('a missing device is named in the plan and the failure', async () => {
    const { changes } = await planOn(ipAddressModule, { address: '10.1.1.1', dev: 'nope0', persistent: false }, testContext(root), ns.connection());
    expect(changes[0]!.summary).toContain('device nope0 not found');
    await expect(applyChange(ns.connection(), changes[0]!)).rejects.toThrow(/nope0/);
  });
});
