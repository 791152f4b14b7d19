import { readInputText } from '../config/read.js';
import { safeRegExp } from '../grammar/regex-safety.js';
import { groupHosts, type Inventory } from './model.js';

/**
 * Ansible host patterns, for play `hosts:` and `--limit`:
 *   all, *            every host
 *   web, web1         a group (with its child groups) or a host
 *   web*, db?.lan     shell-style globs over group and host names
 *   ~web\d+           a regular expression (anchored at the start, like Python's re.match)
 *   a:b  a,b          union;  a:&b  intersection;  a:!b  exclusion
 *   web[0] web[1:3]   subscripts into a group's hosts (inclusive, like Ansible)
 * Ansible's order of operations: unions first, then intersections, then exclusions; a pattern made only of
 * intersections/exclusions starts from `all`. Results come back in inventory order. A term that matches
 * nothing is a warning, not an error, as in Ansible.
 */

export interface PatternOptions {
  /** `--limit`: the result is further intersected with this pattern. `@file` reads host names from a file. */
  limit?: string;
  /** Warnings are appended here (unmatched terms). */
  warnings?: string[];
}

export function resolvePattern(inv: Inventory, pattern: string | string[], opts: PatternOptions = {}): string[] {
  const warnings = opts.warnings ?? [];
  let hosts = evaluate(inv, termsOf(pattern), warnings);
  if (opts.limit !== undefined) {
    const allowed = new Set(evaluate(inv, termsOf(opts.limit), warnings));
    hosts = hosts.filter((h) => allowed.has(h));
  }
  return hosts;
}

export function resolvePatternDetailed(inv: Inventory, pattern: string | string[], limit?: string): { hosts: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const hosts = resolvePattern(inv, pattern, limit === undefined ? { warnings } : { warnings, limit });
  return { hosts, warnings };
}

/** `@file` (what `--limit @retry-file` passes) is a list of host names, one a line; anything else a pattern. */
function termsOf(pattern: string | string[]): string[] {
  return typeof pattern === 'string' && pattern.startsWith('@') ? readLimitFile(pattern.slice(1)) : splitPattern(pattern);
}

/** Split on `,` and on `:` outside brackets; an IPv6 address stays whole. */
export function splitPattern(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitPattern(p));
  return scanPattern(pattern).terms;
}

/** The terms of a pattern, and whether a `[` was left open (then the pattern means nothing: see patternProblems). */
function scanPattern(pattern: string): { terms: string[]; unclosed: boolean } {
  const terms: string[] = [];
  let unclosed = false;
  for (const part of pattern.split(',')) {
    const p = part.trim();
    if (!p) continue;
    if (isIPv6(p.replace(/^[!&]/, ''))) {
      terms.push(p);
      continue;
    }
    let term = '';
    let depth = 0;
    for (const c of p) {
      if (c === '[') depth++;
      else if (c === ']' && depth > 0) depth--;
      if (depth === 0 && (c === ':' || /\s/.test(c))) {
        if (term) terms.push(term);
        term = '';
      } else term += c;
    }
    if (depth > 0) unclosed = true;
    if (term) terms.push(term);
  }
  return { terms, unclosed };
}

/**
 * What makes a pattern unusable, before any host is contacted: a pattern that cannot be parsed must not
 * quietly match more (or other) hosts than the operator wrote. Ansible would treat some of these as a literal
 * name that matches nothing; on a production cluster a refusal is the safer reading.
 */
export function patternProblems(pattern: string): string[] {
  const problems: string[] = [];
  const { terms, unclosed } = scanPattern(pattern);
  // The terms of a pattern with an open bracket are guesses: one problem says it all.
  if (unclosed) return [`unclosed "[" in host pattern "${pattern}"`];
  if (!terms.length) problems.push('empty host pattern');
  for (const raw of terms) {
    const t = raw.replace(/^[!&]/, '');
    if (!t) {
      problems.push(`"${raw}" in host pattern "${pattern}" names no group or host`);
      continue;
    }
    if (/[\u0000-\u001f\u007f]/.test(t)) problems.push(`control character in host pattern term ${JSON.stringify(raw)}`);
    if (t.startsWith('~')) {
      if (t.length === 1) problems.push(`"~" in host pattern "${pattern}" has no regular expression after it`);
      else {
        try {
          safeRegExp(t.slice(1));
        } catch (e) {
          problems.push(`invalid regular expression in host pattern term "${raw}": ${(e as Error).message}`);
        }
      }
      continue;
    }
    const open = t.indexOf('[');
    if (open >= 0) {
      const body = t.slice(open + 1, t.lastIndexOf(']'));
      const subscript = /^(?:-?[0-9]+|[0-9]+[:-][0-9]*)$/.test(body);
      if (!subscript && (!body || !t.endsWith(']') && t.indexOf(']') < 0)) problems.push(`"${raw}": "[${body}]" is neither a subscript ([0], [1:3]) nor a character class`);
      const range = /^([0-9]+)[:-]([0-9]+)$/.exec(body);
      if (range && Number(range[2]) < Number(range[1])) problems.push(`"${raw}": subscript range ends before it starts`);
    }
  }
  return problems;
}

function isIPv6(s: string): boolean {
  return /^[0-9A-Fa-f:]+$/.test(s) && (s.includes('::') || (s.match(/:/g)?.length ?? 0) === 7);
}

function evaluate(inv: Inventory, terms: string[], warnings: string[]): string[] {
  const regular = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const inter = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1));
  const excl = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
  if (!regular.length && terms.length) regular.push('all');
  const chosen = new Set<string>();
  for (const t of regular) for (const h of matchTerm(inv, t, warnings)) chosen.add(h);
  for (const t of inter) {
    const keep = new Set(matchTerm(inv, t, warnings));
    for (const h of [...chosen]) if (!keep.has(h)) chosen.delete(h);
  }
  for (const t of excl) for (const h of matchTerm(inv, t, warnings)) chosen.delete(h);
  return [...inv.hosts.keys()].filter((h) => chosen.has(h));
}

/**
 * The terms of a pattern that name nothing: no host, no group (an existing group that is empty is fine), or a
 * subscript past the end of its group. Ansible warns and carries on; lvsible refuses, because on a cluster a
 * typo in `hosts:` or `--limit` silently skips (or, after `!`, silently includes) production hosts.
 */
export function unmatchedTerms(inv: Inventory, pattern: string): string[] {
  if (pattern.startsWith('@')) return [];
  const out: string[] = [];
  for (const raw of splitPattern(pattern)) {
    const t = raw.replace(/^[!&]/, '');
    if (t === 'all' || t === '*' || inv.groups.has(t) || inv.hosts.has(t)) continue;
    const sub = SUBSCRIPT.exec(t);
    if (sub && (inv.groups.has(sub[1]!) || inv.hosts.has(sub[1]!))) {
      if (!matchTerm(inv, t, []).length) out.push(raw);
      continue;
    }
    if (!matchTerm(inv, t, []).length) out.push(raw);
  }
  return out;
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]*))\]$/;

function matchTerm(inv: Inventory, term: string, warnings: string[]): string[] {
  if (term.startsWith('~')) return enumerate(inv, term, warnings);
  const sub = SUBSCRIPT.exec(term);
  // "web[1:3]" is a subscript only when "web" names something; otherwise it is a glob character class.
  if (!sub || !enumerate(inv, sub[1]!, []).length) return enumerate(inv, term, warnings);
  const hosts = enumerate(inv, sub[1]!, warnings);
  if (sub[2] !== undefined) {
    const i = Number(sub[2]);
    const h = hosts[i < 0 ? hosts.length + i : i];
    return h === undefined ? [] : [h];
  }
  const start = Number(sub[3]);
  const end = sub[4] ? Number(sub[4]) : hosts.length - 1;
  return hosts.slice(start, end + 1);
}

/** Hosts of every group the term matches, plus hosts it matches by name; in inventory order. */
function enumerate(inv: Inventory, term: string, warnings: string[]): string[] {
  if (term === 'all' || term === '*') return [...inv.hosts.keys()];
  const matcher = toMatcher(term);
  const found = new Set<string>();
  const groups = [...inv.groups.keys()].filter(matcher);
  for (const g of groups) for (const h of groupHosts(inv, g)) found.add(h);
  if (!groups.length || term.startsWith('~') || /[.?*[]/.test(term)) {
    for (const h of inv.hosts.keys()) if (matcher(h)) found.add(h);
  }
  if (!found.size && !groups.length) warnings.push(`Could not match supplied host pattern, ignoring: ${term}`);
  return [...inv.hosts.keys()].filter((h) => found.has(h));
}

function toMatcher(term: string): (name: string) => boolean {
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = safeRegExp(term.slice(1));
    } catch (e) {
      throw new Error(`invalid regular expression in host pattern "${term}": ${(e as Error).message}`);
    }
    return (name) => re.exec(name)?.index === 0;
  }
  if (!/[*?[]/.test(term)) return (name) => name === term;
  const re = globToRegExp(term);
  return (name) => re.test(name);
}

/** Python fnmatch semantics: * ? [seq] [!seq], whole-name match, case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

function readLimitFile(file: string): string[] {
  return readInputText(file)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
