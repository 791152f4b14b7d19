/**
 * sysctl.d(5) lines, as systemd-sysctl and `sysctl -p` read them: one `key = value` per line, a line starting
 * with `#` or `;` is a comment, a key starting with `-` means "ignore a failure", and everything after the
 * first `=` up to the end of the line is the value (so `#` inside a value is literal, but a newline starts
 * the next key: `1\nkernel.core_pattern = |/tmp/x` would set a second key). Keys are dotted or slashed; when
 * the first separator is `.`, dots and slashes swap (`net.ipv4.conf.eth0/1.rp_filter` is interface eth0.1).
 */
import { controlChar, describeChar, first, type Reason } from './common.js';

export function sysctlKey(v: string): Reason {
  if (!v) return 'is empty';
  return first(
    () => controlChar(v),
    () => (/^[#;]/.test(v) ? `starts with ${describeChar(v[0]!)}, which makes the line a comment` : null),
    () => {
      for (const c of v) {
        if (/\s/u.test(c)) return `contains ${describeChar(c)} (a sysctl key has no blanks)`;
        if (c === '=') return 'contains "=", which ends the key in a sysctl.d line';
        if ('*?['.includes(c)) return `contains ${describeChar(c)} (a glob: lvsible sets one key, not a pattern)`;
        if (!/[A-Za-z0-9_./:@+-]/.test(c)) return `contains ${describeChar(c)} (sysctl keys are letters, digits and _ . / : @ + -)`;
      }
      return null;
    },
    () => (v.startsWith('-') ? 'starts with "-", which in sysctl.d means "ignore errors" for the key after it' : null),
    () => (/^[./]/.test(v) ? `starts with ${describeChar(v[0]!)} (a key starts with its first component, e.g. net)` : null),
    () => {
      // The key becomes a /proc/sys path: no empty, `.` or `..` components there.
      const slashed = v.search(/[./]/) >= 0 && v[v.search(/[./]/)] === '/';
      const parts = slashed ? v.split('/') : v.split('.').map((p) => p.replace(/\//g, '.'));
      if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'has an empty, "." or ".." component (it becomes a /proc/sys path)';
      return null;
    },
  );
}

export function sysctlValue(v: string): Reason {
  if (!v.trim()) return 'is empty (sysctl would write an empty string)';
  // Tabs separate the fields of multi-value keys (tcp_rmem): allowed; every other control character is not.
  return controlChar(v.replace(/\t/g, ' '));
}

/**
 * sysctl.d(5): if the first separator is `/`, the name is a path as is; if it is `.`, dots and slashes are
 * swapped, so `net.ipv4.conf.eth0/1.rp_filter` and `net/ipv4/conf/eth0.1/rp_filter` are the same key.
 */
export function sysctlPath(name: string): string {
  const key = name.trim().replace(/^-/, '');
  const firstSep = key.search(/[./]/);
  if (firstSep >= 0 && key[firstSep] === '/') return key.replace(/^\/+/, '');
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}
