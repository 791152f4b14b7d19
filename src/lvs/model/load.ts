/**
 * Load cluster.yml: schema first (every field problem at once), then the model, then the cross-host
 * checks; any error stops here with the full list, before a single connection is made.
 */
import { ConfigError, type ConfigIssue } from '../../errors.js';
import { issueAt, loadYaml, parseYaml, type SourceDoc } from '../../config/source.js';
import { validate } from '../../config/validate.js';
import { buildModel, type Reporter } from './build.js';
import { checkCluster } from './checks.js';
import { Lans } from './lans.js';
import type { RawCluster } from './raw.js';
import { clusterSchema } from './schema.js';
import type { ClusterModel } from './types.js';

/** What the loader needs from the inventory: host names and each host's merged vars. */
export interface InventoryView {
  hosts: string[];
  hostVars(host: string): Record<string, unknown>;
}

export function loadCluster(file: string, inv: InventoryView): ClusterModel {
  return clusterFromDoc(loadYaml(file), inv);
}

/** Same as loadCluster, from text (tests, `--cluster -`). */
export function parseCluster(text: string, file: string, inv: InventoryView): ClusterModel {
  return clusterFromDoc(parseYaml(text, file), inv);
}

export function clusterFromDoc(doc: SourceDoc, inv: InventoryView): ClusterModel {
  const schemaIssues = validate(clusterSchema, doc.data, doc);
  if (schemaIssues.length) throw new ConfigError(schemaIssues);
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const r: Reporter = {
    error: (path, message) => errors.push(issueAt(doc, path, message)),
    warn: (path, message) => warnings.push(issueAt(doc, path, message)),
    where: (path) => `line ${doc.locate(path).line}`,
  };
  const interfaces: Record<string, Record<string, unknown>> = {};
  for (const h of inv.hosts) {
    const v = inv.hostVars(h).lvs_interfaces;
    if (v && typeof v === 'object' && !Array.isArray(v)) interfaces[h] = v as Record<string, unknown>;
    else if (v !== undefined) errors.push({ file: doc.file, message: `host ${h}: lvs_interfaces must be a mapping dev: CIDR (e.g. eth1: 198.51.100.2/24)` });
  }
  const lans = new Lans(interfaces);
  for (const bad of lans.invalid) {
    errors.push({ file: doc.file, message: `host ${bad.host}: lvs_interfaces.${bad.dev} = "${bad.value}" is not an address/prefix (e.g. 198.51.100.2/24)` });
  }
  const model = buildModel(doc.data as RawCluster, doc.file, lans, new Set(inv.hosts), r);
  // Realservers whose reference did not resolve are left out of the model, so the cross-host checks below
  // still run (every problem is reported at once) without repeating that one in other words.
  checkCluster(model, lans, r);
  if (errors.length) throw new ConfigError(sortIssues(errors));
  model.warnings = sortIssues(warnings);
  return model;
}

function sortIssues(list: ConfigIssue[]): ConfigIssue[] {
  return [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
