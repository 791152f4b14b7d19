/**
 * Names that are not file-specific: inventory host and group names, kernel modules and packages.
 *
 * Ansible itself takes almost any string as a host name: its YAML inventory accepts names with blanks,
 * newlines, tabs, control characters, `#`, `:` and any Unicode (checked with ansible-core 2.14's
 * `ansible-inventory --list`); only a `[` that is not a valid range fails to parse, and group names with
 * characters other than letters, digits and `_` get a warning (TRANSFORM_INVALID_GROUP_CHARS). Its INI
 * format splits at blanks, so there a blank can never be part of a name. lvsible writes host names into
 * keepalived.conf (router_id) and messages, so it refuses blanks and control characters in any host or group
 * name, wherever the inventory came from, invisible characters (zero-width and bidi controls, other Unicode
 * format characters, non-ASCII blanks: `web\u200b1` would read as web1) and a leading `-`; everything else
 * Ansible accepts stays accepted, letters such as é and ü included.
 */
import { controlChar, describeChar, first, invisibleChar, type Reason } from './common.js';

export function inventoryName(v: string): Reason {
  if (!v) return 'is empty';
  return first(
    () => controlChar(v),
    () => {
      for (const c of v) if (/\s/u.test(c)) return `contains ${describeChar(c)} (host and group names cannot contain blanks)`;
      return null;
    },
    () => invisibleChar(v),
    // With no ansible_host the name is the ssh target, and `ssh -oProxyCommand=...` runs a command.
    () => (v.startsWith('-') ? 'starts with "-" (ssh and other tools would read it as an option)' : null),
  );
}

/** modprobe names: letters, digits, `_` and `-` (which modprobe treats as the same). */
export function kernelModuleName(v: string): Reason {
  if (!v) return 'is empty';
  if (v.startsWith('-')) return 'starts with "-" (modprobe would read it as an option)';
  return /^[A-Za-z0-9_-]{1,55}$/.test(v) ? null : 'is not a kernel module name (letters, digits, _ and -)';
}

/**
 * A package as apt or dnf take it: Debian/RPM name characters, optionally `=VERSION` (apt) or a version
 * suffix (dnf), never starting with `-` (an option to the package manager) and never with blanks (a
 * second package, or an option).
 */
export function packageName(v: string): Reason {
  if (!v) return 'is empty';
  return first(
    () => controlChar(v),
    () => (v.startsWith('-') ? 'starts with "-" (the package manager would read it as an option)' : null),
    () => {
      for (const c of v) if (!/[A-Za-z0-9+._:~=*@-]/.test(c)) return `contains ${describeChar(c)} (package names are letters, digits and + . _ : ~ = * @ -)`;
      return null;
    },
    () => (/^[A-Za-z0-9]/.test(v) ? null : 'does not start with a letter or digit'),
  );
}

/**
 * ansible_host and ansible_user: one word given to ssh (and to `ssh -o ...` command lines the lab builds): no
 * blanks or control characters, and no leading `-`, which ssh would read as an option (`-oProxyCommand=...`).
 */
export function connectionWord(v: string): Reason {
  if (!v) return 'is empty';
  // Said first: the blanks of `{{ x }}` are not the mistake, a template where lvsible reads the value as is.
  if (v.includes('{{') || v.includes('{%')) return 'is a template: lvsible reads connection variables as written and does not render them yet';
  return first(
    () => controlChar(v),
    () => {
      for (const c of v) if (/\s/u.test(c)) return `contains ${describeChar(c)} (an address or user name is one word)`;
      return null;
    },
    () => invisibleChar(v),
    () => (v.startsWith('-') ? 'starts with "-" (ssh would read it as an option)' : null),
  );
}
