import type { HostFacts, Vars } from '../types.js';
import { outputFact, statusFact } from './output.js';
import { combine, type Fact } from './sections.js';

/**
 * What the engine learns about a host before planning, in one read: the distribution (which package manager),
 * whether we are root, whether systemd runs. Read on its own, before the modules' reads, because those
 * depend on it (package picks apt or dnf from it).
 */

/** /etc/os-release `KEY=value` lines, quotes taken off (os-release(5) allows both kinds). */
export function parseOsRelease(text: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  }
  return kv;
}

export interface HostFactParts {
  osRelease: string;
  hostname: string;
  kernel: string;
  uid: string;
  systemd: boolean;
  /** The package tools found on PATH, in order of preference. */
  managers: string;
}

const raw = (cmd: string, name: string): Fact<string> => ({ name, script: cmd, parse: (out) => out });

const factsRead = () =>
  combine({
    osRelease: raw('cat /etc/os-release 2>/dev/null', 'os-release'),
    hostname: outputFact('hostname 2>/dev/null || cat /proc/sys/kernel/hostname'),
    kernel: outputFact('uname -r'),
    uid: outputFact('id -u'),
    systemd: statusFact('[ -d /run/systemd/system ]'),
    managers: outputFact('for m in apt-get dnf yum; do command -v $m >/dev/null 2>&1 && echo $m; done; true'),
  }, 'host facts');

/** Pure: the facts from what each part read. */
export function hostFacts(p: HostFactParts): HostFacts {
  const kv = parseOsRelease(p.osRelease);
  const pms = p.managers.split(/\s+/).filter(Boolean);
  const id = kv.get('ID') ?? 'unknown';
  const idLike = (kv.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  const all = [id, ...idLike];
  const family = all.some((x) => ['debian', 'ubuntu'].includes(x))
    ? 'debian'
    : all.some((x) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(x))
      ? 'redhat'
      : 'unknown';
  const packageManager = pms.includes('apt-get') ? 'apt' : pms.includes('dnf') ? 'dnf' : pms.includes('yum') ? 'yum' : 'unknown';
  return {
    os: { id, idLike, versionId: kv.get('VERSION_ID') ?? '', family },
    packageManager,
    hostname: p.hostname,
    kernel: p.kernel,
    isRoot: p.uid === '0',
    hasSystemd: p.systemd,
  };
}

export function parseFacts(out: string): HostFacts {
  return hostFacts(factsRead().parse(out));
}

/** A fresh read each time it is taken (new nonce), so a host's output can never predict its framing. */
export const factsProbe: Fact<HostFacts> = {
  name: 'host facts',
  get script() {
    return factsRead().script;
  },
  parse: parseFacts,
};

/** The same facts under the names Ansible playbooks use in `when:` conditions. */
export function factVars(f: HostFacts): Vars {
  const distribution = f.os.id.charAt(0).toUpperCase() + f.os.id.slice(1);
  return {
    ansible_os_family: f.os.family === 'debian' ? 'Debian' : f.os.family === 'redhat' ? 'RedHat' : 'Unknown',
    ansible_distribution: distribution,
    ansible_distribution_version: f.os.versionId,
    ansible_distribution_major_version: f.os.versionId.split('.')[0] ?? '',
    ansible_hostname: f.hostname.split('.')[0],
    ansible_fqdn: f.hostname,
    ansible_kernel: f.kernel,
    ansible_pkg_mgr: f.packageManager,
    ansible_service_mgr: f.hasSystemd ? 'systemd' : 'sysvinit',
    lvsible_facts: f,
  };
}

/** Names that exist only once facts are gathered: templates using them are checked at run time. */
export const FACT_NAMES = new Set(Object.keys(factVars(hostFacts({ osRelease: '', hostname: '', kernel: '', uid: '', systemd: false, managers: '' }))));
