import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ipvs, summarize, timeoutsUnitText, TIMEOUTS_UNIT, type IpvsState } from '../../src/modules/ipvs.js';
import type { IpvsParams } from '../../src/lvs/ipvs/schema.js';
import { planIpvs } from '../../src/lvs/ipvs/plan.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { drainStep } from '../../src/lvs/ipvs/steps.js';
import { rulesFileText } from '../../src/lvs/ipvs/persist.js';
import { tableFromParams } from '../../src/lvs/ipvs/schema.js';
import { validate } from '../../src/config/validate.js';
import { parseYaml } from '../../src/config/source.js';
import { applyChange } from '../../src/engine/steps.js';
import { RemoteCommandError } from '../../src/errors.js';
import { LocalConnection } from '../../src/transport/local.js';
import { pathFirst, planOn, testContext, debianFacts } from '../helpers/converge.js';
import type { HostFacts } from '../../src/types.js';
import { frame } from '../../src/facts/index.js';
import { fileOut, ipvsOut, unitOut } from '../helpers/facts.js';

/** The module's read output: the IPVS capture and whichever persistence parts the params read. */
const out = (capture: string, more: Record<string, string> = {}) => frame({ live: ipvsOut(capture), ...more });

const params: IpvsParams = {
  services: [
    {
      kind: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'wrr', persistence: { timeout: 600 },
      destinations: [
        { address: '10.0.1.11', port: 8080, method: 'nat', weight: 3, upperThreshold: 100 },
        { address: '192.0.2.21', method: 'dr' },
        { address: '198.51.100.7', method: 'tun', weight: 2 },
      ],
    },
    { kind: 'fwmark', fwmark: 7, scheduler: 'rr', destinations: [{ address: '10.0.88.214', method: 'dr' }] },
  ],
  timeouts: { tcp: 7200, tcpfin: 120, udp: 300 },
};

/** What the probe prints on a director whose table matches `params` (ipvsadm 1.31 layouts as captured on the lab; `Local` as older kernels print it). */
const CONVERGED_PROBE = `@save 0
|-A -t 10.0.0.1:80 -s wrr -p 600
|-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3
|-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1
|-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 2 --tun-type ipip
|-A -f 7 -s rr
|-a -f 7 -r 10.0.88.214:0 -g -w 1
@thresholds 0
|IP Virtual Server version 1.2.1 (size=4096)
|Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
|  -> RemoteAddress:Port
|TCP  10.0.0.1:80 wrr persistent 600
|  -> 198.51.100.7:80              0          0          0          0         
|  -> 192.0.2.21:80                0          0          4          1         
|  -> 10.0.1.11:8080               100        0          2          9         
|FWM  7 rr
|  -> 10.0.88.214:0                0          0          0          0         
@list 0
|IP Virtual Server version 1.2.1 (size=4096)
|Prot LocalAddress:Port Scheduler Flags
|  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
|TCP  10.0.0.1:80 wrr persistent 600
|  -> 198.51.100.7:80              Tunnel  2      0          0         
|  -> 192.0.2.21:80                Route   1      4          1         
|  -> 10.0.1.11:8080               Masq    3      2          9         
|FWM  7 rr
|  -> 10.0.88.214:0                Local   1      0          0         
@timeout 0
|Timeout (tcp tcpfin udp): 7200 120 300
`;

/** The probe's view of a timeouts unit that is installed and enabled, as on a converged director. */
const unitProbe = (t = params.timeouts!) => unitOut(timeoutsUnitText(t), { 'multi-user.target': `/etc/systemd/system/${TIMEOUTS_UNIT}` });

const ctxFor = (root: string, facts: HostFacts = debianFacts) => testContext(root, { facts });
const norm = (p: IpvsParams, root = '/nonexistent') => ipvs.normalize!(p, ctxFor(root));

describe('ipvs module: converged director plans []', () => {
  it('live table, timeouts and persistence all match: no change', () => {
    const ctx = ctxFor('/r');
    const p = norm(params);
    const state = ipvs.read(p, ctx).parse(
      out(CONVERGED_PROBE, { rules: fileOut(rulesFileText(tableFromParams(p)), { shipped: false }), defaults: fileOut('# ipvsadm\nAUTO="true"\nDAEMON="none"\n'), timeoutsUnit: unitProbe() }),
    );
    expect(state.live.available).toBe(true);
    // The merge took thresholds from --thresholds, counters and Local from -Ln.
    const svc = state.live.table.services[0]!;
    expect(svc.destinations.find((d) => d.address === '10.0.1.11')).toMatchObject({ upperThreshold: 100, counters: { activeConn: 2, inactConn: 9 } });
    expect(state.live.table.services[1]!.destinations[0]!.method).toBe('local');
    expect(ipvs.plan(p, state, ctx)).toEqual([]);
  });

  it('the same with persist: false and no persistence files at all', () => {
    const p = norm({ ...params, persist: false });
    const state = ipvs.read(p, ctxFor('/r')).parse(out(CONVERGED_PROBE));
    expect(ipvs.plan(p, state, ctxFor('/r'))).toEqual([]);
  });
});

describe('ipvs module: changes', () => {
  const live = (probe: string): IpvsState => ({ live: { available: true, table: parseSaveWithTimeouts(probe) }, rulesFile: 'x', defaultsFile: 'AUTO="true"\n' });
  function parseSaveWithTimeouts(save: string) {
    return { ...parseSave(save), timeouts: { tcp: 900, tcpfin: 120, udp: 300 } };
  }

  it('one -R batch with the whole diff, a --set step, and the rules file', () => {
    const p = norm({ ...params, persist: true });
    const state = live('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 1\n-a -t 10.0.0.1:80 -r 10.0.1.99:8080 -m -w 1\n');
    const changes = ipvs.plan(p, state, ctxFor(''));
    expect(changes.map((c) => c.summary)).toEqual([
      'IPVS: +1 service, ~1 service, +3 destinations, ~1 destination, -1 destination (drained)',
      'set IPVS timeouts tcp 7200 tcpfin 120 udp 300 (was 900 120 300)',
      'update /etc/ipvsadm.rules (IPVS rules loaded at boot)',
    ]);
    const [table, timeouts] = changes;
    expect(table!.steps.map((s) => s.label ?? s.cmd.split('\n')[0])).toEqual([
      'ipvsadm -R (7 lines)',
      'drain 1 destination (wait up to 30 s for their connections to end)',
      'ipvsadm -R (1 delete after the drain)',
    ]);
    expect(table!.steps[0]!.stdin).toBe(
      [
        '-E -t 10.0.0.1:80 -s wrr -p 600',
        '-e -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100',
        '-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1',
        '-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 2',
        '-A -f 7 -s rr',
        '-a -f 7 -r 10.0.88.214:0 -g -w 1',
        '-e -t 10.0.0.1:80 -r 10.0.1.99:8080 -m -w 0',
      ].join('\n') + '\n',
    );
    // Adds come after edits; the quiesce of the leaving server is in the first batch too.
    expect(table!.steps[0]!.stdin).not.toContain('-C');
    expect(table!.steps[2]!.stdin).toBe('-d -t 10.0.0.1:80 -r 10.0.1.99:8080\n');
    expect(table!.before).toContain('-a -t 10.0.0.1:80 -r 10.0.1.99:8080 -m -w 1');
    expect(table!.after).not.toContain('10.0.1.99');
    expect(timeouts!.steps[0]!.cmd).toContain('ipvsadm --set 7200 120 300');
  });

  it('--diff text shows only the services that change', () => {
    const p = norm({ ...params, persist: false });
    const state = ipvs.read(p, ctxFor('/r')).parse(out(CONVERGED_PROBE.replace('|-a -f 7 -r 10.0.88.214:0 -g -w 1', '|-a -f 7 -r 10.0.88.214:0 -g -w 4')));
    const [change] = ipvs.plan(p, state, ctxFor('/r'));
    expect(change!.summary).toBe('IPVS: ~1 destination');
    expect(change!.before).toBe('-A -f 7 -s rr\n-a -f 7 -r 10.0.88.214:0 -g -w 4\n');
    expect(change!.after).toBe('-A -f 7 -s rr\n-a -f 7 -r 10.0.88.214:0 -g -w 1\n');
  });

  it('purge: false leaves undeclared (keepalived-owned) services alone', () => {
    const foreign = '-A -t 10.9.9.9:443 -s rr\n-a -t 10.9.9.9:443 -r 10.9.1.1:443 -m -w 1\n';
    const p = norm({ ...params, purge: false, persist: false });
    const state = ipvs.read(p, ctxFor('/r')).parse(out(CONVERGED_PROBE.replace('@thresholds', `${foreign.replace(/^/gm, '|').replace(/\|$/, '')}@thresholds`)));
    expect(state.live.table.services).toHaveLength(3);
    expect(ipvs.plan(p, state, ctxFor('/r'))).toEqual([]);
    const purging = norm({ ...params, persist: false });
    expect(ipvs.plan(purging, state, ctxFor('/r')).map((c) => c.summary)).toEqual(['IPVS: -1 service (drained)']);
  });

  it('RHEL: writes /etc/sysconfig/ipvsadm (which the package lacks) and enables the unit, never starts it', () => {
    const rhel: HostFacts = { ...debianFacts, os: { id: 'rocky', idLike: ['rhel'], versionId: '9', family: 'redhat' }, packageManager: 'dnf' };
    const p = norm(params);
    const state = ipvs.read(p, ctxFor('', rhel)).parse(out(CONVERGED_PROBE, { rules: fileOut(undefined), enabled: 'disabled\n', timeoutsUnit: unitOut(undefined) }));
    const changes = ipvs.plan(p, state, ctxFor('', rhel));
    expect(changes.map((c) => c.summary)).toEqual([
      'create /etc/sysconfig/ipvsadm (IPVS rules loaded at boot)',
      'enable ipvsadm.service (loads /etc/sysconfig/ipvsadm at boot; was disabled)',
      // The unit is absent here, so it is installed.
      `install boot unit ${TIMEOUTS_UNIT} for IPVS timeouts`,
    ]);
    expect(changes[1]!.steps.map((s) => s.cmd)).toEqual(['systemctl enable ipvsadm']);
    const converged = ipvs.read(p, ctxFor('', rhel)).parse(
      out(CONVERGED_PROBE, { rules: fileOut(rulesFileText(tableFromParams(p)), { shipped: false }), enabled: 'enabled\n', timeoutsUnit: unitProbe() }),
    );
    expect(ipvs.plan(p, converged, ctxFor('', rhel))).toEqual([]);
  });

  it('summaries count what the batch does', () => {
    const d = parseSave('-A -u 10.0.0.2:53 -s rr\n-a -u 10.0.0.2:53 -r 10.0.2.1:53 -m -w 1\n');
    const c = parseSave('-A -t 10.0.0.3:80 -s rr\n-a -t 10.0.0.3:80 -r 10.0.2.9:80 -m -w 1\n-A -u 10.0.0.2:53 -s rr\n-a -u 10.0.0.2:53 -r 10.0.2.2:53 -m -w 1\n');
    expect(summarize(planIpvs(d, c, { drain: true, drainTimeoutSec: 5 }))).toBe('-1 service (drained), +1 destination, -1 destination');
    expect(summarize(planIpvs(d, c, { drain: false, drainTimeoutSec: 5 }))).toBe('-1 service, +1 destination, -1 destination');
  });
});

describe('ipvs module: for real on this machine', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-ipvs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('without a usable IPVS: plans the full table, persists it, and the batch fails with ipvsadm\'s reason', async () => {
    const ctx = ctxFor(root);
    writeFileSync(join(root, 'keep'), '');
    const conn = new LocalConnection();
    const first = await planOn(ipvs, params, ctx, conn);
    const state = first.state as IpvsState;
    // This machine has no ip_vs: ipvsadm is absent, or modprobe finds no module, or ipvsadm cannot initialise IPVS.
    expect(state.live.available).toBe(false);
    expect(state.live.error).toMatch(/not installed|kernel has no IPVS|Can't initialize ipvs/);
    const [table, ...rest] = first.changes;
    expect(table!.summary).toMatch(/^IPVS: \+2 services, \+4 destinations \(the live table could not be read: /);
    expect(rest.map((c) => c.summary)).toEqual([
      'set IPVS timeouts tcp 7200 tcpfin 120 udp 300',
      'create /etc/ipvsadm.rules (IPVS rules loaded at boot)',
      'load IPVS rules at boot: AUTO="true" in /etc/default/ipvsadm',
      `install boot unit ${TIMEOUTS_UNIT} for IPVS timeouts`,
    ]);
    for (const c of rest.slice(1)) await applyChange(conn, c);
    expect(readFileSync(join(root, 'etc/ipvsadm.rules'), 'utf8')).toBe(rulesFileText(tableFromParams(first.params)));
    // The timeouts come back at boot, after ipvsadm.service restored the table.
    const unit = readFileSync(join(root, 'etc/systemd/system', TIMEOUTS_UNIT), 'utf8');
    expect(unit).toMatch(/^After=ipvsadm\.service$/m);
    expect(unit).toMatch(/^ExecStart=\/sbin\/ipvsadm --set 7200 120 300$/m);
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants', TIMEOUTS_UNIT))).toBe(`/etc/systemd/system/${TIMEOUTS_UNIT}`);
    expect(readFileSync(join(root, 'etc/default/ipvsadm'), 'utf8')).toBe('AUTO="true"\nDAEMON="none"\n');
    const err = await applyChange(conn, table!).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as Error).message).toMatch(/not installed|Can't initialize ipvs/);
    // Persistence converged: only the (unappliable) table and timeout changes are left.
    const second = await planOn(ipvs, params, ctx, conn);
    expect(second.changes.map((c) => c.summary.split(' (')[0])).toEqual(['IPVS: +2 services, +4 destinations', 'set IPVS timeouts tcp 7200 tcpfin 120 udp 300']);
  });

  it('the timeouts unit follows the declaration: rewritten when they change, removed when they go', async () => {
    const ctx = ctxFor(root);
    const conn = new LocalConnection();
    const persistOnly = (c: { summary: string }) => !c.summary.startsWith('IPVS:') && !c.summary.startsWith('set IPVS timeouts');
    const first = await planOn(ipvs, params, ctx, conn);
    for (const c of first.changes.filter(persistOnly)) await applyChange(conn, c);
    expect((await planOn(ipvs, params, ctx, conn)).changes.filter(persistOnly)).toEqual([]);

    const longer = { ...params, timeouts: { tcp: 3600, tcpfin: 60, udp: 30 } };
    const changed = (await planOn(ipvs, longer, ctx, conn)).changes.filter(persistOnly);
    expect(changed.map((c) => c.summary)).toEqual([`update boot unit ${TIMEOUTS_UNIT} for IPVS timeouts`]);
    expect(changed[0]!.after).toMatch(/--set 3600 60 30$/m);
    for (const c of changed) await applyChange(conn, c);
    expect(readFileSync(join(root, 'etc/systemd/system', TIMEOUTS_UNIT), 'utf8')).toMatch(/--set 3600 60 30$/m);

    const none = { ...params, timeouts: undefined };
    const gone = (await planOn(ipvs, none, ctx, conn)).changes.filter(persistOnly);
    expect(gone.map((c) => c.summary)).toEqual([`remove boot unit ${TIMEOUTS_UNIT} for IPVS timeouts`]);
    for (const c of gone) await applyChange(conn, c);
    expect(existsSync(join(root, 'etc/systemd/system', TIMEOUTS_UNIT))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/multi-user.target.wants', TIMEOUTS_UNIT))).toBe(false);
    expect((await planOn(ipvs, none, ctx, conn)).changes.filter(persistOnly)).toEqual([]);
  });

  it('keeps an existing /etc/default/ipvsadm and only flips AUTO', async () => {
    const ctx = ctxFor(root);
    const conn = new LocalConnection();
    const pkg = '# ipvsadm\n\n# if you want to start ipvsadm on boot set this to true\nAUTO="false"\n\nDAEMON="none"\nIFACE="eth0"\t\n';
    await conn.exec(`mkdir -p ${root}/etc/default`);
    writeFileSync(join(root, 'etc/default/ipvsadm'), pkg);
    const { changes } = await planOn(ipvs, { ...params, timeouts: undefined }, ctx, conn);
    const auto = changes.find((c) => c.summary.startsWith('load IPVS rules at boot'))!;
    await applyChange(conn, auto);
    expect(readFileSync(join(root, 'etc/default/ipvsadm'), 'utf8')).toBe(pkg.replace('AUTO="false"', 'AUTO="true"'));
    const again = await planOn(ipvs, { ...params, timeouts: undefined }, ctx, conn);
    expect(again.changes.filter((c) => !c.summary.startsWith('IPVS:') && !c.summary.startsWith('create /etc/ipvsadm.rules'))).toEqual([]);
  });
});

describe('drain loop, run for real against ipvsadm -Ln output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsible-drain-'));
    // Stand-in for the kernel: an `ipvsadm` that prints a captured-format listing the test edits.
    writeFileSync(join(dir, 'ipvsadm'), `#!/bin/sh\necho "$*" >> ${dir}/calls\ncat ${dir}/listing\n`);
    chmodSync(join(dir, 'ipvsadm'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const listing = (active: number, inact: number) =>
    `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 wrr
  -> [2001:db8::a]:80             Route   0      ${active}          ${inact}         
  -> 10.0.1.12:80                 Masq    1      50         7         
`;
  const target = { service: { kind: 'tcp' as const, family: 'inet' as const, address: '10.0.0.1', port: 80 }, dest: { address: '2001:DB8:0::A', port: 80 } };
  const run = (timeout: number) => pathFirst(dir).exec(drainStep([target], timeout).cmd);

  it('returns as soon as the connections are gone, polling once a second', async () => {
    writeFileSync(join(dir, 'listing'), listing(3, 2));
    setTimeout(() => writeFileSync(join(dir, 'listing'), listing(0, 0)), 1500);
    const t0 = Date.now();
    const res = await run(20);
    const took = Date.now() - t0;
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(6000);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls[0]).toBe('-Ln -t 10.0.0.1:80');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.length).toBeLessThanOrEqual(5);
  });

  it('gives up after the timeout, says so, and lets the delete go ahead', async () => {
    writeFileSync(join(dir, 'listing'), listing(1, 0));
    const t0 = Date.now();
    const res = await run(2);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/drain timed out after 2 s.*TCP 10\.0\.0\.1:80: 1 connections left/);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('ipvs params schema', () => {
  const check = (yaml: string) => {
    const doc = parseYaml(yaml, 'play.yml');
    return validate(ipvs.schema, doc.data, doc).map((i) => `${i.line}: ${i.message}`);
  };
  it('accepts the mixed example and what the cluster model builds', () => {
    expect(check(`services:
  - kind: tcp
    address: 10.0.0.1
    port: 80
    scheduler: wrr
    family: inet
    schedFlags: []
    ops: false
    persistence: { timeout: 600, netmask: 255.255.255.0 }
    destinations:
      - { address: 10.0.1.11, port: 8080, method: nat, weight: 3, upperThreshold: 100 }
      - { address: 192.0.2.21, method: dr }
  - { kind: fwmark, fwmark: 7, family: inet6, destinations: [] }
timeouts: { tcp: 7200, tcpfin: 0, udp: 300 }
drain_timeout: 10
`)).toEqual([]);
  });
  it('refuses what ipvsadm would refuse, pointing at the line', () => {
    const issues = check(`services:
  - kind: fwmark
    address: 10.0.0.1
    destinations: []
  - kind: tcp
    address: vip.example.com
    port: 80
    scheduler: fastest
    destinations:
      - { address: 10.0.1.1, method: local, weight: 70000 }
`);
    expect(issues.length).toBeGreaterThanOrEqual(4);
    expect(issues.some((i) => i.startsWith('2:') || i.startsWith('3:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('6:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('8:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('10:'))).toBe(true);
  });
});

describe('the read probe, run for real through sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsible-probe-'));
    // Stand-in for the kernel: an `ipvsadm` that prints captured-format output per invocation and logs its calls.
    const sections = new Map<string, string>();
    let key = '';
    for (const l of CONVERGED_PROBE.split('\n')) {
      const h = /^@(\w+) \d+$/.exec(l);
      if (h) key = h[1]!;
      else if (l.startsWith('|')) sections.set(key, (sections.get(key) ?? '') + l.slice(1) + '\n');
    }
    for (const [k, v] of sections) writeFileSync(join(dir, k), v);
    // Like ipvsadm < 1.31: --tun-info is an unknown option.
    writeFileSync(
      join(dir, 'ipvsadm'),
      `#!/bin/sh\necho "$*" >> ${dir}/calls\ncase "$*" in\n  -Sn) cat ${dir}/save ;;\n  "-Ln --thresholds") cat ${dir}/thresholds ;;\n  -Ln) cat ${dir}/list ;;\n  "-Ln --timeout") cat ${dir}/timeout ;;\n  "-Ln --tun-info") [ -f ${dir}/tuninfo ] && exec cat ${dir}/tuninfo; echo "--tun-info: unknown option" >&2; exit 255 ;;\n  *) echo "unexpected: $*" >&2; exit 2 ;;\nesac\n`,
    );
    chmodSync(join(dir, 'ipvsadm'), 0o755);
    // ip_vs is loaded: the probe looks for /proc/net/ip_vs under the module's root before calling ipvsadm.
    mkdirSync(join(dir, 'proc/net'), { recursive: true });
    writeFileSync(join(dir, 'proc/net/ip_vs'), '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A modprobe that logs its arguments and finds ip_vs (rc 0) or not (rc 1). */
  const modprobe = (rc: number) => {
    writeFileSync(join(dir, 'modprobe'), `#!/bin/sh\necho "$*" >> ${dir}/modprobe-calls\nexit ${rc}\n`);
    chmodSync(join(dir, 'modprobe'), 0o755);
  };

  it('ip_vs not loaded: ipvsadm is never called (it would modprobe ip_vs), the table reads as empty', async () => {
    rmSync(join(dir, 'proc'), { recursive: true });
    modprobe(0);
    const conn = pathFirst(dir);
    const { state, changes } = await planOn(ipvs, { ...params, persist: false }, ctxFor(dir), conn);
    expect(existsSync(join(dir, 'calls'))).toBe(false);
    expect((state as IpvsState).live).toEqual({ available: true, loaded: false, table: { services: [], timeouts: { tcp: 900, tcpfin: 120, udp: 300 } } });
    // Declared services are all to add; an empty declaration on an unloaded host is converged.
    expect(changes.map((c) => c.summary)).toEqual(['IPVS: +2 services, +4 destinations', 'set IPVS timeouts tcp 7200 tcpfin 120 udp 300 (was 900 120 300)']);
    const empty = await planOn(ipvs, { services: [], persist: false }, ctxFor(dir), conn);
    expect(empty.changes).toEqual([]);
    expect(existsSync(join(dir, 'calls'))).toBe(false);
    // modprobe only looked (-n), it loaded nothing.
    expect(readFileSync(join(dir, 'modprobe-calls'), 'utf8')).toBe('-n -q ip_vs\n-n -q ip_vs\n');
  });

  it('a kernel without IPVS (no module to load) is unavailable, with that reason, and ipvsadm is never called', async () => {
    rmSync(join(dir, 'proc'), { recursive: true });
    modprobe(1);
    const conn = pathFirst(dir);
    const { state, changes } = await planOn(ipvs, { ...params, persist: false }, ctxFor(dir), conn);
    expect(existsSync(join(dir, 'calls'))).toBe(false);
    expect((state as IpvsState).live).toMatchObject({ available: false, error: expect.stringMatching(/kernel has no IPVS/) });
    expect(changes[0]!.summary).toMatch(/the live table could not be read: this kernel has no IPVS/);
  });

  it('ipvsadm 1.31+: three invocations (--tun-info, --thresholds, --timeout) in one exec; converged plans []', async () => {
    writeFileSync(join(dir, 'tuninfo'), `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  10.0.0.1:80 wrr persistent 600
  -> 198.51.100.7:80              Tunnel  ipip          2      0          0         
  -> 192.0.2.21:80                Route   n/a           1      4          1         
  -> 10.0.1.11:8080               Masq    n/a           3      2          9         
FWM  7 rr
  -> 10.0.88.214:0                Local   n/a           1      0          0         
`);
    const conn = pathFirst(dir);
    const { state, changes } = await planOn(ipvs, { ...params, persist: false }, ctxFor(dir), conn);
    expect(conn.execs).toBe(1);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toEqual(['-Ln --tun-info', '-Ln --thresholds', '-Ln --timeout']);
    const live = (state as IpvsState).live;
    expect(live.table.services[0]!.destinations.find((d) => d.address === '10.0.1.11')).toMatchObject({ upperThreshold: 100, counters: { activeConn: 2, inactConn: 9 } });
    expect(changes).toEqual([]);
  });

  it('older ipvsadm (no --tun-info): falls back to -Sn and -Ln in the same exec; converged plans []', async () => {
    const conn = pathFirst(dir);
    const { state, changes } = await planOn(ipvs, { ...params, persist: false }, ctxFor(dir), conn);
    expect(conn.execs).toBe(1);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toEqual(['-Ln --tun-info', '-Sn', '-Ln', '-Ln --thresholds', '-Ln --timeout']);
    expect((state as IpvsState).live).toMatchObject({ available: true, table: { timeouts: { tcp: 7200, tcpfin: 120, udp: 300 }, connTableSize: 4096 } });
    expect(changes).toEqual([]);
  });

  it('an ipvsadm that fails mid-way makes the state unavailable with its message', async () => {
    writeFileSync(join(dir, 'ipvsadm'), `#!/bin/sh\necho "Permission denied (you must be root)" >&2\nexit 2\n`);
    const conn = pathFirst(dir);
    const { state } = await planOn(ipvs, { ...params, persist: false }, ctxFor(dir), conn);
    expect((state as IpvsState).live).toEqual({ available: false, error: 'ipvsadm exited 2: Permission denied (you must be root)', table: { services: [] } });
  });
});

describe('the -R step, run for real through sh', () => {
  let dir: string;
  let conn: ReturnType<typeof pathFirst>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsible-restore-'));
    conn = pathFirst(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const shim = (body: string) => {
    writeFileSync(join(dir, 'ipvsadm'), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, 'ipvsadm'), 0o755);
  };
  const change = () => {
    const p = norm({ services: params.services, persist: false });
    return ipvs.plan(p, { live: { available: true, table: { services: [] } } }, ctxFor(''))[0]!;
  };

  it('feeds the batch on stdin to one ipvsadm -R', async () => {
    shim(`echo "$*" >> ${dir}/calls; cat > ${dir}/stdin`);
    await applyChange(conn, change());
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe('-R\n');
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe(change().steps[0]!.stdin);
  });

  it('fails on an error printed by an earlier line even when -R exits 0 (it reports only the last line)', async () => {
    shim(`cat > /dev/null; echo "Destination already exists" >&2; exit 0`);
    const err = await applyChange(conn, change()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).code).toBe(1);
    expect((err as Error).message).toContain('Destination already exists');
  });
});
