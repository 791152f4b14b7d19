import { sh } from '../transport/quote.js';
import { combine, mapFact, type Fact } from './sections.js';

/**
 * Installed packages and, for `state: latest`, the versions the local index offers. Each tool's own output
 * is parsed here; nothing on the host reformats it (no awk), so the parsers are tested on real outputs.
 */

export interface PackageState {
  /** Installed packages and their versions. A name missing here is not installed. */
  installed: Record<string, string>;
  /** Packages with a newer version available (read only for state latest): name -> candidate version. */
  upgradable: Record<string, string>;
}

// dpkg-query expands \t and \n itself; ${...} are its fields, not shell variables (the format is single-quoted).
const DPKG_FORMAT = '${Package}\\t${Status}\\t${Version}\\n';
const RPM_FORMAT = '%{NAME}\\t%{VERSION}-%{RELEASE}\\n';

/** dpkg-query rows; only "install ok installed" counts (config-files, half-installed are not installed). */
export function parseDpkg(out: string): Record<string, string> {
  const installed: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+)\t([^\t]*)\t(.*)$/.exec(line);
    if (m && m[2]!.trim().split(/\s+/)[2] === 'installed') installed[m[1]!] = m[3]!;
  }
  return installed;
}

/** `apt-cache policy` blocks (`NAME:` then `  Installed: V`, `  Candidate: V`): name -> newer candidate. */
export function parseAptPolicy(out: string): Record<string, string> {
  const upgradable: Record<string, string> = {};
  let cur: string | undefined;
  let inst: string | undefined;
  for (const line of out.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = head[1]!.replace(/:[a-z0-9]+$/, '');
      inst = undefined;
      continue;
    }
    const v = /^\s+(Installed|Candidate): (\S+)/.exec(line);
    if (!v || !cur) continue;
    if (v[1] === 'Installed') inst = v[2];
    else if (inst && inst !== '(none)' && v[2] !== '(none)' && v[2] !== inst) upgradable[cur] = v[2]!;
  }
  return upgradable;
}

/** rpm -q rows NAME<TAB>VERSION-RELEASE ("package X is not installed" has no tab and is skipped). */
export function parseRpmQuery(out: string): Record<string, string> {
  const installed: Record<string, string> = {};
  for (const m of out.matchAll(/^(\S+)\t(.+)$/gm)) installed[m[1]!] = m[2]!;
  return installed;
}

/** `dnf|yum check-update` rows `NAME.ARCH VERSION REPO` (headers, blank and obsoletes lines are skipped). */
export function parseCheckUpdate(out: string): Record<string, string> {
  const upgradable: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    const m = f.length === 3 ? /^(\S+)\.[^.\s]+$/.exec(f[0]!) : null;
    if (m) upgradable[m[1]!] = f[1]!;
  }
  return upgradable;
}

export const dpkgFact = (names: string[]): Fact<Record<string, string>> => ({ name: 'dpkg', script: sh`dpkg-query -W -f=${DPKG_FORMAT} ${names}`, parse: parseDpkg });
export const aptPolicyFact = (names: string[]): Fact<Record<string, string>> => ({ name: 'apt-cache policy', script: sh`LC_ALL=C apt-cache policy ${names}`, parse: parseAptPolicy });
export const rpmFact = (names: string[]): Fact<Record<string, string>> => ({ name: 'rpm', script: sh`rpm -q --qf ${RPM_FORMAT} ${names}`, parse: parseRpmQuery });
export const checkUpdateFact = (manager: 'dnf' | 'yum', names: string[]): Fact<Record<string, string>> => ({
  name: `${manager} check-update`,
  script: sh`${manager} -q check-update ${names}`,
  parse: parseCheckUpdate,
});

/** The packages' state through the host's manager; candidates only when `latest` asks for them. */
export function packagesFact(manager: 'apt' | 'dnf' | 'yum', names: string[], latest: boolean): Fact<PackageState> {
  const read =
    manager === 'apt'
      ? combine({ installed: dpkgFact(names), upgradable: latest ? aptPolicyFact(names) : undefined })
      : combine({ installed: rpmFact(names), upgradable: latest ? checkUpdateFact(manager, names) : undefined });
  return mapFact(read, (s) => ({ installed: s.installed, upgradable: s.upgradable ?? {} }), `packages ${names.join(' ')}`);
}
