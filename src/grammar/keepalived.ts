/**
 * Words of keepalived.conf, from keepalived's own parser (lib/parser.c). The file is read line by line, so a
 * newline ends the statement and the next line is a new one: the injection a host name with a newline makes.
 * Within a line, decomment() cuts at an unquoted `#` or `!`, a trailing `\` joins the next line, read_line()
 * splits the line at any `{` or `}` outside double quotes (a new block), `$NAME` is replaced by a definition
 * (`$_HASH` is `#`, `$_BANG` is `!`), a line starting with `@` is conditional on the host and `~SEQ`/`include`
 * at a line start are directives. alloc_strvec() then splits words at blanks, with `"..."` as one word.
 */
import { controlChar, describeChar, first, invisibleChar, type Reason } from './common.js';

/** Characters that change the meaning of an unquoted keepalived.conf word. */
const SPECIAL: Record<string, string> = {
  '"': 'starts a quoted string',
  "'": 'starts a quoted string in script lines',
  '\\': 'escapes or continues the line',
  '{': 'opens a block',
  '}': 'closes the block',
  '#': 'starts a comment',
  '!': 'starts a comment',
  '$': 'is replaced by a keepalived definition ($_HASH is #)',
};

/** A bare word: a name, number, address or path written without quotes (router_id, interface, names). */
export function keepalivedWord(v: string): Reason {
  if (!v) return 'is empty (keepalived would read the next word in its place)';
  return first(
    () => controlChar(v),
    () => {
      for (const c of v) {
        if (/\s/u.test(c)) return `contains ${describeChar(c)} (keepalived splits words at blanks)`;
        if (SPECIAL[c]) return `contains ${describeChar(c)}, which in keepalived.conf ${SPECIAL[c]}`;
      }
      return null;
    },
    // Defence in depth: names are checked at load time, but no invisible character reaches the file either.
    () => invisibleChar(v),
    // Some words start a line (addresses in virtual_ipaddress, unicast_peer): these would be directives there.
    () => (/^[@~]/.test(v) ? `starts with ${describeChar(v[0]!)}, which at a line start in keepalived.conf is a directive` : null),
    () => (/^include[rmwba]?$/.test(v) ? 'is the keepalived "include" directive' : null),
  );
}

/**
 * Names lvsible gives or takes for instances, groups and the router id: a word of letters, digits and
 * `_ . : @ -` (host names and FQDNs fit), so the name also reads the same in logs and `keepalived -t`.
 */
export function keepalivedName(v: string): Reason {
  return first(
    () => keepalivedWord(v),
    () => (/^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/.test(v) ? null : 'is not a keepalived name (letters, digits and _ . : @ -, starting with a letter, digit or _)'),
  );
}

/** The text between double quotes (`misc_path "..."`): blanks, `#`, `!` and braces are literal there. */
export function keepalivedQuoted(v: string): Reason {
  if (!v.trim()) return 'is empty';
  return first(
    () => controlChar(v),
    () => invisibleChar(v),
    () => (v.includes('"') ? 'contains a double quote, which would end the quoted string' : null),
    () => (v.includes('\\') ? 'contains a backslash (an escape, or at the end a line continuation)' : null),
    () => (v.includes('$') ? 'contains "$", which keepalived replaces by a definition even inside quotes' : null),
  );
}
