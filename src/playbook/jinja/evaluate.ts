import type { BinaryOp, CompareOp, Expr, Kwarg } from './ast.js';
import { callFilter } from './filters.js';
import { printf } from './format.js';
import { GLOBALS } from './globals.js';
import { access } from './methods.js';
import { runTest } from './tests.js';
import { Callable, contains, JinjaError, newDict, NOTHING, ownValue, pyCompare, pyEq, repr, toText, truthy, tuple, typeName, Undef, use } from './values.js';

/** Budget of loop iterations and macro calls per render: a template cannot keep the control machine busy forever. */
export const MAX_STEPS = 5_000_000;
/** Largest string or list `*` and `range()` may build. */
export const MAX_SIZE = 10_000_000;

/** How deep macros may call macros: a recursion without end is an error at the call, not a JavaScript stack overflow. */
export const MAX_MACRO_DEPTH = 100;

export interface RenderState {
  steps: number;
  /** Macro calls under way (nesting). */
  depth?: number;
}

/** Variables of one template run: locals (set, loop variables, macro arguments) over the caller's vars. */
export class Scope {
  private readonly locals = new Map<string, unknown>();
  constructor(
    readonly parent: Scope | null,
    readonly root: object | null,
    readonly state: RenderState,
  ) {}

  child(): Scope {
    return new Scope(this, null, this.state);
  }
  set(name: string, v: unknown): void {
    this.locals.set(name, v);
  }
  lookup(name: string): unknown {
    for (let s: Scope | null = this; s; s = s.parent) {
      if (s.locals.has(name)) return s.locals.get(name);
      if (s.root) {
        const v = ownValue(s.root, name);
        if (v !== NOTHING) return v;
      }
    }
    return Object.prototype.hasOwnProperty.call(GLOBALS, name) ? GLOBALS[name] : new Undef(name);
  }
  step(pos: number): void {
    if (++this.state.steps > MAX_STEPS) throw new JinjaError(`template does more than ${MAX_STEPS} loop iterations or macro calls`, pos);
  }
}

/** How an expression is named in an error: the variable path as written (`lvs_director.vips[0]`). */
export function pathOf(e: Expr): string {
  switch (e.t) {
    case 'name':
      return e.name;
    case 'attr':
      return `${pathOf(e.obj)}.${e.name}`;
    case 'item':
      return `${pathOf(e.obj)}[${e.key.t === 'const' ? JSON.stringify(e.key.value) : pathOf(e.key)}]`;
    case 'const':
      return typeof e.value === 'string' ? repr(e.value, e.pos) : String(e.value);
    case 'filter':
      return `${pathOf(e.value)} | ${e.name}`;
    case 'call':
      return `${pathOf(e.fn)}(...)`;
    default:
      return '(expression)';
  }
}

export function ev(e: Expr, s: Scope): unknown {
  switch (e.t) {
    case 'const':
      return e.value;
    case 'name':
      return s.lookup(e.name);
    case 'attr':
    case 'item': {
      const obj = ev(e.obj, s);
      // `nothere.x` is `nothere` undefined, as in Ansible: the error names the first missing part.
      if (obj instanceof Undef) return obj;
      const key = e.t === 'attr' ? e.name : use(ev(e.key, s), e.key.pos);
      const v = access(obj, key, e.t === 'attr', e.pos);
      if (v !== NOTHING) return v;
      const path = pathOf(e);
      if (obj === null) return new Undef(path, `"${pathOf(e.obj)}" is none`);
      if (typeof obj === 'object' && !Array.isArray(obj)) return new Undef(path);
      return new Undef(path, `"${pathOf(e.obj)}" is ${/^[aeiou]/.test(typeName(obj)) ? 'an' : 'a'} ${typeName(obj)} without ${typeof key === 'number' ? `index ${key}` : `attribute "${String(key)}"`}`);
    }
    case 'slice':
      return slice(use(ev(e.obj, s), e.pos), e.start && ev(e.start, s), e.stop && ev(e.stop, s), e.step && ev(e.step, s), e.pos);
    case 'call': {
      const fn = use(ev(e.fn, s), e.fn.pos);
      if (!(fn instanceof Callable)) throw new JinjaError(`${pathOf(e.fn)} is not callable (it is a ${typeName(fn)})`, e.pos);
      const args = e.args.map((a) => ev(a, s));
      const kwargs = evKwargs(e.kwargs, s);
      if (!fn.takesUndefined) [...args, ...Object.values(kwargs)].forEach((a) => use(a, e.pos));
      s.step(e.pos);
      return guard(() => fn.call(args, kwargs), e.pos);
    }
    case 'filter':
      return guard(() => callFilter(e.name, ev(e.value, s), e.args.map((a) => ev(a, s)), evKwargs(e.kwargs, s), e.pos), e.pos);
    case 'test': {
      const r = guard(() => runTest(e.name, ev(e.value, s), e.args.map((a) => ev(a, s)), evKwargs(e.kwargs, s), e.pos), e.pos);
      return e.negate ? !r : r;
    }
    case 'unary': {
      const v = ev(e.operand, s);
      if (e.op === 'not') return !truthy(v, e.pos);
      const n = use(v, e.pos);
      if (typeof n !== 'number' && typeof n !== 'boolean') throw new JinjaError(`bad operand for unary ${e.op}: ${typeName(n)}`, e.pos);
      return e.op === '-' ? -Number(n) : Number(n);
    }
    case 'binary': {
      const l = ev(e.left, s);
      if (e.op === 'and') return truthy(l, e.left.pos) ? ev(e.right, s) : l;
      if (e.op === 'or') return truthy(l, e.left.pos) ? l : ev(e.right, s);
      return binary(e.op, l, ev(e.right, s), e.pos);
    }
    case 'compare': {
      let left = ev(e.first, s);
      for (const [op, re] of e.rest) {
        const right = ev(re, s);
        if (!compare(op, use(left, e.first.pos), use(right, re.pos), re.pos)) return false;
        left = right;
      }
      return true;
    }
    case 'cond':
      if (truthy(ev(e.test, s), e.test.pos)) return ev(e.then, s);
      // No else: Ansible prints nothing (checked against ansible-playbook).
      return e.else ? ev(e.else, s) : null;
    case 'list':
      return e.items.map((x) => ev(x, s));
    case 'tuple':
      return tuple(e.items.map((x) => ev(x, s)));
    case 'dict':
      return newDict(
        e.pairs.map(([k, v]) => {
          const key = use(ev(k, s), k.pos);
          if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') throw new JinjaError(`a ${typeName(key)} cannot be a mapping key`, k.pos);
          return [String(key), ev(v, s)] as const;
        }),
      );
  }
}

function evKwargs(kw: Kwarg[], s: Scope): Record<string, unknown> {
  return newDict(kw.map(([k, v]) => [k, ev(v, s)] as const));
}

/** Errors thrown by JavaScript below (a bad regex, an invalid hash name) get the position of the call. */
function guard<T>(f: () => T, pos: number): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof JinjaError) throw e.pos < 0 ? new JinjaError(e.message, pos, e.undefinedName, e.detail) : e;
    throw new JinjaError((e as Error).message ?? String(e), pos);
  }
}

const isNum = (x: unknown): x is number | boolean => typeof x === 'number' || typeof x === 'boolean';

function binary(op: Exclude<BinaryOp, 'and' | 'or'>, a0: unknown, b0: unknown, pos: number): unknown {
  const a = use(a0, pos);
  const b = use(b0, pos);
  if (op === '~') return toText(a, pos) + toText(b, pos);
  const bad = () => new JinjaError(`unsupported operand types for ${op}: ${typeName(a)} and ${typeName(b)}`, pos);
  if (op === '+') {
    if (isNum(a) && isNum(b)) return Number(a) + Number(b);
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    throw bad();
  }
  if (op === '*') {
    if (isNum(a) && isNum(b)) return Number(a) * Number(b);
    const [seq, n] = isNum(b) ? [a, Number(b)] : [b, Number(a)];
    if (!Number.isInteger(n) || !(typeof seq === 'string' || Array.isArray(seq))) throw bad();
    if (seq.length * n > MAX_SIZE) throw new JinjaError(`result of * longer than ${MAX_SIZE}`, pos);
    return typeof seq === 'string' ? seq.repeat(Math.max(0, n)) : Array.from({ length: Math.max(0, n) }, () => seq).flat(1);
  }
  if (op === '%' && typeof a === 'string') return printf(a, b, pos);
  if (!isNum(a) || !isNum(b)) throw bad();
  const x = Number(a);
  const y = Number(b);
  if ((op === '/' || op === '//' || op === '%') && y === 0) throw new JinjaError('division by zero', pos);
  switch (op) {
    case '-':
      return x - y;
    case '/':
      return x / y;
    case '//':
      return Math.floor(x / y);
    case '%':
      return ((x % y) + y) % y;
    case '**':
      return x ** y;
  }
}

function compare(op: CompareOp, a: unknown, b: unknown, pos: number): boolean {
  switch (op) {
    case '==':
      return pyEq(a, b);
    case '!=':
      return !pyEq(a, b);
    case 'in':
      return contains(b, a, pos);
    case 'notin':
      return !contains(b, a, pos);
    case '<':
      return pyCompare(a, b, pos) < 0;
    case '<=':
      return pyCompare(a, b, pos) <= 0;
    case '>':
      return pyCompare(a, b, pos) > 0;
    case '>=':
      return pyCompare(a, b, pos) >= 0;
  }
}

function slice(seq: unknown, start: unknown, stop: unknown, step: unknown, pos: number): unknown {
  if (typeof seq !== 'string' && !Array.isArray(seq)) throw new JinjaError(`a ${typeName(seq)} cannot be sliced`, pos);
  const int = (v: unknown, what: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Number.isInteger(use(v, pos))) throw new JinjaError(`slice ${what} must be an integer`, pos);
    return v as number;
  };
  const items = typeof seq === 'string' ? [...seq] : seq;
  const len = items.length;
  const st = int(step, 'step') ?? 1;
  if (st === 0) throw new JinjaError('slice step cannot be zero', pos);
  const norm = (v: number | undefined, def: number, lo: number, hi: number) => (v === undefined ? def : Math.min(Math.max(v < 0 ? v + len : v, lo), hi));
  const out: unknown[] = [];
  if (st > 0) for (let i = norm(int(start, 'start'), 0, 0, len), e = norm(int(stop, 'stop'), len, 0, len); i < e; i += st) out.push(items[i]);
  else for (let i = norm(int(start, 'start'), len - 1, -1, len - 1), e = norm(int(stop, 'stop'), -1, -1, len - 1); i > e; i += st) out.push(items[i]);
  return typeof seq === 'string' ? out.join('') : out;
}
