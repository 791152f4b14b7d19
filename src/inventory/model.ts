import type { Vars } from '../types.js';

/**
 * The in-memory inventory, shaped like Ansible's: hosts and groups in one DAG rooted at `all`, with
 * `ungrouped` holding the hosts that belong to no other group. Inline (inventory file) vars and
 * group_vars/host_vars file vars are kept apart because they sit at different precedence levels.
 */

export interface HostEntry {
  name: string;
  /** Vars written next to the host in the inventory file(s); later definitions win. */
  vars: Vars;
  /** Groups the host is a direct member of (not their ancestors). */
  groups: Set<string>;
  /** Where the host was first declared, `file:line`. */
  source: string;
}

export interface GroupEntry {
  name: string;
  /** Direct member hosts, in inventory order. */
  hosts: Set<string>;
  children: Set<string>;
  parents: Set<string>;
  /** Vars written in the inventory file(s) (`vars:` / `[group:vars]`). */
  vars: Vars;
  /** Where the group was first declared, `file:line`, or `dynamic` for addGroup(), `implicit` for all/ungrouped. */
  source: string;
}

/**
 * group_vars/ and host_vars/ found beside one inventory source. Maps are keyed by directory entry name
 * (`web`, `web.yml`, `lb1.example.com.yaml`, ...): look a group or host up with varsFileFor().
 */
export interface VarsDir {
  dir: string;
  groups: Map<string, VarsFile>;
  hosts: Map<string, VarsFile>;
}

export interface VarsFile {
  vars: Vars;
  /** The files merged into `vars`, in the order they were merged. */
  files: string[];
}

export interface Inventory {
  hosts: Map<string, HostEntry>;
  groups: Map<string, GroupEntry>;
  /** Inventory files read, in load order. */
  sources: string[];
  /** Directories the inventory came from (a directory source itself, or a file source's directory). */
  dirs: string[];
  /** group_vars/host_vars directories, in source order (a later one wins over an earlier one). */
  varsDirs: VarsDir[];
  /** Things Ansible would warn about (a shadowed vars file, ...). Not errors. */
  warnings: string[];
}

export function createInventory(): Inventory {
  const inv: Inventory = { hosts: new Map(), groups: new Map(), sources: [], dirs: [], varsDirs: [], warnings: [] };
  ensureGroup(inv, 'all', 'implicit');
  ensureGroup(inv, 'ungrouped', 'implicit');
  addChildGroup(inv, 'all', 'ungrouped');
  return inv;
}

export function ensureGroup(inv: Inventory, name: string, source: string): GroupEntry {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, hosts: new Set(), children: new Set(), parents: new Set(), vars: {}, source };
    inv.groups.set(name, g);
  }
  return g;
}

export function ensureHost(inv: Inventory, name: string, source: string): HostEntry {
  let h = inv.hosts.get(name);
  if (!h) {
    h = { name, vars: {}, groups: new Set(), source };
    inv.hosts.set(name, h);
  }
  return h;
}

export function addHostToGroup(inv: Inventory, group: string, host: string): void {
  membersCache.delete(inv);
  inv.groups.get(group)?.hosts.add(host);
  inv.hosts.get(host)?.groups.add(group);
}

/**
 * Link `child` under `parent`. Returns the cycle (as a name path) instead of linking when the edge would
 * make a group its own ancestor; Ansible refuses such inventories and so do we.
 */
export function addChildGroup(inv: Inventory, parent: string, child: string): string[] | null {
  if (child === 'all') return ['all', parent, 'all'];
  const down = pathDown(inv, child, parent);
  if (down) return [...down, child];
  membersCache.delete(inv);
  inv.groups.get(parent)?.children.add(child);
  inv.groups.get(child)?.parents.add(parent);
  return null;
}

/** The chain of group names from `from` down to `to`, if `to` is `from` or one of its descendants. */
function pathDown(inv: Inventory, from: string, to: string, seen = new Set<string>()): string[] | null {
  if (from === to) return [from];
  if (seen.has(from)) return null;
  seen.add(from);
  for (const c of inv.groups.get(from)?.children ?? []) {
    const rest = pathDown(inv, c, to, seen);
    if (rest) return [from, ...rest];
  }
  return null;
}

/**
 * Ansible's reconcile step, run after every load and change: top-level groups hang under `all`, and
 * `ungrouped` holds exactly the hosts that are in no group but `all`/`ungrouped`.
 */
export function reconcile(inv: Inventory): void {
  membersCache.delete(inv);
  for (const g of inv.groups.values()) {
    if (g.name !== 'all' && g.parents.size === 0) addChildGroup(inv, 'all', g.name);
  }
  const ungrouped = inv.groups.get('ungrouped')!;
  for (const h of inv.hosts.values()) {
    const real = [...h.groups].filter((g) => g !== 'all' && g !== 'ungrouped');
    if (real.length) {
      ungrouped.hosts.delete(h.name);
      h.groups.delete('ungrouped');
    } else addHostToGroup(inv, 'ungrouped', h.name);
  }
}

/**
 * Add a group after loading (the LVS model derives groups such as `lvs_directors`). Hosts must already
 * be in the inventory; group_vars files named after the group apply to it like to any other group.
 */
export function addGroup(inv: Inventory, name: string, hosts: string[], parent = 'all'): GroupEntry {
  const missing = hosts.filter((h) => !inv.hosts.has(h));
  if (missing.length) throw new Error(`addGroup(${name}): unknown host(s): ${missing.join(', ')}`);
  if (!inv.groups.has(parent)) throw new Error(`addGroup(${name}): unknown parent group "${parent}"`);
  const g = ensureGroup(inv, name, 'dynamic');
  const cycle = addChildGroup(inv, parent, name);
  if (cycle) throw new Error(`addGroup(${name}): group would be its own ancestor: ${cycle.join(' -> ')}`);
  for (const h of hosts) addHostToGroup(inv, name, h);
  reconcile(inv);
  return g;
}

/** All hosts of a group and of its descendants, in inventory order. */
export function groupHosts(inv: Inventory, name: string): string[] {
  const found = new Set<string>();
  const visit = (g: string, seen: Set<string>): void => {
    if (seen.has(g)) return;
    seen.add(g);
    const entry = inv.groups.get(g);
    if (!entry) return;
    for (const h of entry.hosts) found.add(h);
    for (const c of entry.children) visit(c, seen);
  };
  if (name === 'all') return [...inv.hosts.keys()];
  visit(name, new Set());
  return [...inv.hosts.keys()].filter((h) => found.has(h));
}

/**
 * Ansible's `groups` magic variable: every group's hosts (descendants included), in inventory order.
 * Computed once and shared by every host's vars, so it is frozen; any change made through this module
 * (addGroup, reconcile, ...) recomputes it.
 */
export function groupMembers(inv: Inventory): Readonly<Record<string, readonly string[]>> {
  let m = membersCache.get(inv);
  if (!m) {
    const out: Record<string, readonly string[]> = {};
    for (const g of inv.groups.keys()) out[g] = Object.freeze(groupHosts(inv, g));
    m = Object.freeze(out);
    membersCache.set(inv, m);
  }
  return m;
}

const membersCache = new WeakMap<Inventory, Readonly<Record<string, readonly string[]>>>();

/** Every group a host belongs to, directly or through a child group (always includes `all`). */
export function hostGroups(inv: Inventory, host: string): Set<string> {
  const out = new Set<string>(['all']);
  const up = (g: string): void => {
    if (out.has(g)) return;
    out.add(g);
    for (const p of inv.groups.get(g)?.parents ?? []) up(p);
  };
  for (const g of inv.hosts.get(host)?.groups ?? []) up(g);
  return out;
}
