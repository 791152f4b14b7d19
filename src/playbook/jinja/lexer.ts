import { JinjaError } from './values.js';

/**
 * Template source -> tokens: text, tag delimiters, and the expression tokens inside tags. Whitespace control
 * (`{%-`, `-%}`, trim_blocks, lstrip_blocks) and `{% raw %}` are settled here, so the parser never sees them.
 */

export type Token =
  | { k: 'text'; v: string; pos: number }
  | { k: 'var_begin' | 'var_end' | 'block_begin' | 'block_end' | 'eof'; v: string; pos: number }
  | { k: 'name' | 'op'; v: string; pos: number }
  | { k: 'string'; v: string; pos: number }
  | { k: 'number'; v: number; pos: number };

export interface LexOptions {
  /** Drop the first newline after a block tag (Ansible's templar always sets this). */
  trimBlocks: boolean;
  /** Strip spaces and tabs before a block tag on its line (Ansible: off unless the template task asks). */
  lstripBlocks: boolean;
  /**
   * Ansible doubles the backslashes of string literals inside `{{ }}` of a YAML value before Jinja sees them
   * (templar's _escape_backslashes), so there they stay literal: `"\d"` is backslash-d and `'\''` ends at the
   * second quote. `.j2` files are not escaped (escape_backslashes=False): Python's escapes apply.
   */
  literalBackslashesInOutput: boolean;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?/y;
const OPS2 = ['//', '**', '==', '!=', '<=', '>='];
const OPS1 = '+-*/%~<>=()[]{},.:|';

export function lex(src: string, opts: LexOptions): Token[] {
  const out: Token[] = [];
  let i = 0;
  let stripNext = false;
  const text = (s: string, pos: number) => {
    if (stripNext) s = s.replace(/^\s+/, '');
    stripNext = false;
    if (s) out.push({ k: 'text', v: s, pos });
  };
  // After a closing `-%}` whitespace goes; after a plain block end, trim_blocks takes one newline.
  const after = (minus: boolean, block: boolean) => {
    if (minus) stripNext = true;
    else if (block && opts.trimBlocks) {
      if (src[i] === '\n') i++;
      else if (src[i] === '\r' && src[i + 1] === '\n') i += 2;
    }
  };
  while (i < src.length) {
    const j = nextTag(src, i);
    if (j < 0) {
      text(src.slice(i), i);
      break;
    }
    const kind = src[j + 1];
    const mark = src[j + 2];
    let before = src.slice(i, j);
    if (mark === '-') before = before.replace(/\s+$/, '');
    else if (opts.lstripBlocks && kind !== '{' && mark !== '+') before = before.replace(/(^|\n)[ \t]+$/, '$1');
    text(before, i);
    let p = j + 2 + (mark === '-' || mark === '+' ? 1 : 0);
    if (kind === '#') {
      const e = src.indexOf('#}', p);
      if (e < 0) throw new JinjaError('unclosed comment: {# has no #}', j);
      i = e + 2;
      after(src[e - 1] === '-', true);
      continue;
    }
    const raw = kind === '%' ? /\s*raw\s*(-?)%\}/y : null;
    if (raw) {
      raw.lastIndex = p;
      const m = raw.exec(src);
      if (m) {
        i = raw.lastIndex;
        after(m[1] === '-', true);
        const end = /\{%(-?)\s*endraw\s*(-?)%\}/g;
        end.lastIndex = i;
        const e = end.exec(src);
        if (!e) throw new JinjaError('unclosed {% raw %}: no {% endraw %}', j);
        let body = src.slice(i, e.index);
        if (stripNext) body = body.replace(/^\s+/, '');
        stripNext = false;
        if (e[1] === '-') body = body.replace(/\s+$/, '');
        if (body) out.push({ k: 'text', v: body, pos: i });
        i = e.index + e[0].length;
        after(e[2] === '-', true);
        continue;
      }
    }
    const isVar = kind === '{';
    out.push({ k: isVar ? 'var_begin' : 'block_begin', v: '', pos: j });
    const r = lexTag(src, p, isVar ? '}}' : '%}', j, isVar && opts.literalBackslashesInOutput, out);
    out.push({ k: isVar ? 'var_end' : 'block_end', v: '', pos: r.end });
    i = r.next;
    after(r.minus, !isVar);
  }
  out.push({ k: 'eof', v: '', pos: src.length });
  return out;
}

function nextTag(src: string, from: number): number {
  for (let i = src.indexOf('{', from); i >= 0; i = src.indexOf('{', i + 1)) {
    const c = src[i + 1];
    if (c === '{' || c === '%' || c === '#') return i;
  }
  return -1;
}

function lexTag(src: string, p: number, end: string, start: number, literalStrings: boolean, out: Token[]) {
  let depth = 0;
  for (;;) {
    while (p < src.length && /\s/.test(src[p]!)) p++;
    if (p >= src.length) throw new JinjaError(`unclosed tag: ${src.slice(start, start + 2)} has no ${end}`, start);
    if (depth === 0 && src[p] === '-' && src.startsWith(end, p + 1)) return { end: p, next: p + 3, minus: true };
    if (depth === 0 && src.startsWith(end, p)) return { end: p, next: p + 2, minus: false };
    const c = src[p]!;
    NAME.lastIndex = p;
    NUMBER.lastIndex = p;
    let m: RegExpExecArray | null;
    if ((m = NAME.exec(src))) {
      out.push({ k: 'name', v: m[0], pos: p });
      p += m[0].length;
    } else if ((m = NUMBER.exec(src))) {
      out.push({ k: 'number', v: Number(m[0].replace(/_/g, '')), pos: p });
      p += m[0].length;
    } else if (c === '"' || c === "'") {
      const s = lexString(src, p, literalStrings);
      out.push({ k: 'string', v: s.value, pos: p });
      p = s.next;
    } else {
      const two = src.slice(p, p + 2);
      const op = OPS2.includes(two) ? two : OPS1.includes(c) ? c : null;
      if (!op) throw new JinjaError(`unexpected character ${JSON.stringify(c)}`, p);
      if (op === '(' || op === '[' || op === '{') depth++;
      if (op === ')' || op === ']' || op === '}') depth--;
      out.push({ k: 'op', v: op, pos: p });
      p += op.length;
    }
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

function lexString(src: string, p: number, literal: boolean): { value: string; next: number } {
  const q = src[p]!;
  let i = p + 1;
  let value = '';
  while (i < src.length && src[i] !== q) {
    const c = src[i]!;
    if (c !== '\\' || literal) {
      value += c;
      i++;
      continue;
    }
    const n = src[i + 1] ?? '';
    const hex = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4));
    if (n in ESCAPES) {
      value += ESCAPES[n];
      i += 2;
    } else if (hex && /^[0-9a-fA-F]+$/.test(src.slice(i + 2, i + 2 + hex)) && src.slice(i + 2, i + 2 + hex).length === hex) {
      value += String.fromCodePoint(parseInt(src.slice(i + 2, i + 2 + hex), 16));
      i += 2 + hex;
    } else if (oct) {
      value += String.fromCharCode(parseInt(oct[0], 8));
      i += 1 + oct[0].length;
    } else {
      // Python keeps an unknown escape as written: "\d" is backslash-d (what regexes rely on).
      value += '\\';
      i++;
    }
  }
  if (i >= src.length) throw new JinjaError('unclosed string literal', p);
  return { value, next: i + 1 };
}
