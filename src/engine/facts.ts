import type { HostFacts, Probe, Vars } from '../types.js';

/**
 * What the engine learns about a host before planning, in one snippet: the distribution (which package
 * manager), whether we are root, whether systemd runs. Batched with nothing else because modules' probes
 * depend on it (package picks apt or dnf from it).
 */
export const factsProbe: Probe<HostFacts> = {
  script: [
    'cat /etc/os-release 2>/dev/null',
    'echo "@hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"',
    'echo "@kernel=$(uname -r)"',
    'echo "@uid=$(id -u)"',
    '[ -d /run/systemd/system ] && echo "@systemd=1"',
    'for m in apt-get dnf yum; do command -v $m >/dev/null 2>&1 && echo "@pm=$m"; done',
    'true',
  ].join('\n'),
  parse: parseFacts,
};

export function parseFacts(out: string): HostFacts {
  const kv = new Map<string, string>();
  const pms: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^@?([A-Za-z_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
    if (m[1] === 'pm') pms.push(value);
    else kv.set(m[1]!, value);
  }
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
    hostname: kv.get('hostname') ?? '',
    kernel: kv.get('kernel') ?? '',
    isRoot: kv.get('uid') === '0',
    hasSystemd: kv.get('systemd') === '1',
  };
}

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
export const FACT_NAMES = new Set(Object.keys(factVars(parseFacts(''))));
