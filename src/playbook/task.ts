import type { ConfigIssue } from '../errors.js';
import type { Vars } from '../types.js';
import { issueAt, keyIssueAt, locationsUnder, type PathSegment, type SourceDoc } from '../config/source.js';
import { validate } from '../config/validate.js';
import { hasTemplate } from './template.js';
import { builtinSchemas, taskKeywords } from './schema.js';
import type { Inherited, Task } from './types.js';
import { modules } from '../modules/index.js';

/** Actions the engine performs itself (they read or set variables, they manage no host state). */
export const BUILTIN_ACTIONS = new Set(['debug', 'set_fact', 'assert', 'fail', 'meta']);

/** Ansible names that map onto our modules, so existing playbooks need no edits. */
const ALIASES: Record<string, string> = {
  apt: 'package', yum: 'package', dnf: 'package',
  systemd: 'service', systemd_service: 'service',
  modprobe: 'kernel_module',
};

export function resolveModuleName(key: string): string {
  const short = key.replace(/^(ansible\.builtin|ansible\.posix|community\.general|ansible\.legacy)\./, '');
  return ALIASES[short] ?? short;
}

const KEYWORDS = new Set([...Object.keys(taskKeywords), 'import_tasks', 'include_tasks']);

/**
 * Ansible task keywords lvsible does not implement yet. Named as such, so that a playbook using one is refused
 * with the reason instead of being read as a second module (or, worse, run without the keyword's effect).
 */
const ANSIBLE_ONLY_KEYWORDS = new Set([
  'action', 'any_errors_fatal', 'args', 'async', 'become_exe', 'become_flags', 'become_method', 'check_mode',
  'collections', 'connection', 'debugger', 'delay', 'delegate_facts', 'delegate_to', 'diff', 'environment',
  'local_action', 'module_defaults', 'poll', 'port', 'remote_user', 'retries', 'run_once', 'throttle', 'timeout',
  'until', 'block', 'rescue', 'always', 'include', 'include_role', 'import_role', 'import_playbook',
  'with_dict', 'with_list', 'with_indexed_items', 'with_nested', 'with_sequence', 'with_subelements',
  'with_together', 'with_fileglob', 'with_first_found', 'with_lines', 'with_random_choice', 'with_flattened',
]);

/** Variables Ansible itself sets: a `register` of one of them would silently shadow (or be shadowed by) it. */
export const RESERVED_NAMES = new Set([
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'omit', 'item',
  'playbook_dir', 'ansible_check_mode', 'ansible_play_name', 'ansible_facts', 'role_path', 'environment',
]);

const isModule = (name: string) => name in modules || BUILTIN_ACTIONS.has(name);

/** The candidate within two edits of `word`, if one is: what a typo most likely meant. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase(), bestDist);
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** `name=x value="a b"` free-form arguments, as Ansible accepts them. */
export function parseKeyValues(s: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  // A value that opens a quote must close it (`key='a b'`); an unclosed one is an error, not a literal quote.
  // `{{ ... }}` is one piece of a value even with blanks inside (`value={{ x | int }}`), as Ansible reads it.
  const re = /\s*([A-Za-z_][\w]*)=("(?:[^"\\]|\\.)*"|'[^']*'|(?!["'])(?:\{\{.*?\}\}|\S)+)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(s))) {
    const v = m[2]!;
    out[m[1]!] = /^["']/.test(v) ? v.slice(1, -1).replace(/\\"/g, '"') : v;
    last = re.lastIndex;
  }
  return last === s.length && Object.keys(out).length ? out : null;
}

function hasTemplateDeep(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (Array.isArray(v)) return v.some(hasTemplateDeep);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplateDeep);
  return false;
}

const list = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * Turn one task mapping into a Task, collecting every problem. Arguments that hold no template are checked
 * against the module's schema here; templated ones are checked once rendered, still before any connection.
 */
export function parseTask(
  raw: Record<string, unknown>,
  doc: SourceDoc,
  path: PathSegment[],
  ctx: { baseDir: string; role?: string; inherited?: Inherited },
  issues: ConfigIssue[],
): Task | null {
  const unsupported = Object.keys(raw).filter((k) => ANSIBLE_ONLY_KEYWORDS.has(k));
  for (const k of unsupported) {
    issues.push(keyIssueAt(doc, [...path, k], `task keyword "${k}" is Ansible's, and lvsible does not support it yet`));
  }
  if (typeof raw.register === 'string' && RESERVED_NAMES.has(raw.register)) {
    issues.push(issueAt(doc, [...path, 'register'], `register: "${raw.register}" is a variable Ansible sets itself; choose another name`));
  }
  let moduleKeys = Object.keys(raw).filter((k) => !KEYWORDS.has(k) && !ANSIBLE_ONLY_KEYWORDS.has(k));
  // Beside one real module, any other key is a misspelt keyword (`whenn:`), not a second module.
  const real = moduleKeys.filter((k) => isModule(resolveModuleName(k)));
  if (real.length === 1 && moduleKeys.length > 1) {
    for (const k of moduleKeys.filter((x) => x !== real[0])) {
      const near = closest(k, [...KEYWORDS]);
      issues.push(keyIssueAt(doc, [...path, k], `unknown task keyword "${k}"${near ? ` (did you mean "${near}"?)` : ''}`));
    }
    moduleKeys = real;
  }
  // A task without its keyword's effect must not be checked (or run) as if it had none: `with_dict` dropped
  // would report `item` undefined.
  if (unsupported.length) return null;
  if (moduleKeys.length !== 1) {
    issues.push(
      issueAt(doc, path, moduleKeys.length
        ? `a task has exactly one module; found ${moduleKeys.map((k) => `"${k}"`).join(', ')}`
        : 'no module in this task (expected e.g. `sysctl:` or `package:`)'),
    );
    return null;
  }
  const key = moduleKeys[0]!;
  const module = resolveModuleName(key);
  const mod = modules[module];
  if (!mod && !BUILTIN_ACTIONS.has(module)) {
    const known = [...Object.keys(modules), ...BUILTIN_ACTIONS].sort().join(', ');
    const near = closest(key, [...Object.keys(modules), ...BUILTIN_ACTIONS]);
    issues.push(issueAt(doc, [...path, key], `unknown module "${key}"${near ? ` (did you mean "${near}"?)` : ""} (known: ${known})`));
    return null;
  }
  let args = raw[key] ?? {};
  if (typeof args === 'string') {
    const acceptsFreeForm = Boolean((mod?.schema.properties as Record<string, unknown> | undefined)?.free_form);
    const kv = acceptsFreeForm ? null : parseKeyValues(args);
    if (acceptsFreeForm) args = { free_form: args };
    else if (kv) args = kv;
    else if (module === 'debug') args = { msg: args };
    else if (module === 'meta') args = { action: args };
    else {
      issues.push(issueAt(doc, [...path, key], `"${key}" takes a mapping of parameters (or key=value pairs), not "${args}"`));
      return null;
    }
  }
  const schema = mod?.schema ?? builtinSchemas[module];
  if (schema && !hasTemplateDeep(args)) issues.push(...validate(schema, args, doc, [...path, key]));

  const loop = raw.loop ?? raw.with_items;
  const control = (raw.loop_control ?? {}) as { loop_var?: string };
  const inh = ctx.inherited;
  const when = [...(inh?.when ?? []), ...(raw.when === undefined ? [] : Array.isArray(raw.when) ? raw.when : [raw.when])];
  const { line, col } = doc.locate(path);
  const keyLocs = locationsUnder(doc, path, Object.keys(raw));
  keyLocs.module = keyLocs[key]!;
  return {
    // An unnamed no_log task is named by its module alone: its arguments may be what no_log hides.
    name: typeof raw.name === 'string' ? raw.name : raw.no_log === true || (raw.no_log === undefined && inh?.noLog) ? key : `${key}${summariseArgs(args)}`,
    module,
    args,
    when: when.length ? when : undefined,
    whenInherited: inh?.when.length ?? 0,
    loop,
    loopVar: control.loop_var ?? 'item',
    register: raw.register as string | undefined,
    notify: list(raw.notify),
    listen: list(raw.listen),
    tags: [...(inh?.tags ?? []), ...list(raw.tags)],
    become: (raw.become as boolean | undefined) ?? inh?.become,
    becomeUser: (raw.become_user as string | undefined) ?? inh?.becomeUser,
    ignoreErrors: raw.ignore_errors === true,
    changedWhen: raw.changed_when,
    failedWhen: raw.failed_when,
    // As in Ansible, a task's own `no_log` wins over its play's, role's or import's.
    noLog: typeof raw.no_log === 'boolean' ? raw.no_log : inh?.noLog === true,
    vars: { ...(inh?.vars ?? {}), ...((raw.vars as Vars | undefined) ?? {}) },
    baseDir: ctx.baseDir,
    role: ctx.role,
    loc: { file: doc.file, line, col, field: undefined },
    keyLocs,
    varLocs: { ...(inh?.varLocs ?? {}), ...(raw.vars && typeof raw.vars === 'object' ? locationsUnder(doc, [...path, 'vars'], Object.keys(raw.vars)) : {}) },
    argsAt: { doc, path: [...path, key] },
  };
}

function summariseArgs(args: unknown): string {
  if (!args || typeof args !== 'object') return '';
  const a = args as Record<string, unknown>;
  const main = a.name ?? a.path ?? a.dest ?? a.free_form ?? a.address ?? a.msg;
  return main === undefined ? '' : ` ${String(main).slice(0, 60)}`;
}
