import { sh } from '../transport/quote.js';
import { ipvsUnavailableMessage } from '../lvs/ipvs/parse-common.js';
import { parseTimeout } from '../lvs/ipvs/parse-other.js';
import { IPVS_DEFAULTS, type IpvsTable } from '../lvs/ipvs/types.js';
import { mergeListings, tunInfoTable } from './ipvs-merge.js';
import { IncompleteReadError, marker, newNonce, splitFramed, type Fact } from './sections.js';

/**
 * A director's live IPVS state in one read. With ipvsadm 1.31+, `-Ln --tun-info` has the whole spec but
 * thresholds (methods incl. the kernel's `Local`, weights, tunnel options, counters), `-Ln --thresholds` adds
 * -x/-y and `-Ln --timeout` the `--set` values: three invocations. Older ipvsadm lacks --tun-info: then `-Sn`
 * (spec) and `-Ln` (counters, `Local`, which -S writes as -g) replace it: four. Each full listing costs the
 * kernel a dump of the whole table, so fewer is faster on big directors.
 *
 * A read must change nothing, and ipvsadm is not a pure reader: when `ip_vs` is not loaded it runs
 * `modprobe ip_vs` itself. So the read asks /proc/net/ip_vs first (it exists exactly while IPVS is in the
 * kernel) and, when it is absent, reads the table as empty without calling ipvsadm. Found on the lab: after
 * `lvs_state=absent` unloaded ip_vs, the next run's read loaded it again and planned its unload once more.
 *
 * Which listings run depends on the host, so the sections are framed from the shell, in the one format of
 * src/facts/sections.ts: each listing's output raw (ipvsadm's stdout and stderr), then its exit code.
 */

export interface LiveIpvs {
  /** False when ipvsadm is missing or cannot reach the kernel's IPVS (then `table` is empty). */
  available: boolean;
  /** Why not, in ipvsadm's own words (`Can't initialize ipvs: Protocol not available`). */
  error?: string;
  /** False when ip_vs is not in the kernel yet: the table is empty and the timeouts are the module's defaults. */
  loaded?: false;
  table: IpvsTable;
}

export interface Captured {
  rc: number;
  text: string;
}

const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

/** `root` prefixes /proc/net/ip_vs like every path a module touches ('' in production, a temp dir in tests). */
export function ipvsLiveFact(root = ''): Fact<LiveIpvs> {
  const n = newNonce();
  const capture = (key: string, args: string[]) => `${marker(n, key)}\n${sh`ipvsadm ${args}`} 2>&1; rc=$?; ${marker(n, `${key}.rc`)}; echo "$rc"`;
  const script = [
    SBIN,
    `if ! command -v ipvsadm >/dev/null 2>&1; then ${marker(n, 'missing')}`,
    // Loadable or not: `modprobe -n` only looks (a kernel without IPVS gets the real reason now, not at apply).
    sh`elif [ ! -e ${`${root}/proc/net/ip_vs`} ]; then if command -v modprobe >/dev/null 2>&1 && ! modprobe -n -q ip_vs 2>/dev/null; then ` +
      `${marker(n, 'nomodule')}; else ${marker(n, 'unloaded')}; fi`,
    'else',
    capture('tuninfo', ['-Ln', '--tun-info']),
    `if [ "$rc" -ne 0 ]; then`,
    capture('save', ['-Sn']),
    capture('list', ['-Ln']),
    'fi',
    capture('thresholds', ['-Ln', '--thresholds']),
    capture('timeout', ['-Ln', '--timeout']),
    'fi',
    marker(n, 'end'),
  ].join('\n');
  return { name: 'IPVS table', script, parse: parseLive };
}

/** Each listing's exit code and output (a final newline added when ipvsadm left it off). */
export function splitCaptures(stdout: string): Map<string, Captured> {
  const { sections, ended } = splitFramed(stdout);
  // A read cut short (the exec killed mid-listing) must not pass for a smaller table.
  if (!ended) throw new IncompleteReadError('the IPVS read stopped before its end');
  const out = new Map<string, Captured>();
  for (const [key, text] of sections) {
    if (key.endsWith('.rc')) continue;
    const rc = sections.get(`${key}.rc`);
    out.set(key, { rc: rc === undefined ? 0 : Number(rc.trim()), text: text && !text.endsWith('\n') ? `${text}\n` : text });
  }
  return out;
}

export function parseLive(stdout: string): LiveIpvs {
  return parseLiveCaptures(splitCaptures(stdout));
}

/** The table from the captured listings (what tests feed with real ipvsadm outputs). */
export function parseLiveCaptures(c: Map<string, Captured>): LiveIpvs {
  if (c.has('missing')) return { available: false, error: 'ipvsadm is not installed (the ipvsadm package provides it)', table: { services: [] } };
  if (c.has('nomodule')) return { available: false, error: 'this kernel has no IPVS: ip_vs is not loaded and modprobe finds no ip_vs module', table: { services: [] } };
  if (c.has('unloaded')) return { available: true, loaded: false, table: { services: [], timeouts: { ...IPVS_DEFAULTS.timeouts } } };
  const tun = c.get('tuninfo');
  const keys = tun && tun.rc === 0 ? ['tuninfo', 'thresholds', 'timeout'] : ['save', 'list', 'thresholds', 'timeout'];
  for (const k of keys) {
    const got = c.get(k);
    if (!got) return { available: false, error: `reading the IPVS table gave no ${k} section`, table: { services: [] } };
    if (got.rc !== 0) {
      const msg = ipvsUnavailableMessage(got.text) ?? `ipvsadm exited ${got.rc}: ${got.text.trim().split('\n').slice(-2).join(' ')}`;
      return { available: false, error: msg, table: { services: [] } };
    }
  }
  const table = keys[0] === 'tuninfo'
    ? tunInfoTable(c.get('tuninfo')!.text, c.get('thresholds')!.text)
    : mergeListings(c.get('save')!.text, c.get('thresholds')!.text, c.get('list')!.text);
  table.timeouts = parseTimeout(c.get('timeout')!.text);
  return { available: true, table };
}
