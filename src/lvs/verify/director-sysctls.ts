import type { Probe } from '../../types.js';
import { combine, mapFact, outputFact, sysctlFact, type LiveSysctl } from '../../facts/index.js';
import { directorSysctls, sysctlValueFor, type DirectorSysctl } from '../model/director-sysctls.js';
import type { ClusterModel } from '../model/types.js';
import type { Finding } from './realserver.js';

/**
 * Verify's side of `lvs.ipvs_sysctls`: each director's live net.ipv4.vs.* values against what the director role
 * sets there. A value changed by hand, or lost at boot (ip_vs loaded after systemd-sysctl ran), is drift with the
 * value wanted and the value found. conn_reuse_mode (auto) depends on the kernel, so the read takes `uname -r`
 * with the values and the expectation is decided from it by the rule the role applies to `ansible_kernel`.
 */

export interface DirectorSysctlState {
  /** `uname -r`. */
  kernel: string;
  /** name -> live value (missing: ip_vs not loaded, or a kernel without the key). */
  values: Map<string, LiveSysctl>;
}

/** The kernel release and every key, at the /proc/sys path the sysctl module writes: one section each. */
export function directorSysctlsProbe(entries: DirectorSysctl[]): Probe<DirectorSysctlState> {
  const parts: Record<string, Probe<unknown>> = { kernel: outputFact('uname -r') };
  for (const e of entries) parts[`sysctl:${e.name}`] = sysctlFact(e.name);
  return mapFact(combine(parts, 'director sysctls'), (got): DirectorSysctlState => {
    const values = new Map<string, LiveSysctl>();
    for (const [k, v] of Object.entries(got)) if (k.startsWith('sysctl:')) values.set(k.slice(7), v as LiveSysctl);
    return { kernel: String(got.kernel ?? ''), values };
  });
}

/** The probe for a director of `model` (the same keys on every director). */
export const directorSysctlsRead = (model: ClusterModel): Probe<DirectorSysctlState> => directorSysctlsProbe(directorSysctls(model).sysctls);

/** Integers by value, blanks collapsed: `/proc/sys` prints `3\t50` for a written `3 50`. */
const canon = (v: string) => v.trim().split(/\s+/).map((t) => (/^-?\d+$/.test(t) ? BigInt(t).toString() : t)).join(' ');

/** One finding per key, matching or not. */
export function compareDirectorSysctls(host: string, entries: DirectorSysctl[], got: DirectorSysctlState): Finding[] {
  return entries.map((e): Finding => {
    const want = sysctlValueFor(e, got.kernel);
    const live = got.values.get(e.name);
    const why = e.before_kernel ? ` (kernel ${got.kernel || 'unknown'})` : '';
    const actual = !live?.exists ? 'missing (is ip_vs loaded?)' : live.unreadable || live.value === undefined ? 'unreadable' : live.value;
    const ok = live?.value !== undefined && canon(live.value) === canon(want);
    return { host, subject: e.name, field: 'value', want: `${want}${why}`, got: actual, ok };
  });
}

/** What stage.ts adds to a director's findings; nothing when the director was not read. */
export function directorSysctlFindings(model: ClusterModel, host: string, got: DirectorSysctlState | undefined): Finding[] {
  return got ? compareDirectorSysctls(host, directorSysctls(model).sysctls, got) : [];
}
