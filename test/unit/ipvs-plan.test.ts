import { describe, expect, it } from 'vitest';
import { planIpvs, isEmptyPlan, type PlanIpvsOptions } from '../../src/lvs/ipvs/plan.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { parseTable } from '../../src/lvs/ipvs/parse-list.js';
import { tableText, toRestoreLines } from '../../src/lvs/ipvs/serialize.js';
import { serviceKey, destKey } from '../../src/lvs/ipvs/keys.js';
import type { IpvsTable } from '../../src/lvs/ipvs/types.js';

const opts: PlanIpvsOptions = { drain: true, drainTimeoutSec: 30 };

/** Tables are written as `ipvsadm -Sn` text: the test reads like what an operator sees. */
const t = (text: string): IpvsTable => parseSave(text);
const lines = (desired: string, current: string, o: PlanIpvsOptions = opts) => {
  const p = planIpvs(t(desired), t(current), o);
  return { now: toRestoreLines(p.now), after: toRestoreLines(p.afterDrain), drain: p.drain, plan: p };
};

const MIXED = `-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3
-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1
-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 2
`;

describe('planIpvs: converged tables plan nothing (noop rows)', () => {
  const rows: Array<[string, string, string]> = [
    ['empty', '', ''],
    ['mixed NAT/DR/TUN', MIXED, MIXED],
    [
      'listing order differs (sets, not lists)',
      MIXED,
      `-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 2 --tun-type ipip
-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1
-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3
`,
    ],
    [
      'IPv6 keys that differ only in text',
      '-A -t [2001:DB8:0:0::1]:443 -s rr\n-a -t [2001:DB8:0:0::1]:443 -r [2001:0db8::0a]:443 -m -w 1\n',
      '-A -t [2001:db8::1]:443 -s rr\n-a -t [2001:db8::1]:443 -r [2001:db8::a]:443 -m -w 1\n',
    ],
    ['default mask and flag order', '-A -t 10.0.0.1:80 -s sh -p 300 -M 255.255.255.255 -b sh-port,sh-fallback\n', '-A -t 10.0.0.1:80 -s sh -p 300 -b sh-fallback,sh-port\n'],
    ['DR port follows the service port', '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.0.2.21:8080 -g -w 1\n', '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1\n'],
    ['fwmark IPv6', '-A -f 7 -6 -s rr\n-a -f 7 -6 -r [2001:db8::5]:0 -g -w 1\n', '-A -f 7 -6 -s rr\n-a -f 7 -6 -r [2001:db8::5]:0 -g -w 1\n'],
  ];
  it.each(rows)('%s', (_name, desired, current) => {
    const p = planIpvs(t(desired), t(current), opts);
    expect(isEmptyPlan(p)).toBe(true);
    expect(p.now).toEqual([]);
  });

  it('a live Local destination matches the declared method (the kernel sets it)', () => {
    const desired = t('-A -f 3 -s wrr\n-a -f 3 -r 10.0.88.214:0 -g -w 1\n');
    const live = parseTable('FWM  3 wrr\n  -> 10.0.88.214:0 Local 1 0 0\n');
    expect(isEmptyPlan(planIpvs(desired, live, opts))).toBe(true);
  });

  it('timeouts: equal or 0 (= keep) plan nothing', () => {
    const d = { services: [], timeouts: { tcp: 900, tcpfin: 0, udp: 300 } };
    expect(isEmptyPlan(planIpvs(d, { services: [], timeouts: { tcp: 900, tcpfin: 60, udp: 300 } }, opts))).toBe(true);
    expect(planIpvs(d, { services: [], timeouts: { tcp: 7200, tcpfin: 60, udp: 300 } }, opts).timeouts).toEqual(d.timeouts);
  });
});

describe('planIpvs: changes', () => {
  it('adds a whole service with mixed methods in one batch, service first', () => {
    const { now, drain, after } = lines(MIXED, '');
    expect(now).toEqual([
      '-A -t 10.0.0.1:80 -s wrr',
      '-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3',
      '-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1',
      '-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 2',
    ]);
    expect(drain).toEqual([]);
    expect(after).toEqual([]);
  });

  it('edits send the full spec: a method change keeps weight and thresholds, -E keeps persistence', () => {
    const desired = `-A -t 10.0.0.1:80 -s wlc -p 600 -M 255.255.255.0
-a -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 100 -y 10
-a -t 10.0.0.1:80 -r 10.0.1.12:80 -m -w 5
`;
    const current = `-A -t 10.0.0.1:80 -s rr -p 600 -M 255.255.255.0
-a -t 10.0.0.1:80 -r 10.0.1.11:80 -m -w 3 -x 100 -y 10
-a -t 10.0.0.1:80 -r 10.0.1.12:80 -m -w 4
`;
    expect(lines(desired, current).now).toEqual([
      '-E -t 10.0.0.1:80 -s wlc -p 600 -M 255.255.255.0',
      '-e -t 10.0.0.1:80 -r 10.0.1.11:80 -g -w 3 -x 100 -y 10',
      '-e -t 10.0.0.1:80 -r 10.0.1.12:80 -m -w 5',
    ]);
  });

  it('removing persistence is an -E without -p; a key change is delete + add', () => {
    expect(lines('-A -t 10.0.0.1:80 -s rr\n', '-A -t 10.0.0.1:80 -s rr -p 360\n').now).toEqual(['-E -t 10.0.0.1:80 -s rr']);
    expect(lines('-A -u 10.0.0.1:80 -s rr\n', '-A -t 10.0.0.1:80 -s rr\n').now).toEqual(['-D -t 10.0.0.1:80', '-A -u 10.0.0.1:80 -s rr']);
  });

  it('drains a leaving TCP destination: weight 0 now, delete after the wait', () => {
    const current = MIXED;
    const desired = MIXED.split('\n').filter((l) => !l.includes('192.0.2.21')).join('\n');
    const { now, drain, after, plan } = lines(desired, current);
    expect(now).toEqual(['-e -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 0']);
    expect(drain).toEqual([{ service: { kind: 'tcp', family: 'inet', address: '10.0.0.1', port: 80 }, dest: { address: '192.0.2.21', port: 80 } }]);
    expect(after).toEqual(['-d -t 10.0.0.1:80 -r 192.0.2.21:80']);
    expect(plan.drainTimeoutSec).toBe(30);
  });

  it('no drain when told so, for UDP, or for an idle weight-0 destination', () => {
    const cur = '-A -u 10.0.0.1:53 -s rr\n-a -u 10.0.0.1:53 -r 10.0.1.1:53 -m -w 1\n-a -u 10.0.0.1:53 -r 10.0.1.2:53 -m -w 1\n';
    const des = '-A -u 10.0.0.1:53 -s rr\n-a -u 10.0.0.1:53 -r 10.0.1.1:53 -m -w 1\n';
    expect(lines(des, cur)).toMatchObject({ now: ['-d -u 10.0.0.1:53 -r 10.0.1.2:53'], drain: [], after: [] });
    const tcp = (s: string) => s.replace(/-u/g, '-t');
    expect(lines(tcp(des), tcp(cur), { ...opts, drain: false })).toMatchObject({ now: ['-d -t 10.0.0.1:53 -r 10.0.1.2:53'], drain: [] });
    const live = parseTable('TCP  10.0.0.1:53 rr\n  -> 10.0.1.1:53 Masq 1 0 0\n  -> 10.0.1.2:53 Masq 0 0 0\n');
    const p = planIpvs(t(tcp(des)), live, opts);
    expect(toRestoreLines(p.now)).toEqual(['-d -t 10.0.0.1:53 -r 10.0.1.2:53']);
    expect(p.drain).toEqual([]);
  });

  it('a half-finished drain (weight already 0, connections left) waits without re-quiescing', () => {
    const live = parseTable('TCP  10.0.0.1:53 rr\n  -> 10.0.1.1:53 Masq 1 0 0\n  -> 10.0.1.2:53 Masq 0 2 1\n');
    const p = planIpvs(t('-A -t 10.0.0.1:53 -s rr\n-a -t 10.0.0.1:53 -r 10.0.1.1:53 -m -w 1\n'), live, opts);
    expect(p.now).toEqual([]);
    expect(p.drain).toHaveLength(1);
    expect(toRestoreLines(p.afterDrain)).toEqual(['-d -t 10.0.0.1:53 -r 10.0.1.2:53']);
  });

  it('an undeclared service is drained then deleted; foreign services are untouched with `only`', () => {
    const current = `${MIXED}-A -t 10.9.9.9:443 -s rr\n-a -t 10.9.9.9:443 -r 10.9.1.1:443 -m -w 1\n`;
    const { now, after } = lines(MIXED, current);
    expect(now).toEqual(['-e -t 10.9.9.9:443 -r 10.9.1.1:443 -m -w 0']);
    expect(after).toEqual(['-D -t 10.9.9.9:443']);
    const only = t(MIXED).services.map(serviceKey);
    expect(isEmptyPlan(planIpvs(t(MIXED), t(current), { ...opts, only }))).toBe(true);
    // Owned but changed services are still planned while the foreign one stays.
    const changed = MIXED.replace('-s wrr', '-s rr');
    expect(toRestoreLines(planIpvs(t(changed), t(current), { ...opts, only }).now)).toEqual(['-E -t 10.0.0.1:80 -s rr']);
  });

  it('refuses a service or a real server declared twice (DR ports collapse to the service port)', () => {
    expect(() => lines('-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s wrr\n', '')).toThrow(/TCP 10\.0\.0\.1:80 is added twice/);
    const dup = { services: [{ ...t(MIXED).services[0]!, destinations: [
      { address: '192.0.2.21', port: 80, method: 'dr' as const, weight: 1 },
      { address: '192.0.2.21', port: 8080, method: 'dr' as const, weight: 1 },
    ] }] };
    expect(() => planIpvs(dup, { services: [] }, opts)).toThrow('TCP 10.0.0.1:80: real server 192.0.2.21:80 is declared twice');
    expect(() => planIpvs(dup, t(MIXED), opts)).toThrow('TCP 10.0.0.1:80: real server 192.0.2.21:80 is declared twice');
    expect(() => planIpvs({ services: [...t(MIXED).services, ...t(MIXED).services] }, { services: [] }, opts)).toThrow('TCP 10.0.0.1:80 is declared twice');
  });

  it('orders deletes before edits before adds before quiesces', () => {
    const current = `-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1
-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 1
-A -u 10.0.0.2:53 -s rr
`;
    const desired = `-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1
-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 1
`;
    expect(lines(desired, current).now).toEqual([
      '-D -u 10.0.0.2:53',
      '-E -t 10.0.0.1:80 -s wrr',
      '-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 1',
      '-e -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 0',
    ]);
  });

  it('plans a 1000-service table against itself as nothing, and against empty as 1000 -A', () => {
    let text = '';
    for (let s = 0; s < 1000; s++) {
      const vip = `10.${s >> 8}.${s & 255}.1:80`;
      text += `-A -t ${vip} -s wlc\n`;
      for (let d = 0; d < 5; d++) text += `-a -t ${vip} -r 192.168.${d}.${(s % 250) + 1}:80 -m -w ${d}\n`;
    }
    expect(isEmptyPlan(planIpvs(t(text), t(text), opts))).toBe(true);
    const p = planIpvs(t(text), { services: [] }, opts);
    expect(p.now.filter((o) => o.op === 'add-service')).toHaveLength(1000);
    expect(p.now.filter((o) => o.op === 'add-dest')).toHaveLength(5000);
  });
});

describe('serialiser', () => {
  it('round trip: desired -> restore lines -> parseSave -> the same table', () => {
    const desired: IpvsTable = {
      services: [
        {
          kind: 'tcp', family: 'inet', address: '10.0.0.1', port: 80, scheduler: 'wrr', schedFlags: [], ops: false,
          persistence: { timeout: 600, netmask: '255.255.255.0' }, pe: 'sip',
          destinations: [
            { address: '10.0.1.11', port: 8080, method: 'nat', weight: 3, upperThreshold: 100, lowerThreshold: 10 },
            { address: '192.0.2.21', port: 80, method: 'dr', weight: 0 },
            { address: '198.51.100.7', port: 80, method: 'tun', weight: 1, tunType: 'gue', tunPort: 6080, tunCsum: 'csum' },
          ],
        },
        { kind: 'udp', family: 'inet6', address: '2001:db8::1', port: 53, scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'], ops: true, destinations: [
          { address: '2001:db8::10', port: 5353, method: 'nat', weight: 65535 },
        ] },
        { kind: 'fwmark', family: 'inet6', fwmark: 4294967295, scheduler: 'mh', schedFlags: ['mh-port'], ops: false, persistence: { timeout: 360, netmask: '64' }, destinations: [
          { address: '2001:db8::5', port: 0, method: 'dr', weight: 1 },
        ] },
        { kind: 'sctp', family: 'inet', address: '10.0.0.3', port: 9, scheduler: 'rr', schedFlags: [], ops: false, destinations: [] },
      ],
    };
    const text = tableText(desired);
    expect(text).not.toMatch(/#|ipvsadm/);
    expect(text).toContain('-A -f 4294967295 -6 -s mh -p 360 -M 64 -b mh-port');
    expect(text).toContain('-a -u [2001:db8::1]:53 -r [2001:db8::10]:5353 -m -w 65535');
    expect(text).toContain('-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum');
    const back = parseSave(text);
    const byKey = (tb: IpvsTable) => new Map(tb.services.map((s) => [serviceKey(s), { ...s, destinations: new Map(s.destinations.map((d) => [destKey(d), d])) }]));
    expect(byKey(back)).toEqual(byKey(desired));
    expect(isEmptyPlan(planIpvs(desired, back, opts))).toBe(true);
  });

  it('tableText is independent of listing order', () => {
    const a = t(MIXED);
    const b = { services: a.services.map((s) => ({ ...s, destinations: [...s.destinations].reverse() })) };
    expect(tableText(b)).toBe(tableText(a));
  });
});

describe('planner equality agrees with verify', () => {
  it('sameDest/sameServiceSettings hold exactly when destDiffs/serviceDiffs are empty', async () => {
    const { sameDest, sameServiceSettings, destDiffs, serviceDiffs, normalizeDest, normalizeService } = await import('../../src/lvs/ipvs/compare.js');
    const vs = { kind: 'tcp' as const, port: 80 };
    const dests = [
      { address: '10.0.0.1', port: 80, method: 'dr' as const, weight: 1 },
      { address: '10.0.0.1', port: 80, method: 'dr' as const, weight: 1, upperThreshold: 0 },
      { address: '10.0.0.1', port: 80, method: 'nat' as const, weight: 1 },
      { address: '10.0.0.1', port: 80, method: 'local' as const, weight: 1 },
      { address: '10.0.0.1', port: 80, method: 'dr' as const, weight: 2, lowerThreshold: 5 },
      { address: '10.0.0.1', port: 80, method: 'tun' as const, weight: 1 },
      { address: '10.0.0.1', port: 80, method: 'tun' as const, weight: 1, tunType: 'ipip' as const, tunCsum: 'csum' as const },
      { address: '10.0.0.1', port: 80, method: 'tun' as const, weight: 1, tunType: 'gue' as const, tunPort: 6080 },
      { address: '10.0.0.1', port: 80, method: 'tun' as const, weight: 1, tunType: 'gue' as const, tunPort: 6081, tunCsum: 'remcsum' as const },
    ];
    let pairs = 0;
    for (const w of dests) {
      if (w.method === 'local') continue;
      for (const g of dests) {
        expect(sameDest(w, g), `${JSON.stringify(w)} vs ${JSON.stringify(g)}`).toBe(destDiffs(normalizeDest(vs, w), normalizeDest(vs, g)).length === 0);
        pairs++;
      }
    }
    expect(pairs).toBe(72);
    const base = { kind: 'tcp' as const, family: 'inet' as const, address: '10.0.0.1', port: 80, destinations: [] };
    const services = [
      { ...base, scheduler: 'wlc', schedFlags: [], ops: false },
      { ...base, scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'], ops: false },
      { ...base, scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'], ops: false },
      { ...base, scheduler: 'wlc', schedFlags: [], ops: false, persistence: { timeout: 360 } },
      { ...base, scheduler: 'wlc', schedFlags: [], ops: false, persistence: { timeout: 360, netmask: '255.255.255.255' } },
      { ...base, scheduler: 'wlc', schedFlags: [], ops: false, persistence: { timeout: 360, netmask: '255.255.0.0' }, pe: 'sip' },
      { ...base, scheduler: 'wlc', schedFlags: [], ops: false, pe: 'sip' },
      { ...base, scheduler: 'wlc', schedFlags: [], ops: true },
    ];
    for (const w of services) {
      for (const g of services) {
        expect(sameServiceSettings(w, g)).toBe(serviceDiffs(normalizeService(w), normalizeService(g)).length === 0);
      }
    }
  });
});
