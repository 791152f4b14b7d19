import { pyRegex, regexSubject } from './regex.js';
import { Callable, contains, isDict, isProxy, JinjaError, ownValue, NOTHING, pyCompare, pyEq, truthy, typeName, Undef, use } from './values.js';

/**
 * Jinja2's tests (`x is defined`) with Ansible's additions. `defined`/`undefined` and the type tests answer
 * for an undefined value, as in Ansible (`nothere is none` is false); every other test needs a value.
 */

type Test = (v: unknown, args: unknown[], pos: number) => boolean;

const num = (v: unknown) => typeof v === 'number';
const result = (key: string) => (v: unknown) => isDict(v) && Boolean(ownValue(v, key) !== NOTHING && v[key]);
const regexTest = (anchored: boolean) => (v: unknown, [re, ignorecase, multiline]: unknown[], pos: number) => {
  const r = pyRegex(String(re), `${ignorecase ? 'i' : ''}${multiline ? 'm' : ''}${anchored ? 'y' : ''}`, pos);
  return r.test(regexSubject(String(v), pos));
};

const OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

/** LooseVersion-style: numbers compare as numbers, words as words, `1.10` > `1.9`. */
function versionCompare(a: string, b: string): number {
  const parts = (s: string) => s.match(/\d+|[a-z]+/gi) ?? [];
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const c = /^\d+$/.test(p) && /^\d+$/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (c) return c;
  }
  return 0;
}

const cmp = (f: (c: number) => boolean): Test => (v, [o], pos) => f(pyCompare(v, use(o, pos), pos));
const list = (v: unknown, pos: number): unknown[] => {
  if (Array.isArray(v)) return v;
  throw new JinjaError(`expected a list, got ${typeName(v)}`, pos);
};

const TESTS: Record<string, Test> = {
  defined: (v) => !(v instanceof Undef),
  undefined: (v) => v instanceof Undef,
  none: (v) => v === null,
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  integer: (v) => Number.isInteger(v),
  float: (v) => num(v) && !Number.isInteger(v),
  number: num,
  string: (v) => typeof v === 'string',
  mapping: (v) => isDict(v) || isProxy(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string' || isDict(v),
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isDict(v),
  callable: (v) => v instanceof Callable,
  lower: (v) => String(v) === String(v).toLowerCase(),
  upper: (v) => String(v) === String(v).toUpperCase(),
  odd: (v) => Number(v) % 2 !== 0,
  even: (v) => Number(v) % 2 === 0,
  divisibleby: (v, [n]) => Number(v) % Number(n) === 0,
  truthy: (v, _a, pos) => truthy(v, pos),
  falsy: (v, _a, pos) => !truthy(v, pos),
  eq: (v, [o]) => pyEq(v, o),
  ne: (v, [o]) => !pyEq(v, o),
  lt: cmp((c) => c < 0),
  le: cmp((c) => c <= 0),
  gt: cmp((c) => c > 0),
  ge: cmp((c) => c >= 0),
  in: (v, [seq], pos) => contains(seq, v, pos),
  contains: (v, [x], pos) => contains(v, x, pos),
  sameas: (v, [o]) => v === o,
  escaped: () => false,
  match: regexTest(true),
  search: regexTest(false),
  regex: (v, [re, ignorecase, multiline, type = 'search'], pos) => regexTest(type === 'match')(v, [re, ignorecase, multiline], pos),
  subset: (v, [o], pos) => list(v, pos).every((x) => list(o, pos).some((y) => pyEq(x, y))),
  superset: (v, [o], pos) => list(o, pos).every((x) => list(v, pos).some((y) => pyEq(x, y))),
  changed: result('changed'),
  failed: result('failed'),
  skipped: result('skipped'),
  succeeded: (v) => !result('failed')(v),
  version: (v, [other, op = 'eq'], pos) => {
    const f = OPS[String(op)];
    if (!f) throw new JinjaError(`version test: unknown operator ${JSON.stringify(op)}`, pos);
    return f(versionCompare(String(v), String(use(other, pos))));
  },
};
const ALIASES: Record<string, string> = {
  equalto: 'eq', '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', greaterthan: 'gt', lessthan: 'lt',
  success: 'succeeded', succeeded: 'succeeded', change: 'changed', failure: 'failed', skip: 'skipped',
  version_compare: 'version', superset: 'superset', issuperset: 'superset', issubset: 'subset',
};
const ASKS_UNDEFINED = new Set(['defined', 'undefined', 'none', 'boolean', 'true', 'false', 'integer', 'float', 'number', 'string', 'mapping', 'sequence', 'iterable', 'callable']);

const PREFIXES = /^(?:ansible\.builtin|ansible\.utils|ansible\.netcommon|community\.general)\./;

export function testFunction(name: string, pos: number): Test {
  const bare = name.replace(PREFIXES, '');
  const key = ALIASES[bare] ?? bare;
  const t = Object.prototype.hasOwnProperty.call(TESTS, key) ? TESTS[key] : undefined;
  if (!t) throw new JinjaError(`no test named "${name}"`, pos);
  return ASKS_UNDEFINED.has(key) ? t : (v, args, p) => t(use(v, p), args.map((a) => use(a, p)), p);
}

export function runTest(name: string, v: unknown, args: unknown[], kwargs: Record<string, unknown>, pos: number): boolean {
  // The regex tests' keywords (the only ones playbooks pass to tests) go where their positional forms are.
  const a = [...args];
  ['ignorecase', 'multiline', 'match_type'].forEach((k, i) => {
    if (Object.prototype.hasOwnProperty.call(kwargs, k)) a[i + 1] = kwargs[k];
  });
  return testFunction(name, pos)(v, a, pos);
}
