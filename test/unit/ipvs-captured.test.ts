import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseList, parseTable } from '../../src/lvs/ipvs/parse-list.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { parseConnections, parseIpvsadmOutput, parseTimeout } from '../../src/lvs/ipvs/parse-other.js';
import { mergeListings } from '../../src/lvs/ipvs/live.js';
import { isEmptyPlan, planIpvs } from '../../src/lvs/ipvs/plan.js';
import { verifyDirectorOffline } from '../../src/lvs/ipvs/verify.js';
import { serviceKey, describeService } from '../../src/lvs/ipvs/keys.js';
import type { IpvsTable, VirtualService } from '../../src/lvs/ipvs/types.js';

/**
 * Outputs a real kernel printed on the lab's dir1 (scripts/capture-fixtures.ts builds the table below with
 * ipvsadm, sends traffic from the client, and saves each command's output). Skipped until they are captured.
 */
const DIR = join(process.cwd(), 'test/fixtures/captured');
const have = existsSync(join(DIR, 'Ln.txt'));
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');
const VIP = '198.51.100.10';

/** The table capture-fixtures.ts programs, written as `ipvsadm -Sn` would print it with every default filled in. */
const DECLARED = parseSave(`-A -t ${VIP}:80 -s wrr
-a -t ${VIP}:80 -r 198.51.100.21:80 -g -w 3
-a -t ${VIP}:80 -r 198.51.100.31:80 -i -w 2
-a -t ${VIP}:80 -r 192.0.2.11:80 -m -w 0
-A -t ${VIP}:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t ${VIP}:443 -r 192.0.2.11:443 -m -w 1 -x 100 -y 50
-a -t ${VIP}:443 -r 198.51.100.21:443 -g -w 1
-A -u ${VIP}:53 -s mh -b mh-fallback,mh-port
-a -u ${VIP}:53 -r 192.0.2.11:53 -m -w 1
-A -u ${VIP}:514 -s rr -o
-a -u ${VIP}:514 -r 192.0.2.11:514 -m -w 1
-A -f 1 -s lc -p 60
-a -f 1 -r 198.51.100.21:0 -g -w 1
-a -f 1 -r 198.51.100.31:0 -i -w 5
-A -f 2 -6 -s rr
-a -f 2 -6 -r [2001:db8::21]:0 -g -w 1
-A -t [2001:db8::10]:80 -s wlc
-a -t [2001:db8::10]:80 -r [2001:db8::21]:80 -g -w 2
-a -t [2001:db8::10]:80 -r [2001:db8::31]:8080 -m -w 1
-A -t ${VIP}:8080 -s lblc
-a -t ${VIP}:8080 -r 198.51.100.2:80 -m -w 1
-A -t ${VIP}:8081 -s sed
-a -t ${VIP}:8081 -r 198.51.100.31:8081 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-A -t ${VIP}:8082 -s fo
-a -t ${VIP}:8082 -r 198.51.100.21:8082 -g -w 10
-a -t ${VIP}:8082 -r 198.51.100.31:8082 -i -w 20
`);

const byKey = (t: { services: VirtualService[] }) => new Map(t.services.map((s) => [describeService(s), s]));

describe.skipIf(!have)('outputs captured from the lab kernel', () => {
  it('-Ln: every service, method, weight and flag of the programmed table', () => {
    const t = parseTable(read('Ln.txt'));
    expect(t.numeric).toBe(true);
    expect(t.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(t.services.map(describeService).sort()).toEqual(DECLARED.services.map(describeService).sort());
    const s = byKey(t);
    expect(s.get(`TCP ${VIP}:80`)!.destinations.map((d) => [d.address, d.method, d.weight]).sort()).toEqual([
      ['192.0.2.11', 'nat', 0], ['198.51.100.21', 'dr', 3], ['198.51.100.31', 'tun', 2],
    ]);
    expect(s.get(`TCP ${VIP}:443`)).toMatchObject({ scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'], persistence: { timeout: 300, netmask: '255.255.255.0' } });
    expect(s.get(`UDP ${VIP}:53`)).toMatchObject({ scheduler: 'mh', schedFlags: ['mh-fallback', 'mh-port'], ops: false });
    expect(s.get(`UDP ${VIP}:514`)!.ops).toBe(true);
    expect(s.get('FWM 1')).toMatchObject({ scheduler: 'lc', persistence: { timeout: 60 } });
    expect(s.get('FWM 2 IPv6')!.destinations).toMatchObject([{ address: '2001:db8::21', port: 0, method: 'dr' }]);
    expect(s.get('TCP [2001:db8::10]:80')!.destinations.map((d) => [d.address, d.port, d.method]).sort()).toEqual([
      ['2001:db8::21', 80, 'dr'], ['2001:db8::31', 8080, 'nat'],
    ]);
    // dir1's own address: older kernels listed it as Local (fixture 11); 6.1 keeps the method it was given.
    expect(s.get(`TCP ${VIP}:8080`)!.destinations[0]).toMatchObject({ address: '198.51.100.2', port: 80, method: 'nat' });
  });

  it('-Sn + --thresholds + -Ln merged (what the module reads) plans nothing against the declared table', () => {
    const live = mergeListings(read('Sn.txt'), read('Ln-thresholds.txt'), read('Ln.txt'));
    const plan = planIpvs(DECLARED, live, { drain: true, drainTimeoutSec: 30 });
    expect(plan.now).toEqual([]);
    expect(isEmptyPlan(plan)).toBe(true);
    const d443 = live.services.find((x) => serviceKey(x) === serviceKey({ kind: 'tcp', family: 'inet', address: VIP, port: 443 }))!;
    expect(d443.destinations.find((d) => d.address === '192.0.2.11')).toMatchObject({ upperThreshold: 100, lowerThreshold: 50 });
    // and a real difference is still seen
    const changed = { services: DECLARED.services.map((x) => (x.kind === 'udp' && x.port === 53 ? { ...x, scheduler: 'rr' } : x)) };
    expect(planIpvs(changed, live, { drain: true, drainTimeoutSec: 30 }).now.map((o) => o.op)).toEqual(['edit-service']);
  });

  it('-Sn alone: no thresholds, tunnel options as 1.31 writes them', () => {
    const t = parseSave(read('Sn.txt'));
    expect(t.services).toHaveLength(DECLARED.services.length);
    const all = t.services.flatMap((s) => s.destinations);
    expect(all.some((d) => d.upperThreshold || d.lowerThreshold)).toBe(false);
    expect(byKey(t).get(`TCP ${VIP}:8081`)!.destinations[0]).toMatchObject({ method: 'tun', tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' });
  });

  it('verify --ipvsadm-output against the saved -Ln and -Sn: no drift', () => {
    expect(verifyDirectorOffline(DECLARED, read('Ln.txt'))).toEqual([]);
    expect(verifyDirectorOffline(DECLARED, read('Sn.txt'))).toEqual([]);
    expect(verifyDirectorOffline(DECLARED, read('Ln-tun-info.txt'))).toEqual([]);
  });

  it('the other listings', () => {
    for (const f of ['Ln-stats.txt', 'Ln-stats-exact.txt', 'Ln-rate.txt', 'Ln-rate-exact.txt']) {
      const l = parseList(read(f));
      expect(l.format, f).toBe(f.startsWith('Ln-stats') ? 'stats' : 'rate');
      expect(l.services, f).toHaveLength(DECLARED.services.length);
    }
    const exact = parseList(read('Ln-stats-exact.txt'));
    if (exact.format === 'stats') {
      // Service totals are the sum of their destinations' (no destination was removed).
      for (const s of exact.services) expect(s.stats.conns).toBe(s.destinations.reduce((n, d) => n + d.stats.conns, 0));
      expect(exact.services.some((s) => s.stats.conns > 0)).toBe(true);
    }
    const th = parseList(read('Ln-thresholds.txt'));
    expect(th.format).toBe('thresholds');
    const pc = parseList(read('Ln-persistent-conn.txt'));
    expect(pc.format).toBe('persistent-conn');
    const tun = parseTable(read('Ln-tun-info.txt'));
    expect(byKey(tun).get(`TCP ${VIP}:8081`)!.destinations[0]).toMatchObject({ tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' });
    expect(byKey(tun).get(`TCP ${VIP}:80`)!.destinations.find((d) => d.method === 'tun')!.tunType).toBe('ipip');
    expect(parseTable(read('Ln-sort.txt'))).toEqual(parseTable(read('Ln.txt')));
  });

  it('single-service listings have no banner; a missing service lists nothing and exits 1', () => {
    const one = parseTable(read('Ln-one-service.txt'));
    expect(one.version).toBeUndefined();
    expect(one.services.map(describeService)).toEqual([`TCP ${VIP}:80`]);
    expect(one.services[0]!.destinations).toHaveLength(3);
    expect(parseTable(read('Ln-one-fwmark.txt')).services.map(describeService)).toEqual(['FWM 1']);
    const index = JSON.parse(read('index.json')) as Array<{ file: string; exit: number }>;
    expect(index.find((e) => e.file === 'Ln-missing-service.txt')!.exit).not.toBe(0);
    expect(parseTable(read('Ln-missing-service.txt')).services).toEqual([]);
  });

  it('empty table, timeouts and the connection table', () => {
    expect(parseTable(read('empty-Ln.txt')).services).toEqual([]);
    expect(parseSave(read('empty-Sn.txt')).services).toEqual([]);
    expect(parseTimeout(read('timeout.txt'))).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    const conns = parseConnections(read('Lnc.txt'));
    expect(conns.length).toBeGreaterThan(0);
    for (const c of conns) expect([VIP, '2001:db8::10']).toContain(c.virtual.address);
    expect(conns.some((c) => c.protocol === 'TCP')).toBe(true);
    const pc = parseIpvsadmOutput(read('Lnc-persistent-conn.txt'));
    if (pc.format !== 'connections') throw new Error(pc.format);
    // The persistence template of :443 carries the client network (mask 255.255.255.0), port 0.
    const templates = pc.connections.filter((c) => c.template);
    expect(templates.some((c) => c.client.address === '198.51.100.0' && c.virtual.port === 443)).toBe(true);
    expect(pc.connections.filter((c) => c.state === 'SYN_RECV').length).toBeGreaterThan(0);
  });
});

describe('captured fixtures', () => {
  it('the declared table used above is well-formed', () => {
    const t: IpvsTable = DECLARED;
    expect(t.services).toHaveLength(10);
  });
});
