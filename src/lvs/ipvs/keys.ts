import type { AddressFamily, Destination, VirtualService } from './types.js';

/**
 * Identity of services and destinations. Tables are compared as sets (ipvsadm's sort order is not numeric,
 * lvs-reference §2.5), keyed by these strings; IPv6 addresses are normalised textually so `2001:DB8:0::1` and
 * `2001:db8::1` are the same key.
 */

/** RFC 5952 text of an IPv6 address (lowercase, no leading zeros, longest zero run as `::`). Others unchanged. */
export function normalizeAddress(address: string): string {
  if (!address.includes(':')) return address;
  let done = v6Cache.get(address);
  if (done === undefined) {
    const groups = expandIpv6(address);
    done = groups ? compressIpv6(groups) : address.toLowerCase();
    // Bounded: a big table repeats the same few thousand addresses; a cleared cache only costs time.
    if (v6Cache.size >= 50_000) v6Cache.clear();
    v6Cache.set(address, done);
  }
  return done;
}

const v6Cache = new Map<string, string>();

function expandIpv6(text: string): number[] | undefined {
  let s = text.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:192.0.2.1) is rewritten as its two hex groups.
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const o = maybeV4.split('.').map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
    if (o.length !== 4 || o.some((n) => !(n >= 0 && n <= 255))) return undefined;
    const hi = ((o[0]! << 8) | o[1]!).toString(16);
    const lo = ((o[2]! << 8) | o[3]!).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const have = head.length + rest.length;
  if (halves.length === 1 && have !== 8) return undefined;
  if (halves.length === 2 && have > 7) return undefined;
  return [...head, ...new Array<number>(8 - have).fill(0), ...rest];
}

/** Eight 16-bit groups as RFC 5952 text, the way glibc's inet_ntop (and so ipvsadm) prints them. */
export function compressIpv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // Like glibc inet_ntop (what ipvsadm prints): IPv4-mapped and IPv4-compatible addresses end in dotted form.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    const v4 = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  const hex = g.map((n) => n.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 'inet6' : 'inet';
}

/** `10.0.0.1:80` or `[2001:db8::1]:80`: the form ipvsadm prints and accepts. */
export function formatAddrPort(address: string, port: number | string): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Split `addr:port` / `[v6]:port` at the last colon. A bare address (hand-edited output, fixture 12) has no port.
 */
export function splitAddrPort(text: string): { address: string; port?: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { address: text };
    const after = text.slice(close + 1);
    return { address: text.slice(1, close), ...(after.startsWith(':') ? { port: after.slice(1) } : {}) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { address: text };
  // More than one colon without brackets is an IPv6 literal that ipvsadm would read as port 0.
  if (text.indexOf(':') !== colon) return { address: text };
  return { address: text.slice(0, colon), port: text.slice(colon + 1) };
}

export function serviceKey(vs: Pick<VirtualService, 'kind' | 'family' | 'address' | 'port' | 'portName' | 'fwmark'>): string {
  if (vs.kind === 'fwmark') return `fwmark ${vs.fwmark ?? 0}${vs.family === 'inet6' ? ' ipv6' : ''}`;
  return `${vs.kind} ${formatAddrPort(normalizeAddress(vs.address ?? ''), vs.portName ?? vs.port ?? 0)}`;
}

export function destKey(d: Pick<Destination, 'address' | 'port' | 'portName'>): string {
  return formatAddrPort(normalizeAddress(d.address), d.portName ?? d.port);
}

/** How an operator names a service in messages: `TCP 10.0.0.1:80`, `FWM 7`, `FWM 7 IPv6`. */
export function describeService(vs: Pick<VirtualService, 'kind' | 'family' | 'address' | 'port' | 'portName' | 'fwmark'>): string {
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark ?? 0}${vs.family === 'inet6' ? ' IPv6' : ''}`;
  return `${vs.kind.toUpperCase()} ${formatAddrPort(vs.address ?? '', vs.portName ?? vs.port ?? 0)}`;
}
