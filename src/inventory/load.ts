import { readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { ConfigError, sortIssues, type ConfigIssue } from '../errors.js';
import { parseYaml } from '../config/source.js';
import { readInputText } from '../config/read.js';
import { applyInventoryDoc } from './build.js';
import { parseIni } from './ini.js';
import { createInventory, reconcile, type Inventory } from './model.js';
import { loadVarsDir } from './vars-dirs.js';

/**
 * Inventory sources, as given with `-i` (repeatable): a YAML file, an INI file, or a directory of such files
 * with group_vars/ and host_vars/ inside (a file source's group_vars/ host_vars/ sit beside it).
 * Sources merge in order; a later one adds hosts and groups and overrides same-named vars.
 */

/** Files in an inventory directory that are not inventories (the engine owns cluster.yml). */
export const INVENTORY_DIR_IGNORE: readonly RegExp[] = [
  /^cluster\.ya?ml$/,
  /^ansible\.cfg$/,
  /\.(md|txt|rst|cfg|retry|orig|bak|swp|pyc|pyo|j2|sh|py|tar|gz|zip)$/,
  /~$/,
];

const YAML_EXTS = new Set(['.yml', '.yaml', '.json']);

export function loadInventory(paths: string[]): Inventory {
  const issues: ConfigIssue[] = [];
  const inv = readInventory(paths, issues);
  if (issues.length) throw new ConfigError(sortIssues(issues));
  return inv;
}

/** The same, collecting: problems go into `issues`, and what could be read comes back for the checks after it. */
export function readInventory(paths: string[], issues: ConfigIssue[]): Inventory {
  const inv = createInventory();
  for (const p of paths) loadSource(inv, resolve(p), issues);
  reconcile(inv);
  inv.warnings.push(...lint(inv));
  return inv;
}

/** Things Ansible warns about, and likely typos that would otherwise pass silently. */
function lint(inv: Inventory): string[] {
  const out: string[] = [];
  for (const g of inv.groups.values()) {
    if (inv.hosts.has(g.name)) out.push(`"${g.name}" is both a group and a host (${g.source}); in host patterns the group wins`);
    if (/[\s:,!&~[\]*?]/.test(g.name)) out.push(`group name "${g.name}" (${g.source}) cannot be used in host patterns: avoid spaces and : , ! & ~ [ ] * ?`);
  }
  // host_vars for a host that is not in the inventory is ignored (Ansible says nothing): usually a typo.
  for (const vd of inv.varsDirs) {
    for (const entry of vd.hosts.keys()) {
      const base = entry.replace(/\.(ya?ml|json)$/, '');
      if (!inv.hosts.has(entry) && !inv.hosts.has(base)) out.push(`${join(vd.dir, 'host_vars', entry)} matches no host in the inventory`);
    }
  }
  return out;
}

function loadSource(inv: Inventory, path: string, issues: ConfigIssue[]): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    issues.push({ file: path, message: `inventory source not found (${(e as NodeJS.ErrnoException).code ?? e})` });
    return;
  }
  if (!isDir) {
    loadFile(inv, path, false, issues);
    addVarsDir(inv, dirname(path), issues);
    return;
  }
  const entries = readdirSync(path).sort();
  for (const name of entries) {
    if (name.startsWith('.') || name === 'group_vars' || name === 'host_vars') continue;
    if (INVENTORY_DIR_IGNORE.some((re) => re.test(name))) {
      if (/\.(py|sh)$/.test(name)) inv.warnings.push(`${join(path, name)} skipped: dynamic inventory scripts are not supported`);
      continue;
    }
    const full = join(path, name);
    // Nested directories are not inventory sources here (Ansible would recurse; nobody relies on it).
    if (statSync(full).isDirectory()) continue;
    loadFile(inv, full, true, issues);
  }
  addVarsDir(inv, path, issues);
}

function addVarsDir(inv: Inventory, dir: string, issues: ConfigIssue[]): void {
  if (!inv.dirs.includes(dir)) inv.dirs.push(dir);
  if (inv.varsDirs.some((v) => v.dir === dir)) return;
  inv.varsDirs.push(loadVarsDir(dir, issues, inv.warnings));
}

function loadFile(inv: Inventory, file: string, inDir: boolean, issues: ConfigIssue[]): void {
  const ext = extname(file).toLowerCase();
  let text: string;
  try {
    text = readInputText(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
    return;
  }
  inv.sources.push(file);
  const yaml = YAML_EXTS.has(ext) || (ext !== '.ini' && looksLikeYaml(text));
  if (!yaml && inDir && ext && ext !== '.ini' && !/^\.[0-9]+$/.test(ext)) {
    // e.g. "prod.hosts" would be fine, but "notes.html" is not an inventory: say what was skipped.
    inv.warnings.push(`${file}: read as an INI inventory (extension ${ext})`);
  }
  if (yaml) {
    try {
      applyInventoryDoc(inv, parseYaml(text, file), issues);
    } catch (e) {
      if (e instanceof ConfigError) issues.push(...e.issues);
      else throw e;
    }
    return;
  }
  applyInventoryDoc(inv, parseIni(text, file, new Set(inv.groups.keys()), issues), issues);
}

/**
 * A file without a telling extension (`hosts`, `production`) is YAML when its first meaningful line is a
 * YAML mapping key (`all:`) or a document start, INI otherwise (`[web]`, `host1 ansible_port=22`).
 */
export function looksLikeYaml(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '---' || line.startsWith('{')) return true;
    if (line.startsWith('[') || line.includes('=')) return false;
    return /^("[^"]*"|'[^']*'|[^\s:]+):(\s|$)/.test(line);
  }
  return false;
}
