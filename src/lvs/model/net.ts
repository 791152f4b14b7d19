import { compressIpv6 } from '../ipvs/keys.js';
/**
 * Just enough IP arithmetic for the cross-host checks: which hosts share a LAN, whether a VIP lies in a
 * subnet, and one canonical text form per address so that `2001:DB8::1` and `2001:db8:0::1` compare equal.
 */

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

export interface Cidr extends Ip {
  prefix: number;
}

const bits = (f: Family): number => (f === 4 ? 32 : 128);

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return null;
  let tail4: bigint | null = null;
  let text = s;
  // An embedded IPv4 tail (::ffff:192.0.2.1) counts as the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === null) return null;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const missing = 8 - h.length - r.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...h, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...r];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) v = (v & ~0xffffffffn) | tail4;
  return v;
}

export function parseIp(s: string): Ip | null {
  const v4 = parseV4(s);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = s.includes(':') ? parseV6(s) : null;
  return v6 === null ? null : { family: 6, value: v6 };
}

/** `198.51.100.2/24` (or a bare address, taken as a host route). */
export function parseCidr(s: string): Cidr | null {
  const [addr, prefixText, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const prefix = prefixText === undefined ? bits(ip.family) : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? '0') || prefix > bits(ip.family)) return null;
  return { ...ip, prefix };
}

function mask(f: Family, prefix: number): bigint {
  const all = (1n << BigInt(bits(f))) - 1n;
  return all ^ ((1n << BigInt(bits(f) - prefix)) - 1n);
}

export function contains(net: Cidr, ip: Ip): boolean {
  if (net.family !== ip.family) return false;
  const m = mask(net.family, net.prefix);
  return (net.value & m) === (ip.value & m);
}

export function sameIp(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.value === b.value;
}

/** Canonical text: dotted quad, or RFC 5952 lower-case IPv6 (as ipvsadm prints it, see compressIpv6). */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 255n)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // One canonical IPv6 text across the project: the model's addresses must equal the IPVS table's keys.
  return compressIpv6(groups);
}

/** The network a CIDR belongs to, as text: the key under which hosts "share a LAN". */
export function networkOf(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.value & mask(c.family, c.prefix) })}/${c.prefix}`;
}

/** Canonicalise an address given by an operator, or return it unchanged when it does not parse. */
export function canonicalIp(s: string): string {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : s;
}

/** IPv4 dotted netmask or IPv6 prefix length -> prefix length (persistence netmask in the model). */
export function netmaskPrefix(mask: string | number, family: Family): number | null {
  if (typeof mask === 'number') return mask >= 0 && mask <= bits(family) ? mask : null;
  if (/^\d+$/.test(mask)) return netmaskPrefix(Number(mask), family);
  const ip = parseIp(mask);
  if (!ip || ip.family !== 4 || family !== 4) return null;
  const ones = ip.value.toString(2).padStart(32, '0');
  return /^1*0*$/.test(ones) ? ones.indexOf('0') === -1 ? 32 : ones.indexOf('0') : null;
}

export function prefixToNetmask(prefix: number): string {
  return formatIp({ family: 4, value: mask(4, prefix) });
}
