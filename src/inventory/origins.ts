/**
 * Where each inventory variable was written. Vars objects stay plain records (they are merged, copied and
 * templated everywhere); their origins live beside them, keyed by the object, so that a value checked long
 * after loading (the cluster model reading `lvs_interfaces`) can still be reported at file:line:col.
 */
import { locationAt, type PathSegment, type SourceDoc } from '../config/source.js';
import type { SourceLocation } from '../errors.js';
import type { Vars } from '../types.js';

export interface VarOrigin {
  doc: SourceDoc;
  /** Path of the variable inside `doc` (its key's value). */
  path: PathSegment[];
}

/** Keys written together share one `{doc, base}`: a big inventory costs a map entry per key, nothing more. */
interface Written {
  doc: SourceDoc;
  base: PathSegment[];
}
const origins = new WeakMap<object, Map<string, Written>>();

function mapOf(vars: Vars): Map<string, Written> {
  let m = origins.get(vars);
  if (!m) origins.set(vars, (m = new Map()));
  return m;
}

/** Object.assign(target, source), remembering that each key of `source` sits at `[...base, key]` in `doc`. */
export function assignFrom(target: Vars, source: Vars, doc: SourceDoc, base: PathSegment[]): void {
  Object.assign(target, source);
  const m = mapOf(target);
  const at = { doc, base };
  for (const k of Object.keys(source)) m.set(k, at);
}

/** Mark every key of a document's own top-level mapping as written there (vars files). */
export function recordDoc(vars: Vars, doc: SourceDoc): void {
  const m = mapOf(vars);
  const at = { doc, base: [] };
  for (const k of Object.keys(vars)) m.set(k, at);
}

/** Carry the origins of `source`'s keys over to `target` after they were copied (merges, rest copies). */
export function copyOrigins(target: Vars, source: Vars): void {
  const from = origins.get(source);
  if (!from) return;
  const m = mapOf(target);
  for (const k of Object.keys(source)) {
    const o = from.get(k);
    if (o) m.set(k, o);
    else m.delete(k);
  }
}

export function originOf(vars: Vars, key: string): VarOrigin | undefined {
  const at = origins.get(vars)?.get(key);
  return at && { doc: at.doc, path: [...at.base, key] };
}

/** file:line:col (and the dotted field) of `sub` inside a variable's value. */
export function locateOrigin(o: VarOrigin, sub: PathSegment[] = []): SourceLocation {
  return locationAt(o.doc, [...o.path, ...sub]);
}

