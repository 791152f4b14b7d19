import type { Vars } from '../types.js';
import { groupMembers, hostGroups, type Inventory, type VarsDir } from './model.js';
import { varsFileFor } from './vars-dirs.js';
import { copyOrigins, locateOrigin, originOf } from './origins.js';
import type { PathSegment } from '../config/source.js';
import type { SourceLocation } from '../errors.js';

/**
 * Inventory-level variable precedence, lowest first: Ansible's default VARIABLE_PRECEDENCE plus its
 * host layers. Within a group layer, groups are applied in Ansible's order: by depth (all=0, a top-level
 * group 1, its child 2, ...), then `ansible_group_priority` (default 1), then name; later wins, so a child
 * group beats its parent and a higher priority beats a lower one at the same depth.
 *
 * Note the Ansible detail this keeps: every group_vars/ *file* layer sits above every inline group layer,
 * so group_vars/all.yml beats `vars:` written for a child group inside the inventory file.
 *
 * The `*_play` layers are group_vars/ and host_vars/ beside the playbook; they apply only when the caller
 * passes `playbookVarsDirs`. Play vars, vars_files, role vars and extra vars sit above all of these and
 * are the playbook engine's business. Merging is Ansible's default `hash_behaviour=replace`: a later layer
 * replaces a top-level variable wholesale, dictionaries are not merged.
 */
export const VARIABLE_PRECEDENCE = [
  'all_inventory', // `vars` of group all in the inventory file
  'groups_inventory', // other groups' `vars` in the inventory file, in group order
  'all_plugins_inventory', // group_vars/all beside the inventory
  'all_plugins_play', // group_vars/all beside the playbook
  'groups_plugins_inventory', // group_vars/GROUP beside the inventory, in group order
  'groups_plugins_play', // group_vars/GROUP beside the playbook, in group order
  'host_inventory', // the host's vars in the inventory file
  'host_plugins_inventory', // host_vars/HOST beside the inventory
  'host_plugins_play', // host_vars/HOST beside the playbook
] as const;

export type PrecedenceLayer = (typeof VARIABLE_PRECEDENCE)[number];

export interface VarLayer {
  layer: PrecedenceLayer;
  /** Which group/host and file the vars came from, for explaining a value. */
  source: string;
  vars: Vars;
}

export interface HostVarsOptions {
  /** group_vars/host_vars beside the playbook (loadVarsDir(playbookDir)). */
  playbookVarsDirs?: VarsDir[];
}

/** Length of the longest parent chain from `all` (Ansible's group depth). */
export function groupDepth(inv: Inventory, name: string, memo = new Map<string, number>()): number {
  if (name === 'all') return 0;
  const known = memo.get(name);
  if (known !== undefined) return known;
  let d = 1;
  for (const p of inv.groups.get(name)?.parents ?? []) d = Math.max(d, groupDepth(inv, p, memo) + 1);
  memo.set(name, d);
  return d;
}

/**
 * ansible_group_priority of a group. Ansible reads it only from the inventory file; we also honour it in
 * group_vars files, where operators naturally put it and where Ansible would silently ignore it.
 */
export function groupPriority(inv: Inventory, name: string): number {
  const v = rawGroupVars(inv, name).ansible_group_priority;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 1;
}

/** Group names in precedence order (lowest first): depth, then priority, then name. */
export function sortGroups(inv: Inventory, names: Iterable<string>): string[] {
  const memo = new Map<string, number>();
  const key = (n: string): [number, number] => [groupDepth(inv, n, memo), groupPriority(inv, n)];
  return [...names].sort((a, b) => {
    const [da, pa] = key(a);
    const [db, pb] = key(b);
    return da - db || pa - pb || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/**
 * A group's own vars: inline, then its group_vars files (no parents, no hosts). ansible_group_priority is
 * a setting of the group, not a variable: Ansible leaves it out of the vars, and so do we.
 */
export function groupVars(inv: Inventory, name: string, opts: HostVarsOptions = {}): Vars {
  const out = rawGroupVars(inv, name, opts);
  delete out.ansible_group_priority;
  return out;
}

function rawGroupVars(inv: Inventory, name: string, opts: HostVarsOptions = {}): Vars {
  const out: Vars = { ...(inv.groups.get(name)?.vars ?? {}) };
  for (const vd of [...inv.varsDirs, ...(opts.playbookVarsDirs ?? [])]) Object.assign(out, varsFileFor(vd.groups, name)?.vars);
  return out;
}

function withoutPriority(vars: Vars): Vars {
  if (!('ansible_group_priority' in vars)) return vars;
  const { ansible_group_priority: _, ...rest } = vars;
  copyOrigins(rest, vars);
  return rest;
}

/** Every layer that contributes to a host's vars, lowest precedence first. */
export function hostVarLayers(inv: Inventory, host: string, opts: HostVarsOptions = {}): VarLayer[] {
  const h = inv.hosts.get(host);
  if (!h) throw new Error(`unknown host "${host}"`);
  const groups = sortGroups(inv, [...hostGroups(inv, host)].filter((g) => g !== 'all'));
  const play = opts.playbookVarsDirs ?? [];
  const layers: VarLayer[] = [];
  const fromFiles = (layer: PrecedenceLayer, dirs: VarsDir[], kind: 'groups' | 'hosts', names: string[]): void => {
    // Source-major like Ansible's vars plugins: every entity of one directory, then the next directory.
    for (const vd of dirs) {
      for (const n of names) {
        const f = varsFileFor(vd[kind], n);
        if (f) layers.push({ layer, source: f.files.join(', ') || vd.dir, vars: kind === 'groups' ? withoutPriority(f.vars) : f.vars });
      }
    }
  };
  layers.push({ layer: 'all_inventory', source: 'group all', vars: withoutPriority(inv.groups.get('all')!.vars) });
  for (const g of groups) layers.push({ layer: 'groups_inventory', source: `group ${g}`, vars: withoutPriority(inv.groups.get(g)!.vars) });
  fromFiles('all_plugins_inventory', inv.varsDirs, 'groups', ['all']);
  fromFiles('all_plugins_play', play, 'groups', ['all']);
  fromFiles('groups_plugins_inventory', inv.varsDirs, 'groups', groups);
  fromFiles('groups_plugins_play', play, 'groups', groups);
  layers.push({ layer: 'host_inventory', source: `host ${host} (${h.source})`, vars: h.vars });
  fromFiles('host_plugins_inventory', inv.varsDirs, 'hosts', [host]);
  fromFiles('host_plugins_play', play, 'hosts', [host]);
  return layers.filter((l) => Object.keys(l.vars).length > 0);
}

/** Magic variables Ansible defines from the inventory. */
export function magicVars(inv: Inventory, host: string): Vars {
  const h = inv.hosts.get(host);
  const file = h?.source.replace(/:\d+$/, '') ?? '';
  const groupNames = [...hostGroups(inv, host)].filter((g) => g !== 'all').sort();
  return {
    inventory_hostname: host,
    // Ansible keeps IP addresses whole; only DNS names are cut at the first dot.
    inventory_hostname_short: /^[0-9.]+$|:/.test(host) ? host : host.split('.')[0],
    group_names: groupNames,
    groups: groupMembers(inv),
    ...(file && file.includes('/') ? { inventory_file: file, inventory_dir: file.slice(0, file.lastIndexOf('/')) } : {}),
  };
}

/**
 * A host's inventory-level vars merged by VARIABLE_PRECEDENCE, plus magic vars (inventory_hostname,
 * group_names, groups, ...). Values are returned as written: templating is the playbook engine's job.
 */
export function hostVars(inv: Inventory, host: string, opts: HostVarsOptions = {}): Vars {
  const out: Vars = {};
  for (const l of hostVarLayers(inv, host, opts)) Object.assign(out, l.vars);
  return { ...out, ...magicVars(inv, host) };
}

/**
 * Where the value a host sees for `name` was written (the layer that wins), and `sub` inside it:
 * `varLocation(inv, 'dir1', 'lvs_interfaces', ['eth1'])`. Undefined for values with no file (magic vars).
 */
export function varLocation(inv: Inventory, host: string, name: string, sub: PathSegment[] = []): SourceLocation | undefined {
  const layers = hostVarLayers(inv, host);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (!(name in l.vars)) continue;
    const o = originOf(l.vars, name);
    return o ? locateOrigin(o, sub) : undefined;
  }
  return undefined;
}
