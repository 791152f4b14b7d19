import { redactVars } from './connection.js';
import type { Inventory } from './model.js';
import { groupVars, hostVarLayers } from './vars.js';

/**
 * `lvsible inventory --list` and `--graph`, in the shapes ansible-inventory prints, so tools that read
 * Ansible's output read ours. Secret values are replaced by "********".
 */

export interface ListOptions {
  /** Like `ansible-inventory --export`: hostvars hold only each host's own vars (groups carry theirs). */
  export?: boolean;
}

type GroupJson = { hosts?: string[]; children?: string[]; vars?: Record<string, unknown> };

export function inventoryList(inv: Inventory, opts: ListOptions = {}): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {};
  for (const host of inv.hosts.keys()) {
    const layers = hostVarLayers(inv, host).filter(
      (l) => !opts.export || l.layer === 'host_inventory' || l.layer === 'host_plugins_inventory',
    );
    const vars = Object.assign({}, ...layers.map((l) => l.vars)) as Record<string, unknown>;
    if (Object.keys(vars).length) hostvars[host] = redactVars(vars);
  }
  const out: Record<string, unknown> = { _meta: { hostvars } };
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const g = inv.groups.get(name)!;
    const entry: GroupJson = {};
    // `all` lists no hosts of its own: they show under ungrouped or their groups, as in Ansible.
    if (name !== 'all' && g.hosts.size) entry.hosts = [...g.hosts];
    const kids = [...g.children].sort();
    if (kids.length) entry.children = kids;
    const vars = groupVars(inv, name);
    if (Object.keys(vars).length) entry.vars = redactVars(vars);
    if (Object.keys(entry).length || name === 'all') out[name] = entry;
    for (const k of kids) visit(k);
  };
  visit('all');
  return out;
}

/** `--graph`: the group tree from `group`, children and hosts sorted by name. */
export function inventoryGraph(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) throw new Error(`unknown group "${group}"`);
  const lines: string[] = [];
  const name = (text: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const walk = (g: string, depth: number): void => {
    const entry = inv.groups.get(g)!;
    lines.push(name(`@${g}:`, depth));
    for (const kid of [...entry.children].sort()) walk(kid, depth + 1);
    if (g !== 'all') for (const h of [...entry.hosts].sort()) lines.push(name(h, depth + 1));
  };
  walk(group, 0);
  return lines.join('\n') + '\n';
}
