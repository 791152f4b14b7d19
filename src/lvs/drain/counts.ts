import { describeService, formatAddrPort, normalizeAddress, type IpvsTable } from '../ipvs/index.js';

/** One drained destination as a director lists it, with its connection counts. */
export interface DestCount {
  service: string;
  dest: string;
  address: string;
  weight: number;
  active: number;
  inactive: number;
  /** UDP (and fwmark) entries are all "inactive" in IPVS's counts: for them, inactive ones are live flows. */
  countsInactive: boolean;
}

/** The destinations of `addresses` in a live table, with their counts. */
export function destCounts(table: IpvsTable, addresses: Set<string>): DestCount[] {
  const out: DestCount[] = [];
  for (const svc of table.services) {
    for (const d of svc.destinations) {
      let a: string;
      try {
        a = normalizeAddress(d.address);
      } catch {
        continue;
      }
      if (!addresses.has(a)) continue;
      out.push({
        service: describeService(svc),
        dest: formatAddrPort(a, d.port),
        address: a,
        weight: d.weight,
        active: d.counters?.activeConn ?? 0,
        inactive: d.counters?.inactConn ?? 0,
        countsInactive: svc.kind === 'udp' || svc.kind === 'fwmark',
      });
    }
  }
  return out;
}

/**
 * Connections a drain still waits for at one destination. Active TCP connections carry data; inactive ones
 * (FIN_WAIT, TIME_WAIT, SYN_RECV) linger up to the tcpfin timeout carrying none, so by default they do not
 * hold a drain (kube-proxy learnt that waiting for them keeps a server for minutes, PR #81962), unless the
 * operator asks (`--wait-inactive`). UDP flows are listed as inactive, so for UDP they always count.
 */
export function remaining(c: DestCount, waitInactive: boolean): number {
  return c.active + (waitInactive || c.countsInactive ? c.inactive : 0);
}

export function countLine(director: string, c: DestCount): string {
  return `${director}  ${c.service} -> ${c.dest}  weight ${c.weight}  active ${c.active}  inactive ${c.inactive}`;
}
