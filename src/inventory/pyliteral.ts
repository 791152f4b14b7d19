/**
 * INI inventory values, read the way Ansible reads them: with Python's `ast.literal_eval`, falling back to
 * the raw text. So `22` is a number, `'a b'` a string, `True` a boolean, `[1, 2]` a list, while `true`,
 * `010` and `10.0.0.1` stay strings (literal_eval rejects them). This is a small subset parser of
 * Python literals, enough for what inventories hold.
 */

export function parseIniValue(text: string): unknown {
  const s = text.trim();
  try {
    const p = new LiteralParser(s);
    const v = p.value();
    p.skipSpace();
    if (!p.done()) return s;
    return v;
  } catch {
    return s;
  }
}

class NotALiteral extends Error {}

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.s[this.i];
    if (c === undefined) throw new NotALiteral();
    if (c === '"' || c === "'") return this.strings();
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === '{') return this.dict();
    const word = /^(True|False|None)\b/.exec(this.s.slice(this.i));
    if (word) {
      this.i += word[0].length;
      return word[0] === 'None' ? null : word[0] === 'True';
    }
    return this.number();
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    const m =
      /^[-+]?0[xX][0-9a-fA-F_]+/.exec(rest) ??
      /^[-+]?0[oO][0-7_]+/.exec(rest) ??
      /^[-+]?0[bB][01_]+/.exec(rest) ??
      /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*|[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?/.exec(rest);
    if (!m) throw new NotALiteral();
    const t = m[0].replace(/_/g, '');
    const body = t.replace(/^[-+]/, '');
    // Python 3 refuses decimal integers with leading zeros ("010"): keep them as text, like Ansible.
    if (/^0[0-9]+$/.test(body)) throw new NotALiteral();
    this.i += m[0].length;
    const sign = t.startsWith('-') ? -1 : 1;
    if (/^0[xX]/.test(body)) return sign * parseInt(body.slice(2), 16);
    if (/^0[oO]/.test(body)) return sign * parseInt(body.slice(2), 8);
    if (/^0[bB]/.test(body)) return sign * parseInt(body.slice(2), 2);
    return Number(t);
  }

  /** One or more adjacent string literals ('a' "b" is "ab" in Python). */
  private strings(): string {
    let out = '';
    do {
      out += this.string();
      this.skipSpace();
    } while (this.s[this.i] === '"' || this.s[this.i] === "'");
    return out;
  }

  private string(): string {
    const q = this.s[this.i]!;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === q) {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const n = this.s[this.i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (n !== undefined && n in map) {
          out += map[n];
          this.i += 2;
          continue;
        }
      }
      out += c;
      this.i++;
    }
    throw new NotALiteral();
  }

  private sequence(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new NotALiteral();
    }
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      this.skipSpace();
      if (this.s[this.i] !== ':') throw new NotALiteral();
      this.i++;
      out[String(k)] = this.value();
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotALiteral();
    }
  }
}
