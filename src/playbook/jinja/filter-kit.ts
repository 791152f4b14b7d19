import { access } from './methods.js';
import { isDict, iterate, JinjaError, keysOf, newDict, NOTHING, ownValue, pyCompare, pyEq, toText, truthy, typeName, Undef, use } from './values.js';

/** What the filter implementations share: keyword arguments by name, Jinja's coercions, attribute paths. */

export type Impl = (v: any, ...a: any[]) => unknown;
export type Filter = (v: unknown, args: unknown[], kwargs: Record<string, unknown>, pos: number) => unknown;

/** The position of the filter being applied, for errors thrown deep inside an implementation. */
export const at = { pos: -1 };
export const fail = (msg: string) => new JinjaError(msg, at.pos);

export function def(params: string[], impl: Impl): Filter {
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

export const list = (v: unknown): unknown[] => {
  if (Array.isArray(v)) return v;
  if (v === null) return [];
  if (typeof v === 'string' || isDict(v)) return iterate(v, at.pos);
  return [v];
};
export const str = (v: unknown) => toText(v, at.pos);
/** `a.b.0` attribute paths of map/selectattr/sort: each step is a sandboxed access. */
export function attrPath(x: unknown, path: unknown): unknown {
  let cur = x;
  for (const part of String(path).split('.')) {
    if (cur instanceof Undef) return cur;
    const key = /^\d+$/.test(part) && Array.isArray(cur) ? Number(part) : part;
    const v = access(cur, key, false, at.pos);
    cur = v === NOTHING ? new Undef(`(list item).${String(path)}`, `a ${typeName(x)} in the list has no attribute "${String(path)}"`) : v;
  }
  return cur;
}
export function unique(xs: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of xs) if (!out.some((y) => pyEq(x, y))) out.push(x);
  return out;
}
export const sorter = (attribute?: unknown, caseSensitive = false) => (a: unknown, b: unknown) => {
  let x = attribute === undefined ? a : use(attrPath(a, attribute), at.pos);
  let y = attribute === undefined ? b : use(attrPath(b, attribute), at.pos);
  if (!caseSensitive && typeof x === 'string' && typeof y === 'string') [x, y] = [x.toLowerCase(), y.toLowerCase()];
  return pyCompare(x, y, at.pos);
};
export function toInt(v: unknown, dflt: unknown = 0, base: unknown = 10): unknown {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return Number(v);
  const s = String(v).trim();
  // Jinja's int(): int(value, base), else int(float(value)), else the default ("12abc" is not 12).
  const n = Number(base) === 10 ? (/^[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?$/.test(s) && /\d/.test(s) ? Math.trunc(Number(s.replace(/_/g, ''))) : NaN) : /^[+-]?(0[xob])?[0-9a-f_]+$/i.test(s) ? parseInt(s.replace(/^([+-]?)0[xob]/i, '$1').replace(/_/g, ''), Number(base)) : NaN;
  return Number.isFinite(n) && s !== '' ? n : dflt;
}
/** Ansible's `bool`: yes/no, true/false, on/off, 1/0 strings. */
export const toBool = (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'string') return ['yes', 'true', 'on', '1', 'y'].includes(v.trim().toLowerCase());
  return truthy(v, at.pos);
};
export function combine(objs: unknown[], recursive: boolean, listMerge: string): Record<string, unknown> {
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
