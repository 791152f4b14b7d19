import { strFormat } from './format.js';
import { Callable, isDict, isProxy, iterate, JinjaError, keysOf, NOTHING, ownValue, pyEq, toText, tuple, typeName, use } from './values.js';

/**
 * Attribute and item access (`x.y`, `x[k]`), and the Python methods of str, list and dict that playbooks call.
 * The method tables are the whole list: a name not in them is not a method, whatever JavaScript has.
 */

type Method<T> = (self: T, args: unknown[], pos: number, kwargs: Record<string, unknown>) => unknown;

const str = (v: unknown, what: string, pos: number): string => {
  if (typeof v !== 'string') throw new JinjaError(`${what} must be a string, not ${typeName(use(v, pos))}`, pos);
  return v;
};
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function pySplit(s: string, sep: unknown, max: number, pos: number): string[] {
  if (sep === undefined || sep === null) {
    const parts = s.trim().split(/\s+/).filter(Boolean);
    if (max < 0 || parts.length <= max + 1) return parts;
    // Keep the remainder as written, as Python does.
    const re = /\S+/g;
    const out: string[] = [];
    let m: RegExpExecArray | null;
    while (out.length < max && (m = re.exec(s))) out.push(m[0]);
    out.push(s.slice(re.lastIndex).replace(/^\s+/, '').replace(/\s+$/, ''));
    return out;
  }
  const d = str(sep, 'the separator', pos);
  if (!d) throw new JinjaError('empty separator', pos);
  const parts = s.split(d);
  return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(d)];
}

const stripper = (side: 'both' | 'l' | 'r'): Method<string> => (s, [chars], pos) => {
  const set = chars === undefined || chars === null ? '\\s' : escapeRe(str(chars, 'strip() characters', pos)).replace(/-/g, '\\-');
  if (set === '') return s;
  const l = side !== 'r' ? new RegExp(`^[${set}]+`) : null;
  const r = side !== 'l' ? new RegExp(`[${set}]+$`) : null;
  return s.replace(l ?? /$^/, '').replace(r ?? /$^/, '');
};

const affix = (end: boolean): Method<string> => (s, [x], pos) => {
  const list = Array.isArray(x) ? x : [x];
  return list.some((p) => (end ? s.endsWith(str(p, 'the affix', pos)) : s.startsWith(str(p, 'the affix', pos))));
};

export const STRING_METHODS: Record<string, Method<string>> = {
  split: (s, [sep, max = -1], pos) => pySplit(s, sep, Number(max), pos),
  splitlines: (s) => s.split(/\r?\n|\r/).filter((x, i, a) => i < a.length - 1 || x !== ''),
  strip: stripper('both'),
  lstrip: stripper('l'),
  rstrip: stripper('r'),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => s.replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  replace: (s, [a, b, count = -1], pos) => {
    const from = str(a, 'replace() old', pos);
    const to = str(b, 'replace() new', pos);
    let n = Number(count);
    if (n < 0) return s.split(from).join(to);
    let out = s;
    let at = 0;
    while (n-- > 0) {
      const i = out.indexOf(from, at);
      if (i < 0) break;
      out = out.slice(0, i) + to + out.slice(i + from.length);
      at = i + to.length;
    }
    return out;
  },
  startswith: affix(false),
  endswith: affix(true),
  join: (s, [xs], pos) => iterate(xs, pos).map((x) => str(x, 'join() items', pos)).join(s),
  format: (s, args, pos, kwargs) => strFormat(s, args, kwargs, pos),
  count: (s, [x], pos) => {
    const sub = str(x, 'count() argument', pos);
    return sub ? s.split(sub).length - 1 : s.length + 1;
  },
  find: (s, [x], pos) => s.indexOf(str(x, 'find() argument', pos)),
  rfind: (s, [x], pos) => s.lastIndexOf(str(x, 'rfind() argument', pos)),
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  zfill: (s, [w]) => (s.length >= Number(w) ? s : /^[+-]/.test(s) ? s[0] + s.slice(1).padStart(Number(w) - 1, '0') : s.padStart(Number(w), '0')),
};

export const LIST_METHODS: Record<string, Method<unknown[]>> = {
  index: (l, [x], pos) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i < 0) throw new JinjaError(`${toText(x, pos)} is not in the list`, pos);
    return i;
  },
  count: (l, [x]) => l.filter((y) => pyEq(y, x)).length,
};

export const DICT_METHODS: Record<string, Method<Record<string, unknown>>> = {
  items: (d) => keysOf(d).map((k) => tuple([k, d[k]])),
  keys: (d) => keysOf(d),
  values: (d) => keysOf(d).map((k) => d[k]),
  get: (d, [k, def = null]) => {
    const v = ownValue(d, String(k));
    return v === NOTHING ? def : v;
  },
};

function method<T>(table: Record<string, Method<T>>, self: T, name: string, pos: number) {
  if (!Object.prototype.hasOwnProperty.call(table, name)) return NOTHING;
  const fn = table[name]!;
  return new Callable(`${typeName(self)}.${name}`, (args, kwargs) => fn(self, args, pos, kwargs));
}

/**
 * `obj.key` (attribute first, as Jinja's getattr: `d.items` is the method) or `obj[key]` (item first:
 * `d['items']` is the key). Returns NOTHING when there is no such data or method.
 */
export function access(obj: unknown, key: unknown, attrFirst: boolean, pos: number): unknown {
  if (typeof obj === 'string') {
    if (typeof key === 'number') return index(obj, key);
    return typeof key === 'string' ? method(STRING_METHODS, obj, key, pos) : NOTHING;
  }
  if (Array.isArray(obj)) {
    if (typeof key === 'number') return index(obj, key);
    return typeof key === 'string' ? method(LIST_METHODS, obj, key, pos) : NOTHING;
  }
  if (isDict(obj)) {
    if (typeof key !== 'string' && typeof key !== 'number') return NOTHING;
    const k = String(key);
    if (attrFirst) {
      const m = method(DICT_METHODS, obj, k, pos);
      return m !== NOTHING ? m : ownValue(obj, k);
    }
    const v = ownValue(obj, k);
    return v !== NOTHING ? v : method(DICT_METHODS, obj, k, pos);
  }
  if (isProxy(obj) && (typeof key === 'string' || typeof key === 'number')) return ownValue(obj, String(key));
  return NOTHING;
}

function index<T>(seq: string | T[], i: number): unknown {
  if (!Number.isInteger(i)) return NOTHING;
  const j = i < 0 ? seq.length + i : i;
  return j >= 0 && j < seq.length ? seq[j] : NOTHING;
}
