/**
 * Values in systemd unit files (systemd.syntax(7), systemd.service(5), systemd.unit(5)). A unit file is read
 * line by line: a newline starts a new `Key=value` (or a `[Section]`), a trailing backslash joins the next
 * line, and leading/trailing blanks are dropped. In most values `%x` is a specifier (`%n` the unit name, `%H`
 * the host). ExecStart= is split into words honouring quotes and C escapes, `$NAME`/`${NAME}` is replaced by
 * an environment variable, a lone `;` separated commands in older versions, and the first word may carry
 * prefixes (`-`, `@`, `+`, `!`, `:`). lvsible writes words that need none of that, and refuses the rest.
 */
import { controlChar, describeChar, first, type Reason } from './common.js';

function specifierOrContinuation(v: string): Reason {
  if (v.includes('%')) return 'contains "%", which starts a systemd specifier (%n, %H, ...)';
  if (v.endsWith('\\')) return 'ends with a backslash, which joins the next line in a unit file';
  return null;
}

/** A free-text setting such as Description=: one line, kept as written. */
export function unitText(v: string): Reason {
  if (!v.trim()) return 'is empty (an empty assignment resets the setting)';
  return first(
    () => controlChar(v),
    () => specifierOrContinuation(v),
    () => (v !== v.trim() ? 'has leading or trailing blanks (systemd drops them)' : null),
  );
}

/** One word of an ExecStart= command line, passed to the program exactly as written. */
export function execArg(v: string, opts: { program?: boolean } = {}): Reason {
  if (!v) return 'is empty';
  return first(
    () => controlChar(v),
    () => specifierOrContinuation(v),
    () => {
      for (const c of v) {
        if (/\s/u.test(c)) return `contains ${describeChar(c)} (systemd splits command lines at blanks)`;
        if (c === '"' || c === "'") return `contains ${describeChar(c)}, which starts a quoted word in ExecStart=`;
        if (c === '\\') return 'contains a backslash, an escape in ExecStart=';
        if (c === '$') return 'contains "$", which systemd replaces by an environment variable';
        if (c === ';') return 'contains ";", which separates commands in ExecStart=';
      }
      return null;
    },
    () => (opts.program && !v.startsWith('/') ? 'is not an absolute path (the program of ExecStart= is /path/to/it; no prefixes)' : null),
  );
}

const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];

/**
 * A unit name (systemd.unit(5)): `prefix[@instance].type`, at most 255 characters of ASCII letters, digits
 * and `: - _ . \`. With `suffix: false` the type may be left out, as `systemctl` allows (`keepalived`).
 */
export function unitName(v: string, opts: { suffix?: boolean } = {}): Reason {
  if (!v) return 'is empty';
  if (v.length > 255) return `is ${v.length} characters long (systemd allows 255)`;
  const ctl = controlChar(v);
  if (ctl) return ctl;
  for (const c of v) if (!/[A-Za-z0-9:_.\\@-]/.test(c)) return `contains ${describeChar(c)} (unit names are ASCII letters, digits and : - _ . \\ @)`;
  if (v.startsWith('-')) return 'starts with "-" (systemctl would read it as an option)';
  const dot = v.lastIndexOf('.');
  const type = dot >= 0 ? v.slice(dot + 1) : '';
  const hasType = UNIT_TYPES.includes(type);
  if (opts.suffix !== false && !hasType) return `has no unit type suffix (.${UNIT_TYPES.slice(0, 3).join(', .')}, ...)`;
  const stem = hasType ? v.slice(0, dot) : v;
  if (!stem) return 'has nothing before the type suffix';
  const at = stem.split('@');
  if (at.length > 2) return 'has more than one "@"';
  if (at.length === 2 && !at[0]) return 'has nothing before "@"';
  return null;
}
