import { createHash } from 'node:crypto';
import { parse as fromYaml } from 'yaml';
import { quote } from '../../transport/quote.js';
import { at, attrPath, combine, def, fail, type Filter, list, str, toBool, toInt, unique } from './filter-kit.js';
import { pyRegex, pyReplacement, regexSubject } from './regex.js';
import { pyJson, pyYaml } from './serialize.js';
import { isDict, JinjaError, keysOf, newDict, pyEq, truthy, tuple, typeName, Undef, use } from './values.js';

/** Ansible's filters (ansible.builtin, and the ipaddr basics of ansible.utils), with Ansible's output formats. */

export const ANSIBLE_FILTERS: Record<string, Filter> = {
  bool: def([], toBool),
  int: def(['default', 'base'], toInt),
  float: def(['default'], (v, d = 0) => {
    const n = typeof v === 'number' ? v : parseFloat(String(v));
    return Number.isFinite(n) ? n : d;
  }),
  string: def([], (v) => str(v)),
  to_json: def(['indent', 'sort_keys'], (v, indent, sortKeys = false) => pyJson(v, { indent: indent === undefined ? undefined : Number(indent), sortKeys: Boolean(sortKeys), pos: at.pos })),
  to_nice_json: def(['indent', 'sort_keys'], (v, indent = 4, sortKeys = true) => pyJson(v, { indent: Number(indent), sortKeys: Boolean(sortKeys), pos: at.pos })),
  from_json: def([], (v) => {
    try {
      return JSON.parse(str(v));
    } catch (e) {
      throw fail(`from_json: ${(e as Error).message}`);
    }
  }),
  to_yaml: def(['indent'], (v, indent = 2) => pyYaml(v, { indent: Number(indent), flowLeaves: true, pos: at.pos })),
  to_nice_yaml: def(['indent'], (v, indent = 4) => pyYaml(v, { indent: Number(indent), flowLeaves: false, pos: at.pos })),
  from_yaml: def([], (v) => fromYaml(str(v))),
  mandatory: def(['msg'], (v, msg) => {
    if (v instanceof Undef) throw new JinjaError(msg === undefined ? `Mandatory variable "${v.name}" not defined.` : str(msg), at.pos, v.name);
    return v;
  }),
  ternary: def(['true_val', 'false_val', 'none_val'], (v, a, b, n) => (n !== undefined && v === null ? n : truthy(v, at.pos) ? a : b)),
  regex_replace: def(['regex', 'replace', 'ignorecase', 'multiline', 'count'], (v, re, rep = '', i, m, count = 0) => {
    const r = pyRegex(String(re), `${Number(count) ? '' : 'g'}${i ? 'i' : ''}${m ? 'm' : ''}`, at.pos);
    let out = regexSubject(str(v), at.pos);
    for (let n = Number(count) || 1; n > 0; n--) out = out.replace(r, pyReplacement(String(rep)));
    return out;
  }),
  regex_search: def(['regex', 'ignorecase', 'multiline'], (v, re, ...rest: unknown[]) => {
    const flags = rest.filter((x) => typeof x === 'boolean');
    const groups = rest.filter((x) => typeof x === 'string');
    const m = pyRegex(String(re), `${flags[0] ? 'i' : ''}${flags[1] ? 'm' : ''}`, at.pos).exec(regexSubject(str(v), at.pos));
    if (!m) return null;
    if (!groups.length) return m[0];
    return groups.map((g) => (/^\\\d+$/.test(String(g)) ? m[Number(String(g).slice(1))] ?? null : /^\\g<(\w+)>$/.test(String(g)) ? m.groups?.[/^\\g<(\w+)>$/.exec(String(g))![1]!] ?? null : null));
  }),
  regex_findall: def(['regex', 'ignorecase', 'multiline'], (v, re, i, m) => {
    const r = pyRegex(String(re), `g${i ? 'i' : ''}${m ? 'm' : ''}`, at.pos);
    return [...regexSubject(str(v), at.pos).matchAll(r)].map((x) => (x.length > 2 ? x.slice(1) : x.length === 2 ? x[1] : x[0]));
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
  items2dict: def(['key_name', 'value_name'], (v, k = 'key', val = 'value') => newDict(list(v).map((i) => [str(use(attrPath(i, k), at.pos)), use(attrPath(i, val), at.pos)] as const))),
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
};
