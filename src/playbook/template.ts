import type { Vars } from '../types.js';
import type { Expr, Stmt } from './jinja/ast.js';
import { ev, Scope } from './jinja/evaluate.js';
import { FILTER_NAMES } from './jinja/filters.js';
import { GLOBALS, OMIT } from './jinja/globals.js';
import { lex, type Token } from './jinja/lexer.js';
import { parse, parseExpr } from './jinja/parser.js';
import { renderStmts } from './jinja/render.js';
import { assertData, FORBIDDEN_NAMES, JinjaError, NOTHING, ownValue, truthy } from './jinja/values.js';

/**
 * Jinja2 as Ansible runs it, interpreted over plain data (src/playbook/jinja/): no code is generated and a
 * template reaches nothing but the variables' data, filters, tests, a few Python methods and globals.
 * Undefined is Ansible's StrictUndefined: using it is an error naming the variable; `default()`,
 * `is defined` and `omit` are how a template asks about it.
 */

export { OMIT };

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly template: string,
    readonly undefinedNames: string[] = [],
    /** 1-based, in `template`, when known. */
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface RenderOptions {
  /** A `.j2` file (the template module): Python escapes apply in every string literal, as Ansible's template action. */
  file?: boolean;
}

interface Compiled {
  body: Stmt[];
  /** The expression when the template is exactly one `{{ }}` (whitespace around allowed): it keeps its type. */
  single?: Expr;
}

const cache = new Map<string, Compiled | JinjaError>();
const CACHE_MAX = 5000;

/** Parse once per distinct text: a task renders the same templates on every host. A syntax error is cached too. */
function cached(key: string, build: () => Compiled): Compiled {
  let c = cache.get(key);
  if (!c) {
    try {
      c = build();
    } catch (e) {
      if (!(e instanceof JinjaError)) throw e;
      c = e;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, c);
  }
  if (c instanceof JinjaError) throw c;
  return c;
}

function compile(template: string, file: boolean): Compiled {
  return cached((file ? 'f' : 'i') + template, () => {
    const tokens = lex(template, { trimBlocks: true, lstripBlocks: false, literalBackslashesInOutput: !file });
    return { body: parse(tokens), single: singleExpr(tokens) };
  });
}

function singleExpr(tokens: Token[]): Expr | undefined {
  let a = 0;
  let b = tokens.length - 2; // before eof
  const blank = (t: Token | undefined) => t?.k === 'text' && !t.v.trim();
  if (blank(tokens[a])) a++;
  if (blank(tokens[b])) b--;
  if (tokens[a]?.k !== 'var_begin' || tokens[b]?.k !== 'var_end' || b - a < 2) return undefined;
  const inner = tokens.slice(a + 1, b);
  if (inner.some((t) => t.k === 'var_begin' || t.k === 'var_end' || t.k === 'block_begin' || t.k === 'text')) return undefined;
  return parseExpr([...inner, { k: 'eof', v: '', pos: tokens[b]!.pos }]);
}

/** A bare expression (`when:`, `that:`): Python escapes in its strings, as Ansible's `{% if %}` wrapper gives. */
function compileExpr(expr: string): Expr {
  return cached(`e${expr}`, () => {
    const tokens = lex(`{{${expr}}}`, { trimBlocks: true, lstripBlocks: false, literalBackslashesInOutput: false });
    const inner = tokens.slice(1, -2);
    if (tokens[0]?.k !== 'var_begin' || tokens[tokens.length - 2]?.k !== 'var_end' || inner.some((t) => t.k === 'var_end' || t.k === 'text')) {
      throw new JinjaError('expected one expression', -1);
    }
    return { body: [], single: parseExpr([...inner, { k: 'eof', v: '', pos: expr.length + 2 }]) };
  }).single!;
}

const scopeOf = (vars: Vars) => new Scope(null, vars, { steps: 0 });

export function hasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%');
}

/** Render a template string to text. */
export function renderString(template: string, vars: Vars, opts: RenderOptions = {}): string {
  try {
    return renderStmts(compile(template, Boolean(opts.file)).body, scopeOf(vars));
  } catch (e) {
    throw wrap(e, template, 0);
  }
}

/** Evaluate one Jinja expression (no braces) and return its native value. */
export function evaluate(expr: string, vars: Vars): unknown {
  try {
    const e = compileExpr(expr);
    const v = ev(e, scopeOf(vars));
    assertData(v, e.pos);
    return v;
  } catch (e) {
    // Positions are in `{{expr}}`: two characters in.
    throw wrap(e, expr, -2);
  }
}

/**
 * Render a value from YAML: strings that are exactly one `{{ expr }}` keep the expression's native type (a list
 * stays a list, like Ansible); other strings are rendered as text; arrays and objects are rendered deeply.
 */
export function renderValue(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    let c: Compiled;
    try {
      c = compile(value, false);
    } catch (e) {
      throw wrap(e, value, 0);
    }
    if (!c.single) return renderString(value, vars);
    try {
      const v = ev(c.single, scopeOf(vars));
      assertData(v, c.single.pos);
      // Text keeps the blanks written around the expression (`content: "{{ line }}\n"` ends in a newline);
      // only a non-text value (a list, a number) is taken native, as Ansible does.
      if (typeof v === 'string' && value !== value.trim()) return renderString(value, vars);
      return v;
    } catch (e) {
      throw wrap(e, value, 0);
    }
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars)).filter((v) => v !== OMIT);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, renderValue(v, vars)] as const);
    return Object.fromEntries(entries.filter(([, v]) => v !== OMIT));
  }
  return value;
}

/** Ansible `when:`: a bare expression (or a list of them, all must hold); undefined is an error, not false. */
export function evalCondition(cond: unknown, vars: Vars): boolean {
  if (typeof cond === 'boolean') return cond;
  const list = Array.isArray(cond) ? cond : [cond];
  return list.every((c) => {
    if (typeof c === 'boolean') return c;
    const s = String(c).trim();
    const single = /^\{\{(.*)\}\}$/s.exec(s);
    const expr = single && !single[1]!.includes('{{') && !single[1]!.includes('}}') ? single[1]! : s;
    try {
      const e = compileExpr(expr);
      return truthy(ev(e, scopeOf(vars)), e.pos);
    } catch (e) {
      throw wrap(e, expr, -2);
    }
  });
}

/** Names a template refers to that `vars` lacks (read from the parsed template, not guessed). */
export function missingNames(template: string, vars: Vars): string[] {
  let nodes: unknown;
  try {
    nodes = hasTemplate(template) ? compile(template, false).body : compileExpr(template);
  } catch {
    return [];
  }
  const bound = new Set<string>(['loop']);
  const used: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.t === 'name') used.push(o.name as string);
    if (o.t === 'for' || o.t === 'set') (o.targets as string[]).forEach((x) => bound.add(x));
    if (o.t === 'setblock') bound.add(o.name as string);
    if (o.t === 'macro') {
      bound.add(o.name as string);
      (o.params as Array<[string]>).forEach(([p]) => bound.add(p));
    }
    if (o.t !== 'const' && o.t !== 'text') for (const v of Object.values(o)) walk(v);
  };
  walk(nodes);
  return [...new Set(used)].filter((n) => !bound.has(n) && ownValue(vars, n) === NOTHING && !(n in GLOBALS) && !FILTER_NAMES.has(n));
}

function wrap(e: unknown, template: string, shift: number): TemplateError {
  if (e instanceof TemplateError) return e;
  const je = e instanceof JinjaError ? e : null;
  const pos = je && je.pos >= 0 ? Math.max(0, je.pos + shift) : -1;
  const where = place(template, pos);
  const name = je?.undefinedName;
  if (name !== undefined && !name.startsWith('(')) {
    const detail = je!.detail ? ` (${je!.detail})` : '';
    return new TemplateError(`undefined variable "${name}"${detail} in ${where.text}`, template, [name], where.line, where.col);
  }
  let msg = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError) msg = `too deeply nested or recursive (${msg})`;
  else if (!je) msg = `internal error: ${msg}`;
  return new TemplateError(`template error in ${where.text}: ${msg}`, template, [], where.line, where.col);
}

/** A short template is quoted whole; in a long one (a .j2 file), the line and column, and that line. */
function place(template: string, pos: number): { text: string; line?: number; col?: number } {
  const short = template.length <= 200 && !template.includes('\n');
  if (pos < 0) return { text: short ? JSON.stringify(template) : `${JSON.stringify(template.slice(0, 80))}... (${template.length} characters)` };
  const before = template.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  if (short) return { text: JSON.stringify(template), line, col };
  const text = template.split('\n')[line - 1]!;
  return { text: `line ${line}, col ${col}: ${JSON.stringify(text.length > 160 ? `${text.slice(0, 157)}...` : text)}`, line, col };
}

/** Names a template may never reach: what every known escape from a template engine goes through. */
/** Built from the sandbox's own list (jinja/values.ts), so the two cannot drift apart. */
const REACH = new RegExp(`(?:\\.\\s*|\\[\\s*['"])(__[A-Za-z0-9_]*|${FORBIDDEN_NAMES.filter((n) => !n.startsWith('__')).join('|')})\\b`);

/**
 * The forbidden name a template reaches for (`x.__class__`, `range.constructor`, `d['__proto__']`), if any.
 * The sandbox makes such a name undefined, so nothing runs; this tells the operator, before any connection,
 * that a value tries, even where no task uses it.
 */
export function sandboxReach(template: string): string | undefined {
  for (const m of template.matchAll(/\{\{(.*?)\}\}|\{%(.*?)%\}/gs)) {
    const hit = REACH.exec(m[1] ?? m[2] ?? '');
    if (hit) return hit[1];
  }
  return undefined;
}
