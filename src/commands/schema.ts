import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { COMMAND_LINE } from './input-checks.js';
import { join } from 'node:path';
import { playbookSchema, taskFileSchema } from '../playbook/schema.js';
import { inventorySchema } from '../inventory/schema.js';
import { clusterSchema } from '../lvs/model/schema.js';
import { modules } from '../modules/index.js';

/** Every schema lvsible validates with, by name: what `lvsible schema` prints and editors point at. */
export function allSchemas(): Record<string, object> {
  const mods = Object.fromEntries(Object.entries(modules).map(([n, m]) => [`module-${n}`, { title: `lvsible module ${n}`, ...m.schema }]));
  return { playbook: playbookSchema, tasks: taskFileSchema, inventory: inventorySchema, cluster: clusterSchema, ...mods };
}

export function schemaCommand(name: string | undefined, flags: { out?: string }): number {
  const all = allSchemas();
  if (flags.out) {
    const st = statSync(flags.out, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new ConfigError([{ file: COMMAND_LINE, field: '--out', message: `${JSON.stringify(flags.out)} is a file, not a directory` }]);
    mkdirSync(flags.out, { recursive: true });
    for (const [n, s] of Object.entries(all)) writeFileSync(join(flags.out, `${n}.schema.json`), `${JSON.stringify(s, null, 2)}\n`);
    process.stdout.write(`wrote ${Object.keys(all).length} schemas to ${flags.out}\n`);
    return 0;
  }
  if (!name) {
    process.stdout.write(`${Object.keys(all).join('\n')}\n`);
    return 0;
  }
  const s = all[name];
  if (!s) {
    process.stderr.write(`no schema "${name}"; known: ${Object.keys(all).join(', ')}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  return 0;
}
