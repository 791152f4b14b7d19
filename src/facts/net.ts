import { formatIp, networkOf, parseCidr } from '../lvs/model/net.js';
import { sh } from '../transport/quote.js';
import type { Fact } from './sections.js';

/**
 * Addresses, links and routes, from iproute2's JSON (`ip -j`). The output is JSON, so it is parsed as such;
 * what a section holds is exactly what `ip` printed.
 */

/**
 * `ip -j` prints one JSON array; a missing device prints nothing, and a missing routing table a lone `[`
 * (iproute2 starts the array before the kernel refuses the dump). Both mean "nothing there".
 */
export function parseIpJson(text: string): Record<string, unknown>[] {
  const t = text.trim();
  if (!t) return [];
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
  } catch {
    if (t === '[') return [];
    throw new Error(`cannot parse ip -j output: ${t.slice(0, 200)}`);
  }
}

export interface IpAddr {
  /** RFC 5952 form for IPv6, as the modules write it. */
  local: string;
  prefixlen: number;
  scope?: string;
  label?: string;
}

export interface IpLink {
  ifname: string;
  /** The UP flag: administratively up (a tunl0 with its VIP but down answers nothing). */
  up: boolean;
  addresses: IpAddr[];
}

export function parseAddresses(text: string): IpLink[] {
  return parseIpJson(text).map((l) => {
    const link = l as { ifname?: string; flags?: string[]; addr_info?: Record<string, unknown>[] };
    return {
      ifname: String(link.ifname ?? ''),
      up: !!link.flags?.includes('UP'),
      addresses: (link.addr_info ?? []).map((a) => {
        const c = parseCidr(String(a.local));
        return {
          local: c ? formatIp(c) : String(a.local),
          prefixlen: Number(a.prefixlen),
          ...(a.scope !== undefined ? { scope: String(a.scope) } : {}),
          ...(a.label !== undefined ? { label: String(a.label) } : {}),
        };
      }),
    };
  });
}

/**
 * The addresses of one device, or of all of them. Only a device that exists is asked for by name: naming a
 * missing one (`dev tunl0`) makes the kernel request the module aliased to it (netdev-tunl0 is ipip), so
 * reading would load what `absent` unloaded.
 */
export function addressesFact(dev?: string): Fact<IpLink[]> {
  const script = dev === undefined ? 'ip -j addr show' : sh`[ ! -e ${`/sys/class/net/${dev}`} ] || ip -j addr show dev ${dev}`;
  return { name: dev === undefined ? 'addresses' : `addresses on ${dev}`, script, parse: parseAddresses };
}

export interface IpRoute {
  /** With its prefix (`ip -j` prints host routes without /32 or /128), or `default`. */
  dst: string;
  /** unicast when ip omits it; local/broadcast/unreachable entries are kept with their type. */
  type: string;
  gateway?: string;
  dev?: string;
  metric: number;
}

/** `ip -j` prints host routes without their /32 or /128; give every destination its prefix to compare. */
export function canonicalDst(dst: string): string {
  if (dst === 'default') return dst;
  const c = parseCidr(dst);
  return c ? networkOf(c) : dst;
}

export function parseRoutes(text: string): IpRoute[] {
  return parseIpJson(text).map((r) => ({
    dst: canonicalDst(String(r.dst)),
    type: r.type === undefined ? 'unicast' : String(r.type),
    ...(r.gateway !== undefined ? { gateway: String(r.gateway) } : {}),
    ...(r.dev !== undefined ? { dev: String(r.dev) } : {}),
    metric: Number(r.metric ?? 0),
  }));
}

export interface RouteQuery {
  family: 4 | 6;
  table: string;
  /** `exact DST`: only the route to this destination ('default' included). */
  exact?: string;
}

export function routesFact(q: RouteQuery): Fact<IpRoute[]> {
  const exact = q.exact !== undefined ? ['exact', q.exact] : [];
  return {
    name: `routes -${q.family} table ${q.table}${q.exact !== undefined ? ` ${q.exact}` : ''}`,
    script: sh`ip -j -${q.family} route show table ${q.table} ${exact}`,
    parse: parseRoutes,
  };
}

/** The main table's default routes (verify: a NAT realserver must answer through its director). */
export const defaultRoutesFact = (): Fact<IpRoute[]> => ({ name: 'default routes', script: 'ip -j route show default', parse: parseRoutes });
