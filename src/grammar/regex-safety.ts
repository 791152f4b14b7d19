/**
 * Regular expressions that could backtrack catastrophically, found before they run. JavaScript regexes cannot
 * be interrupted: `('a' * 30 ~ '!') | regex_replace('(a+)+$', 'b')` would hang `lvsible plan` for good. Used
 * where operator text becomes a regex: template filters and tests (src/playbook/jinja/regex.ts) and `~regex`
 * host patterns (src/inventory/patterns.ts).
 *
 * The check is static and conservative. A quantifier that repeats (at most more than once) a part holding another
 * variable quantifier is refused when either is unbounded, unless every variable piece of the part is fenced off
 * from the next by a character it cannot match (`([a-z0-9-]+\.)+` and `(\d{1,3}\.){3}` pass; `(a+)+`, `(a*)*`,
 * `(\w+\s?)+`, `(.*a){20}` do not). Alternatives under a repeating quantifier that can start with the same
 * character (`(a|aa)+`, `(\d|\w)+`) are refused too, unless they are fixed strings of one length that never match
 * the same text (`(eth|ens)+`). Polynomial patterns (`.*a.*a`) are not caught: the input length is bounded instead.
 */

/** What a regex may be run on: longer text is refused rather than searched (1 MB). */
export const MAX_REGEX_INPUT = 1_000_000;

type Ranges = Array<[number, number]>;
const MAXCP = 0x10ffff;
const ALL: Ranges = [[0, MAXCP]];

type Node =
  | { t: 'set'; set: Ranges }
  | { t: 'zero' } // anchors, \b, lookarounds (their bodies are checked on their own)
  | { t: 'group'; alts: Node[][] }
  | { t: 'rep'; node: Node; min: number; max: number; src: string };

function norm(r: Ranges): Ranges {
  const s = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of s) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}
function invert(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of norm(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAXCP) out.push([next, MAXCP]);
  return out;
}
function overlaps(a: Ranges, b: Ranges): boolean {
  return a.some(([l1, h1]) => b.some(([l2, h2]) => l1 <= h2 && l2 <= h1));
}
const ch = (c: string): Ranges => [[c.codePointAt(0)!, c.codePointAt(0)!]];
const DIGIT: Ranges = [[48, 57]];
const WORD: Ranges = [[48, 57], [65, 90], [95, 95], [97, 122]];
const SPACE: Ranges = [[9, 13], [32, 32], [160, 160], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];

class Parser {
  i = 0;
  constructor(readonly s: string, readonly ignoreCase: boolean, readonly dotAll: boolean) {}

  fold(r: Ranges): Ranges {
    if (!this.ignoreCase) return r;
    const extra: Ranges = [];
    for (const [lo, hi] of r) {
      const a = Math.max(lo, 65), b = Math.min(hi, 90);
      if (a <= b) extra.push([a + 32, b + 32]);
      const c = Math.max(lo, 97), d = Math.min(hi, 122);
      if (c <= d) extra.push([c - 32, d - 32]);
      if (hi > 127) extra.push([128, MAXCP]); // non-ASCII case folding: assume anything
    }
    return norm([...r, ...extra]);
  }

  alternation(): Node[][] {
    const alts: Node[][] = [[]];
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ')') break;
      if (c === '|') {
        this.i++;
        alts.push([]);
        continue;
      }
      const start = this.i;
      const atom = this.atom();
      const q = this.quantifier();
      alts[alts.length - 1]!.push(q ? { t: 'rep', node: atom, min: q[0], max: q[1], src: this.s.slice(start, this.i) } : atom);
    }
    return alts;
  }

  quantifier(): [number, number] | null {
    const c = this.s[this.i];
    let q: [number, number] | null = null;
    if (c === '*') q = [0, Infinity];
    else if (c === '+') q = [1, Infinity];
    else if (c === '?') q = [0, 1];
    if (q) this.i++;
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return null;
      const min = Number(m[1]);
      q = [min, m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])];
      this.i += m[0].length;
    }
    if (q && this.s[this.i] === '?') this.i++; // lazy: backtracks all the same
    return q;
  }

  atom(): Node {
    const c = this.s[this.i++]!;
    if (c === '(') {
      let look = false;
      if (this.s.startsWith('?:', this.i)) this.i += 2;
      else if (/^\?<?[=!]/.test(this.s.slice(this.i, this.i + 3))) {
        look = true;
        this.i += this.s[this.i + 1] === '<' ? 3 : 2;
      } else if (this.s.startsWith('?<', this.i)) this.i = this.s.indexOf('>', this.i) + 1;
      const alts = this.alternation();
      this.i++; // ')'
      const g: Node = { t: 'group', alts };
      if (look) {
        this.lookarounds.push(g);
        return { t: 'zero' };
      }
      return g;
    }
    if (c === '[') return { t: 'set', set: this.fold(this.klass()) };
    if (c === '.') return { t: 'set', set: this.dotAll ? ALL : invert([[10, 10], [13, 13], [0x2028, 0x2029]]) };
    if (c === '^' || c === '$') return { t: 'zero' };
    if (c === '\\') {
      const e = this.escape(false);
      return e === 'zero' ? { t: 'zero' } : { t: 'set', set: this.fold(e) };
    }
    return { t: 'set', set: this.fold(ch(String.fromCodePoint(this.s.codePointAt(this.i - 1)!))) };
  }

  readonly lookarounds: Node[] = [];

  /** After a backslash. Backreferences and property classes are taken as any character. */
  escape(inClass: boolean): Ranges | 'zero' {
    const c = this.s[this.i++] ?? '\\';
    switch (c) {
      case 'd': return DIGIT;
      case 'D': return invert(DIGIT);
      case 'w': return WORD;
      case 'W': return invert(WORD);
      case 's': return SPACE;
      case 'S': return invert(SPACE);
      case 'b': return inClass ? ch('\b') : 'zero';
      case 'B': return 'zero';
      case 'n': return ch('\n');
      case 'r': return ch('\r');
      case 't': return ch('\t');
      case 'f': return ch('\f');
      case 'v': return ch('\v');
      case 'k':
        if (this.s[this.i] === '<') this.i = this.s.indexOf('>', this.i) + 1;
        return ALL;
      case 'p':
      case 'P':
        if (this.s[this.i] === '{') this.i = this.s.indexOf('}', this.i) + 1;
        return ALL;
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
        if (!m) return ch('x');
        this.i += 2;
        return [[parseInt(m[0], 16), parseInt(m[0], 16)]];
      }
      case 'u': {
        const m = /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})/.exec(this.s.slice(this.i));
        if (!m) return ch('u');
        this.i += m[0].length;
        const n = parseInt(m[0].replace(/[{}]/g, ''), 16);
        return [[n, n]];
      }
      case 'c':
        this.i++;
        return ALL;
      default:
        if (/[1-9]/.test(c) && !inClass) {
          while (/\d/.test(this.s[this.i] ?? '')) this.i++;
          return ALL;
        }
        if (/[0-7]/.test(c)) return ALL; // \0 and octal escapes: some control character
        return ch(String.fromCodePoint(this.s.codePointAt(this.i - 1)!));
    }
  }

  klass(): Ranges {
    let negate = false;
    if (this.s[this.i] === '^') {
      negate = true;
      this.i++;
    }
    const out: Ranges = [];
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      const lo = this.classAtom();
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length && lo.length === 1 && lo[0]![0] === lo[0]![1]) {
        this.i++;
        const hi = this.classAtom();
        if (hi.length === 1 && hi[0]![0] === hi[0]![1]) {
          out.push([lo[0]![0], hi[0]![0]]);
          continue;
        }
        out.push(...lo, ...ch('-'), ...hi);
        continue;
      }
      out.push(...lo);
    }
    this.i++; // ']'
    const set = norm(out);
    return negate ? invert(set) : set;
  }

  classAtom(): Ranges {
    const c = this.s[this.i++]!;
    if (c === '\\') {
      const e = this.escape(true);
      return e === 'zero' ? [] : e;
    }
    return ch(String.fromCodePoint(this.s.codePointAt(this.i - 1)!));
  }
}

/** Every character a node can consume. */
function chars(n: Node): Ranges {
  if (n.t === 'set') return n.set;
  if (n.t === 'zero') return [];
  if (n.t === 'rep') return chars(n.node);
  return norm(n.alts.flat().flatMap(chars));
}
function nullable(n: Node): boolean {
  if (n.t === 'zero') return true;
  if (n.t === 'set') return false;
  if (n.t === 'rep') return n.min === 0 || nullable(n.node);
  return n.alts.some((a) => a.every(nullable));
}
function reps(n: Node, out: Array<Node & { t: 'rep' }> = []): Array<Node & { t: 'rep' }> {
  if (n.t === 'rep') {
    out.push(n);
    reps(n.node, out);
  } else if (n.t === 'group') for (const a of n.alts) for (const x of a) reps(x, out);
  return out;
}
/** Matches text of more than one length (a quantifier with a range, or alternatives). */
function variable(n: Node): boolean {
  return reps(n).some((r) => r.min !== r.max) || (n.t === 'group' && (n.alts.length > 1 || n.alts.some((a) => a.some(variable))));
}
/** The characters a match of `seq` can start with. */
function firsts(seq: Node[]): Ranges {
  const out: Ranges = [];
  for (const n of seq) {
    if (n.t === 'group') out.push(...n.alts.flatMap((a) => firsts(a)));
    else if (n.t === 'rep') out.push(...firsts([n.node]));
    else if (n.t === 'set') out.push(...n.set);
    if (!nullable(n)) break;
  }
  return norm(out);
}
/** A fixed run of single characters (`eth`, `\d\.`): its sets, else null. */
function fixedSets(seq: Node[]): Ranges[] | null {
  const out: Ranges[] = [];
  for (const n of seq) {
    if (n.t === 'zero') continue;
    if (n.t === 'set') out.push(n.set);
    else if (n.t === 'rep' && n.min === n.max && n.node.t === 'set') for (let k = 0; k < n.min; k++) out.push(n.node.set);
    else return null;
  }
  return out;
}

/** The body of a repeated part as one sequence, or null when it has several alternatives. */
function sequenceOf(n: Node): Node[] | null {
  if (n.t !== 'group') return [n];
  if (n.alts.length !== 1) return null;
  const seq = n.alts[0]!.filter((x) => x.t !== 'zero');
  if (seq.length === 1 && seq[0]!.t === 'group') return sequenceOf(seq[0]!);
  return seq;
}

/**
 * Can the variable pieces of one repetition of `seq` trade characters with each other or with the next repetition?
 * From each variable piece, look ahead (wrapping into the next repetition) for a piece that must consume a
 * character the first cannot: that fences it off. Meeting another variable piece that shares characters, or
 * itself, first is ambiguous.
 */
function ambiguous(seq: Node[]): boolean {
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i]!;
    if (!variable(v)) continue;
    const cv = chars(v);
    for (let k = 1; ; k++) {
      const j = (i + k) % seq.length;
      if (j === i) return true;
      const n = seq[j]!;
      const cn = chars(n);
      if (!nullable(n) && !overlaps(cn, cv)) break;
      if (variable(n) && overlaps(cn, cv)) return true;
    }
  }
  return false;
}

function checkRep(r: Node & { t: 'rep' }): string | null {
  if (r.max <= 1) return null;
  const inner = reps(r.node).filter((q) => q.min !== q.max && (q.max === Infinity || r.max === Infinity));
  if (inner.length) {
    const seq = sequenceOf(r.node);
    if (!seq || ambiguous(seq)) return `nested quantifier in ${r.src}: could take exponential time`;
  }
  if (r.max !== Infinity && r.max < 10) return null;
  let body = r.node;
  while (body.t === 'group' && body.alts.length === 1 && body.alts[0]!.length === 1 && body.alts[0]![0]!.t === 'group') body = body.alts[0]![0]!;
  if (body.t === 'group' && body.alts.length > 1) {
    const alts = body.alts;
    for (let a = 0; a < alts.length; a++)
      for (let b = a + 1; b < alts.length; b++) {
        const fa = fixedSets(alts[a]!);
        const fb = fixedSets(alts[b]!);
        const clash =
          fa && fb && fa.length === fb.length ? fa.every((s, k) => overlaps(s, fb[k]!)) : overlaps(firsts(alts[a]!), firsts(alts[b]!));
        if (clash) return `alternatives that can match the same text under a quantifier in ${r.src}: could take exponential time`;
      }
  }
  return null;
}

/**
 * Why `source` (JavaScript syntax, already known to compile) could take exponential time, or null. `flags` as
 * for `new RegExp` (`i` and `s` matter).
 */
export function regexHazard(source: string, flags = ''): string | null {
  const p = new Parser(source, flags.includes('i'), flags.includes('s'));
  let root: Node;
  try {
    root = { t: 'group', alts: p.alternation() };
  } catch {
    return null; // our reading failed, not the regex: new RegExp already accepted it
  }
  for (const top of [root, ...p.lookarounds])
    for (const r of reps(top)) {
      const why = checkRep(r);
      if (why) return why;
    }
  return null;
}

/** `new RegExp`, refusing a pattern that could hang: throws an Error whose message says why. */
export function safeRegExp(source: string, flags = ''): RegExp {
  const re = new RegExp(source, flags);
  const why = regexHazard(source, flags);
  if (why) throw new Error(why);
  return re;
}
