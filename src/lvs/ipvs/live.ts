import { destKey, serviceKey } from './keys.js';
import { ipvsUnavailableMessage } from './parse-common.js';
import { parseList } from './parse-list.js';
import { parseSave } from './parse-save.js';
import { parseTimeout } from './parse-other.js';
import type { IpvsTable } from './types.js';

/**
 * Reading a director's live IPVS state in one probe: `-Sn` for the spec (tunnel options, restore form),
 * `-Ln --thresholds` for -x/-y (which -S never saves), `-Ln` for counters and the kernel's `Local` method
 * (which -S writes as -g), `-Ln --timeout` for `--set`. Four ipvsadm invocations, one round trip.
 */

export interface LiveIpvs {
  /** False when ipvsadm is missing or cannot reach the kernel's IPVS (then `table` is empty). */
  available: boolean;
  /** Why not, in ipvsadm's own words (`Can't initialize ipvs: Protocol not available`). */
  error?: string;
  table: IpvsTable;
}

const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

/** `@key RC` then the command's stdout+stderr, each line prefixed `|` so no output line can look like a header. */
function capture(key: string, args: string): string {
  return `out=$(ipvsadm ${args} 2>&1); rc=$?; echo "@${key} $rc"; [ -z "$out" ] || printf '%s\\n' "$out" | sed 's/^/|/'`;
}

export function liveProbeScript(): string {
  return [
    SBIN,
    'if command -v ipvsadm >/dev/null 2>&1; then',
    capture('save', '-Sn'),
    capture('thresholds', '-Ln --thresholds'),
    capture('list', '-Ln'),
    capture('timeout', '-Ln --timeout'),
    'else echo "@missing 127"; fi',
  ].join('\n');
}

export interface Captured {
  rc: number;
  text: string;
}

/** Split the probe output into its captured commands. */
export function splitCaptures(stdout: string): Map<string, Captured> {
  const out = new Map<string, Captured>();
  let cur: { rc: number; lines: string[] } | undefined;
  const flush = (key: string | undefined) => {
    if (key && cur) out.set(key, { rc: cur.rc, text: cur.lines.length ? cur.lines.join('\n') + '\n' : '' });
  };
  let key: string | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^@(\S+) (\d+)$/.exec(line);
    if (head) {
      flush(key);
      key = head[1];
      cur = { rc: Number(head[2]), lines: [] };
    } else if (line.startsWith('|') && cur) cur.lines.push(line.slice(1));
  }
  flush(key);
  return out;
}

export function parseLive(stdout: string): LiveIpvs {
  const c = splitCaptures(stdout);
  if (c.has('missing')) return { available: false, error: 'ipvsadm is not installed (the ipvsadm package provides it)', table: { services: [] } };
  for (const k of ['save', 'thresholds', 'list', 'timeout']) {
    const got = c.get(k);
    if (!got) return { available: false, error: `reading the IPVS table gave no ${k} section`, table: { services: [] } };
    if (got.rc !== 0) {
      const msg = ipvsUnavailableMessage(got.text) ?? `ipvsadm exited ${got.rc}: ${got.text.trim().split('\n').slice(-2).join(' ')}`;
      return { available: false, error: msg, table: { services: [] } };
    }
  }
  const table = mergeListings(c.get('save')!.text, c.get('thresholds')!.text, c.get('list')!.text);
  table.timeouts = parseTimeout(c.get('timeout')!.text);
  return { available: true, table };
}

/**
 * The -Sn table completed with thresholds and counters from the listings. Entries are matched by key: the
 * listings are separate invocations, and an entry that appeared or vanished in between is simply left as -S saw it.
 */
export function mergeListings(saveText: string, thresholdsText: string, listText: string): IpvsTable {
  const table = parseSave(saveText);
  const index = new Map<string, Map<string, IpvsTable['services'][number]['destinations'][number]>>();
  for (const vs of table.services) index.set(serviceKey(vs), new Map(vs.destinations.map((d) => [destKey(d), d])));

  const th = parseList(thresholdsText);
  if (th.format === 'thresholds') {
    for (const vs of th.services) {
      const dests = index.get(serviceKey(vs));
      for (const d of vs.destinations) {
        const target = dests?.get(destKey(d));
        if (!target) continue;
        if (d.upperThreshold) target.upperThreshold = d.upperThreshold;
        if (d.lowerThreshold) target.lowerThreshold = d.lowerThreshold;
      }
    }
  }
  const list = parseList(listText);
  if (list.format === 'list') {
    if (list.version) table.version = list.version;
    if (list.connTableSize !== undefined) table.connTableSize = list.connTableSize;
    for (const vs of list.services) {
      const dests = index.get(serviceKey(vs));
      for (const d of vs.destinations) {
        const target = dests?.get(destKey(d));
        if (!target) continue;
        if (d.counters) target.counters = d.counters;
        if (d.method === 'local') target.method = 'local';
      }
    }
  }
  return table;
}
