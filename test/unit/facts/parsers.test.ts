import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addressesFact, dpkgFact, factsProbe, factVars, fileText, ipvsLiveFact, parseAddresses, parseAptPolicy, parseLive, parseOsRelease,
  parseRoutes, parseSysctl, routesFact, sysctlFact, treeDriftFact, unitFileFact, wantsLinksFact, aptPolicyFact,
} from '../../../src/facts/index.js';
import { cap, fileOut, ipvsOut } from '../../helpers/facts.js';

/** Facts with real data: captured outputs of the lab's tools, and snippets run here with a real sh. */
const sh = (script: string, uid?: string) =>
  uid
    ? execFileSync('setpriv', ['--reuid', uid, '--regid', uid, '--clear-groups', 'sh', '-c', script], { encoding: 'utf8' })
    : execFileSync('sh', ['-c', script], { encoding: 'utf8' });
const captured = (name: string) => readFileSync(join('test/fixtures/captured', name), 'utf8');
const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('net: iproute2 JSON', () => {
  it('addresses of the lab director (captured `ip -j addr`)', () => {
    const links = parseAddresses(captured('ip-addr.txt'));
    const lo = links.find((l) => l.ifname === 'lo')!;
    expect(lo.up).toBe(true);
    expect(lo.addresses).toContainEqual({ local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' });
    expect(links.map((l) => l.ifname)).toEqual(expect.arrayContaining(['eth0', 'eth1']));
  });

  it('routes: host routes get their prefix, types default to unicast (captured `ip -j route`)', () => {
    const routes = parseRoutes(captured('ip-route.txt'));
    expect(routes[0]).toEqual({ dst: '10.0.2.0/24', type: 'unicast', dev: 'eth0', metric: 0 });
    expect(parseRoutes('[{"dst":"10.40.0.1","dev":"v0","type":"local"}]')).toEqual([{ dst: '10.40.0.1/32', type: 'local', dev: 'v0', metric: 0 }]);
    // A missing table: iproute2 starts the array, then the kernel refuses the dump.
    expect(parseRoutes('[')).toEqual([]);
    expect(() => parseRoutes('{oops')).toThrow(/cannot parse ip -j output/);
  });

  it.runIf(has('ip'))('this machine: lo is up with 127.0.0.1/8; a missing device is never named to ip', () => {
    const lo = addressesFact('lo');
    expect(lo.parse(sh(lo.script))[0]).toMatchObject({ ifname: 'lo', up: true, addresses: expect.arrayContaining([expect.objectContaining({ local: '127.0.0.1', prefixlen: 8 })]) });
    const all = addressesFact();
    expect(all.parse(sh(all.script)).map((l) => l.ifname)).toContain('lo');
    const none = addressesFact('lvsnodev0');
    expect(none.parse(sh(none.script))).toEqual([]);
    const local = routesFact({ family: 4, table: 'local', exact: '127.0.0.1' });
    expect(local.parse(sh(local.script))).toContainEqual(expect.objectContaining({ dst: '127.0.0.1/32', type: 'local', dev: 'lo' }));
  });
});

describe('sysctl: /proc/sys under a temp root, read by a real sh', () => {
  let root: string;
  const put = (path: string, value: string, mode = 0o644) => {
    mkdirSync(join(root, 'proc/sys', path, '..'), { recursive: true });
    writeFileSync(join(root, 'proc/sys', path), value);
    chmodSync(join(root, 'proc/sys', path), mode);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-sysctl-fact-'));
    chmodSync(root, 0o755);
    put('net/ipv4/ip_forward', '1\n');
    put('net/ipv4/tcp_rmem', '4096\t87380   6291456\n');
    put('net/ipv4/conf/eth1.100/arp_ignore', '2\n');
    put('net/ipv4/route/flush', '', 0o200);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const read = (name: string, uid?: string) => {
    const f = sysctlFact(name, root);
    return f.parse(sh(f.script, uid));
  };

  it.each([
    ['net.ipv4.ip_forward', { exists: true, value: '1' }],
    ['net.ipv4.tcp_rmem', { exists: true, value: '4096 87380 6291456' }],
    // The VLAN device eth1.100: the dotted name spells it with a slash, the path keeps the dot.
    ['net.ipv4.conf.eth1/100.arp_ignore', { exists: true, value: '2' }],
    ['net/ipv4/conf/eth1.100/arp_ignore', { exists: true, value: '2' }],
    ['net.ipv4.vs.conntrack', { exists: false }],
  ])('%s', (name, want) => expect(read(name)).toEqual(want));

  it('a write-only key read as nobody is unreadable, not empty', () => {
    expect(read('net.ipv4.route.flush', '65534')).toEqual({ exists: true, unreadable: true });
    expect(parseSysctl('missing\n')).toEqual({ exists: false });
  });
});

describe('ipvs: the live table from captured ipvsadm listings', () => {
  it('ipvsadm 1.31 path: --tun-info, --thresholds, --timeout', () => {
    const live = parseLive(ipvsOut(cap('tuninfo', captured('Ln-tun-info.txt')) + cap('thresholds', captured('Ln-thresholds.txt')) + cap('timeout', captured('timeout.txt'))));
    expect(live.available).toBe(true);
    expect(live.table.services.length).toBeGreaterThan(0);
    expect(live.table.timeouts).toBeDefined();
  });

  it('older ipvsadm: -Sn and -Ln after a failed --tun-info, merged', () => {
    const out = cap('tuninfo', 'ipvsadm: unrecognized option', 2) + cap('save', captured('Sn.txt')) + cap('list', captured('Ln.txt')) + cap('thresholds', captured('Ln-thresholds.txt')) + cap('timeout', captured('timeout.txt'));
    const live = parseLive(ipvsOut(out));
    expect(live.available).toBe(true);
    expect(live.table.services.some((s) => s.destinations.some((d) => d.counters))).toBe(true);
  });

  it("a kernel refusing IPVS: unavailable, in ipvsadm's words (public capture, kpng#36)", () => {
    const text = readFileSync('/work/shared/fixtures/ipvsadm-public/14-error-cant-initialize-ipvs.txt', 'utf8').split('\n\n').slice(1).join('\n\n');
    const live = parseLive(ipvsOut(cap('tuninfo', text, 2) + cap('save', text, 2) + cap('list', text, 2) + cap('thresholds', text, 2) + cap('timeout', text, 2)));
    expect(live).toMatchObject({ available: false, error: expect.stringMatching(/Protocol not available/) });
  });

  it('this machine (no /proc/net/ip_vs under a temp root): unloaded or unavailable, and ipvsadm is never run to find out', () => {
    const root = mkdtempSync(join(tmpdir(), 'lvsible-ipvs-fact-'));
    try {
      const f = ipvsLiveFact(root);
      const out = sh(`ipvsadm() { echo CALLED; }\n${f.script}`);
      expect(out).not.toContain('CALLED');
      const live = f.parse(out);
      expect(live.table.services).toEqual([]);
      expect(live.available === false || live.loaded === false).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.runIf(has('dpkg-query'))('packages: dpkg and apt on this Debian machine', () => {
  it('dpkg-query rows: installed versions, unknown names absent', () => {
    const f = dpkgFact(['dpkg', 'coreutils', 'lvsible-no-such-package']);
    const version = (n: string) => execFileSync('dpkg-query', ['-W', '-f=${Version}', n], { encoding: 'utf8' });
    expect(f.parse(sh(`${f.script} 2>/dev/null; true`))).toEqual({ dpkg: version('dpkg'), coreutils: version('coreutils') });
  });

  it.runIf(has('apt-cache'))('apt-cache policy: a candidate only when newer than what is installed', () => {
    const f = aptPolicyFact(['dpkg']);
    const got = f.parse(sh(f.script));
    const text = execFileSync('apt-cache', ['policy', 'dpkg'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const inst = /Installed: (\S+)/.exec(text)?.[1];
    const cand = /Candidate: (\S+)/.exec(text)?.[1];
    expect(got).toEqual(cand && inst && cand !== inst && cand !== '(none)' && inst !== '(none)' ? { dpkg: cand } : {});
    expect(parseAptPolicy('ipvsadm:amd64:\n  Installed: 1:1.31-1\n  Candidate: 1:1.31-1+b1\n  Version table:\n')).toEqual({ ipvsadm: '1:1.31-1+b1' });
  });
});

describe('host facts, run here', () => {
  it('this Debian machine: family, package manager, root, kernel', () => {
    const f = factsProbe.parse(sh(factsProbe.script));
    const osr = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
    expect(f.os.id).toBe(osr.get('ID'));
    expect(f.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(f.isRoot).toBe(process.getuid?.() === 0);
    expect(factVars(f).ansible_kernel).toBe(f.kernel);
    if (osr.get('ID') === 'debian') expect(f).toMatchObject({ packageManager: 'apt', os: { family: 'debian' } });
  });
});

describe('files and units, under a temp root', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-unit-fact-'));
    mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system/sys-subsystem-net-devices-eth1.device.wants'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/u.service'), '[Unit]\n');
    symlinkSync('/etc/systemd/system/u.service', join(root, 'etc/systemd/system/multi-user.target.wants/u.service'));
    symlinkSync('/elsewhere/u.service', join(root, 'etc/systemd/system/sys-subsystem-net-devices-eth1.device.wants/u.service'));
    mkdirSync(join(root, 'tree/sub'), { recursive: true });
    writeFileSync(join(root, 'tree/sub/f'), '');
    chmodSync(join(root, 'tree/sub/f'), 0o600);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a unit file and every enable link, whatever it points at', () => {
    const f = unitFileFact(root, 'u.service', '[Unit]\n');
    const st = f.parse(sh(f.script));
    expect(st.file).toMatchObject({ type: 'file', size: 7 });
    // The expected content was given: its bytes were not shipped back.
    expect(st.file.content).toBeUndefined();
    expect(st.wantedBy).toEqual({ 'multi-user.target': '/etc/systemd/system/u.service', 'sys-subsystem-net-devices-eth1.device': '/elsewhere/u.service' });
    const none = wantsLinksFact(join(root, 'etc/systemd/system'), 'other.service');
    expect(none.parse(sh(none.script))).toEqual({});
  });

  it('tree drift: a file below the directory with another mode', () => {
    const drift = treeDriftFact(join(root, 'tree'), { mode: '0644' });
    expect(drift.parse(sh(drift.script))).toBe(true);
    chmodSync(join(root, 'tree/sub/f'), 0o644);
    chmodSync(join(root, 'tree/sub'), 0o644);
    expect(drift.parse(sh(drift.script))).toBe(false);
    chmodSync(join(root, 'tree/sub'), 0o755);
  });

  it('fileText: text, absent, and unknown (unreadable) kept apart', () => {
    expect(fileText({ type: 'absent' })).toBeUndefined();
    expect(fileText({ type: 'file', unreadable: true })).toBeNull();
    const fake = (s: string) => ({ type: 'file' as const, sha256: '', content: Buffer.from(s) });
    expect(fileText(fake('a = 1\n'))).toBe('a = 1\n');
    expect(fileOut('x')).toContain('content\neA==\n');
  });
});
