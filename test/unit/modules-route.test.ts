import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRouteState, routeModule, routeUnit, type RouteParams, type RouteState } from '../../src/modules/route.js';
import { converge, planOn, testContext } from '../helpers/converge.js';
import { Netns } from '../helpers/netns.js';
import { unitOut } from '../helpers/facts.js';
import { frame } from '../../src/facts/index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/iproute', name), 'utf8');
/** The module's read output: the `ip -j route` JSON, then an absent unit. */
const probeOut = (json: string) => frame({ route: json, unit: unitOut(undefined) });
const ctx = testContext('');
const norm = (p: RouteParams) => routeModule.normalize!(p, ctx);

describe('route: parsing real `ip -j route show` output', () => {
  it('IPv4 main table: default, gateway, device and host routes with their metrics', () => {
    const st = parseRouteState(probeOut(fixture('route4-main.json')));
    expect(st.routes).toContainEqual({ dst: 'default', gateway: '10.9.0.254', dev: 'v0', metric: 100 });
    expect(st.routes).toContainEqual({ dst: '10.20.0.0/16', gateway: '10.9.0.254', dev: 'v0', metric: 0 });
    // ip prints host routes without /32
    expect(st.routes).toContainEqual({ dst: '10.40.0.1/32', dev: 'v0', metric: 0 });
    expect(st.routes).toHaveLength(5);
  });

  it('IPv6 routes carry metric 1024 by default, host routes /128', () => {
    const st = parseRouteState(probeOut(fixture('route6-main.json')));
    expect(st.routes).toContainEqual({ dst: '2001:db8:1::/64', gateway: '2001:db8::1', dev: 'v0', metric: 1024 });
    expect(st.routes).toContainEqual({ dst: '2001:db8::10/128', dev: 'v0', metric: 256 });
    expect(st.routes).toContainEqual({ dst: 'default', gateway: '2001:db8::1', dev: 'v0', metric: 50 });
  });

  it('a table that does not exist (ip prints a lone "[") reads as empty', () => {
    expect(parseRouteState(probeOut(fixture('route4-t101-missing.json'))).routes).toEqual([]);
    expect(parseRouteState(probeOut(fixture('route4-t100.json'))).routes).toEqual([{ dst: '10.30.0.0/24', dev: 'v0', metric: 5 }]);
  });
});

describe('route plan (noop rows)', () => {
  const v4 = parseRouteState(probeOut(fixture('route4-main.json')));
  const v6 = parseRouteState(probeOut(fixture('route6-main.json')));
  const t100 = parseRouteState(probeOut(fixture('route4-t100.json')));
  const rows: [string, RouteParams, RouteState][] = [
    ['default with metric', { dest: 'default', via: '10.9.0.254', metric: 100, persistent: false }, v4],
    ['network via gateway', { dest: '10.20.0.0/16', via: '10.9.0.254', persistent: false }, v4],
    ['gateway and device', { dest: '10.50.0.0/24', via: '10.9.0.254', dev: 'v0', metric: 7, persistent: false }, v4],
    ['host route, bare address', { dest: '10.40.0.1', dev: 'v0', persistent: false }, v4],
    ['IPv6, default metric 1024', { dest: '2001:db8:1::/64', via: '2001:DB8::1', persistent: false }, v6],
    ['IPv6 default', { dest: 'default', via: '2001:db8::1', metric: 50, persistent: false }, v6],
    ['table 100', { dest: '10.30.0.0/24', dev: 'v0', metric: 5, table: 100, persistent: false }, t100],
    ['absent', { dest: '10.99.0.0/16', state: 'absent', persistent: false }, v4],
  ];
  for (const [name, params, st] of rows) {
    it(`${name} plans []`, () => expect(routeModule.plan(norm(params), st, ctx)).toEqual([]));
  }

  it('another gateway: one replace of that (dest, metric)', () => {
    const changes = routeModule.plan(norm({ dest: 'default', via: '10.9.0.1', metric: 100, persistent: false }), v4, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toBe('add route default via 10.9.0.1 metric 100 (was via 10.9.0.254 dev v0)');
    expect(changes[0]!.steps[0]!.cmd).toBe('ip -4 route replace default via 10.9.0.1 metric 100 table main');
  });

  it('same destination, other metric, is another route', () => {
    const changes = routeModule.plan(norm({ dest: 'default', via: '10.9.0.254', persistent: false }), v4, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.steps[0]!.cmd).toBe('ip -4 route replace default via 10.9.0.254 metric 0 table main');
  });

  it('host bits in dest are refused before connecting', () => {
    expect(() => norm({ dest: '10.20.0.1/16', via: '10.9.0.254' })).toThrow(/host bits.*10\.20\.0\.0\/16/);
    expect(() => norm({ dest: '10.20.0.0/16', via: 'gw' })).toThrow(/not an IP/);
  });

  it('unit: the same replace command, after the network is online', () => {
    const unit = routeUnit(norm({ dest: '10.20.0.0/16', via: '10.9.0.254', dev: 'eth0' }));
    expect(unit).toContain('ExecStart=/sbin/ip -4 route replace 10.20.0.0/16 via 10.9.0.254 dev eth0 metric 0 table main\n');
    expect(unit).toContain('After=network-online.target');
    expect(unit).toContain('BindsTo=sys-subsystem-net-devices-eth0.device');
  });
});

describe('route converge in a network namespace', () => {
  let ns: Netns;
  let root: string;
  beforeAll(() => {
    ns = new Netns('route');
    ns.run(
      'ip link add v0 type veth peer name v0p; ip link set v0 up; ip link set v0p up; ip link set lo up;' +
        'ip addr add 10.9.0.1/24 dev v0; ip addr add 2001:db8::2/64 dev v0 nodad',
    );
  });
  afterAll(() => ns.destroy());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-route-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it('adds, re-points and removes a route; each converges to []', async () => {
    const c = testContext(root);
    const conn = ns.connection();
    const p: RouteParams = { dest: '10.20.0.0/16', via: '10.9.0.254', persistent: false };
    const add = await converge(routeModule, p, c, conn);
    expect(add.first).toHaveLength(1);
    expect(add.second).toEqual([]);
    const moved = await converge(routeModule, { ...p, via: '10.9.0.253' }, c, conn);
    expect(moved.first[0]!.summary).toContain('(was via 10.9.0.254 dev v0)');
    expect(moved.second).toEqual([]);
    expect(ns.run('ip route show 10.20.0.0/16')).toMatch(/^10\.20\.0\.0\/16 via 10\.9\.0\.253 dev v0\s*$/);
    const gone = await converge(routeModule, { dest: '10.20.0.0/16', state: 'absent', persistent: false }, c, conn);
    expect(gone.first).toHaveLength(1);
    expect(gone.second).toEqual([]);
    expect(ns.run('ip route show 10.20.0.0/16')).toBe('');
  });

  it('default route with a metric, a host route, a custom table and IPv6', async () => {
    const c = testContext(root);
    const conn = ns.connection();
    for (const p of [
      { dest: 'default', via: '10.9.0.254', metric: 100 },
      { dest: '10.40.0.1', dev: 'v0' },
      { dest: '10.30.0.0/24', dev: 'v0', metric: 5, table: 100 },
      { dest: '2001:db8:1::/64', via: '2001:db8::1' },
    ] as RouteParams[]) {
      const { first, second } = await converge(routeModule, { ...p, persistent: false }, c, conn);
      expect(first, JSON.stringify(p)).toHaveLength(1);
      expect(second, JSON.stringify(p)).toEqual([]);
    }
    expect(ns.run('ip route show table 100')).toContain('10.30.0.0/24 dev v0 scope link metric 5');
  });

  it('persistent: writes and enables the unit under the root; absent removes it', async () => {
    const c = testContext(root);
    const p: RouteParams = { dest: '10.60.0.0/16', via: '10.9.0.254' };
    const { first, second } = await converge(routeModule, p, c, ns.connection());
    expect(first).toHaveLength(2);
    expect(second).toEqual([]);
    const unitPath = `${root}/etc/systemd/system/lvsible-route-main-10.60.0.0_16-0.service`;
    expect(readFileSync(unitPath, 'utf8')).toBe(routeUnit(norm(p)));
    const gone = await converge(routeModule, { ...p, state: 'absent' }, c, ns.connection());
    expect(gone.second).toEqual([]);
    expect(existsSync(unitPath)).toBe(false);
  });

  it('an unreachable gateway fails with the kernel message', async () => {
    const { changes } = await planOn(routeModule, { dest: '10.70.0.0/16', via: '192.0.2.1', persistent: false }, testContext(root), ns.connection());
    const { applyChange } = await import('../../src/engine/steps.js');
    await expect(applyChange(ns.connection(), changes[0]!)).rejects.toThrow(/ip -4 route replace 10\.70\.0\.0\/16[\s\S]*(gateway|unreachable)/i);
  });
});

describe('route parameters', () => {
  it('a present route needs a gateway or a device', () => {
    expect(() => norm({ dest: '10.0.0.0/8' })).toThrow(/needs via .* or dev/);
    expect(norm({ dest: '10.0.0.0/8', state: 'absent' }).dest).toBe('10.0.0.0/8');
  });
});
