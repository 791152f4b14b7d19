import type { HostFacts } from '../../types.js';
import { tableText } from './serialize.js';
import type { IpvsTable } from './types.js';

/**
 * Persisting the table across reboots without keepalived (lvs-reference §9). Both distributions load the file
 * with `grep -v '^#' FILE | ipvsadm -R` (after a flush, at boot), so it holds restore lines plus one comment.
 * Debian: /etc/ipvsadm.rules, loaded only when /etc/default/ipvsadm says AUTO="true".
 * RHEL: /etc/sysconfig/ipvsadm (not shipped: ipvsadm.service fails without it), ipvsadm.service enabled.
 */

export type PersistLayout =
  | { kind: 'debian'; rulesFile: string; defaultsFile: string }
  | { kind: 'redhat'; rulesFile: string; unit: string };

export function persistLayout(facts: HostFacts): PersistLayout | undefined {
  if (facts.os.family === 'debian') return { kind: 'debian', rulesFile: '/etc/ipvsadm.rules', defaultsFile: '/etc/default/ipvsadm' };
  if (facts.os.family === 'redhat') return { kind: 'redhat', rulesFile: '/etc/sysconfig/ipvsadm', unit: 'ipvsadm' };
  return undefined;
}

/** The rules file for `desired`. Depends on the declared table only, so a converged host rewrites nothing. */
export function rulesFileText(desired: IpvsTable): string {
  return `# IPVS rules written by lvsible; loaded at boot by the ipvsadm service. Edits here are overwritten.\n${tableText(desired)}`;
}

/**
 * /etc/default/ipvsadm with AUTO="true": the AUTO line replaced (or added), every other line kept as the
 * operator or the package wrote it. A missing file gets the package's two essential settings.
 */
export function enableAutoText(content: string | undefined): string {
  if (content === undefined) return 'AUTO="true"\nDAEMON="none"\n';
  const lines = content.split('\n');
  let found = false;
  const out = lines.map((l) => {
    if (/^\s*AUTO=/.test(l)) {
      found = true;
      return 'AUTO="true"';
    }
    return l;
  });
  if (!found) {
    while (out.length && out[out.length - 1] === '') out.pop();
    out.push('AUTO="true"', '');
  }
  return out.join('\n');
}
