import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Vars } from '../types.js';
import type { InventoryView } from '../engine/scope.js';
import type { Redactor } from '../engine/redact.js';
import { collectIssues, ConfigError, sortIssues, type ConfigIssue } from '../errors.js';
import { loadYaml } from '../config/source.js';
import { validate } from '../config/validate.js';
import { clusterSchema } from '../lvs/model/schema.js';
import {
  addGroup,
  groupHosts,
  hostGroups,
  hostVars,
  readInventory,
  varLocation,
  resolvePatternDetailed,
  SECRET_VARS,
  type Inventory,
} from '../inventory/index.js';
import { clusterGroups, clusterSecrets, hostView, loadCluster, type ClusterModel } from '../lvs/model/index.js';

export interface OpenedInventory {
  inv: Inventory;
  view: InventoryView;
  cluster?: ClusterModel;
  clusterFile?: string;
  warnings: string[];
  /** The inventory itself had problems (only then is the cluster model checked against its schema alone). */
  inventoryFailed?: boolean;
}

/**
 * Load the inventory and, when there is one, the LVS cluster model beside it (`cluster.yml` in an inventory
 * directory, or --cluster). The model adds its groups (lvs_directors, lvs_rs_dr, ...) and each host's
 * derived variables (`lvs_*`), so roles read the cluster like any other variable.
 */
export function openInventory(paths: string[], opts: { cluster?: string; redactor?: Redactor } = {}): OpenedInventory {
  const issues: ConfigIssue[] = [];
  const opened = readOpenInventory(paths, issues, opts);
  if (issues.length) throw new ConfigError(sortIssues(issues));
  return opened;
}

/**
 * The same, collecting problems into `issues`. When the inventory itself has problems, the cluster model is
 * checked against its schema only: its cross-host checks would report hosts whose inventory entry is the
 * real mistake.
 */
export function readOpenInventory(paths: string[], issues: ConfigIssue[], opts: { cluster?: string; redactor?: Redactor } = {}): OpenedInventory {
  const before = issues.length;
  const inv = readInventory(paths, issues);
  const clusterFile = opts.cluster ?? inv.dirs.map((d) => join(d, 'cluster.yml')).find((f) => existsSync(f));
  const baseVars = new Map<string, Vars>();
  const varsOf = (h: string): Vars => {
    const cached = baseVars.get(h);
    if (cached) return cached;
    const v = hostVars(inv, h);
    baseVars.set(h, v);
    return v;
  };
  // Learnt first, so that even the problems reported below cannot print an inventory secret. From each place
  // vars are written (a host, a group, a vars file), not from every host's merged view: the same secrets,
  // linear in the inventory's size rather than in hosts times groups (a generated inventory has 50k hosts).
  if (opts.redactor) {
    const learn = (v: Vars) => {
      for (const name of SECRET_VARS) opts.redactor!.add(v[name]);
      opts.redactor!.addFromVars(v);
    };
    for (const h of inv.hosts.values()) learn(h.vars);
    for (const g of inv.groups.values()) learn(g.vars);
    for (const vd of inv.varsDirs) for (const f of [...vd.groups.values(), ...vd.hosts.values()]) learn(f.vars);
  }
  if (issues.length > before) {
    if (clusterFile) collectIssues(issues, () => {
      const doc = loadYaml(clusterFile);
      issues.push(...validate(clusterSchema, doc.data, doc));
    });
    return { inv, view: viewOf(inv, varsOf), clusterFile, warnings: [...inv.warnings], inventoryFailed: true };
  }
  let cluster: ClusterModel | undefined;
  if (clusterFile) {
    cluster = collectIssues(issues, () => loadCluster(clusterFile, { hosts: [...inv.hosts.keys()], hostVars: varsOf, locate: (h, name, sub) => varLocation(inv, h, name, sub) }));
    if (cluster) for (const [name, hosts] of Object.entries(clusterGroups(cluster))) addGroup(inv, name, hosts);
    baseVars.clear();
  }
  const views = new Map<string, Vars>();
  const full = (h: string): Vars => {
    const cached = views.get(h);
    if (cached) return cached;
    const v = cluster ? { ...varsOf(h), ...hostView(cluster, h) } : varsOf(h);
    views.set(h, v);
    return v;
  };
  if (opts.redactor && cluster) for (const s of clusterSecrets(cluster)) opts.redactor.add(s);
  return { inv, view: viewOf(inv, full), cluster, clusterFile, warnings: [...inv.warnings] };
}

function viewOf(inv: Inventory, hostVarsOf: (h: string) => Vars): InventoryView {
  return {
    hosts: () => [...inv.hosts.keys()],
    hostVars: hostVarsOf,
    groups: () => Object.fromEntries([...inv.groups.keys()].map((g) => [g, groupHosts(inv, g)])),
    groupNames: (h) => [...hostGroups(inv, h)].filter((g) => g !== 'all' && g !== 'ungrouped').sort(),
    resolve: (pattern) => resolvePatternDetailed(inv, pattern),
    varLocation: (h, name) => varLocation(inv, h, name),
  };
}
