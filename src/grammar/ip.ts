/**
 * IPv4 and IPv6 addresses and prefixes as the tools lvsible writes for (ip, ipvsadm, keepalived) all read
 * them. Stricter than inet_aton on purpose: `010.0.0.1` (octal to some readers, decimal to others), `1.2.3`
 * and zone indexes (`fe80::1%eth0`) are refused, since two readers could disagree on what they mean.
 */
import type { Reason } from './common.js';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const PLAIN_V4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

export function ipv4(v: string): Reason {
  if (PLAIN_V4.test(v)) return null;
  const parts = v.split('.');
  if (parts.length !== 4) return 'is not an IPv4 address (four dot-separated numbers)';
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return `is not an IPv4 address ("${p}" is not a number from 0 to 255)`;
    if (p.length > 1 && p.startsWith('0')) return `is not an IPv4 address ("${p}" has a leading zero, which some tools read as octal)`;
    if (Number(p) > 255) return `is not an IPv4 address (${p} is above 255)`;
  }
  return null;
}

export function ipv6(v: string): Reason {
  if (v.includes('%')) return 'has a zone index (%...), which lvsible does not support';
  if (!/^[0-9A-Fa-f:.]+$/.test(v)) return 'is not an IPv6 address (only hex digits, ":" and an optional dotted IPv4 tail)';
  const halves = v.split('::');
  if (halves.length > 2) return 'is not an IPv6 address ("::" may appear once)';
  let groups = 0;
  const tailIs4 = v.includes('.');
  for (const [i, half] of halves.entries()) {
    if (!half) continue;
    const parts = half.split(':');
    for (const [j, g] of parts.entries()) {
      const last = i === halves.length - 1 && j === parts.length - 1;
      if (last && tailIs4) {
        if (ipv4(g)) return `is not an IPv6 address (bad IPv4 tail "${g}")`;
        groups += 2;
      } else if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return `is not an IPv6 address (group "${g}" is not 1-4 hex digits)`;
      else groups += 1;
    }
  }
  if (halves.length === 1 ? groups !== 8 : groups > 7) return `is not an IPv6 address (${groups} groups)`;
  return null;
}

export function ipAddress(v: string): Reason {
  if (v.includes(':')) return ipv6(v);
  // Dotted numbers are meant as IPv4: say what is wrong with them; anything else is just not an address.
  return /^[\d.]+$/.test(v) ? ipv4(v) : 'is not an IPv4/IPv6 address';
}

/** `N` for an address of `family`: decimal, no sign, no leading zero, within 0..32 or 0..128. */
export function prefixLength(v: string, family: 4 | 6): Reason {
  const max = family === 4 ? 32 : 128;
  return /^(0|[1-9]\d{0,2})$/.test(v) && Number(v) <= max ? null : `is not a prefix length from 0 to ${max}`;
}

/** `ADDR` or `ADDR/PREFIX` (`required: true`: the prefix must be written). */
export function cidr(v: string, opts: { required?: boolean } = {}): Reason {
  const slash = v.indexOf('/');
  if (slash < 0) return opts.required ? 'has no /prefix (e.g. 192.0.2.10/24)' : ipAddress(v);
  const addr = v.slice(0, slash);
  const why = ipAddress(addr);
  if (why) return `has a bad address part ("${addr}" ${why})`;
  const p = prefixLength(v.slice(slash + 1), addr.includes(':') ? 6 : 4);
  return p && `has a bad prefix ("${v.slice(slash + 1)}" ${p})`;
}
