/**
 * Load cluster.yml: schema first (every field problem at once), then the model, then the cross-host
 * checks; any error stops here with the full list, before a single connection is made.
 */
import { ConfigError, type ConfigIssue } from '../../errors.js';
import { issueAt, parseField, loadYaml, parseYaml, type PathSegment, type SourceDoc } from '../../config/source.js';
import type { SourceLocation } from '../../errors.js';
import { interfaceName } from '../../grammar/ifname.js';
import { quoteText } from '../../grammar/common.js';
import { validate } from '../../config/validate.js';
import { buildModel, type Reporter } from './build.js';
import { checkCluster } from './checks.js';
import { checkWords } from './words.js';
import { Lans } from './lans.js';
import type { RawCluster } from './raw.js';
import { clusterSchema } from './schema.js';
import type { ClusterModel } from './types.js';

/** What the loader needs from the inventory: host names and each host's merged vars. */
export interface InventoryView {
  hosts: string[];
  hostVars(host: string): Record<string, unknown>;
  /**
   * Where the host's value of var `name` (at `sub` inside it) is written, so that a bad `lvs_interfaces` is
   * reported in the inventory file, not in cluster.yml. Optional: without it the issue names cluster.yml.
   */
  locate?(host: string, name: string, sub: PathSegment[]): SourceLocation | undefined;
}

export function loadCluster(file: string, inv: InventoryView): ClusterModel {
  return clusterFromDoc(loadYaml(file), inv);
}

/** Same as loadCluster, from text (tests, `--cluster -`). */
export function parseCluster(text: string, file: string, inv: InventoryView): ClusterModel {
  return clusterFromDoc(parseYaml(text, file), inv);
}

export function clusterFromDoc(doc: SourceDoc, inv: InventoryView): ClusterModel {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const r: Reporter = {
    error: (path, message) => errors.push(issueAt(doc, path, message)),
    warn: (path, message) => warnings.push(issueAt(doc, path, message)),
    where: (path) => `line ${doc.locate(path).line}`,
  };
  // lvs_interfaces is written in the inventory: its problems are reported there, with line and column.
  const inInventory = (host: string, sub: PathSegment[], message: string): ConfigIssue => {
    const at = inv.locate?.(host, 'lvs_interfaces', sub);
    return at ? { ...at, message } : { file: doc.file, message };
  };
  const interfaces: Record<string, Record<string, unknown>> = {};
  for (const h of inv.hosts) {
    const v = inv.hostVars(h).lvs_interfaces;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const devs: Record<string, unknown> = {};
      for (const [dev, cidrs] of Object.entries(v)) {
        const why = interfaceName(dev);
        if (why) errors.push(inInventory(h, [dev], `host ${h}: lvs_interfaces interface name ${quoteText(dev)} ${why}`));
        else devs[dev] = cidrs;
      }
      interfaces[h] = devs;
    } else if (v !== undefined) errors.push(inInventory(h, [], `host ${h}: lvs_interfaces must be a mapping dev: CIDR (e.g. eth1: 198.51.100.2/24)`));
  }
  const lans = new Lans(interfaces);
  for (const bad of lans.invalid) {
    const sub = bad.index === undefined ? [bad.dev] : [bad.dev, bad.index];
    errors.push(inInventory(bad.host, sub, `host ${bad.host}: lvs_interfaces.${bad.dev} = ${JSON.stringify(bad.value)} ${bad.reason} (e.g. 198.51.100.2/24)`));
  }
  errors.push(...sharedAddresses(inv.hosts, lans, inInventory));
  // The inventory's problems are known by now: report them with cluster.yml's schema problems, in one list.
  const data = doc.data;
  const schemaIssues = data !== null && typeof data === 'object' && !Array.isArray(data)
    ? validate(clusterSchema, data, doc)
    : [{ file: doc.file, line: 1, col: 1, message: `${data === null ? 'is empty' : `is a ${Array.isArray(data) ? 'list' : typeof data}`}: cluster.yml is a mapping with one key, lvs: (directors, virtual_services, ...)` }];
  // With schema problems, the model's own checks still run on what is sound (the broken fields and entries
  // left out), so that five mistakes are five errors in one list, not three now and two after a fix.
  // (Not when the inventory's lvs_interfaces are broken too: the checks would only repeat those in other words.)
  const raw = schemaIssues.length && !errors.length ? withoutBroken(data, schemaIssues) : schemaIssues.length ? undefined : data;
  if (!raw) throw new ConfigError(sortIssues([...errors, ...schemaIssues]));
  const before = errors.length;
  const model = buildModel(raw as RawCluster, doc.file, lans, new Set(inv.hosts), r);
  checkWords(raw as RawCluster, model.manager === 'keepalived' || model.vrrp_instances.length > 0, r);
  // Realservers whose reference did not resolve are left out of the model, so the cross-host checks below
  // still run (every problem is reported at once) without repeating that one in other words.
  checkCluster(model, lans, r);
  if (schemaIssues.length) {
    // Only what the model says about fields that were sound: nothing about a removed field, its entry or what
    // is inside it (a MISC_CHECK whose misc_path was removed is not also "missing misc_path").
    const fields = schemaIssues.map((i) => i.field ?? '');
    const related = (a: string, b: string) => a === b || b.startsWith(`${a}.`) || b.startsWith(`${a}[`) || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
    const extra = errors.splice(before).filter((i) => i.field !== undefined && !fields.some((f) => related(i.field!, f)));
    throw new ConfigError(sortIssues([...errors, ...schemaIssues, ...extra]));
  }
  if (errors.length) throw new ConfigError(sortIssues(errors));
  model.warnings = sortIssues(warnings);
  return model;
}

/**
 * The document with every field a schema problem is about mended or removed, or undefined when what is left is
 * still not a valid model. A value of the wrong type whose meaning is obvious is first coerced (`port: "80"`
 * becomes 80, `name: 42` becomes "42"): removed, the port would read as 0 and the model would add false errors
 * about port 0 to the one true schema error. Only when the coerced value is still refused is the field removed
 * (a broken list entry removed whole when removing the field leaves it incomplete). Either way the schema error
 * is the one reported: the coerced value only lets the model's checks see what the operator meant.
 */
function withoutBroken(data: unknown, issues: ConfigIssue[]): unknown {
  let copy = structuredClone(data);
  let current = issues;
  const coerced = new Set<string>();
  for (let round = 0; round < 8 && current.length; round++) {
    for (const i of current) {
      const path = i.field ? parseField(i.field) : [];
      if (!path.length) return undefined;
      // Once per field: a coerced value still refused (port "70000") is removed in the next round.
      if (!coerced.has(i.field!) && coerceAt(copy, path)) {
        coerced.add(i.field!);
        continue;
      }
      if (!removeAt(copy, path)) return undefined;
    }
    copy = compact(copy);
    current = validate(clusterSchema, copy, { file: '', data: copy, locate: () => ({ line: 0, col: 0 }) });
  }
  return current.length ? undefined : copy;
  function coerceAt(root: unknown, path: PathSegment[]): boolean {
    let node = root as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) {
      node = node?.[seg] as Record<string | number, unknown>;
      if (node === null || typeof node !== 'object') return false;
    }
    const last = path[path.length - 1]!;
    const value = node[last];
    // A whole number written as text, or a number where text is wanted: nothing else is obvious.
    if (typeof value === 'string' && /^-?(0|[1-9]\d*)$/.test(value.trim())) node[last] = Number(value.trim());
    else if (typeof value === 'number' && Number.isFinite(value)) node[last] = String(value);
    else return false;
    return true;
  }
  function removeAt(root: unknown, path: PathSegment[]): boolean {
    // A missing required field is reported at its parent: then the parent goes (an entry of a list), and
    // the root itself never does.
    let node = root as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) {
      node = node?.[seg] as Record<string | number, unknown>;
      if (node === null || typeof node !== 'object') return true; // already removed with its parent
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1, undefined as never);
    else delete node[last];
    return path.length > 1;
  }
}

/** Removed list entries were left as holes so the other paths stay right: now close them. */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)]));
  return v;
}

/** Two hosts with the same LAN address would both answer ARP for it: reported at the second one. */
function sharedAddresses(hosts: string[], lans: Lans, at: (host: string, sub: PathSegment[], message: string) => ConfigIssue): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const first = new Map<string, string>();
  for (const host of hosts) {
    for (const a of lans.addrs(host)) {
      const other = first.get(a.address);
      if (other === undefined) first.set(a.address, host);
      else if (other !== host) {
        const sub = a.index === undefined ? [a.dev] : [a.dev, a.index];
        out.push(at(host, sub, `host ${host}: lvs_interfaces.${a.dev} address ${a.address} is also host ${other}'s (two hosts would answer ARP for it)`));
      }
    }
  }
  return out;
}

/** By file (in the order each is first named), then line and column. */
function sortIssues(list: ConfigIssue[]): ConfigIssue[] {
  const files = [...new Set(list.map((i) => i.file))];
  return [...list].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
