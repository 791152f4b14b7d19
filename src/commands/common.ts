import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Vars } from '../types.js';
import { ConfigError } from '../errors.js';
import { loadYaml, parseYaml } from '../config/source.js';
import { parseKeyValues } from '../playbook/task.js';

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
  const missing = paths.filter((p) => !existsSync(p));
  if (!missing.length) return;
  const lab = missing.find((p) => resolve(p) === LAB_INVENTORY);
  throw new ConfigError(
    missing.map((file) => ({
      file,
      message: lab === file ? 'the local lab has no inventory yet: run `lvsible lab up` first' : 'inventory not found',
    })),
  );
}

/** `-e key=value`, `-e '{"json": 1}'`, `-e @vars.yml`, repeatable, later wins. */
export function parseExtraVars(list: string[]): Vars {
  const out: Vars = {};
  for (const item of list) {
    if (item.startsWith('@')) {
      const file = item.slice(1);
      Object.assign(out, loadYaml(file).data as Vars);
    } else if (/^\s*[{[]/.test(item)) {
      Object.assign(out, parseYaml(item, '--extra-vars').data as Vars);
    } else {
      const kv = parseKeyValues(item);
      if (!kv) throw new ConfigError([{ file: '--extra-vars', message: `expected key=value, JSON or @file, got "${item}"` }]);
      for (const [k, v] of Object.entries(kv)) out[k] = v;
    }
  }
  return out;
}

export const splitList = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
