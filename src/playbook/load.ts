import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, displayPath, type ConfigIssue, type SourceLocation } from '../errors.js';
import type { Vars } from '../types.js';
import { issueAt, keyIssueAt, loadYaml, locationAt, locationsUnder, type PathSegment, type SourceDoc } from '../config/source.js';
import { hasTemplate } from './template.js';
import { validate } from '../config/validate.js';
import { playbookSchema, taskFileSchema } from './schema.js';
import { closest, parseTask } from './task.js';
import { maxFailProblem, serialEntryProblem, serialList } from './serial.js';
import type { Inherited, Play, Playbook, Task } from './types.js';

/** Roles shipped with lvsible (director, realserver): the last place a role is looked for. */
export const BUILTIN_ROLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../roles');

/**
 * Load a playbook with its roles, vars_files and imported task files. Every problem in every file is
 * collected and thrown together as one ConfigError: the operator fixes them in one go, and nothing connects.
 */
export function loadPlaybook(file: string, opts: { rolesPath?: string[] } = {}): Playbook {
  const issues: ConfigIssue[] = [];
  const playbook = readPlaybook(file, issues, opts);
  if (issues.length || !playbook) throw new ConfigError(issues);
  return playbook;
}

/**
 * The same, collecting: problems go into `issues`, and the playbook comes back whenever its structure is
 * sound (the plays parse), so that the checks that follow (host patterns, every task on every host) still
 * run and report their problems in the same list. Tasks that could not be parsed are left out of it.
 */
export function readPlaybook(file: string, issues: ConfigIssue[], opts: { rolesPath?: string[] } = {}): Playbook | undefined {
  let doc: SourceDoc;
  try {
    doc = loadYaml(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
    return undefined;
  }
  const dir = dirname(resolve(file));
  const rolesPath = [
    join(dir, 'roles'),
    ...(opts.rolesPath ?? []),
    ...(process.env.LVSIBLE_ROLES_PATH ?? process.env.ANSIBLE_ROLES_PATH ?? '').split(':').filter(Boolean),
    BUILTIN_ROLES_DIR,
  ];
  if (doc.data == null) {
    issues.push({ file: doc.file, line: 1, col: 1, message: 'the playbook is empty: expected a list of plays (- hosts: ...)' });
    return undefined;
  }
  const invalid = validate(playbookSchema, doc.data, doc);
  issues.push(...invalid);
  if (invalid.length) return undefined;
  const plays = (doc.data as Record<string, unknown>[]).map((raw, i) => loadPlay(raw, doc, [i], dir, rolesPath, issues));
  return { file, dir, plays };
}

function loadPlay(
  raw: Record<string, unknown>,
  doc: SourceDoc,
  path: PathSegment[],
  dir: string,
  rolesPath: string[],
  issues: ConfigIssue[],
): Play {
  const hosts = Array.isArray(raw.hosts) ? raw.hosts.join(':') : String(raw.hosts);
  const vars: Vars = {};
  const varLocs: Record<string, SourceLocation> = {};
  for (const [j, f] of ((raw.vars_files as string[] | undefined) ?? []).entries()) {
    if (hasTemplate(f)) {
      issues.push(issueAt(doc, [...path, 'vars_files', j], `vars_files: a templated path (${JSON.stringify(f)}) is not rendered by lvsible yet; name the file, or pass its variables with -e @FILE`));
      continue;
    }
    const loaded = loadVarsFile(resolveFrom(dir, f), doc, [...path, 'vars_files', j], issues, false, varLocs);
    Object.assign(vars, loaded);
  }
  Object.assign(vars, (raw.vars as Vars | undefined) ?? {});
  Object.assign(varLocs, locationsUnder(doc, [...path, 'vars'], Object.keys((raw.vars as Vars | undefined) ?? {})));
  const playTags = list(raw.tags);
  const base: Inherited = { tags: playTags, when: [], vars: {}, noLog: raw.no_log === true };
  const roleDefaults: Vars = {};
  const roleVars: Vars = {};
  const tasks: Task[] = [];
  const handlers: Task[] = [];

  const section = (key: string) => parseTaskList(raw[key], doc, [...path, key], { baseDir: dir, inherited: base }, issues);
  for (const t of section('pre_tasks')) tasks.push(t);
  for (const [j, entry] of ((raw.roles as unknown[] | undefined) ?? []).entries()) {
    const r = typeof entry === 'string' ? { role: entry } : (entry as Record<string, unknown>);
    const name = String(r.role);
    const roleDir = rolesPath.map((p) => join(p, name)).find((p) => existsSync(p));
    if (!roleDir) {
      issues.push(issueAt(doc, [...path, 'roles', j], `role "${name}" not found (looked in: ${rolesPath.join(', ')})`));
      continue;
    }
    const { role: _r, vars: rv, when, tags, become, become_user: becomeUser, no_log: noLog, ...params } = r;
    const roleAt = [...path, 'roles', j];
    const inherited: Inherited = {
      tags: [...playTags, ...list(tags)],
      when: when === undefined ? [] : Array.isArray(when) ? when : [when],
      vars: { ...params, ...((rv as Vars | undefined) ?? {}) },
      varLocs: {
        ...locationsUnder(doc, roleAt, Object.keys(params)),
        ...locationsUnder(doc, [...roleAt, 'vars'], Object.keys((rv as Vars | undefined) ?? {})),
      },
      become: become as boolean | undefined,
      becomeUser: becomeUser as string | undefined,
      noLog: typeof noLog === 'boolean' ? noLog : base.noLog,
    };
    Object.assign(roleDefaults, loadVarsFile(mainFile(roleDir, 'defaults'), doc, [...path, 'roles', j], issues, true));
    Object.assign(roleVars, loadVarsFile(mainFile(roleDir, 'vars'), doc, [...path, 'roles', j], issues, true));
    for (const t of loadTaskFile(mainFile(roleDir, 'tasks'), { baseDir: roleDir, role: name, inherited }, issues, true)) tasks.push(t);
    for (const t of loadTaskFile(mainFile(roleDir, 'handlers'), { baseDir: roleDir, role: name, inherited }, issues, true)) handlers.push(t);
  }
  // Loops, not push(...list): a spread of 100k+ tasks overflows the stack.
  for (const t of [...section('tasks'), ...section('post_tasks')]) tasks.push(t);
  for (const t of section('handlers')) handlers.push(t);
  checkNotify(tasks, handlers, issues);
  const { line, col } = doc.locate(path);
  return {
    name: typeof raw.name === 'string' ? raw.name : hosts,
    hosts,
    vars,
    varLocs,
    roleDefaults,
    roleVars,
    become: raw.become as boolean | undefined,
    becomeUser: raw.become_user as string | undefined,
    gatherFacts: raw.gather_facts !== false,
    tasks,
    handlers,
    loc: { file: doc.file, line, col },
    hostsLoc: locationAt(doc, [...path, 'hosts']),
    ...serialKeys(raw, doc, path, issues),
  };
}

/**
 * `serial`, `max_fail_percentage` and `any_errors_fatal`. The schema took their shape; what needs no template is
 * checked here as Ansible would read it, so a bad value is refused at its line before any connection. A template
 * is rendered (and checked the same way) when the run starts, still before connecting (src/engine/serial.ts).
 */
function serialKeys(raw: Record<string, unknown>, doc: SourceDoc, path: PathSegment[], issues: ConfigIssue[]): Partial<Play> {
  const out: Partial<Play> = {};
  if (raw.serial !== undefined && raw.serial !== null) {
    out.serial = raw.serial;
    out.serialLoc = locationAt(doc, [...path, 'serial']);
    serialList(raw.serial).forEach((v, j) => {
      if (typeof v === 'string' && hasTemplate(v)) return;
      const problem = serialEntryProblem(v);
      if (problem) issues.push(issueAt(doc, Array.isArray(raw.serial) ? [...path, 'serial', j] : [...path, 'serial'], problem));
    });
  }
  if (raw.max_fail_percentage !== undefined) {
    const v = raw.max_fail_percentage;
    out.maxFailPercentage = v;
    out.maxFailLoc = locationAt(doc, [...path, 'max_fail_percentage']);
    const problem = typeof v === 'string' && hasTemplate(v) ? undefined : maxFailProblem(v);
    if (problem) issues.push(issueAt(doc, [...path, 'max_fail_percentage'], problem));
  }
  if (raw.any_errors_fatal === true) out.anyErrorsFatal = true;
  return out;
}

/**
 * A `notify` that names no handler would silently never run it (a keepalived reload that never happens).
 * Ansible refuses it too ("The requested handler ... was not found"); here it is refused before connecting.
 */
function checkNotify(tasks: Task[], handlers: Task[], issues: ConfigIssue[]): void {
  const known = new Set(handlers.flatMap((h) => [h.name, ...h.listen]));
  for (const t of [...tasks, ...handlers]) {
    for (const n of t.notify) {
      if (known.has(n)) continue;
      const names = [...new Set(handlers.map((h) => h.name))];
      issues.push({
        ...(t.keyLocs.notify ?? t.loc),
        message: `notify: no handler named or listening to "${n}" in this play${names.length ? ` (handlers: ${names.map((x) => `"${x}"`).join(', ')})` : ' (it has no handlers)'}`,
      });
    }
  }
}

/** Keys an `import_tasks`/`include_tasks` entry takes: they apply to every task it brings in. */
const IMPORT_KEYS = new Set(['import_tasks', 'include_tasks', 'name', 'tags', 'when', 'vars', 'become', 'become_user', 'no_log']);

/** `files`: the task files being imported, outermost first, so a file that imports itself is refused, not a stack overflow. */
type TaskCtx = { baseDir: string; role?: string; inherited: Inherited; files?: string[] };

function parseTaskList(raw: unknown, doc: SourceDoc, path: PathSegment[], ctx: TaskCtx, issues: ConfigIssue[]): Task[] {
  if (raw == null) return [];
  const out: Task[] = [];
  (raw as Record<string, unknown>[]).forEach((t, i) => {
    const include = t.import_tasks ?? t.include_tasks;
    if (typeof include === 'string') {
      // Static include: the file is read now, so its errors are reported with everything else.
      // What an import entry may carry besides the file; anything else would be dropped without a word (a
      // misspelt `whne:` would import the tasks unconditionally), so it is refused.
      for (const k of Object.keys(t)) {
        if (IMPORT_KEYS.has(k)) continue;
        const near = closest(k, [...IMPORT_KEYS]);
        issues.push(keyIssueAt(doc, [...path, i, k], `"${k}" on an import_tasks entry is not supported${near ? ` (did you mean "${near}"?)` : ` (it takes ${[...IMPORT_KEYS].filter((x) => !x.endsWith('_tasks')).join(', ')})`}`));
      }
      const importVars = t.vars && typeof t.vars === 'object' && !Array.isArray(t.vars) ? (t.vars as Vars) : {};
      const inherited = {
        ...ctx.inherited,
        tags: [...ctx.inherited.tags, ...list(t.tags)],
        when: [...ctx.inherited.when, ...(t.when === undefined ? [] : [t.when].flat())],
        vars: { ...ctx.inherited.vars, ...importVars },
        varLocs: { ...(ctx.inherited.varLocs ?? {}), ...locationsUnder(doc, [...path, i, 'vars'], Object.keys(importVars)) },
        become: typeof t.become === 'boolean' ? t.become : ctx.inherited.become,
        becomeUser: typeof t.become_user === 'string' ? t.become_user : ctx.inherited.becomeUser,
        noLog: typeof t.no_log === 'boolean' ? t.no_log : ctx.inherited.noLog,
      };
      const base = ctx.role ? join(ctx.baseDir, 'tasks') : dirname(doc.file);
      const target = resolve(resolveFrom(base, include));
      const files = ctx.files ?? [resolve(doc.file)];
      const key = t.import_tasks !== undefined ? 'import_tasks' : 'include_tasks';
      if (!existsSync(target)) {
        issues.push(issueAt(doc, [...path, i, key], `${key}: ${JSON.stringify(include)} not found (looked for ${target})`));
        return;
      }
      if (files.includes(target)) {
        issues.push(issueAt(doc, [...path, i, key], `task file imports itself: ${[...files, target].map(displayPath).join(' -> ')}`));
        return;
      }
      for (const task of loadTaskFile(target, { ...ctx, inherited, files: [...files, target] }, issues)) out.push(task);
      return;
    }
    const task = parseTask(t, doc, [...path, i], ctx, issues);
    if (task) out.push(task);
  });
  return out;
}

function loadTaskFile(file: string | null, ctx: TaskCtx, issues: ConfigIssue[], optional = false): Task[] {
  if (!file) return [];
  if (optional && !existsSync(file)) return [];
  const doc = tryLoad(file, issues);
  if (!doc || doc.data == null) return [];
  const found = validate(taskFileSchema, doc.data, doc);
  if (found.length) {
    issues.push(...found);
    return [];
  }
  return parseTaskList(doc.data, doc, [], ctx, issues);
}

function loadVarsFile(file: string | null, from: SourceDoc, at: PathSegment[], issues: ConfigIssue[], optional = false, locs?: Record<string, SourceLocation>): Vars {
  if (!file || (optional && !existsSync(file))) return {};
  if (!existsSync(file)) {
    issues.push(issueAt(from, at, `vars file not found: ${file}`));
    return {};
  }
  const doc = tryLoad(file, issues);
  if (!doc || doc.data == null) return {};
  if (typeof doc.data !== 'object' || Array.isArray(doc.data)) {
    issues.push(issueAt(doc, [], 'a vars file must be a mapping of variable names to values'));
    return {};
  }
  if (locs) Object.assign(locs, locationsUnder(doc, [], Object.keys(doc.data)));
  return doc.data as Vars;
}

function tryLoad(file: string, issues: ConfigIssue[]): SourceDoc | null {
  try {
    return loadYaml(file);
  } catch (e) {
    if (e instanceof ConfigError) issues.push(...e.issues);
    else throw e;
    return null;
  }
}

/** roles/X/tasks/main.yml, main.yaml or main. */
function mainFile(roleDir: string, sub: string): string | null {
  for (const n of ['main.yml', 'main.yaml', 'main']) {
    const p = join(roleDir, sub, n);
    if (existsSync(p)) return p;
  }
  return null;
}

const resolveFrom = (dir: string, p: string) => (isAbsolute(p) ? p : join(dir, p));
const list = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
