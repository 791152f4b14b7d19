import type { ConfigIssue } from '../errors.js';
import type { PathSegment, SourceDoc } from '../config/source.js';
import { parseIniValue } from './pyliteral.js';

/**
 * Ansible's INI inventory format, parsed into the same shape as a YAML inventory (group -> hosts, vars,
 * children) so both go through one schema check and one builder. Positions are recorded per field, so a
 * bad value is reported at its file:line like a YAML one.
 */

interface IniGroup {
  hosts?: Record<string, Record<string, unknown> | null>;
  vars?: Record<string, unknown>;
  children?: Record<string, null>;
}

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const CHILD = /^([^:\]\s#;]+)\s*(?:[#;].*)?$/;

/**
 * Parse INI text. `known` holds groups already defined by earlier inventory sources: like Ansible, a
 * `[x:vars]` section or a `[p:children]` entry may only name a group declared somewhere ([x] or
 * [x:children]) in this file or an earlier one.
 */
export function parseIni(text: string, file: string, known: ReadonlySet<string>, issues: ConfigIssue[]): SourceDoc {
  const data: Record<string, IniGroup> = {};
  const positions = new Map<string, { line: number; col: number }>();
  const keyOf = (path: PathSegment[]): string => path.join('\0');
  const at = (path: PathSegment[], line: number, col = 1): void => {
    const key = keyOf(path);
    if (!positions.has(key)) positions.set(key, { line, col });
  };
  const declared = new Set<string>([...known, 'all', 'ungrouped']);
  const varsRefs: { group: string; line: number }[] = [];
  const childRefs: { parent: string; child: string; line: number }[] = [];
  const fail = (line: number, message: string, col = 1): void => {
    issues.push({ file, line, col, message });
  };

  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, idx) => {
    const lineNo = idx + 1;
    const line = rawLine.trim();
    const col = rawLine.length - rawLine.trimStart().length + 1;
    if (!line || line.startsWith('#') || line.startsWith(';')) return;

    const sec = SECTION.exec(line);
    if (sec) {
      group = sec[1]!;
      const kind = sec[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        fail(lineNo, `section [${group}:${kind}] has unknown type "${kind}" (expected [${group}], [${group}:vars] or [${group}:children])`);
        state = 'hosts';
        group = '\0invalid';
        return;
      }
      state = kind;
      if (kind === 'vars') varsRefs.push({ group, line: lineNo });
      else declared.add(group);
      data[group] ??= {};
      at([group], lineNo, col);
      return;
    }
    if (line.startsWith('[')) {
      fail(lineNo, `invalid section header ${JSON.stringify(line)} (expected [group], [group:vars] or [group:children])`);
      return;
    }
    if (group === '\0invalid') return;
    const g = (data[group] ??= {});

    if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        // The line is not echoed: it may be a password written without its "=".
        fail(lineNo, `expected key=value in [${group}:vars] (no "=" on this line)`, col);
        return;
      }
      const key = line.slice(0, eq).trim();
      (g.vars ??= {})[key] = parseIniValue(line.slice(eq + 1));
      at([group, 'vars'], lineNo, col);
      at([group, 'vars', key], lineNo, col + rawLine.trimStart().indexOf('=') + 1);
      return;
    }

    if (state === 'children') {
      const m = CHILD.exec(line);
      if (!m) {
        fail(lineNo, `expected one group name per line in [${group}:children], got ${JSON.stringify(line)}`);
        return;
      }
      (g.children ??= {})[m[1]!] = null;
      childRefs.push({ parent: group, child: m[1]!, line: lineNo });
      at([group, 'children'], lineNo, col);
      at([group, 'children', m[1]!], lineNo, col);
      return;
    }

    let tokens: { text: string; col: number }[];
    try {
      tokens = shellWords(rawLine);
    } catch (e) {
      fail(lineNo, (e as Error).message);
      return;
    }
    if (!tokens.length) return;
    const [hostTok, ...rest] = tokens;
    const host = hostTok!.text;
    const hosts = (g.hosts ??= {});
    const vars = (hosts[host] ??= {}) as Record<string, unknown>;
    at([group, 'hosts'], lineNo, hostTok!.col);
    at([group, 'hosts', host], lineNo, hostTok!.col);
    for (const t of rest) {
      const eq = t.text.indexOf('=');
      if (eq <= 0) {
        fail(lineNo, `host ${host}: expected key=value at column ${t.col} (a word without "=")`, t.col);
        continue;
      }
      const key = t.text.slice(0, eq);
      vars[key] = parseIniValue(t.text.slice(eq + 1));
      at([group, 'hosts', host, key], lineNo, t.col + eq + 1);
    }
  });

  for (const r of varsRefs) {
    if (!declared.has(r.group)) fail(r.line, `section [${r.group}:vars] is for a group that is never declared (no [${r.group}] or [${r.group}:children] section)`);
  }
  for (const r of childRefs) {
    if (!declared.has(r.child)) fail(r.line, `section [${r.parent}:children] includes undefined group "${r.child}" (declare it with a [${r.child}] section)`);
  }

  return {
    file,
    data,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const pos = positions.get(keyOf(path.slice(0, n)));
        if (pos) return pos;
      }
      return { line: 1, col: 1 };
    },
  };
}

/**
 * Split a host line into words like Python's shlex (posix, with comments): quotes group and are removed,
 * `#` outside quotes ends the line. Each word keeps its 1-based column for error positions.
 */
export function shellWords(line: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  let cur: string | null = null;
  let start = 0;
  let i = 0;
  const push = (): void => {
    if (cur !== null) out.push({ text: cur, col: start + 1 });
    cur = null;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      push();
      i++;
      continue;
    }
    if (c === '#') break;
    if (cur === null) {
      cur = '';
      start = i;
    }
    if (c === "'" || c === '"') {
      const end = findClose(line, i + 1, c);
      if (end < 0) throw new Error(`unclosed ${c} quote at column ${i + 1}`);
      const body = line.slice(i + 1, end);
      cur += c === '"' ? body.replace(/\\(["\\$`])/g, '$1') : body;
      i = end + 1;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      i += 2;
      continue;
    }
    cur += c;
    i++;
  }
  push();
  return out;
}

function findClose(line: string, from: number, q: string): number {
  for (let i = from; i < line.length; i++) {
    if (q === '"' && line[i] === '\\') {
      i++;
      continue;
    }
    if (line[i] === q) return i;
  }
  return -1;
}
