import { createHash } from 'node:crypto';
import { parse as fromYaml } from 'yaml';
import { quote } from '../../transport/quote.js';
import { printf } from './format.js';
import { access } from './methods.js';
import { pyRegex, pyReplacement } from './regex.js';
import { pyJson, pyYaml } from './serialize.js';
import { testFunction } from './tests.js';
import { isDict, iterate, JinjaError, keysOf, newDict, NOTHING, ownValue, pyCompare, pyEq, repr, toText, truthy, tuple, typeName, Undef, use } from './values.js';

/**
 * Jinja2's builtin filters and Ansible's, the ones playbooks and `.j2` files use. Each takes plain data and
 * returns plain data; keyword arguments are mapped onto positions by the parameter names Jinja/Ansible use.
 */

type Impl = (v: any, ...a: any[]) => unknown;
type Filter = (v: unknown, args: unknown[], kwargs: Record<string, unknown>, pos: number) => unknown;

let POS = -1; // the position of the filter being applied, for errors thrown deep inside an implementation
const fail = (msg: string) => new JinjaError(msg, POS);

function def(params: string[], impl: Impl): Filter {
  return (v, args, kwargs) => {
    const a = [...args];
    for (const [k, x] of Object.entries(kwargs)) {
      const i = params.indexOf(k);
      if (i < 0) throw fail(`unexpected keyword argument "${k}"`);
      a[i] = x;
    }
    return impl(v, ...a);
  };
}

const list = (v: unknown): unknown[] => {
  if (Array.isArray(v)) return v;
  if (v === null) return [];
  if (typeof v === 'string' || isDict(v)) return iterate(v, POS);
  return [v];
};
const str = (v: unknown) => toText(v, POS);
/** `a.b.0` attribute paths of map/selectattr/sort: each step is a sandboxed access. */
function attrPath(x: unknown, path: unknown): unknown {
  let cur = x;
  for (const part of String(path).split('.')) {
    if (cur instanceof Undef) return cur;
    const key = /^\d+$/.test(part) && Array.isArray(cur) ? Number(part) : part;
    const v = access(cur, key, false, POS);
    cur = v === NOTHING ? new Undef(`(list item).${String(path)}`, `a ${typeName(x)} in the list has no attribute "${String(path)}"`) : v;
  }
  return cur;
}
function unique(xs: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of xs) if (!out.some((y) => pyEq(x, y))) out.push(x);
  return out;
}
const sorter = (attribute?: unknown, caseSensitive = false) => (a: unknown, b: unknown) => {
  let x = attribute === undefined ? a : use(attrPath(a, attribute), POS);
  let y = attribute === undefined ? b : use(attrPath(b, attribute), POS);
  if (!caseSensitive && typeof x === 'string' && typeof y === 'string') [x, y] = [x.toLowerCase(), y.toLowerCase()];
  return pyCompare(x, y, POS);
};
function toInt(v: unknown, dflt: unknown = 0, base: unknown = 10): unknown {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return Number(v);
  const s = String(v).trim();
  // Jinja's int(): int(value, base), else int(float(value)), else the default ("12abc" is not 12).
  const n = Number(base) === 10 ? (/^[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?$/.test(s) && /\d/.test(s) ? Math.trunc(Number(s.replace(/_/g, ''))) : NaN) : /^[+-]?(0[xob])?[0-9a-f_]+$/i.test(s) ? parseInt(s.replace(/^([+-]?)0[xob]/i, '$1').replace(/_/g, ''), Number(base)) : NaN;
  return Number.isFinite(n) && s !== '' ? n : dflt;
}
/** Ansible's `bool`: yes/no, true/false, on/off, 1/0 strings. */
const toBool = (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'string') return ['yes', 'true', 'on', '1', 'y'].includes(v.trim().toLowerCase());
  return truthy(v, POS);
};
function combine(objs: unknown[], recursive: boolean, listMerge: string): Record<string, unknown> {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out = newDict(keysOf(a).map((k) => [k, a[k]] as const));
    for (const k of keysOf(b)) {
      const x = ownValue(out, k);
      const y = b[k];
      let v = y;
      if (recursive && isDict(x) && isDict(y)) v = merge(x, y);
      else if (Array.isArray(x) && Array.isArray(y) && listMerge !== 'replace') {
        v = listMerge === 'append' ? [...x, ...y] : listMerge === 'prepend' ? [...y, ...x] : listMerge === 'append_rp' ? [...x.filter((e) => !y.some((f) => pyEq(e, f))), ...y] : listMerge === 'prepend_rp' ? [...y, ...x.filter((e) => !y.some((f) => pyEq(e, f)))] : y;
      }
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return objs.flat().reduce<Record<string, unknown>>((acc, o) => {
    if (!isDict(o)) throw fail(`combine expects mappings, got ${typeName(o)}`);
    return merge(acc, o);
  }, newDict());
}

const IMPLS: Record<string, Filter> = {
  // Ansible
  bool: def([], toBool),
  int: def(['default', 'base'], toInt),
  float: def(['default'], (v, d = 0) => {
    const n = typeof v === 'number' ? v : parseFloat(String(v));
    return Number.isFinite(n) ? n : d;
  }),
  string: def([], (v) => str(v)),
  to_json: def(['indent', 'sort_keys'], (v, indent, sortKeys = false) => pyJson(v, { indent: indent === undefined ? undefined : Number(indent), sortKeys: Boolean(sortKeys), pos: POS })),
  to_nice_json: def(['indent', 'sort_keys'], (v, indent = 4, sortKeys = true) => pyJson(v, { indent: Number(indent), sortKeys: Boolean(sortKeys), pos: POS })),
  from_json: def([], (v) => {
    try {
      return JSON.parse(str(v));
    } catch (e) {
      throw fail(`from_json: ${(e as Error).message}`);
    }
  }),
  to_yaml: def(['indent'], (v, indent = 2) => pyYaml(v, { indent: Number(indent), flowLeaves: true, pos: POS })),
  to_nice_yaml: def(['indent'], (v, indent = 4) => pyYaml(v, { indent: Number(indent), flowLeaves: false, pos: POS })),
  from_yaml: def([], (v) => fromYaml(str(v))),
  mandatory: def(['msg'], (v, msg) => {
    if (v instanceof Undef) throw new JinjaError(msg === undefined ? `Mandatory variable "${v.name}" not defined.` : str(msg), POS, v.name);
    return v;
  }),
  ternary: def(['true_val', 'false_val', 'none_val'], (v, a, b, n) => (n !== undefined && v === null ? n : truthy(v, POS) ? a : b)),
  regex_replace: def(['regex', 'replace', 'ignorecase', 'multiline', 'count'], (v, re, rep = '', i, m, count = 0) => {
    const r = pyRegex(String(re), `${Number(count) ? '' : 'g'}${i ? 'i' : ''}${m ? 'm' : ''}`, POS);
    let out = str(v);
    for (let n = Number(count) || 1; n > 0; n--) out = out.replace(r, pyReplacement(String(rep)));
    return out;
  }),
  regex_search: def(['regex', 'ignorecase', 'multiline'], (v, re, ...rest: unknown[]) => {
    const flags = rest.filter((x) => typeof x === 'boolean');
    const groups = rest.filter((x) => typeof x === 'string');
    const m = pyRegex(String(re), `${flags[0] ? 'i' : ''}${flags[1] ? 'm' : ''}`, POS).exec(str(v));
    if (!m) return null;
    if (!groups.length) return m[0];
    return groups.map((g) => (/^\\\d+$/.test(String(g)) ? m[Number(String(g).slice(1))] ?? null : /^\\g<(\w+)>$/.test(String(g)) ? m.groups?.[/^\\g<(\w+)>$/.exec(String(g))![1]!] ?? null : null));
  }),
  regex_findall: def(['regex', 'ignorecase', 'multiline'], (v, re, i, m) => {
    const r = pyRegex(String(re), `g${i ? 'i' : ''}${m ? 'm' : ''}`, POS);
    return [...str(v).matchAll(r)].map((x) => (x.length > 2 ? x.slice(1) : x.length === 2 ? x[1] : x[0]));
  }),
  regex_escape: def([], (v) => str(v).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')),
  quote: def([], (v) => quote(str(v))),
  basename: def([], (v) => str(v).split('/').pop() ?? ''),
  dirname: def([], (v) => str(v).split('/').slice(0, -1).join('/')),
  b64encode: def([], (v) => Buffer.from(str(v)).toString('base64')),
  b64decode: def([], (v) => Buffer.from(str(v), 'base64').toString('utf8')),
  hash: def(['hashtype'], (v, alg = 'sha1') => createHash(String(alg)).update(str(v)).digest('hex')),
  checksum: def([], (v) => createHash('sha1').update(str(v)).digest('hex')),
  md5: def([], (v) => createHash('md5').update(str(v)).digest('hex')),
  sha1: def([], (v) => createHash('sha1').update(str(v)).digest('hex')),
  unique: def([], (v) => unique(list(v))),
  union: def([], (a, b) => unique([...list(a), ...list(b)])),
  intersect: def([], (a, b) => unique(list(a).filter((x) => list(b).some((y) => pyEq(x, y))))),
  difference: def([], (a, b) => unique(list(a).filter((x) => !list(b).some((y) => pyEq(x, y))))),
  symmetric_difference: def([], (a, b) => unique([...list(a).filter((x) => !list(b).some((y) => pyEq(x, y))), ...list(b).filter((x) => !list(a).some((y) => pyEq(x, y)))])),
  flatten: def(['levels', 'skip_nulls'], (v, levels, skipNulls = true) => {
    const go = (xs: unknown[], depth: number): unknown[] => xs.flatMap((x) => (Array.isArray(x) && (levels === undefined || levels === null || depth < Number(levels)) ? go(x, depth + 1) : skipNulls && x === null ? [] : [x]));
    return go(list(v), 0);
  }),
  combine: (v, args, kw) => combine([v, ...args], Boolean(kw.recursive), String(kw.list_merge ?? 'replace')),
  dict2items: def(['key_name', 'value_name'], (v, k = 'key', val = 'value') => {
    if (!isDict(v)) throw fail(`dict2items expects a mapping, got ${typeName(v)}`);
    return keysOf(v).map((x) => newDict([[String(k), x], [String(val), v[x]]]));
  }),
  items2dict: def(['key_name', 'value_name'], (v, k = 'key', val = 'value') => newDict(list(v).map((i) => [str(use(attrPath(i, k), POS)), use(attrPath(i, val), POS)] as const))),
  ipaddr: def(['query'], (v, what = 'address') => {
    const [addr, prefix] = str(v).split('/');
    if (what === 'address') return addr;
    if (what === 'prefix') return prefix ? Number(prefix) : addr?.includes(':') ? 128 : 32;
    return v;
  }),
  type_debug: def([], (v) => typeName(v)),
  split: def(['separator'], (v, sep) => (sep === undefined ? str(v).trim().split(/\s+/).filter(Boolean) : str(v).split(str(sep)))),
  zip: (v, args) => {
    const ls = [list(v), ...args.map(list)];
    return Array.from({ length: Math.min(...ls.map((l) => l.length)) }, (_, i) => tuple(ls.map((l) => l[i])));
  },
  // Jinja2
  default: def(['default_value', 'boolean'], (v, d = '', bool = false) => (v instanceof Undef || (bool && !truthy(v, POS)) ? d : v)),
  length: def([], (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : isDict(v) ? keysOf(v).length : (() => { throw fail(`a ${typeName(v)} has no length`); })())),
  join: def(['d', 'attribute'], (v, sep = '', attribute) => list(v).map((x) => str(use(attribute === undefined ? x : attrPath(x, attribute), POS))).join(str(sep))),
  list: def([], (v) => [...list(v)]),
  sort: def(['reverse', 'case_sensitive', 'attribute'], (v, reverse = false, cs = false, attribute) => {
    const out = [...list(v)].sort(sorter(attribute, Boolean(cs)));
    return reverse ? out.reverse() : out;
  }),
  dictsort: def(['case_sensitive', 'by', 'reverse'], (v, cs = false, by = 'key', reverse = false) => {
    if (!isDict(v)) throw fail(`dictsort expects a mapping, got ${typeName(v)}`);
    const out = keysOf(v).map((k) => tuple([k, v[k]])).sort((a, b) => sorter(undefined, Boolean(cs))(a[by === 'value' ? 1 : 0], b[by === 'value' ? 1 : 0]));
    return reverse ? out.reverse() : out;
  }),
  items: def([], (v) => (isDict(v) ? keysOf(v).map((k) => tuple([k, v[k]])) : (() => { throw fail(`items expects a mapping, got ${typeName(v)}`); })())),
  reverse: def([], (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...list(v)].reverse())),
  first: def([], (v) => list(v)[0] ?? new Undef('(first of an empty list)')),
  last: def([], (v) => { const l = list(v); return l.length ? l[l.length - 1] : new Undef('(last of an empty list)'); }),
  min: def(['case_sensitive', 'attribute'], (v, cs, attribute) => [...list(v)].sort(sorter(attribute, Boolean(cs)))[0] ?? new Undef('(min of an empty list)')),
  max: def(['case_sensitive', 'attribute'], (v, cs, attribute) => [...list(v)].sort(sorter(attribute, Boolean(cs))).pop() ?? new Undef('(max of an empty list)')),
  sum: def(['attribute', 'start'], (v, attribute, start = 0) => list(v).reduce<number>((s, x) => s + Number(use(attribute === undefined ? x : attrPath(x, attribute), POS)), Number(start))),
  abs: def([], (v) => Math.abs(Number(v))),
  round: def(['precision', 'method'], (v, p = 0, method = 'common') => {
    const f = 10 ** Number(p);
    const n = Number(v) * f;
    return (method === 'ceil' ? Math.ceil(n) : method === 'floor' ? Math.floor(n) : Math.round(n)) / f;
  }),
  lower: def([], (v) => str(v).toLowerCase()),
  upper: def([], (v) => str(v).toUpperCase()),
  capitalize: def([], (v) => { const s = str(v); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); }),
  title: def([], (v) => str(v).replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())),
  trim: def(['chars'], (v, chars) => (chars === undefined ? str(v).trim() : str(v).replace(new RegExp(`^[${String(chars).replace(/[\]\\^-]/g, '\\$&')}]+|[${String(chars).replace(/[\]\\^-]/g, '\\$&')}]+$`, 'g'), ''))),
  replace: def(['old', 'new', 'count'], (v, a, b, count) => {
    const s = str(v);
    if (count === undefined) return s.split(str(a)).join(str(b));
    let out = s;
    for (let n = Number(count), at = 0; n > 0; n--) {
      const i = out.indexOf(str(a), at);
      if (i < 0) break;
      out = out.slice(0, i) + str(b) + out.slice(i + str(a).length);
      at = i + str(b).length;
    }
    return out;
  }),
  format: (v, args, kw) => printf(str(v), Object.keys(kw).length ? [kw] : args, POS),
  indent: def(['width', 'first', 'blank'], (v, width = 4, first = false, blank = false) => {
    const pad = typeof width === 'string' ? width : ' '.repeat(Number(width));
    return str(v).split('\n').map((l, i) => ((i > 0 || first) && (blank || l.trim() !== '') ? pad + l : l)).join('\n');
  }),
  center: def(['width'], (v, w = 80) => { const s = str(v); const n = Math.max(0, Number(w) - s.length); return ' '.repeat(Math.floor(n / 2)) + s + ' '.repeat(Math.ceil(n / 2)); }),
  wordcount: def([], (v) => str(v).split(/\s+/).filter(Boolean).length),
  truncate: def(['length', 'killwords', 'end', 'leeway'], (v, len = 255, _k, end = '...') => { const s = str(v); return s.length <= Number(len) + 5 ? s : s.slice(0, Number(len) - String(end).length) + String(end); }),
  safe: def([], (v) => v),
  e: def([], (v) => str(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;')),
  urlencode: def([], (v) => encodeURIComponent(str(v))),
  batch: def(['linecount', 'fill_with'], (v, n, fill) => {
    const l = list(v);
    const out: unknown[][] = [];
    for (let i = 0; i < l.length; i += Number(n)) out.push(l.slice(i, i + Number(n)));
    const tail = out[out.length - 1];
    if (fill !== undefined && tail) while (tail.length < Number(n)) tail.push(fill);
    return out;
  }),
  attr: def([], (v, name) => attrPath(v, name)),
  tojson: def(['indent'], (v, indent) => pyJson(v, { indent: indent === undefined ? undefined : Number(indent), sortKeys: true, pos: POS })),
  pprint: def([], (v) => repr(v, POS)),
  map: (v, args, kw) => {
    if (kw.attribute !== undefined) return list(v).map((x) => { const a = attrPath(x, kw.attribute); return a instanceof Undef && kw.default !== undefined ? kw.default : a; });
    const [name, ...rest] = args;
    const f = filterFunction(String(name), POS);
    return list(v).map((x) => f(x, rest, {}, POS));
  },
  select: (v, [test = 'truthy', ...a]) => { const t = testFunction(String(test), POS); return list(v).filter((x) => t(x, a, POS)); },
  reject: (v, [test = 'truthy', ...a]) => { const t = testFunction(String(test), POS); return list(v).filter((x) => !t(x, a, POS)); },
  selectattr: (v, [path, test = 'truthy', ...a]) => { const t = testFunction(String(test), POS); return list(v).filter((x) => t(attrPath(x, path), a, POS)); },
  rejectattr: (v, [path, test = 'truthy', ...a]) => { const t = testFunction(String(test), POS); return list(v).filter((x) => !t(attrPath(x, path), a, POS)); },
  groupby: def(['attribute'], (v, attribute) => {
    const groups: Array<[unknown, unknown[]]> = [];
    for (const x of [...list(v)].sort(sorter(attribute))) {
      const k = use(attrPath(x, attribute), POS);
      const g = groups.find(([gk]) => pyEq(gk, k));
      if (g) g[1].push(x);
      else groups.push(tuple([k, [x]]) as [unknown, unknown[]]);
    }
    return groups;
  }),
};

const ALIASES: Record<string, string> = { d: 'default', count: 'length', escape: 'e', ipaddress: 'ipaddr', ipv4: 'ipaddr', ipv6: 'ipaddr' };
/** The filters that are given an undefined value rather than failing on it. */
const TAKES_UNDEFINED = new Set(['default', 'mandatory']);
const PREFIXES = /^(?:ansible\.builtin|ansible\.utils|ansible\.netcommon|community\.general)\./;
export const FILTER_NAMES = new Set([...Object.keys(IMPLS), ...Object.keys(ALIASES)]);

export function filterFunction(name: string, pos: number): Filter {
  const bare = name.replace(PREFIXES, '');
  const k = ALIASES[bare] ?? bare;
  const impl = Object.prototype.hasOwnProperty.call(IMPLS, k) ? IMPLS[k]! : undefined;
  if (!impl) throw new JinjaError(`no filter named "${name}"`, pos);
  return (v, args, kwargs, p) => {
    const outer = POS;
    POS = p;
    try {
      if (!TAKES_UNDEFINED.has(k)) use(v, p);
      // `default(x)`, `ternary(a, b)` pass undefined arguments through (an error only if chosen and used).
      if (k !== 'default' && k !== 'ternary') [...args, ...Object.values(kwargs)].forEach((a) => use(a, p));
      return impl(v, args, kwargs, p);
    } finally {
      POS = outer;
    }
  };
}

export function callFilter(name: string, v: unknown, args: unknown[], kwargs: Record<string, unknown>, pos: number): unknown {
  return filterFunction(name, pos)(v, args, kwargs, pos);
}
