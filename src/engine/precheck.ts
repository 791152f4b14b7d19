import { ConfigError, formatLocation, type ConfigIssue, type SourceLocation } from '../errors.js';
import type { Play } from '../playbook/types.js';
import { evalCondition, renderString, sandboxReach, TemplateError } from '../playbook/template.js';
import { VariableError } from '../playbook/vars.js';
import type { HostFacts, ModuleContext } from '../types.js';
import { FACT_NAMES } from '../facts/host.js';
import { parseField } from '../config/source.js';
import { argLoc, checkParams, normalizeParams, prepareTask, stageLoc, type Invocation } from './invocation.js';
import { Redactor } from './redact.js';
import type { RunOptions } from './run.js';
import { playHosts, scopeFor, selectTasks } from './scope.js';

export type PrecheckOptions = Pick<RunOptions, 'inventory' | 'playbook' | 'extraVars' | 'limit' | 'tags' | 'skipTags'> & {
  /** Names to treat as known only at run time besides facts and registered results. */
  runtimeNames?: readonly string[];
  /** Hosts to check a play against when its pattern matches none (groups a broken cluster model would add). */
  fallbackHosts?: string[];
};

/** Facts are read from the host: a module that needs them to prepare its parameters can only be checked then. */
class NeedsFacts extends Error {}
const NO_FACTS = new Proxy({} as HostFacts, {
  get: () => {
    throw new NeedsFacts('facts are known only once connected');
  },
});

/**
 * Check every task against every host it will run on, before any connection: `when`, `loop` and parameters
 * render, parameters fit their module (schema, then the module's own checks of addresses, names, modes), and
 * what a module prepares locally is there and renders (`copy`/`template` sources, `.j2` files with the host's
 * variables). What depends on facts or registered results is the only thing left for run time: an error whose
 * undefined names are all such run-time names is not an error yet.
 */
export function precheckIssues(opts: PrecheckOptions): ConfigIssue[] {
  // One issue per place and problem, naming every host it concerns.
  const issues = new Map<string, ConfigIssue & { hosts: string[] }>();
  const add = (i: ConfigIssue, host: string) => {
    const key = `${formatLocation(i)}\u0000${i.message}`;
    const seen = issues.get(key);
    if (!seen) issues.set(key, { ...i, hosts: [host] });
    else if (!seen.hosts.includes(host)) seen.hosts.push(host);
  };
  const secrets = new Redactor();
  const registered = opts.playbook.plays.flatMap((p) => [...p.tasks, ...p.handlers].flatMap((t) => (t.register ? [t.register] : [])));
  for (const play of opts.playbook.plays) {
    const runtime = new Set([...registered, ...setFactNames(play), ...(opts.runtimeNames ?? []), ...(play.gatherFacts ? [...FACT_NAMES, 'ansible_facts'] : [])]);
    const laterOnly = (e: Error) => {
      const names = (e as { undefinedNames?: string[] }).undefinedNames ?? [];
      return e instanceof NeedsFacts || (e instanceof TemplateError && names.length > 0 && names.every((n) => runtime.has(rootName(n))));
    };
    let hosts: string[];
    try {
      hosts = playHosts(play, opts, new Set());
    } catch {
      continue; // an unparseable `hosts:` is reported where it is written, by the caller
    }
    if (!hosts.length && opts.fallbackHosts) hosts = opts.fallbackHosts;
    const tasks = selectTasks(play.tasks, opts.tags, opts.skipTags);
    for (const host of hosts) {
      const { vars, broken } = scopeFor({ ...opts, check: true }, play, host, {});
      const where = (e: Error, fallback: SourceLocation) => (e instanceof VariableError && e.origin === 'scope' ? scopeVarLoc(opts, play, host, e.variable) : undefined) ?? fallback;
      // A variable no task uses is not an error (Ansible renders lazily), unless its template can never work:
      // it reaches past the sandbox, or it does not parse.
      for (const [name, e] of broken) {
        const reach = sandboxReach(e.template);
        if (reach) add({ ...where(e, play.loc), message: `variable "${name}": the template reaches for "${reach}", which templates cannot access` }, host);
        else if (!e.undefinedNames.length && /template error/.test(e.message) && !/no (filter|test) named/.test(e.message)) add({ ...where(e, play.loc), message: e.message }, host);
      }
      const reported = new Set(broken.keys());
      // A templated secret (`db_password: "{{ vault_pw }}"`) is known once rendered: before any issue quotes it.
      secrets.addFromScope(vars);
      for (const task of [...tasks, ...play.handlers]) {
        // Names render leniently (as Ansible shows them), but one that reaches past the sandbox is refused.
        const nameReach = sandboxReach(task.name);
        if (nameReach) add({ ...(task.keyLocs.name ?? task.loc), message: `the task name reaches for "${nameReach}", which templates cannot access` }, host);
        const prep = prepareTask(task, vars, broken);
        if (prep.kind === 'error') {
          const e = prep.error;
          if (e instanceof VariableError && e.origin === 'scope' && reported.has(e.variable) && sandboxReach(e.template)) continue;
          if (!laterOnly(e)) {
            add({ ...where(e, stageLoc(task, prep.stage, e)), message: e.message }, host);
            continue;
          }
          // A `when:` known only at run time (a fact, a registered result) does not make the parameters so:
          // they are checked as if the condition held.
          if (prep.stage !== 'when') continue;
        }
        const run = prep.kind === 'error' ? prepareTask(task, vars, broken, { ignoreWhen: true }) : prep;
        if (run.kind === 'error' && !laterOnly(run.error)) add({ ...where(run.error, stageLoc(task, run.stage, run.error)), message: run.error.message }, host);
        if (run.kind !== 'run') continue;
        for (const inv of run.invocations) {
          for (const key of ['changed_when', 'failed_when'] as const) {
            const cond = key === 'changed_when' ? task.changedWhen : task.failedWhen;
            if (cond === undefined || typeof cond === 'boolean') continue;
            // They usually read the task's own result: that name is known at run time, like registered ones.
            const own = new Set([...runtime, 'result', ...(task.register ? [task.register] : [])]);
            try {
              evalCondition(cond, inv.vars);
            } catch (e) {
              const names = (e as { undefinedNames?: string[] }).undefinedNames ?? [];
              if (!(e instanceof TemplateError) || !names.length || !names.every((n) => own.has(rootName(n)))) {
                add({ ...(task.keyLocs[key] ?? task.loc), message: (e as Error).message }, host);
              }
            }
          }
          const found = checkParams(inv);
          for (const i of found) add(fromVariable(i, inv, (name) => scopeVarLoc(opts, play, host, name)), host);
          if (found.length || !inv.module) continue;
          const e = prepareLocally(inv, host);
          if (e && !laterOnly(e)) add({ ...whereFrom(e, inv), message: describe(e, inv) }, host);
        }
      }
    }
  }
  return [...issues.values()].map(({ hosts, ...i }) => ({ ...i, message: `${i.message} (host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')})` }));
}

export function precheck(opts: PrecheckOptions): void {
  const issues = precheckIssues(opts);
  if (issues.length) throw new ConfigError(issues);
}

/**
 * Where a play-level variable is written: the layer that wins (extra vars, then role vars, play vars, the
 * inventory), as scopeFor stacks them. Role vars and defaults have no recorded position: the task says.
 */
function scopeVarLoc(opts: PrecheckOptions, play: Play, host: string, name: string): SourceLocation | undefined {
  if (opts.extraVars && name in opts.extraVars) return { file: '--extra-vars', field: name };
  if (name in play.roleVars) return undefined;
  if (name in play.vars) return play.varLocs[name];
  return opts.inventory.varLocation?.(host, name);
}

/**
 * A parameter written as one variable (`drain_timeout: "{{ lvs_ipvs_drain_timeout }}"`, as roles do) is wrong
 * where that variable is set: `-e`, a play, the inventory. Point there, and say which variable it was.
 */
function fromVariable(issue: ConfigIssue, inv: Invocation, locate: (name: string) => SourceLocation | undefined): ConfigIssue {
  // Only for a role's task: in the operator's own playbook the parameter line is theirs too, and the nearer.
  if (!inv.task.role) return issue;
  const { path } = inv.task.argsAt;
  const full = issue.field ? parseField(issue.field) : [];
  if (full.length < path.length) return issue;
  let raw: unknown = inv.task.args;
  for (const seg of full.slice(path.length)) raw = raw && typeof raw === 'object' ? (raw as Record<string | number, unknown>)[seg] : undefined;
  const name = typeof raw === 'string' ? /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/.exec(raw)?.[1] : undefined;
  const at = name ? locate(name) : undefined;
  return at ? { ...issue, ...at, message: `${issue.message} (the value of "${name}", given to ${issue.field})` } : issue;
}

/** `result.stdout` -> `result`: what is undefined is the variable, whatever was asked of it. */
const rootName = (n: string) => n.split(/[.[]/)[0]!;

/** Run the module's local preparation (reading sources, rendering templates) as apply would, without a host. */
function prepareLocally(inv: Invocation, host: string): Error | null {
  const ctx: ModuleContext = {
    host,
    facts: NO_FACTS,
    baseDir: inv.task.baseDir,
    root: '',
    render: (t, extra) => renderString(t, { ...inv.vars, ...(extra ?? {}) }, { file: true }),
  };
  try {
    normalizeParams(inv, ctx);
    return null;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** A module's own error names its parameter (`copy.src`): point at where that parameter is written. */
function whereFrom(e: Error, inv: Invocation): SourceLocation {
  const field = e instanceof ConfigError ? e.issues[0]?.field : undefined;
  const prefix = `${inv.task.module}.`;
  if (field?.startsWith(prefix)) return argLoc(inv.task, parseField(field.slice(prefix.length)));
  return inv.task.keyLocs.module ?? inv.task.loc;
}

function describe(e: Error, inv: Invocation): string {
  const text = e instanceof ConfigError ? e.issues.map((i) => i.message).join('; ') : e.message;
  return inv.itemLabel ? `${text} (item ${inv.itemLabel})` : text;
}

function setFactNames(play: Play): string[] {
  return play.tasks.filter((t) => t.module === 'set_fact' && t.args && typeof t.args === 'object').flatMap((t) => Object.keys(t.args as object));
}
