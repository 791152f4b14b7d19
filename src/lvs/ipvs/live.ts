import { quote } from '../../transport/quote.js';
import { destKey, serviceKey } from './keys.js';
import { ipvsUnavailableMessage } from './parse-common.js';
import { parseList } from './parse-list.js';
import { parseSave } from './parse-save.js';
import { parseTimeout } from './parse-other.js';
import { IPVS_DEFAULTS, type IpvsTable } from './types.js';

/**
 * Reading a director's live IPVS state in one probe, one round trip. With ipvsadm 1.31+, `-Ln --tun-info` has
 * the whole spec but thresholds (methods incl. the kernel's `Local`, weights, tunnel options, counters),
 * `-Ln --thresholds` adds -x/-y and `-Ln --timeout` the `--set` values: three invocations. Older ipvsadm lacks
 * --tun-info: then `-Sn` (spec) and `-Ln` (counters, `Local`, which -S writes as -g) replace it: four.
 * Each full listing costs the kernel a dump of the whole table, so fewer is faster on big directors.
 *
 * A read must change nothing, and ipvsadm is not a pure reader: when `ip_vs` is not loaded it runs
 * `modprobe ip_vs` itself. So the probe asks /proc/net/ip_vs first (it exists exactly while IPVS is in the
 * kernel) and, when it is absent, reads the table as empty without calling ipvsadm. Found on the lab: after
 * `lvs_state=absent` unloaded ip_vs, the next run's read loaded it again and planned its unload once more.
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

const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

/** `@key RC` then the command's stdout+stderr, each line prefixed `|` so no output line can look like a header. */
function capture(key: string, args: string): string {
  return `out=$(ipvsadm ${args} 2>&1); rc=$?; echo "@${key} $rc"; [ -z "$out" ] || printf '%s\\n' "$out" | sed 's/^/|/'`;
}

/** `root` prefixes /proc/net/ip_vs like every path a module touches ('' in production, a temp dir in tests). */
export function liveProbeScript(root = ''): string {
  const procFile = `${root}/proc/net/ip_vs`;
  return [
    SBIN,
    'if ! command -v ipvsadm >/dev/null 2>&1; then echo "@missing 127"',
    // Loadable or not: `modprobe -n` only looks (a kernel without IPVS gets the real reason now, not at apply).
    `elif [ ! -e ${quote(procFile)} ]; then if command -v modprobe >/dev/null 2>&1 && ! modprobe -n -q ip_vs 2>/dev/null; then echo "@nomodule 1"; else echo "@unloaded 0"; fi`,
    'else',
    `out=$(ipvsadm -Ln --tun-info 2>&1); if [ "$?" -eq 0 ]; then echo "@tuninfo 0"; [ -z "$out" ] || printf '%s\\n' "$out" | sed 's/^/|/'; else`,
    capture('save', '-Sn'),
    capture('list', '-Ln'),
    'fi',
    capture('thresholds', '-Ln --thresholds'),
    capture('timeout', '-Ln --timeout'),
    'fi',
  ].join('\n');
}

export interface Captured {
  rc: number;
  text: string;
}

/**
 * Split the probe output into its captured commands. Sections are cut with indexOf and unprefixed with one
 * regex pass each: the captures of a big director are megabytes.
 */
export function splitCaptures(stdout: string): Map<string, Captured> {
  const out = new Map<string, Captured>();
  const head = /^@(\S+) (\d+)$/gm;
  const heads = [...stdout.matchAll(head)];
  heads.forEach((h, k) => {
    const start = h.index! + h[0].length + 1;
    const end = k + 1 < heads.length ? heads[k + 1]!.index! : stdout.length;
    const body = start < end ? stdout.slice(start, end) : '';
    // Only `|` lines are output; anything else (there should be nothing) is dropped.
    const text = body.replace(/^(?!\|).*\n?/gm, '').replace(/^\|/gm, '');
    out.set(h[1]!, { rc: Number(h[2]), text: text && !text.endsWith('\n') ? `${text}\n` : text });
  });
  return out;
}

export function parseLive(stdout: string): LiveIpvs {
  const c = splitCaptures(stdout);
  if (c.has('missing')) return { available: false, error: 'ipvsadm is not installed (the ipvsadm package provides it)', table: { services: [] } };
  if (c.has('nomodule')) return { available: false, error: 'this kernel has no IPVS: ip_vs is not loaded and modprobe finds no ip_vs module', table: { services: [] } };
  if (c.has('unloaded')) return { available: true, loaded: false, table: { services: [], timeouts: { ...IPVS_DEFAULTS.timeouts } } };
  const keys = c.has('tuninfo') ? ['tuninfo', 'thresholds', 'timeout'] : ['save', 'list', 'thresholds', 'timeout'];
  for (const k of keys) {
    const got = c.get(k);
    if (!got) return { available: false, error: `reading the IPVS table gave no ${k} section`, table: { services: [] } };
    if (got.rc !== 0) {
      const msg = ipvsUnavailableMessage(got.text) ?? `ipvsadm exited ${got.rc}: ${got.text.trim().split('\n').slice(-2).join(' ')}`;
      return { available: false, error: msg, table: { services: [] } };
    }
  }
  const table = c.has('tuninfo')
    ? tunInfoTable(c.get('tuninfo')!.text, c.get('thresholds')!.text)
    : mergeListings(c.get('save')!.text, c.get('thresholds')!.text, c.get('list')!.text);
  table.timeouts = parseTimeout(c.get('timeout')!.text);
  return { available: true, table };
}

type Dest = IpvsTable['services'][number]['destinations'][number];
type Svc = IpvsTable['services'][number];
type ListedSvc = Pick<Svc, 'kind' | 'family' | 'address' | 'port' | 'fwmark'> & { destinations: Array<Pick<Dest, 'address' | 'port'>> };

/** For ipvsadm < 1.31: the -Sn table completed with thresholds, and with counters and `Local` from -Ln. */
export function mergeListings(saveText: string, thresholdsText: string, listText: string): IpvsTable {
  const table = parseSave(saveText);
  mergeThresholds(table, thresholdsText);
  const list = parseList(listText);
  if (list.format === 'list') {
    if (list.version) table.version = list.version;
    if (list.connTableSize !== undefined) table.connTableSize = list.connTableSize;
    pairInto(table, list.services, (target, d) => {
      const l = d as Dest;
      if (l.counters) target.counters = l.counters;
      if (l.method === 'local') target.method = 'local';
    });
  }
  return table;
}

/** `-Ln --tun-info` (the spec with counters) completed with `-Ln --thresholds`. */
export function tunInfoTable(tunInfoText: string, thresholdsText: string): IpvsTable {
  const listing = parseList(tunInfoText);
  if (listing.format !== 'tun-info' && listing.format !== 'list') {
    throw new Error(`expected \`ipvsadm -Ln --tun-info\` output, got --${listing.format}`);
  }
  const { format: _f, ...table } = listing;
  mergeThresholds(table, thresholdsText);
  return table;
}

function mergeThresholds(table: IpvsTable, thresholdsText: string): void {
  const th = parseList(thresholdsText);
  if (th.format !== 'thresholds') return;
  pairInto(table, th.services, (target, d) => {
    const t = d as Partial<Dest>;
    if (t.upperThreshold) target.upperThreshold = t.upperThreshold;
    if (t.lowerThreshold) target.lowerThreshold = t.lowerThreshold;
  });
}

/**
 * Pair each listed entry with its entry in `table`. All listings come out in ipvsadm's one sort order, so
 * entries are paired by position and checked; only when the table changed between two invocations (an entry
 * appeared or vanished) is the rest matched by key, and an entry one listing missed keeps what the other said.
 */
function pairInto(table: IpvsTable, listed: ListedSvc[], each: (target: Dest, d: ListedSvc['destinations'][number]) => void): void {
  let byKey: Map<string, { vs: Svc; dests?: Map<string, Dest> }> | undefined;
  const findService = (vs: ListedSvc, i: number): { vs: Svc; dests?: Map<string, Dest> } | undefined => {
    const same = table.services[i];
    if (same && same.kind === vs.kind && same.address === vs.address && same.port === vs.port && same.fwmark === vs.fwmark && same.family === vs.family) {
      return { vs: same };
    }
    byKey ??= new Map(table.services.map((s) => [serviceKey(s), { vs: s }]));
    return byKey.get(serviceKey(vs));
  };
  listed.forEach((lvs, i) => {
    const found = findService(lvs, i);
    if (!found) return;
    lvs.destinations.forEach((d, j) => {
      let target: Dest | undefined = found.vs.destinations[j];
      if (!target || target.address !== d.address || target.port !== d.port) {
        found.dests ??= new Map(found.vs.destinations.map((x) => [destKey(x), x]));
        target = found.dests.get(destKey(d));
      }
      if (target) each(target, d);
    });
  });
}
