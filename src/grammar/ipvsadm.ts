/**
 * Arguments of `ipvsadm -R` (restore) input. Each line is split at blanks into an argv and parsed by ipvsadm's
 * option parser, so a value with a blank or newline becomes further options or a further command, a value
 * starting with `-` is read as an option, and a line starting with `#` aborts the restore. Every value lvsible
 * writes is one of the kinds below; each validator refuses anything the parser would read differently.
 */
import { controlChar, describeChar, first, integer, type Reason } from './common.js';
import { ipv4, ipv6, prefixLength } from './ip.js';

/** Any value word: no blanks or control characters, no leading `-` or `#`. */
// Fast path for the common case (large tables check every word): plain words pass one regex.
const PLAIN = /^[A-Za-z0-9_.:[\],/+=@][A-Za-z0-9_.:[\],/+=@-]*$/;

export function ipvsWord(v: string): Reason {
  if (PLAIN.test(v)) return null;
  if (!v) return 'is empty (ipvsadm would take the next word as its value)';
  return first(
    () => controlChar(v),
    () => {
      for (const c of v) if (/\s/u.test(c)) return `contains ${describeChar(c)} (ipvsadm -R splits lines at blanks)`;
      return null;
    },
    () => (v.startsWith('-') ? 'starts with "-" (ipvsadm would read it as an option)' : null),
    () => (v.startsWith('#') ? 'starts with "#" (a comment, which aborts ipvsadm -R)' : null),
  );
}

export const ipvsPort = integer(0, 65535);
export const ipvsFwmark = integer(1, 4294967295);
export const ipvsWeight = integer(0, 65535);
export const ipvsCount = integer(0, 4294967295);

/** `ADDR:PORT`, with IPv6 in brackets: `[2001:db8::1]:80`. */
export function ipvsAddrPort(v: string): Reason {
  const v6 = v.startsWith('[');
  const m = v6 ? /^\[([^\]]*)\]:([^:]*)$/.exec(v) : /^([^:[\]]*):([^:]*)$/.exec(v);
  if (!m) return 'is not ADDRESS:PORT (IPv6 in brackets: [2001:db8::1]:80)';
  const addr = m[1]!;
  const why = v6 ? (addr.includes(':') ? ipv6(addr) : 'is not an IPv6 address (only IPv6 goes in brackets)') : ipv4(addr);
  if (why) return `has a bad address ("${addr}" ${why})`;
  const p = ipvsPort(m[2]!);
  return p && `has a bad port ("${m[2]}" ${p})`;
}

/** A scheduler: the suffix of an ip_vs_* kernel module (rr, wlc, mh, ...). */
export function ipvsScheduler(v: string): Reason {
  return /^[a-z][a-z0-9]{0,15}$/.test(v) ? null : 'is not a scheduler name (lower-case letters and digits: rr, wlc, mh)';
}

/** `-b` flags: a comma-separated list of flag names. */
export function ipvsSchedFlags(v: string): Reason {
  return /^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(v) && !v.startsWith('-') ? null : 'is not a list of scheduler flags (sh-fallback,sh-port)';
}

/** `-M`: an IPv4 netmask (255.255.255.0) or an IPv6 prefix length. */
export function ipvsNetmask(v: string): Reason {
  if (/^\d+$/.test(v)) return prefixLength(v, 6);
  return ipv4(v) && 'is not a netmask (255.255.255.0, or an IPv6 prefix length)';
}

/** `--pe` and `--tun-type` values: a lower-case name (sip, ipip, gue, gre). */
export function ipvsName(v: string): Reason {
  return /^[a-z][a-z0-9_]{0,15}$/.test(v) ? null : 'is not a name (lower-case letters, digits and _)';
}
