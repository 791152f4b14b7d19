/**
 * The one way to build shell command lines. Every value that reaches a remote shell passes through
 * `quote()`; the `sh` tag quotes every interpolation, so an inventory value is never pasted raw.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh. */
export function quote(value: string | number): string {
  const s = String(value);
  if (s === '') return "''";
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A raw fragment that `sh` inserts as is (another already-built command, an operator like `&&`). */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string): Raw => new Raw(text);

/**
 * Template tag: sh`ip addr replace ${cidr} dev ${dev}`. Strings and numbers are quoted, arrays become
 * several quoted words, Raw fragments go in untouched.
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return out;
}

function render(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return v.map(render).join(' ');
  if (typeof v === 'string' || typeof v === 'number') return quote(v);
  throw new TypeError(`sh: cannot interpolate ${typeof v}`);
}
