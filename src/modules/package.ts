import type { Change, HostFacts, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { packageName } from '../grammar/index.js';
import { packagesFact, type PackageState } from '../facts/index.js';
import { ParamChecks } from './checks.js';
import { defineModule, noop } from './util.js';

export type { PackageState };

export interface PackageParams {
  name: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
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
  // Candidate versions come from the local index: for `latest`, compare Installed with Candidate.
  read: (p, ctx) => packagesFact(manager(ctx.facts, ctx.host), names(p), p.state === 'latest'),
  plan(p, cur, ctx): Plan {
    const m = manager(ctx.facts, ctx.host);
    const list = names(p);
    const state = p.state ?? 'present';
    if (state === 'absent') {
      const gone = list.filter((n) => n in cur.installed);
      if (!gone.length) return noop(`${plural(list)} ${list.join(', ')} ${list.length === 1 ? 'is' : 'are'} not installed`);
      const cmd = m === 'apt' ? sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y purge ${gone}` : sh`${m} -y remove ${gone}`;
      return [{ summary: `remove packages: ${gone.join(', ')}`, steps: [{ cmd }] }];
    }
    const missing = list.filter((n) => !(n in cur.installed));
    const upgrade = state === 'latest' ? list.filter((n) => n in cur.installed && n in cur.upgradable) : [];
    if (!missing.length && !upgrade.length) {
      const versions = list.map((n) => `${n} ${cur.installed[n]}`).join(', ');
      return noop(`${plural(list)} ${versions} ${list.length === 1 ? 'is' : 'are'} installed${state === 'latest' ? ', and no newer version is available' : ''}`);
    }
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

const plural = (list: string[]) => (list.length === 1 ? 'package' : 'packages');
