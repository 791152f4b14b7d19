/**
 * Paths, file modes and account names as lvsible's modules put them into shell commands and unit files.
 * Quoting (src/transport/quote.ts) makes any byte safe for the shell, so these rules are about meaning: a
 * path must be absolute and one line (a newline in a path breaks every line-based reader of it, ours
 * included), a name must not read as an option.
 */
import { controlChar, describeChar, first, type Reason } from './common.js';

export function absolutePath(v: string): Reason {
  if (!v) return 'is empty';
  if (v.includes('\0')) return 'contains a NUL byte (no path can)';
  return first(
    () => (v.startsWith('/') ? null : 'is not an absolute path (it must start with /)'),
    () => controlChar(v),
  );
}

/** Octal `0644`/`644`/`01777`, as the file modules take it (symbolic modes are not supported). */
export function unixMode(v: string): Reason {
  const s = v.trim().replace(/^0o/i, '');
  if (!/^[0-7]{1,4}$/.test(s)) return 'is not an octal file mode (like 0644; quote it in YAML so it stays octal)';
  return null;
}

/**
 * A user or group, by name or numeric id. Names as useradd(8)/POSIX portable names take them: letters,
 * digits, `_ . -`, a trailing `$` (Samba machine accounts), not starting with `-`, at most 32 characters.
 */
export function accountName(v: string): Reason {
  if (/^\d+$/.test(v)) return Number(v) <= 4294967294 ? null : 'is not a valid numeric id';
  if (!v) return 'is empty';
  if (v.length > 32) return `is ${v.length} characters long (account names have at most 32)`;
  return first(
    () => controlChar(v),
    () => (v.startsWith('-') ? 'starts with "-" (it would be read as an option)' : null),
    () => {
      for (const [i, c] of [...v].entries()) {
        if (c === '$' && i === v.length - 1) continue;
        if (!/[A-Za-z0-9_.-]/.test(c)) return `contains ${describeChar(c)} (account names are letters, digits and _ . -)`;
      }
      return null;
    },
  );
}
