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

/**
 * Split a command line into words the way Ansible's `command` does (shlex, POSIX mode): quotes group, backslash
 * escapes, and nothing else is special, so `$HOME`, `|` and `*` reach the program literally.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in ${JSON.stringify(line)}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && '"\\$`\n'.includes(line[j + 1] ?? '')) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated double quote in ${JSON.stringify(line)}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
