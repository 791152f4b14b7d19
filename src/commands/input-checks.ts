/**
 * The checks of a run's inputs that need more than one file, or none: options, --limit and host patterns
 * against the inventory, templated `hosts:`, lvs_state, key files, variables that may not be set where they
 * are. Each returns its problems; loadRunInputs (inputs.ts) runs them in order and reports them together.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import type { Playbook } from '../playbook/types.js';
import { patternProblems, unmatchedTerms, varLocation } from '../inventory/index.js';
import { hasTemplate, renderValue } from '../playbook/template.js';
import { closest } from '../playbook/task.js';
import type { Vars } from '../types.js';
import type { OpenedInventory } from './inventory-view.js';
import { validate } from '../config/validate.js';
import { connectionVarsSchema, varsSchema } from '../inventory/schema.js';
import { CLUSTER_VIEW_NAMES } from '../lvs/model/index.js';

/** Where command-line problems are reported: there is no file, the option is the field. */
export const COMMAND_LINE = 'command line';

/**
 * Option values: a typo must not become NaN, 0 forks (nothing runs), a timer that never fires, an empty tag
 * list (everything runs) or a user name ssh would read as an option.
 */
export function flagIssues(flags: { forks?: string; timeout?: string; user?: string; privateKey?: string; tags?: string; skipTags?: string }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (field: string, message: string) => issues.push({ file: COMMAND_LINE, field, message });
  if (flags.forks !== undefined && !(/^[0-9]+$/.test(flags.forks.trim()) && Number(flags.forks) >= 1 && Number(flags.forks) <= 10_000)) {
    at('--forks', `must be a whole number from 1 to 10000, got ${JSON.stringify(flags.forks)}`);
  }
  if (flags.timeout !== undefined) {
    const t = flags.timeout.trim();
    const n = Number(t);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || !(n > 0) || n > 86_400) at('--timeout', `must be a number of seconds above 0 and at most 86400, got ${JSON.stringify(flags.timeout)}`);
  }
  // `--tags ,,` names no tag: running everything instead would be the opposite of what was asked.
  for (const [field, v] of [['--tags', flags.tags], ['--skip-tags', flags.skipTags]] as const) {
    if (v !== undefined && !v.split(',').some((t) => t.trim())) at(field, `names no tag, got ${JSON.stringify(v)}`);
  }
  // A login name never holds blanks or control characters, nor starts with '-' (an option to ssh or sudo).
  if (flags.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,63}$/.test(flags.user)) at('--user', `${JSON.stringify(flags.user)} is not a user name`);
  if (flags.privateKey !== undefined) {
    const st = statSync(flags.privateKey, { throwIfNoEntry: false });
    if (!st?.isFile()) at('--private-key', `key file ${JSON.stringify(flags.privateKey)} ${st ? 'is not a file' : 'not found'}`);
  }
  return issues;
}

/** `--limit` is a promise to touch only those hosts: one that cannot be read, or that matches nothing, stops the run. */
export function limitIssues(opened: OpenedInventory, limit: string | undefined): ConfigIssue[] {
  if (limit === undefined) return [];
  const at = (message: string): ConfigIssue => ({ file: COMMAND_LINE, field: '--limit', message });
  if (limit.startsWith('@')) {
    const file = limit.slice(1);
    if (!existsSync(file) || !statSync(file).isFile()) return [at(`limit file ${JSON.stringify(file)} not found`)];
  } else {
    const problems = patternProblems(limit);
    if (problems.length) return problems.map(at);
  }
  const unmatched = unmatchedTerms(opened.inv, limit);
  if (unmatched.length) return unmatched.map((t) => at(unmatchedMessage(opened, t)));
  const { hosts } = opened.view.resolve(limit);
  if (!hosts.length) return [at(`${JSON.stringify(limit)} matches no host in the inventory, so there is nothing to run on`)];
  return [];
}

export function unmatchedMessage(opened: OpenedInventory, term: string): string {
  const name = term.replace(/^[!&]/, '').replace(/\[.*$/, '');
  const near = /[*?~[]/.test(term) ? undefined : closest(name, [...opened.inv.groups.keys(), ...opened.inv.hosts.keys()]);
  const what = /\[[-0-9:]+\]$/.test(term) && (opened.inv.groups.has(name) || opened.inv.hosts.has(name)) ? 'is past the end of its group' : 'matches no group or host in the inventory';
  return `"${term}" ${what}${near && near !== name ? ` (did you mean "${near}"?)` : ''}`;
}

/**
 * `hosts: "{{ target }}"`: rendered with what a play knows before it picks its hosts, as Ansible does (extra
 * vars and the play's own vars; no host's variables). An undefined name is an error at `hosts:`.
 */
export function renderPlayHosts(playbook: Playbook, extraVars: Vars, issues: ConfigIssue[]): void {
  for (const play of playbook.plays) {
    if (!hasTemplate(play.hosts)) continue;
    try {
      const rendered = evaluateHosts(play.hosts, { ...play.vars, ...extraVars });
      if (play.name === play.hosts) play.name = rendered; // an unnamed play is named by its pattern
      play.hosts = rendered;
    } catch (e) {
      issues.push({ ...play.hostsLoc, message: (e as Error).message });
    }
  }
}

function evaluateHosts(template: string, vars: Vars): string {
  const v = renderValue(template, vars);
  if (Array.isArray(v)) return v.map(String).join(':');
  if (typeof v !== 'string') throw new Error(`hosts: ${JSON.stringify(template)} gives ${typeof v}, not a host pattern`);
  return v;
}

/** The roles act on `lvs_state` present or absent; anything else (a typo) would make every task skip. */
export function lvsStateIssues(opened: OpenedInventory, extraVars: Vars): ConfigIssue[] {
  const ok = (v: unknown) => v === undefined || v === 'present' || v === 'absent';
  const message = (v: unknown) => `lvs_state must be "present" or "absent", got ${JSON.stringify(v)}`;
  if (!ok(extraVars.lvs_state)) return [{ file: '--extra-vars', field: 'lvs_state', message: message(extraVars.lvs_state) }];
  if (extraVars.lvs_state !== undefined) return [];
  const out: ConfigIssue[] = [];
  for (const h of opened.view.hosts()) {
    const v = opened.view.hostVars(h).lvs_state;
    if (!ok(v)) out.push({ ...(varLocation(opened.inv, h, 'lvs_state') ?? { file: opened.inv.sources[0] ?? 'inventory' }), message: `${message(v)} (host ${h})` });
  }
  return out;
}

/** A key file the inventory names for a host this run targets must exist: seen here rather than as a failed login. */
export function keyFileIssues(opened: OpenedInventory, playbook: Playbook, limit: string | undefined): ConfigIssue[] {
  // A pattern that cannot be resolved is reported on its own; it targets nothing here.
  const resolve = (p: string) => {
    try {
      return opened.view.resolve(p).hosts;
    } catch {
      return [];
    }
  };
  const allowed = limit ? new Set(resolve(limit)) : undefined;
  const hosts = new Set(playbook.plays.flatMap((p) => resolve(p.hosts)).filter((h) => !allowed || allowed.has(h)));
  const out: ConfigIssue[] = [];
  for (const h of hosts) {
    const v = opened.view.hostVars(h);
    for (const name of ['ansible_ssh_private_key_file', 'ansible_private_key_file']) {
      const file = v[name];
      if (typeof file !== 'string' || !file || file.includes('{{')) continue;
      const path = file.startsWith('~/') ? join(homedir(), file.slice(2)) : file;
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isFile()) continue;
      out.push({ ...(opened.view.varLocation?.(h, name) ?? { file: opened.inv.sources[0] ?? 'inventory', field: `${h}.${name}` }), message: `key file ${JSON.stringify(file)} ${st ? 'is not a file' : 'not found'} (host ${h})` });
    }
  }
  return out;
}

/** Each play's `hosts:` parses, and (with the inventory loaded) each of its terms names a group or a host. */
export function playPatternIssues(playbook: Playbook, loaded: OpenedInventory | undefined): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const play of playbook.plays) {
    if (hasTemplate(play.hosts)) continue; // could not be rendered: reported by renderPlayHosts
    const problems = patternProblems(play.hosts);
    for (const p of problems) out.push({ ...play.hostsLoc, message: p });
    if (!problems.length && loaded) for (const t of unmatchedTerms(loaded.inv, play.hosts)) out.push({ ...play.hostsLoc, message: unmatchedMessage(loaded, t) });
  }
  return out;
}

/**
 * Connection variables decide which machine is touched: lvsible connects once per host for the whole run, so
 * they come from the inventory, overridden by `-e` (as in Ansible); a play's or a task's own would be silently
 * ignored, so they are refused there. The cluster model's derived variables (lvs_director, ...) carry the
 * rendered keepalived.conf and IPVS table: set from anywhere else they would bypass every check of the model.
 */
export function varsOverrideIssues(playbook: Playbook | undefined, extraVars: Vars): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const derived = new Set<string>(CLUSTER_VIEW_NAMES);
  const connection = validate(varsSchema, pick(extraVars, Object.keys(connectionVarsSchema)), { file: '--extra-vars', data: extraVars, locate: () => ({ line: 0, col: 0 }) });
  for (const i of connection) out.push({ file: '--extra-vars', field: i.field, message: i.message });
  for (const k of Object.keys(extraVars)) {
    if (derived.has(k)) out.push({ file: '--extra-vars', field: k, message: `"${k}" is derived from the cluster model (cluster.yml) and cannot be set` });
  }
  for (const play of playbook?.plays ?? []) {
    for (const k of Object.keys(play.vars)) {
      const at = play.varLocs[k] ?? play.loc;
      if (derived.has(k)) out.push({ ...at, message: `"${k}" is derived from the cluster model (cluster.yml) and cannot be set` });
      else if (CONNECT_ONLY.has(k)) out.push({ ...at, message: `"${k}" is a connection variable: set it in the inventory or with -e (lvsible connects once per host for the whole run)` });
    }
    for (const t of [...play.tasks, ...play.handlers]) {
      for (const k of Object.keys(t.vars)) {
        const at = t.varLocs[k] ?? t.loc;
        if (derived.has(k)) out.push({ ...at, message: `"${k}" is derived from the cluster model (cluster.yml) and cannot be set` });
        else if (CONNECT_ONLY.has(k)) out.push({ ...at, message: `"${k}" is a connection variable: set it in the inventory or with -e (lvsible connects once per host for the whole run)` });
      }
    }
  }
  return dedupe(out);
}

/** What the SSH connection is made of (become settings are per task and stay allowed everywhere). */
export const CONNECT_ONLY = new Set(
  Object.keys(connectionVarsSchema).filter((k) => !k.startsWith('ansible_become') && k !== 'ansible_sudo_pass' && k !== 'ansible_group_priority'),
);

/** The connection variables given with -e: they override the inventory's for every host, as in Ansible. */
export function connectionOverrides(extraVars: Vars): Vars {
  return pick(extraVars, [...CONNECT_ONLY]);
}

function pick(vars: Vars, keys: string[]): Vars {
  return Object.fromEntries(keys.filter((k) => k in vars).map((k) => [k, vars[k]]));
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}:${i.line}:${i.col}:${i.field}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
