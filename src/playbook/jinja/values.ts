import { types } from 'node:util';

/**
 * The sandbox: what a template may see of a value. A template reaches only data (strings, numbers, booleans,
 * null, arrays, and the own data properties of plain objects), the allowlisted methods (see methods.ts), and
 * the callables lvsible itself creates (filters, tests, globals, macros, loop.cycle). Prototypes, constructors,
 * getters and functions found in data are simply not there: asking for them gives an Undef, which is an error
 * as soon as it is used. Proxies (hostvars) are read by key and nothing else.
 */

export class JinjaError extends Error {
  constructor(message: string, readonly pos = -1, readonly undefinedName?: string, readonly detail?: string) {
    super(message);
    this.name = 'JinjaError';
  }
}

/** A value that is not there, with the path it was asked by (`lvs_director.nothere`) and, if known, why. */
export class Undef {
  constructor(readonly name: string, readonly why?: string) {}
}

/** The only things a template can call. Created by lvsible code, never found in data. */
export class Callable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
    /** Macros take undefined arguments as Jinja does (an error only where used); methods and globals do not. */
    readonly takesUndefined = false,
  ) {}
}

export const undefinedError = (u: Undef, pos: number) =>
  new JinjaError(`"${u.name}" is undefined${u.why ? `: ${u.why}` : ''}`, pos, u.name, u.why);

/** Throws if `v` is undefined: every use of a value except the tests and filters made to ask about it. */
export function use<T>(v: T, pos: number): Exclude<T, Undef> {
  if (v instanceof Undef) throw undefinedError(v, pos);
  return v as Exclude<T, Undef>;
}

// Never reachable, even as own keys of data: the names every known template escape starts from.
export const FORBIDDEN_NAMES = ['constructor', 'prototype', '__proto__', 'mro', 'toString', 'valueOf'] as const;
const FORBIDDEN = new Set<string>(FORBIDDEN_NAMES);
export const forbidden = (k: string) => FORBIDDEN.has(k) || k.startsWith('__');

export function isDict(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || types.isProxy(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
export const isProxy = (v: unknown): v is object => typeof v === 'object' && v !== null && types.isProxy(v);

/** A fresh mapping; keys are defined, not assigned, so a `__proto__` key is data and not a prototype. */
export function newDict(entries: Iterable<readonly [string, unknown]> = []): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Own data property of a plain object, or a key of a Proxy; never a getter, a prototype member or a function. */
export function ownValue(o: Record<string, unknown> | object, k: string): unknown {
  if (forbidden(k)) return NOTHING;
  let v: unknown;
  if (types.isProxy(o)) {
    try {
      v = Reflect.get(o, k);
    } catch (e) {
      throw new JinjaError(`cannot read "${k}": ${(e as Error).message}`);
    }
    if (v === undefined) return NOTHING;
  } else {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (!d || !('value' in d)) return NOTHING;
    v = d.value;
  }
  return typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint' || v === undefined ? NOTHING : v;
}
export const NOTHING: unique symbol = Symbol('nothing');

export const keysOf = (d: Record<string, unknown>) => Object.keys(d).filter((k) => ownValue(d, k) !== NOTHING);

export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  if (isDict(v) || isProxy(v)) return 'dict';
  if (v instanceof Callable) return 'function';
  if (v instanceof Undef) return 'AnsibleUndefined';
  return 'object';
}

/** Arrays that are Python tuples (literals, items(), zip, dictsort): they print as `(1, 'a')`. */
const TUPLES = new WeakSet<unknown[]>();
export function tuple<T extends unknown[]>(a: T): T {
  TUPLES.add(a);
  return a;
}

/** Python/Jinja truth: empty strings, lists and mappings, 0 and none are false; undefined is an error. */
export function truthy(v: unknown, pos: number): boolean {
  use(v, pos);
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return keysOf(v).length > 0;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return Boolean(v);
}

export function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}

/** Python's str(): what `{{ }}` and `~` print. */
export function toText(v: unknown, pos: number): string {
  if (typeof v === 'string') return v;
  return repr(v, pos);
}

/** Python's repr(), which is how str() prints the items of a list or a dict. */
export function repr(v: unknown, pos: number): string {
  if (typeof v === 'string') return reprString(v);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => repr(x, pos));
    return TUPLES.has(v) ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
  }
  if (isDict(v)) return `{${keysOf(v).map((k) => `${reprString(k)}: ${repr(v[k], pos)}`).join(', ')}}`;
  if (v instanceof Undef) throw undefinedError(v, pos);
  if (v instanceof Callable) throw new JinjaError(`${v.name} is a function, not a value to print`, pos);
  throw new JinjaError(`a ${typeName(v)} cannot be printed (it can only be indexed by key)`, pos);
}

function reprString(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const c of s) {
    if (c === q || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c < ' ' || c === '\x7f') out += `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + q;
}

/** Python ==: deep for lists and mappings, True == 1. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const num = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
  if (num(a) && num(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const ka = keysOf(a);
    return ka.length === keysOf(b).length && ka.every((k) => ownValue(b, k) !== NOTHING && pyEq(a[k], b[k]));
  }
  return false;
}

/** Python <, <=, >, >=: numbers with numbers, strings with strings, lists item by item. */
export function pyCompare(a: unknown, b: unknown, pos: number): number {
  const num = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
  if (num(a) && num(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i], pos);
    }
    return a.length - b.length;
  }
  throw new JinjaError(`cannot compare ${typeName(a)} with ${typeName(b)}`, pos);
}

/** What `for` walks: a list's items, a string's characters, a mapping's keys. */
export function iterate(v: unknown, pos: number): unknown[] {
  use(v, pos);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isDict(v)) return keysOf(v);
  throw new JinjaError(`a ${typeName(v)} is not iterable`, pos);
}

/** Python's `in`. */
export function contains(container: unknown, item: unknown, pos: number): boolean {
  use(container, pos);
  use(item, pos);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new JinjaError(`'in <string>' requires a string on the left, not ${typeName(item)}`, pos);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (isDict(container) || isProxy(container)) return (typeof item === 'string' || typeof item === 'number') && ownValue(container, String(item)) !== NOTHING;
  throw new JinjaError(`a ${typeName(container)} cannot contain anything`, pos);
}

/** Deep check of a value leaving the template as data: no undefined inside, no function. */
export function assertData(v: unknown, pos: number): void {
  if (v instanceof Undef) throw undefinedError(v, pos);
  if (v instanceof Callable) throw new JinjaError(`${v.name} is a function, not a value`, pos);
  if (Array.isArray(v)) for (const x of v) assertData(x, pos);
  else if (isDict(v)) for (const k of keysOf(v)) assertData(v[k], pos);
}
