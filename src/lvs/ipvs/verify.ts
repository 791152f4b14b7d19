import { destDiffs, normalizeService, serviceDiffs } from './compare.js';
import { describeService, destKey, formatAddrPort, serviceKey } from './keys.js';
import { IpvsParseError } from './parse-common.js';
import { parseList } from './parse-list.js';
import { parseSave } from './parse-save.js';
import type { IpvsTable } from './types.js';

/** One difference between the declared and the live table, in operator's words. */
export interface Drift {
  /** `TCP 10.0.0.1:80`, `FWM 7`. */
  service: string;
  /** `10.0.1.11:8080`, when the drift is about one real server. */
  dest?: string;
  /** `service`, `destination`, `scheduler`, `method`, `weight`, `persistence timeout`, ... */
  field: string;
  want: string;
  got: string;
}

export interface CompareOptions {
  /** Keys of the live services we own; others are not reported as extra (keepalived's, another tool's). */
  only?: string[];
  /**
   * Fields the actual table cannot show, left out of the comparison: ipvsadm's -Ln and -S print no
   * thresholds, and only `-Ln --tun-info` (or -S) prints tunnel types.
   */
  unknown?: Array<'thresholds' | 'tunnel'>;
}

/**
 * Desired against actual, per service and real server (the same normal form the planner uses, so verify
 * passes exactly when a plan would be empty, timeouts aside).
 */
export function compareTables(desired: IpvsTable, actual: IpvsTable, opts: CompareOptions = {}): Drift[] {
  const out: Drift[] = [];
  const want = new Map(desired.services.map((s) => [serviceKey(s), normalizeService(s)]));
  const have = new Map(actual.services.map((s) => [serviceKey(s), normalizeService(s)]));
  const owned = opts.only ? new Set(opts.only) : undefined;
  for (const [key, w] of want) {
    const name = describeService(w);
    const g = have.get(key);
    if (!g) {
      out.push({ service: name, field: 'service', want: 'present', got: 'missing' });
      continue;
    }
    for (const d of serviceDiffs(w, g)) out.push({ service: name, ...d });
    const gd = new Map(g.destinations.map((d) => [destKey(d), d]));
    for (const wd of w.destinations) {
      const k = destKey(wd);
      const dest = formatAddrPort(wd.address, wd.port);
      const hd = gd.get(k);
      if (!hd) out.push({ service: name, dest, field: 'destination', want: 'present', got: 'missing' });
      else for (const d of destDiffs(wd, hd, opts.unknown)) out.push({ service: name, dest, ...d });
      gd.delete(k);
    }
    for (const extra of gd.values()) {
      out.push({ service: name, dest: formatAddrPort(extra.address, extra.port), field: 'destination', want: 'absent', got: 'present' });
    }
  }
  for (const [key, g] of have) {
    if (want.has(key) || (owned && !owned.has(key))) continue;
    out.push({ service: describeService(g), field: 'service', want: 'absent', got: 'present' });
  }
  if (desired.timeouts && actual.timeouts) {
    for (const k of ['tcp', 'tcpfin', 'udp'] as const) {
      const w = desired.timeouts[k];
      if (w !== 0 && w !== actual.timeouts[k]) out.push({ service: '(global)', field: `${k} timeout`, want: String(w), got: String(actual.timeouts[k]) });
    }
  }
  return out;
}

/**
 * `lvsible verify --ipvsadm-output FILE`: the director part of verify against a saved `ipvsadm -Ln` (or `-Sn`,
 * or `-Ln --tun-info`) output. What the format cannot show (thresholds; tunnel types in plain -Ln) is not
 * compared. Non-numeric output cannot be compared (names and truncated columns): the error says to use -n.
 */
export function verifyDirectorOffline(desired: IpvsTable, ipvsadmOutputText: string, opts: CompareOptions = {}): Drift[] {
  const first = ipvsadmOutputText.split('\n').find((l) => l.trim() && !l.startsWith('#'))?.trim() ?? '';
  let actual: IpvsTable;
  // Neither format carries thresholds; a plain listing does not show tunnel types either.
  const unknown: Array<'thresholds' | 'tunnel'> = ['thresholds'];
  if (/^(ipvsadm\s+)?-[Aa]\s/.test(first)) actual = parseSave(ipvsadmOutputText);
  else {
    const listing = parseList(ipvsadmOutputText);
    if (listing.format !== 'list' && listing.format !== 'tun-info') {
      throw new IpvsParseError(1, first, `verify needs \`ipvsadm -Ln\` or \`ipvsadm -Sn\` output, not --${listing.format}`);
    }
    const { format: _f, ...table } = listing;
    actual = table;
    if (listing.format === 'list') unknown.push('tunnel');
  }
  if (actual.numeric === false) {
    throw new IpvsParseError(1, first, 'this output shows host or service names: save it with `ipvsadm -Ln` (numeric) to verify');
  }
  return compareTables(desired, actual, { unknown, ...opts });
}

/** One line per drift: `TCP 10.0.0.1:80 -> 10.0.1.11:8080: weight: want 3, got 1`. */
export function formatDrift(d: Drift): string {
  return `${d.service}${d.dest ? ` -> ${d.dest}` : ''}: ${d.field}: want ${d.want}, got ${d.got}`;
}
