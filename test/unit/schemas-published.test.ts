import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allSchemas } from '../../src/commands/schema.js';

/** schemas/ is what editors' YAML language servers point at: it must say what lvsible actually checks. */
describe('published schemas', () => {
  const all = allSchemas();
  it('schemas/ holds exactly the current schemas (regenerate: lvsible schema --out schemas)', () => {
    expect(readdirSync('schemas').sort()).toEqual(Object.keys(all).map((n) => `${n}.schema.json`).sort());
    for (const [name, schema] of Object.entries(all)) {
      expect(JSON.parse(readFileSync(`schemas/${name}.schema.json`, 'utf8')), name).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
  it('covers playbooks, inventories, the cluster model and every module', () => {
    for (const n of ['playbook', 'tasks', 'inventory', 'cluster', 'module-ipvs', 'module-sysctl', 'module-copy']) expect(all).toHaveProperty(n);
  });
});
