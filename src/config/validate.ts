import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigIssue } from '../errors.js';
import { issueAt, keyIssueAt, type PathSegment, type SourceDoc } from './source.js';

/** The one Ajv instance: schemas are compiled once and cached by identity. */
// verbose: errors carry the value they are about, so a message can say what was found ("not a list").
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, allowUnionTypes: true, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const fn = ajv.compile(schema);
  compiled.set(schema, fn);
  return fn;
}

/**
 * Validate `data` (found at `basePath` inside `doc`) against `schema`; return every problem at once,
 * each located at its file:line:col and worded for an operator rather than as a JSON pointer.
 */
export function validate(schema: object, data: unknown, doc: SourceDoc, basePath: PathSegment[] = []): ConfigIssue[] {
  const fn = compile(schema);
  if (fn(data)) return [];
  const errors = simplify(fn.errors ?? []);
  const issues = errors.slice(0, MAX_ISSUES_PER_FILE).map((e) => {
    const path = [...basePath, ...pointerToPath(e.instancePath)];
    // An unknown field is best shown on its own line (at its key), not on the mapping that holds it.
    if (e.keyword === 'additionalProperties') {
      path.push(String((e.params as { additionalProperty: string }).additionalProperty));
      return keyIssueAt(doc, path, describe(e));
    }
    return issueAt(doc, path, describe(e));
  });
  if (errors.length > MAX_ISSUES_PER_FILE) {
    const last = issues[issues.length - 1]!;
    issues.push({ file: doc.file, line: last.line, col: last.col, message: `and ${errors.length - MAX_ISSUES_PER_FILE} more problems of this kind in this file (the first ${MAX_ISSUES_PER_FILE} are listed)` });
  }
  return issues;
}

/**
 * Every problem at once, up to a point: a generated inventory with the same mistake on 50k hosts gives an
 * error list nobody reads (and that callers spread into arrays); the first ones show the pattern.
 */
export const MAX_ISSUES_PER_FILE = 1000;

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** anyOf/oneOf produce one error per branch; keep the most specific ones and drop the noise. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const deepest = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const list = deepest.get(e.instancePath) ?? [];
    list.push(e);
    deepest.set(e.instancePath, list);
  }
  // Every proper prefix of an erroneous path, so "does a deeper path have errors" is one lookup, not a scan.
  const parents = new Set<string>();
  for (const path of deepest.keys()) {
    for (let i = path.lastIndexOf('/'); i >= 0 && !parents.has(path.slice(0, i)); i = path.lastIndexOf('/', i - 1)) parents.add(path.slice(0, i));
  }
  const out: ErrorObject[] = [];
  for (const [path, list] of deepest) {
    // When a deeper path has errors, a parent's "type" errors from other branches are just noise.
    const hasDeeper = parents.has(path);
    const kept = hasDeeper ? list.filter((e) => e.keyword !== 'type' && e.keyword !== 'enum') : list;
    const seen = new Set<string>();
    for (const e of kept.length ? kept : list) {
      const key = describe(e);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(e);
      }
    }
  }
  if (!out.length) return errors.slice(0, 1);
  return out;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required field "${p.missingProperty}"`;
    case 'additionalProperties':
      return `unknown field "${p.additionalProperty}"`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${shown(e.data)}`;
    case 'type':
      return `must be ${String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ')}, not ${kindOf(e.data)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${p.comparison} ${p.limit}`;
    case 'pattern':
      // JSON-quoted: a pattern may hold a newline or other control characters, and an issue is one line.
      return `does not look right (expected to match ${JSON.stringify(p.pattern)})${shown(e.data)}`;
    case 'format':
      return `must be a valid ${p.format}`;
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters`;
    case 'minItems':
      return `must have at least ${p.limit} item(s)`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Types in an operator's words: YAML calls them mappings and lists. */
const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'boolean') return String(v);
  return `${typeof v} ${String(v)}`;
}

/** The offending value, when it is short and plain enough to quote (secrets are masked on the one error path). */
function shown(v: unknown): string {
  if (typeof v === 'string') return `, got ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `, got ${String(v)}`;
  return '';
}
