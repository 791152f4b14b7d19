/**
 * Linux interface names. The kernel (dev_valid_name) takes 1-15 bytes other than `/`, `:` and whitespace,
 * and not `.` or `..`; lvsible narrows that to letters, digits and `_ . @ + -` (first a letter, digit or
 * `_`), because the name is also written into keepalived.conf, systemd unit names and sysctl keys, where
 * anything else would need quoting. The alias form `eth0:vip` (an IPv4 label) is accepted only where asked.
 */
import { controlChar, describeChar, type Reason } from './common.js';

const MAX = 15;

export function interfaceName(v: string, opts: { alias?: boolean } = {}): Reason {
  if (!v) return 'is empty (an interface name has 1-15 characters)';
  const ctl = controlChar(v);
  if (ctl) return ctl;
  if (v === '.' || v === '..') return 'is not an interface name ("." and ".." are refused by the kernel)';
  if (opts.alias && v.includes(':')) {
    const [dev, ...rest] = v.split(':');
    const why = interfaceName(dev!);
    if (why) return `has a bad device part before ":" ("${dev}" ${why})`;
    if (rest.length !== 1 || !/^[A-Za-z0-9_.@+-]+$/.test(rest[0]!)) return 'is not an alias label (DEV:SUFFIX, the suffix of letters, digits and _ . @ + -)';
  } else {
    for (const c of v) {
      if (c === '/' || c === ':' || /\s/u.test(c)) return `contains ${describeChar(c)} (the kernel refuses / : and whitespace in interface names${c === ':' ? '; ":" is only for address labels' : ''})`;
      if (!/[A-Za-z0-9_.@+-]/.test(c)) return `contains ${describeChar(c)} (interface names here are letters, digits and _ . @ + -)`;
    }
    if (!/^[A-Za-z0-9_]/.test(v)) return `starts with ${describeChar(v[0]!)} (an interface name starts with a letter, digit or _)`;
  }
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes > MAX) return `is ${bytes} bytes long (the kernel allows at most ${MAX})`;
  return null;
}
