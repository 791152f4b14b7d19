import { ANSIBLE_FILTERS } from './ansible-filters.js';
import { at, attrPath, def, fail, type Filter, list, sorter, str } from './filter-kit.js';
import { printf } from './format.js';
import { pyJson } from './serialize.js';
import { testFunction } from './tests.js';
import { isDict, JinjaError, keysOf, pyEq, repr, truthy, tuple, typeName, Undef, use } from './values.js';

/**
 * Jinja2's builtin filters, then the dispatch: `x | name(args)` finds the filter (FQCN prefixes stripped), checks
 * that its input is defined (except for default and mandatory) and maps keyword arguments onto positions.
 */

const JINJA_FILTERS: Record<string, Filter> = {
  default: def(['default_value', 'boolean'], (v, d = '', bool = false) => (v instanceof Undef || (bool && !truthy(v, at.pos)) ? d : v)),
  length: def([], (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : isDict(v) ? keysOf(v).length : (() => { throw fail(`a ${typeName(v)} has no length`); })())),
  join: def(['d', 'attribute'], (v, sep = '', attribute) => list(v).map((x) => str(use(attribute === undefined ? x : attrPath(x, attribute), at.pos))).join(str(sep))),
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
  sum: def(['attribute', 'start'], (v, attribute, start = 0) => list(v).reduce<number>((s, x) => s + Number(use(attribute === undefined ? x : attrPath(x, attribute), at.pos)), Number(start))),
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
  format: (v, args, kw) => printf(str(v), Object.keys(kw).length ? [kw] : args, at.pos),
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
  tojson: def(['indent'], (v, indent) => pyJson(v, { indent: indent === undefined ? undefined : Number(indent), sortKeys: true, pos: at.pos })),
  pprint: def([], (v) => repr(v, at.pos)),
  map: (v, args, kw) => {
    if (kw.attribute !== undefined) return list(v).map((x) => { const a = attrPath(x, kw.attribute); return a instanceof Undef && kw.default !== undefined ? kw.default : a; });
    const [name, ...rest] = args;
    const f = filterFunction(String(name), at.pos);
    return list(v).map((x) => f(x, rest, {}, at.pos));
  },
  select: (v, [test = 'truthy', ...a]) => { const t = testFunction(String(test), at.pos); return list(v).filter((x) => t(x, a, at.pos)); },
  reject: (v, [test = 'truthy', ...a]) => { const t = testFunction(String(test), at.pos); return list(v).filter((x) => !t(x, a, at.pos)); },
  selectattr: (v, [path, test = 'truthy', ...a]) => { const t = testFunction(String(test), at.pos); return list(v).filter((x) => t(attrPath(x, path), a, at.pos)); },
  rejectattr: (v, [path, test = 'truthy', ...a]) => { const t = testFunction(String(test), at.pos); return list(v).filter((x) => !t(attrPath(x, path), a, at.pos)); },
  groupby: def(['attribute'], (v, attribute) => {
    const groups: Array<[unknown, unknown[]]> = [];
    for (const x of [...list(v)].sort(sorter(attribute))) {
      const k = use(attrPath(x, attribute), at.pos);
      const g = groups.find(([gk]) => pyEq(gk, k));
      if (g) g[1].push(x);
      else groups.push(tuple([k, [x]]) as [unknown, unknown[]]);
    }
    return groups;
  }),
};

const IMPLS: Record<string, Filter> = { ...ANSIBLE_FILTERS, ...JINJA_FILTERS };

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
    const outer = at.pos;
    at.pos = p;
    try {
      if (!TAKES_UNDEFINED.has(k)) use(v, p);
      // `default(x)`, `ternary(a, b)` pass undefined arguments through (an error only if chosen and used).
      if (k !== 'default' && k !== 'ternary') [...args, ...Object.values(kwargs)].forEach((a) => use(a, p));
      return impl(v, args, kwargs, p);
    } finally {
      at.pos = outer;
    }
  };
}

export function callFilter(name: string, v: unknown, args: unknown[], kwargs: Record<string, unknown>, pos: number): unknown {
  return filterFunction(name, pos)(v, args, kwargs, pos);
}
