import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { addressUnit, ipAddressModule, type IpAddressParams, type IpAddressState } from '../../../src/modules/ip_address.js';
import { routeModule, routeUnit, type RouteParams, type RouteState } from '../../../src/modules/route.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { unitOut } from '../../helpers/facts.js';
import { planTable } from '../../helpers/table.js';

/** Real `ip -j` outputs (test/fixtures/iproute), framed with the boot unit's read as the module reads them. */
const ctx = testContext('');
const json = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/iproute', name), 'utf8');
const addr = (file: string, unit = unitOut(undefined)) => frame({ addr: file ? json(file) : '', unit });
const route = (file: string, unit = unitOut(undefined)) => frame({ route: json(file), unit });
const enabled = (name: string, text: string) => unitOut(text, { 'multi-user.target': `/etc/systemd/system/${name}` });

describe('ip_address module table', () => {
  const vip: IpAddressParams = { address: '192.0.2.10/32', dev: 'lo' };
  const vipUnit = () => addressUnit(ipAddressModule.normalize!(vip, ctx));
  planTable<IpAddressParams, IpAddressState>(ipAddressModule, ctx, [
    { why: 'VIP on lo, boot unit installed and enabled', params: vip, out: addr('addr-lo.json', enabled('lvsible-addr-lo-192.0.2.10_32.service', vipUnit())), noop: '192.0.2.10/32 is on lo (up), and boot unit lvsible-addr-lo-192.0.2.10_32.service is installed and enabled' },
    { why: 'scope and label match, not persistent', params: { address: '10.9.0.10/32', dev: 'v0', scope: 'host', label: 'v0:vip', persistent: false }, out: addr('addr-v0.json'), noop: '10.9.0.10/32 is on v0 (up)' },
    { why: 'IPv6 written expanded', params: { address: '2001:DB8:0:0::20/64', dev: 'v0', persistent: false }, out: addr('addr-v0.json'), noop: '2001:db8::20/64 is on v0 (up)' },
    { why: 'absent on a missing device', params: { address: '10.9.9.9', dev: 'nope', state: 'absent' }, out: addr(''), noop: '10.9.9.9/32 is not on nope, and no boot unit lvsible-addr-nope-10.9.9.9_32.service' },
    { why: 'add to a down device', params: { address: '10.9.1.6/32', dev: 'v1', persistent: false }, out: addr('addr-v1.json'), changes: [['bring v1 up, add 10.9.1.6/32 to v1', ['ip link set dev v1 up', 'ip addr replace 10.9.1.6/32 dev v1']]] },
    { why: 'wrong prefix: delete, then replace', params: { address: '10.9.1.5/24', dev: 'v1', up: false, persistent: false }, out: addr('addr-v1.json'), changes: [['add 10.9.1.5/24 to v1 (was 10.9.1.5/32 scope global label v1)', ['ip addr del 10.9.1.5/32 dev v1', 'ip addr replace 10.9.1.5/24 dev v1']]] },
    { why: 'live but its boot unit missing', params: vip, out: addr('addr-lo.json'), changes: [['install boot unit lvsible-addr-lo-192.0.2.10_32.service for 192.0.2.10/32 on lo']] },
    { why: 'remove', params: { address: '192.0.2.10', dev: 'lo', state: 'absent', persistent: false }, out: addr('addr-lo.json'), changes: [['remove 192.0.2.10/32 from lo', ['ip addr del 192.0.2.10/32 dev lo']]] },
  ]);
});

describe('route module table', () => {
  const gw: RouteParams = { dest: 'default', via: '10.9.0.254', metric: 100 };
  const name = 'lvsible-route-main-default-100.service';
  planTable<RouteParams, RouteState>(routeModule, ctx, [
    { why: 'default route and its boot unit', params: gw, out: route('route4-main.json', enabled(name, routeUnit(routeModule.normalize!(gw, ctx)))), noop: `route default via 10.9.0.254 metric 100 is in table main, and boot unit ${name} is installed and enabled` },
    { why: 'host route, bare address', params: { dest: '10.40.0.1', dev: 'v0', persistent: false }, out: route('route4-main.json'), noop: 'route 10.40.0.1/32 dev v0 is in table main' },
    { why: 'IPv6, default metric 1024', params: { dest: '2001:db8:1::/64', via: '2001:DB8::1', persistent: false }, out: route('route6-main.json'), noop: 'route 2001:db8:1::/64 via 2001:db8::1 is in table main' },
    { why: 'table 100', params: { dest: '10.30.0.0/24', dev: 'v0', metric: 5, table: 100, persistent: false }, out: route('route4-t100.json'), noop: 'route 10.30.0.0/24 dev v0 metric 5 table 100 is in table 100' },
    { why: 'absent', params: { dest: '10.99.0.0/16', state: 'absent', persistent: false }, out: route('route4-main.json'), noop: 'route 10.99.0.0/16 is not in table main' },
    { why: 'another gateway: replace that (dest, metric)', params: { ...gw, via: '10.9.0.1', persistent: false }, out: route('route4-main.json'), changes: [['add route default via 10.9.0.1 metric 100 (was via 10.9.0.254 dev v0)', ['ip -4 route replace default via 10.9.0.1 metric 100 table main']]] },
    { why: 'a missing table reads as empty', params: { dest: '10.31.0.0/24', dev: 'v0', table: 101, persistent: false }, out: route('route4-t101-missing.json'), changes: [['add route 10.31.0.0/24 dev v0 table 101', [expect.stringContaining('route replace 10.31.0.0/24 dev v0 metric 0 table 101')]]] },
  ]);
});
