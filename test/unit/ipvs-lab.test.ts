import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipvs } from '../../src/modules/ipvs.js';
import type { IpvsParams } from '../../src/lvs/ipvs/schema.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { parseTable } from '../../src/lvs/ipvs/parse-list.js';
import { describeService } from '../../src/lvs/ipvs/keys.js';
import { testContext } from '../helpers/converge.js';
import { ipvsOut } from '../helpers/facts.js';
import { frame } from '../../src/facts/index.js';

/** The module's read output around an IPVS capture (persist: false reads nothing else). */
const out = (capture: string) => frame({ live: ipvsOut(capture) });

/**
 * The ipvs module's own table on a real kernel (test/fixtures/ipvs-lab): read back through the module's probe
 * parser, it must plan nothing, which is what the second `lvsible apply` on the lab reported.
 */
const DIR = join(process.cwd(), 'test/fixtures/ipvs-lab');
const read = (n: string) => readFileSync(join(DIR, n), 'utf8');

/** The params the lab run applied (textual IPv6 variants and unsorted flags on purpose). */
const LAB_PARAMS: IpvsParams = {
  drain_timeout: 8,
  timeouts: { tcp: 7200, tcpfin: 120, udp: 300 },
  persist: false,
  services: [
    {
      kind: 'tcp', address: '198.51.100.50', port: 80, scheduler: 'wrr', persistence: { timeout: 600, netmask: '255.255.255.0' },
      destinations: [
        { address: '198.51.100.21', port: 80, method: 'nat', weight: 3, upperThreshold: 100, lowerThreshold: 10 },
        { address: '198.51.100.100', method: 'dr', weight: 2 },
        { address: '198.51.100.77', method: 'tun', weight: 1 },
      ],
    },
    {
      kind: 'udp', address: '198.51.100.50', port: 53, scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'], ops: true,
      destinations: [{ address: '198.51.100.21', port: 5353, method: 'nat' }],
    },
    { kind: 'fwmark', fwmark: 4294967290, scheduler: 'lc', destinations: [{ address: '198.51.100.100', method: 'dr' }] },
    {
      kind: 'tcp', address: '2001:DB8:0::50', port: 443, scheduler: 'mh', schedFlags: ['mh-port'],
      destinations: [
        { address: '2001:db8::0:21', port: 8443, method: 'nat', weight: 5 },
        { address: '198.51.100.77', method: 'tun', tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' },
      ],
    },
  ],
};

const cap = (key: string, file: string) => `@${key} 0\n${read(file).replace(/\n$/, '').replace(/^/gm, '|')}\n`;

describe('the ipvs module against its own table on a real kernel', () => {
  const ctx = testContext('/r');
  const probe = cap('save', 'Sn.txt') + cap('thresholds', 'Ln-thresholds.txt') + cap('list', 'Ln.txt') + cap('timeout', 'timeout.txt');

  it('reads it back as declared and plans nothing', () => {
    const p = ipvs.normalize!(LAB_PARAMS, ctx);
    const state = ipvs.read(p, ctx).parse(out(probe));
    expect(state.live.available).toBe(true);
    expect(state.live.table.services.find((s) => s.kind === 'fwmark')!.fwmark).toBe(4294967290);
    expect(ipvs.plan(p, state, ctx)).toEqual([]);
  });

  it('the same through the ipvsadm 1.31 path (-Ln --tun-info + --thresholds + --timeout)', () => {
    const p = ipvs.normalize!(LAB_PARAMS, ctx);
    const state = ipvs.read(p, ctx).parse(out(cap('tuninfo', 'Ln-tun-info.txt') + cap('thresholds', 'Ln-thresholds.txt') + cap('timeout', 'timeout.txt')));
    expect(state.live.available).toBe(true);
    const web = state.live.table.services.find((s) => s.port === 80)!;
    expect(web.destinations.find((d) => d.method === 'nat')).toMatchObject({ upperThreshold: 100, lowerThreshold: 10 });
    expect(state.live.table.services.find((s) => s.port === 443)!.destinations.find((d) => d.method === 'tun')).toMatchObject({ tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' });
    expect(ipvs.plan(p, state, ctx)).toEqual([]);
  });

  it('-Sn really prints the big fwmark signed (`-f -6`), and the parser takes -6 as the mark, not IPv6', () => {
    expect(read('Sn.txt')).toContain('-A -f -6 -s lc\n');
    const fw = parseSave(read('Sn.txt')).services.find((s) => s.kind === 'fwmark')!;
    expect(fw).toMatchObject({ fwmark: 4294967290, family: 'inet' });
  });

  it('the listings agree with -Sn on every service', () => {
    const names = (t: { services: Parameters<typeof describeService>[0][] }) => t.services.map(describeService).sort();
    expect(names(parseTable(read('Ln.txt')))).toEqual(names(parseSave(read('Sn.txt'))));
    expect(names(parseTable(read('Ln-tun-info.txt')))).toEqual(names(parseSave(read('Sn.txt'))));
  });

  it('a changed weight on the real table is one -e line with the full spec', () => {
    const p = ipvs.normalize!({ ...LAB_PARAMS, services: LAB_PARAMS.services.map((s, i) => (i === 0 ? { ...s, destinations: s.destinations.map((d) => (d.method === 'nat' ? { ...d, weight: 4 } : d)) } : s)) }, ctx);
    const changes = ipvs.plan(p, ipvs.read(p, ctx).parse(out(probe)), ctx);
    expect(changes.map((c) => c.summary)).toEqual(['IPVS: ~1 destination']);
    expect(changes[0]!.steps[0]!.stdin).toBe('-e -t 198.51.100.50:80 -r 198.51.100.21:80 -m -w 4 -x 100 -y 10\n');
  });
});
