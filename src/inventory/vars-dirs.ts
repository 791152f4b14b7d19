import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { issueAt, loadYaml } from '../config/source.js';
import { copyOrigins, recordDoc } from './origins.js';
import { validate } from '../config/validate.js';
import type { Vars } from '../types.js';
import { isRecord, reword } from './build.js';
import type { VarsDir, VarsFile } from './model.js';
import { varsFileSchema } from './schema.js';

/**
 * group_vars/ and host_vars/ beside an inventory (or a playbook), read the way Ansible's host_group_vars
 * plugin reads them. For a group or host NAME, the first that exists of `NAME` (file or directory),
 * `NAME.yml`, `NAME.yaml`, `NAME.json` is used; a directory contributes all its files (recursively,
 * lexical order, hidden files skipped), merged so that later files win.
 *
 * Every entry is read up front, not only those matching a known group: groups added after loading
 * (addGroup) find their files too, and all mistakes surface at load time.
 */

const EXTS = ['.yml', '.yaml', '.json'];

export function loadVarsDir(dir: string, issues: ConfigIssue[], warnings: string[]): VarsDir {
  return {
    dir,
    groups: loadEntries(join(dir, 'group_vars'), issues, warnings),
    hosts: loadEntries(join(dir, 'host_vars'), issues, warnings),
  };
}

/** The vars file(s) for `name` in one group_vars/ or host_vars/ map, following Ansible's lookup order. */
export function varsFileFor(entries: Map<string, VarsFile>, name: string): VarsFile | undefined {
  for (const cand of [name, ...EXTS.map((e) => name + e)]) {
    const f = entries.get(cand);
    if (f) return f;
  }
  return undefined;
}

function loadEntries(dir: string, issues: ConfigIssue[], warnings: string[]): Map<string, VarsFile> {
  const out = new Map<string, VarsFile>();
  if (!isDir(dir)) return out;
  const names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  for (const entry of names) {
    const full = join(dir, entry);
    const files = isDir(full) ? listVarsFiles(full) : [full];
    const vars: Vars = {};
    for (const f of files) {
      const read = readVarsFile(f, issues);
      Object.assign(vars, read);
      copyOrigins(vars, read);
    }
    out.set(entry, { vars, files });
  }
  for (const entry of out.keys()) {
    const winner = shadowedBy(out, entry);
    if (winner) warnings.push(`${join(dir, entry)} is ignored: ${join(dir, winner)} is read instead (only the first of NAME, NAME.yml, NAME.yaml, NAME.json counts)`);
  }
  return out;
}

/** If `entry` is NAME.ext and an earlier candidate for NAME exists, that candidate's entry name. */
function shadowedBy(entries: Map<string, VarsFile>, entry: string): string | undefined {
  const ext = EXTS.find((e) => entry.endsWith(e));
  if (!ext) return undefined;
  const base = entry.slice(0, -ext.length);
  const winner = [base, ...EXTS.map((e) => base + e)].find((c) => entries.has(c));
  return winner !== entry ? winner : undefined;
}

function listVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const full = join(dir, entry);
    if (isDir(full)) out.push(...listVarsFiles(full));
    else if (!/\.[^.]+$/.test(entry) || EXTS.some((e) => entry.endsWith(e))) out.push(full);
  }
  return out;
}

/** Read one vars file: a YAML/JSON mapping, checked against the vars schema. */
export function readVarsFile(file: string, issues: ConfigIssue[]): Vars {
  let doc;
  try {
    doc = loadYaml(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      issues.push(...e.issues);
      return {};
    }
    throw e;
  }
  if (typeof doc.data === 'string' && doc.data.startsWith('$ANSIBLE_VAULT')) {
    issues.push(issueAt(doc, [], 'Ansible Vault files are not supported: decrypt it or pass secrets another way'));
    return {};
  }
  issues.push(...validate(varsFileSchema, doc.data, doc).map((i) => reword(i, doc)));
  if (!isRecord(doc.data)) return {};
  recordDoc(doc.data, doc);
  return doc.data;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
