import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Vars } from '../types.js';
import { collectIssues, ConfigError, type ConfigIssue } from '../errors.js';
import { loadYaml, parseYaml } from '../config/source.js';
import { parseKeyValues, RESERVED_NAMES } from '../playbook/task.js';

/** The lab's inventory, written by `lvsible lab up`: the default target when no hosts are given. */
export const LAB_INVENTORY = resolve('inventories/lab');

/**
 * Where the hosts are when `-i` is not given: the local lab. Its generated inventory says how to reach each
 * VM; an `inventory/` directory beside the playbook (every example has one) adds the topology and the
 * cluster model, exactly as `-i inventories/lab -i DIR/inventory` would.
 */
export function defaultInventory(playbook?: string): string[] {
  if (playbook) {
    const beside = join(dirname(resolve(playbook)), 'inventory');
    if (existsSync(beside)) return [LAB_INVENTORY, beside];
  }
  return [LAB_INVENTORY];
}

export function checkInventoryExists(paths: string[]): void {
  // The lab's directory is in the repo (its README) before `lab up` writes hosts.yml into it: without that file
  // the example inventories' host names (dir1, rs-nat...) would be looked up as DNS names and tried.
  const missing = paths.filter((p) => !existsSync(p) || (resolve(p) === LAB_INVENTORY && !existsSync(join(p, 'hosts.yml'))));
  if (!missing.length) return;
  const lab = missing.find((p) => resolve(p) === LAB_INVENTORY);
  throw new ConfigError(
    missing.map((file) => ({
      file,
      message: lab === file ? 'the local lab has no inventory yet: run `lvsible lab up` first' : 'inventory not found',
    })),
  );
}

/**
 * `-e key=value`, `-e '{"json": 1}'`, `-e @vars.yml`, repeatable, later wins. Every item is checked, and all
 * problems are reported together: a file or JSON that is not a mapping, a key=value with an open quote, and
 * names Ansible sets itself (they would be silently overridden by the magic variable, or override it).
 */
export function parseExtraVars(list: string[]): Vars {
  const out: Vars = {};
  const issues: ConfigIssue[] = [];
  const add = (file: string, vars: unknown, what: string) => {
    if (vars == null) return;
    if (typeof vars !== 'object' || Array.isArray(vars)) {
      issues.push({ file, message: `${what} must be a mapping of variable names to values, not ${Array.isArray(vars) ? 'a list' : typeof vars}` });
      return;
    }
    for (const [k, v] of Object.entries(vars)) {
      if (RESERVED_NAMES.has(k)) issues.push({ file: '--extra-vars', field: k, message: `"${k}" is a variable Ansible sets itself; it cannot be given with -e` });
      else out[k] = v;
    }
  };
  for (const item of list) {
    collectIssues(issues, () => {
      if (item.startsWith('@')) add(item.slice(1), loadYaml(item.slice(1)).data, 'an extra vars file');
      else if (/^\s*[{[]/.test(item)) add('--extra-vars', parseYaml(item, '--extra-vars').data, 'extra vars JSON');
      else {
        const kv = parseKeyValues(item);
        if (!kv) throw new ConfigError([{ file: '--extra-vars', message: `expected key=value (quotes closed), JSON or @file, got "${item}"` }]);
        // key=value gives text; a port is a number (Ansible casts it the same way).
        for (const k of ['ansible_port', 'ansible_ssh_port']) if (kv[k] !== undefined && /^[0-9]+$/.test(kv[k]!)) (kv as Vars)[k] = Number(kv[k]);
        add('--extra-vars', kv, 'key=value');
      }
    });
  }
  if (issues.length) throw new ConfigError(issues);
  return out;
}

export const splitList = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
