import { destKey, serviceKey } from '../lvs/ipvs/keys.js';
import { parseList } from '../lvs/ipvs/parse-list.js';
import { parseSave } from '../lvs/ipvs/parse-save.js';
import type { IpvsTable } from '../lvs/ipvs/types.js';

/**
 * One IPVS table from several ipvsadm listings of it (the parsers are src/lvs/ipvs's): no single listing holds
 * everything, so the live read takes two or three and merges them here.
 */

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
