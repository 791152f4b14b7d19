import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pkg, type PackageParams, type PackageState } from '../../src/modules/package.js';
import { parseCheckUpdate, parseDpkg, parseRpmQuery } from '../../src/facts/index.js';
import { LocalConnection } from '../../src/transport/local.js';
import type { HostFacts } from '../../src/types.js';
import { debianFacts, planOn, testContext } from '../helpers/converge.js';

const APT_INSTALL =
  'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --no-install-recommends';
const rhelFacts: HostFacts = { ...debianFacts, os: { id: 'rocky', idLike: ['rhel'], versionId: '9', family: 'redhat' }, packageManager: 'dnf' };

const st = (installed: Record<string, string>, upgradable: Record<string, string> = {}): PackageState => ({ installed, upgradable });

describe('package plan table', () => {
  const rows: [string, HostFacts, PackageParams, PackageState, string | undefined, string[]][] = [
    ['noop: all installed (update_cache costs nothing)', debianFacts, { name: ['ipvsadm', 'keepalived'], update_cache: true }, st({ ipvsadm: '1:1.31-1', keepalived: '1:2.2.7-1' }), undefined, []],
    ['noop: absent and not installed', debianFacts, { name: 'nginx', state: 'absent' }, st({}), undefined, []],
    ['noop: latest and nothing newer', rhelFacts, { name: 'ipvsadm', state: 'latest' }, st({ ipvsadm: '1.31-6.el9' }), undefined, []],
    [
      'apt: missing ones in one install, after an index update',
      debianFacts,
      { name: ['ipvsadm', 'keepalived', 'curl'], update_cache: true },
      st({ curl: '7.88' }),
      'install ipvsadm, keepalived',
      ['apt-get update -q', `${APT_INSTALL} ipvsadm keepalived`],
    ],
    ['apt: absent purges', debianFacts, { name: ['nginx', 'ipvsadm'], state: 'absent' }, st({ nginx: '1.22' }), 'remove packages: nginx', ['DEBIAN_FRONTEND=noninteractive apt-get -q -y purge nginx']],
    [
      'apt: latest installs and upgrades together',
      debianFacts,
      { name: ['dpkg', 'keepalived'], state: 'latest' },
      st({ dpkg: '1.21.22' }, { dpkg: '1.21.23' }),
      'install keepalived; upgrade dpkg (1.21.22 -> 1.21.23)',
      [`${APT_INSTALL} keepalived dpkg`],
    ],
    [
      'dnf: install, upgrade, makecache',
      rhelFacts,
      { name: ['ipvsadm', 'keepalived'], state: 'latest', update_cache: true },
      st({ keepalived: '2.2.4-1' }, { keepalived: '2.2.8-3.el9' }),
      'install ipvsadm; upgrade keepalived (2.2.4-1 -> 2.2.8-3.el9)',
      ['dnf -q -y makecache', 'dnf -y install ipvsadm', 'dnf -y upgrade keepalived'],
    ],
    ['dnf: remove', rhelFacts, { name: 'keepalived', state: 'absent' }, st({ keepalived: '2.2.4-1' }), 'remove packages: keepalived', ['dnf -y remove keepalived']],
  ];
  it.each(rows)('%s', (_why, facts, params, state, summary, cmds) => {
    const ctx = testContext('', { facts });
    const changes = pkg.plan(pkg.normalize!(params, ctx), state, ctx);
    expect(changes.map((c) => c.summary)).toEqual(summary ? [summary] : []);
    expect(changes.flatMap((c) => c.steps.map((s) => s.cmd))).toEqual(cmds);
  });

  it('a host without a known package manager is an error that names the host', () => {
    const ctx = testContext('', { facts: { ...debianFacts, packageManager: 'unknown' } });
    expect(() => pkg.read({ name: 'x' }, ctx)).toThrow(/test: package: no supported package manager/);
  });
});

describe('package reads real dpkg/apt output on this Debian machine', () => {
  const hasDpkg = (() => {
    try {
      execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(hasDpkg)('installed versions and upgrade candidates match dpkg-query and apt-cache', async () => {
    const names = ['dpkg', 'coreutils', 'lvsible-no-such-package'];
    const { state, changes } = await planOn(pkg, { name: names, state: 'latest' }, testContext(''), new LocalConnection());
    const s = state as PackageState;
    const version = (n: string) => execFileSync('dpkg-query', ['-W', '-f=${Version}', n], { encoding: 'utf8' });
    expect(s.installed).toEqual({ dpkg: version('dpkg'), coreutils: version('coreutils') });
    // Independent reading of the candidate: the policy output parsed here, not by the module's awk.
    const expected: Record<string, string> = {};
    for (const n of ['dpkg', 'coreutils']) {
      const policy = execFileSync('apt-cache', ['policy', n], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
      const cand = /Candidate: (\S+)/.exec(policy)?.[1];
      if (cand && cand !== '(none)' && cand !== version(n)) expected[n] = cand;
    }
    expect(s.upgradable).toEqual(expected);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.steps.at(-1)!.cmd).toBe(`${APT_INSTALL} lvsible-no-such-package ${Object.keys(expected).join(' ')}`.trim());
  });

  it.runIf(hasDpkg)('present for installed packages plans nothing', async () => {
    const { changes } = await planOn(pkg, { name: ['dpkg', 'coreutils'] }, testContext(''), new LocalConnection());
    expect(changes).toEqual([]);
  });
});

describe('package parsers', () => {
  it('dpkg: only "install ok installed" counts', () => {
    const out = 'ipvsadm\tinstall ok installed\t1:1.31-1+b1\nnginx\tdeinstall ok config-files\t1.22.1-9\nx\tinstall ok half-configured\t1\n';
    expect(parseDpkg(out)).toEqual({ ipvsadm: '1:1.31-1+b1' });
  });
  it('rpm -q lines and check-update rows (as dnf prints them: a blank line first, then NAME.ARCH VERSION REPO)', () => {
    const checkUpdate = '\nipvsadm.x86_64                     1.31-6.el9_2                    baseos\nkeepalived.x86_64   2.2.8-3.el9   appstream\nObsoleting Packages\n';
    expect(parseRpmQuery('ipvsadm\t1.31-6.el9\npackage keepalived is not installed\n')).toEqual({ ipvsadm: '1.31-6.el9' });
    expect(parseCheckUpdate(checkUpdate)).toEqual({ ipvsadm: '1.31-6.el9_2', keepalived: '2.2.8-3.el9' });
  });
});
