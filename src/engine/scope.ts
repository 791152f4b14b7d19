import type { SourceLocation } from '../errors.js';
import type { Playbook, Play, Task } from '../playbook/types.js';
import { resolveScope } from '../playbook/vars.js';
import type { Vars } from '../types.js';

/*
 * What a play runs on and with: its hosts (pattern and --limit), its tasks (tags), and each host's variables
 * (Ansible's precedence and magic variables). Shared by the engine and the precheck, so both see one run.
 */

/** What the engine needs of an inventory; src/cli.ts adapts src/inventory to it. */
export interface InventoryView {
  hosts(): string[];
  hostVars(host: string): Vars;
  groups(): Record<string, string[]>;
  groupNames(host: string): string[];
  resolve(pattern: string): { hosts: string[]; warnings: string[] };
  /** Where the value a host sees for `name` is written, when it comes from a file. */
  varLocation?(host: string, name: string): SourceLocation | undefined;
}

/** Tags semantics of Ansible: `always` runs unless skipped, `never` only when asked for. */
export function selectTasks(tasks: Task[], tags: string[] = [], skip: string[] = []): Task[] {
  return tasks.filter((t) => {
    if (t.tags.some((x) => skip.includes(x))) return false;
    if (!tags.length || tags.includes('all')) return !t.tags.includes('never') || tags.includes('never');
    return t.tags.includes('always') || t.tags.some((x) => tags.includes(x));
  });
}

export function playHosts(play: Play, opts: { inventory: InventoryView; limit?: string }, out: Set<string>): string[] {
  let hosts = opts.inventory.resolve(play.hosts).hosts;
  if (opts.limit) {
    const allowed = new Set(opts.inventory.resolve(opts.limit).hosts);
    hosts = hosts.filter((h) => allowed.has(h));
  }
  return hosts.filter((h) => !out.has(h));
}

function magicVars(opts: ScopeOptions, host: string, play: Play): Vars {
  const groups = opts.inventory.groups();
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: opts.inventory.groupNames(host),
    groups,
    playbook_dir: opts.playbook.dir,
    ansible_check_mode: opts.check,
    ansible_play_name: play.name,
    hostvars: new Proxy({}, { get: (_t, h) => (typeof h === 'string' ? opts.inventory.hostVars(h) : undefined) }),
  };
}

/** What a host's variables are built from. */
export interface ScopeOptions {
  inventory: InventoryView;
  playbook: Playbook;
  extraVars?: Vars;
  check: boolean;
}

export function scopeFor(opts: ScopeOptions, play: Play, host: string, facts: Vars) {
  return resolveScope(
    [play.roleDefaults, opts.inventory.hostVars(host), facts, play.vars, play.roleVars, opts.extraVars ?? {}],
    magicVars(opts, host, play),
  );
}
