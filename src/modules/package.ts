import type { Change, HostFacts, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { packageName } from '../grammar/index.js';
import { ParamChecks } from './checks.js';
import { defineModule } from './util.js';

export interface PackageParams {
  name: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
}

export interface PackageState {
  /** Installed packages and their versions. A name missing here is not installed. */
  installed: Record<string, string>;
  /** Packages with a newer version available (read only for state latest): name -> candidate version. */
  upgradable: Record<string, string>;
}

type Manager = 'apt' | 'dnf' | 'yum';

function manager(facts: HostFacts, host: string): Manager {
  const m = facts.packageManager;
  if (m === 'apt' || m === 'dnf' || m === 'yum') return m;
  throw new Error(`${host}: package: no supported package manager found (need apt, dnf or yum; os ${facts.os.id || 'unknown'})`);
}

function names(p: PackageParams): string[] {
  return [...new Set((Array.isArray(p.name) ? p.name : [p.name]).map((n) => n.trim()).filter(Boolean))];
}

// dpkg-query expands \t and \n itself; ${...} are its fields, not shell variables (the format is single-quoted).
const DPKG_FORMAT = '@pkg ${Package}\\t${Status}\\t${Version}\\n';
const RPM_FORMAT = '@pkg %{NAME}\\t%{VERSION}-%{RELEASE}\\n';
const APT_POLICY_AWK = '/^[^ ].*:$/ { sub(/:$/, ""); print "@policy " $0 } $1 == "Installed:" || $1 == "Candidate:" { print "|" $1 " " $2 }';
const CHECK_UPDATE_AWK = 'NF == 3 && $1 ~ /[.]/ { print "@upd " $1 " " $2 }';
/** Plain package names: no versions or architectures, which the installed-check could not match. */
const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9+._-]*$';

export const pkg = defineModule<PackageParams, PackageState>({
  name: 'package',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: {
        // Not anyOf: each keyword applies only to its type, so a bad list item is reported at that item alone.
        type: ['string', 'array'],
        pattern: NAME_PATTERN,
        items: { type: 'string', pattern: NAME_PATTERN },
        minItems: 1,
        description: 'Package name or list of names; all are installed or removed together in one transaction.',
      },
      state: {
        enum: ['present', 'absent', 'latest'],
        description: 'present: installed (default); latest: installed and upgraded to the newest available; absent: removed (apt: purged).',
      },
      update_cache: {
        type: 'boolean',
        description: 'Refresh the package index (apt-get update / dnf makecache) before installing. Runs only when something must be installed.',
      },
    },
  },
  check: (p) => new ParamChecks().each('name', p.name, packageName).issues,
  normalize: (p) => ({ ...p, name: names(p), state: p.state ?? 'present' }),
  read(p, ctx) {
    const list = names(p);
    const m = manager(ctx.facts, ctx.host);
    const latest = p.state === 'latest';
    let script: string;
    if (m === 'apt') {
      script = sh`dpkg-query -W -f=${DPKG_FORMAT} ${list}`;
      // Candidate versions come from the local index: for `latest`, compare Installed with Candidate.
      if (latest) script += '\n' + sh`LC_ALL=C apt-cache policy ${list} | awk ${APT_POLICY_AWK}`;
    } else {
      script = sh`rpm -q --qf ${RPM_FORMAT} ${list}`;
      if (latest) script += '\n' + sh`${m} -q check-update ${list} | awk ${CHECK_UPDATE_AWK}`;
    }
    return { script, parse: m === 'apt' ? parseApt : parseRpm };
  },
  plan(p, cur, ctx) {
    const m = manager(ctx.facts, ctx.host);
    const list = names(p);
    const state = p.state ?? 'present';
    if (state === 'absent') {
      const gone = list.filter((n) => n in cur.installed);
      if (!gone.length) return [];
      const cmd = m === 'apt' ? sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y purge ${gone}` : sh`${m} -y remove ${gone}`;
      return [{ summary: `remove packages: ${gone.join(', ')}`, steps: [{ cmd }] }];
    }
    const missing = list.filter((n) => !(n in cur.installed));
    const upgrade = state === 'latest' ? list.filter((n) => n in cur.installed && n in cur.upgradable) : [];
    if (!missing.length && !upgrade.length) return [];
    const steps: Step[] = [];
    if (p.update_cache) steps.push({ cmd: m === 'apt' ? 'apt-get update -q' : `${m} -q -y makecache` });
    const parts: string[] = [];
    if (missing.length) parts.push(`install ${missing.join(', ')}`);
    if (upgrade.length) parts.push(`upgrade ${upgrade.map((n) => `${n} (${cur.installed[n]} -> ${cur.upgradable[n]})`).join(', ')}`);
    if (m === 'apt') {
      steps.push({
        cmd:
          'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ' +
          sh`install --no-install-recommends ${[...missing, ...upgrade]}`,
      });
    } else {
      if (missing.length) steps.push({ cmd: sh`${m} -y install ${missing}` });
      if (upgrade.length) steps.push({ cmd: sh`${m} -y upgrade ${upgrade}` });
    }
    const change: Change = { summary: parts.join('; '), steps };
    return [change];
  },
});

/** dpkg-query rows; only "install ok installed" counts (config-files, half-installed are not installed). */
export function parseApt(stdout: string): PackageState {
  const installed: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^@pkg (\S+)\t([^\t]*)\t(.*)$/.exec(line);
    if (m && m[2]!.trim().split(/\s+/)[2] === 'installed') installed[m[1]!] = m[3]!;
  }
  // apt-cache policy sections: "@policy NAME" then "|Installed: V" and "|Candidate: V".
  const upgradable: Record<string, string> = {};
  let cur: string | undefined;
  let inst: string | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^@policy (\S+)$/.exec(line);
    if (head) {
      cur = head[1]!.replace(/:[a-z0-9]+$/, '');
      inst = undefined;
      continue;
    }
    const v = /^\|(Installed|Candidate): (\S+)/.exec(line);
    if (!v || !cur) continue;
    if (v[1] === 'Installed') inst = v[2];
    else if (inst && inst !== '(none)' && v[2] !== '(none)' && v[2] !== inst) upgradable[cur] = v[2]!;
  }
  return { installed, upgradable };
}

/** rpm -q rows ("package X is not installed" lines don't match), and check-update rows NAME.ARCH VERSION. */
export function parseRpm(stdout: string): PackageState {
  const installed: Record<string, string> = {};
  const upgradable: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^@pkg (\S+)\t(.*)$/.exec(line);
    if (m) installed[m[1]!] = m[2]!;
    const u = /^@upd (\S+)\.[^.\s]+ (\S+)$/.exec(line);
    if (u) upgradable[u[1]!] = u[2]!;
  }
  return { installed, upgradable };
}
