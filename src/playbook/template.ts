import { createHash } from 'node:crypto';
import nunjucks from 'nunjucks';
import { stringify as toYaml } from 'yaml';
import type { Vars } from '../types.js';
import { quote } from '../transport/quote.js';

/**
 * Jinja2-compatible templating (nunjucks) with the Ansible filters and tests operators use most, so that
 * `{{ ... }}` in playbooks and `.j2` templates written for Ansible work unchanged.
 */

export class TemplateError extends Error {
  constructor(message: string, readonly template: string, readonly undefinedNames: string[] = []) {
    super(message);
    this.name = 'TemplateError';
  }
}

// @types/nunjucks omits addTest/getTest, which nunjucks has had since 2.x.
type Env = nunjucks.Environment & {
  addTest(name: string, fn: (...a: any[]) => boolean): void;
  getTest(name: string): (...a: any[]) => boolean;
};
const env = new nunjucks.Environment(null, {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: true,
  lstripBlocks: true,
}) as Env;

/** Ansible's `bool` filter: yes/no, true/false, on/off, 1/0 strings. */
const truthy = (v: unknown): boolean => {
  if (typeof v === 'string') return ['yes', 'true', 'on', '1', 'y'].includes(v.trim().toLowerCase());
  return Boolean(v);
};
/** Jinja2's own truth, what `when:` and `ternary` use: a non-empty string, list or mapping is true. */
const jinjaTruth = (v: unknown): boolean => {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
};
const attr = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o == null ? undefined : (o as Record<string, unknown>)[k]), obj);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);

const tests: Record<string, (v: unknown, ...a: any[]) => boolean> = {
  none: (v) => v === null,
  in: (v, list: unknown) => (Array.isArray(list) ? list.includes(v) : typeof list === 'string' ? list.includes(String(v)) : false),
  match: (v, re: string) => new RegExp(`^(?:${re})`).test(String(v)),
  search: (v, re: string) => new RegExp(re).test(String(v)),
  regex: (v, re: string) => new RegExp(re).test(String(v)),
  changed: (v) => Boolean((v as Vars | undefined)?.changed),
  failed: (v) => Boolean((v as Vars | undefined)?.failed),
  succeeded: (v) => !(v as Vars | undefined)?.failed,
  success: (v) => !(v as Vars | undefined)?.failed,
  skipped: (v) => Boolean((v as Vars | undefined)?.skipped),
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => Number.isInteger(v),
  mapping: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  subset: (v, other: unknown[]) => asList(v).every((x) => other.includes(x)),
  superset: (v, other: unknown[]) => other.every((x) => asList(v).includes(x)),
};

const filters: Record<string, (...a: any[]) => unknown> = {
  bool: truthy,
  int: (v: unknown, d = 0) => (Number.isFinite(parseInt(String(v), 10)) ? parseInt(String(v), 10) : d),
  float: (v: unknown, d = 0) => (Number.isFinite(parseFloat(String(v))) ? parseFloat(String(v)) : d),
  string: (v: unknown) => (v == null ? '' : String(v)),
  d: (v: unknown, def: unknown, bool = false) => (v === undefined || (bool && !v) ? def : v),
  to_json: (v: unknown) => JSON.stringify(v),
  to_nice_json: (v: unknown, indent = 4) => JSON.stringify(v, null, indent),
  from_json: (v: string) => JSON.parse(v),
  to_yaml: (v: unknown) => toYaml(v),
  to_nice_yaml: (v: unknown) => toYaml(v),
  mandatory: (v: unknown, msg?: string) => {
    if (v === undefined) throw new Error(msg ?? 'mandatory variable not defined');
    return v;
  },
  ternary: (v: unknown, a: unknown, b: unknown) => (jinjaTruth(v) ? a : b),
  regex_replace: (v: unknown, re: string, rep = '') => String(v).replace(new RegExp(re, 'g'), rep.replace(/\\(\d)/g, '$$$1')),
  regex_search: (v: unknown, re: string) => String(v).match(new RegExp(re))?.[0] ?? null,
  quote: (v: unknown) => quote(String(v)),
  basename: (v: string) => String(v).split('/').pop() ?? '',
  dirname: (v: string) => String(v).split('/').slice(0, -1).join('/'),
  b64encode: (v: string) => Buffer.from(String(v)).toString('base64'),
  b64decode: (v: string) => Buffer.from(String(v), 'base64').toString('utf8'),
  hash: (v: string, alg = 'sha1') => createHash(alg).update(String(v)).digest('hex'),
  unique: (v: unknown[]) => [...new Set(asList(v).map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x)),
  union: (a: unknown[], b: unknown[]) => filters.unique!([...asList(a), ...asList(b)]),
  intersect: (a: unknown[], b: unknown[]) => asList(a).filter((x) => asList(b).includes(x)),
  difference: (a: unknown[], b: unknown[]) => asList(a).filter((x) => !asList(b).includes(x)),
  flatten: (v: unknown[], levels = Infinity) => asList(v).flat(levels),
  combine: (...objs: unknown[]) => Object.assign({}, ...objs.filter((o) => o && typeof o === 'object')),
  dict2items: (v: Record<string, unknown>) => Object.entries(v ?? {}).map(([key, value]) => ({ key, value })),
  items2dict: (v: Array<{ key: string; value: unknown }>) => Object.fromEntries(asList(v).map((i: any) => [i.key, i.value])),
  map: (v: unknown[], ...args: unknown[]) => {
    const kw = args.find((a) => a && typeof a === 'object' && 'attribute' in (a as object)) as { attribute?: string } | undefined;
    if (kw?.attribute) return asList(v).map((x) => attr(x, kw.attribute!));
    const name = args[0] as string;
    const f = filters[name] ?? (env.getFilter(name) as (...a: unknown[]) => unknown);
    return asList(v).map((x) => f(x, ...args.slice(1)));
  },
  select: (v: unknown[], test = 'truthy', ...a: unknown[]) => asList(v).filter((x) => runTest(test, x, a)),
  reject: (v: unknown[], test = 'truthy', ...a: unknown[]) => asList(v).filter((x) => !runTest(test, x, a)),
  selectattr: (v: unknown[], path: string, test = 'truthy', ...a: unknown[]) => asList(v).filter((x) => runTest(test, attr(x, path), a)),
  rejectattr: (v: unknown[], path: string, test = 'truthy', ...a: unknown[]) => asList(v).filter((x) => !runTest(test, attr(x, path), a)),
  ipaddr: (v: string, what = 'address') => {
    const [addr, prefix] = String(v).split('/');
    if (what === 'address') return addr;
    if (what === 'prefix') return prefix ? Number(prefix) : addr?.includes(':') ? 128 : 32;
    return v;
  },
};

function runTest(name: string, value: unknown, args: unknown[]): boolean {
  if (name === 'truthy') return Boolean(value);
  if (name === 'defined') return value !== undefined;
  if (name === 'undefined') return value === undefined;
  if (name === 'equalto' || name === 'eq' || name === '==') return value === args[0];
  if (name === 'ne' || name === '!=') return value !== args[0];
  const t = tests[name] ?? (env.getTest(name) as (v: unknown, ...a: unknown[]) => boolean);
  return t(value, ...args);
}

for (const [n, f] of Object.entries(tests)) env.addTest(n, f);
for (const [n, f] of Object.entries(filters)) env.addFilter(n, f);

/** Capture slot for native-typed evaluation: `{{ expr }}` alone returns the value, not its string form. */
let captured: unknown;
env.addFilter('__lvsible_capture', (v: unknown) => {
  captured = v;
  return '';
});

/** Ansible's `omit`: a parameter whose value renders to this placeholder is dropped. */
export const OMIT = '__omit_place_holder__lvsible';

const SINGLE_EXPR = /^\s*\{\{((?:(?!\}\}|\{\{).)*)\}\}\s*$/s;

export function hasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%');
}

/** Render a template string to text. */
export function renderString(template: string, vars: Vars): string {
  try {
    return env.renderString(template, vars);
  } catch (e) {
    throw wrap(e, template, vars);
  }
}

/** Evaluate one Jinja expression (no braces) and return its native value. */
export function evaluate(expr: string, vars: Vars): unknown {
  captured = undefined;
  const tpl = `{{ (${expr}) | __lvsible_capture }}`;
  try {
    env.renderString(tpl, vars);
  } catch (e) {
    throw wrap(e, `{{ ${expr} }}`, vars);
  }
  // The capture filter's own output is defined, so nunjucks cannot notice an undefined result: we do.
  if (captured === undefined) throw wrap(new Error('undefined value'), `{{ ${expr} }}`, vars);
  return captured;
}

/**
 * Render a value from YAML: strings that are exactly one `{{ expr }}` keep the expression's native type (a list
 * stays a list, like Ansible); other strings are rendered as text; arrays and objects are rendered deeply.
 */
export function renderValue(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    const single = SINGLE_EXPR.exec(value);
    if (single) return evaluate(single[1]!.trim(), vars);
    return renderString(value, vars);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars)).filter((v) => v !== OMIT);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, renderValue(v, vars)] as const);
    return Object.fromEntries(entries.filter(([, v]) => v !== OMIT));
  }
  return value;
}

/** Ansible `when:`: a bare expression (or a list of them, all must hold). */
export function evalCondition(cond: unknown, vars: Vars): boolean {
  if (typeof cond === 'boolean') return cond;
  const list = Array.isArray(cond) ? cond : [cond];
  return list.every((c) => {
    if (typeof c === 'boolean') return c;
    const s = String(c).trim();
    const single = SINGLE_EXPR.exec(s);
    return jinjaTruth(evaluate(single ? single[1]!.trim() : s, vars));
  });
}

const IDENT = /(?<![.\w'"])([A-Za-z_][A-Za-z0-9_]*)/g;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'true', 'false', 'none', 'True', 'False', 'None', 'defined', 'undefined', 'loop']);

/** Names a template refers to that `vars` lacks: what an "undefined variable" error should name. */
export function missingNames(template: string, vars: Vars): string[] {
  const exprs = [...template.matchAll(/\{\{(.*?)\}\}|\{%(.*?)%\}/gs)].map((m) => m[1] ?? m[2] ?? '');
  const body = exprs.length ? exprs.join(' ') : template;
  const stripped = body.replace(/'[^']*'|"[^"]*"/g, ' ').replace(/\|\s*[A-Za-z_]\w*/g, ' ').replace(/\bis\s+(not\s+)?[A-Za-z_]\w*/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(IDENT)) {
    const n = m[1]!;
    if (!KEYWORDS.has(n) && !(n in vars) && !/\(\s*$/.test(stripped.slice(0, m.index! + n.length + 1).slice(-1))) names.add(n);
  }
  return [...names].filter((n) => !(n in filters) && !(n in tests) && n !== 'range' && n !== 'lookup' && n !== 'dict');
}

function wrap(e: unknown, template: string, vars: Vars): TemplateError {
  const msg = e instanceof Error ? e.message.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ').trim() : String(e);
  const missing = /undefined|null/.test(msg) ? missingNames(template, vars) : [];
  const friendly = missing.length
    ? `undefined variable${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} in ${JSON.stringify(template)}`
    : `template error in ${JSON.stringify(template)}: ${msg}`;
  return new TemplateError(friendly, template, missing);
}
