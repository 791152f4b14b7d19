import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseCluster } from '../../src/lvs/model/load.js';
import { clusterSchema } from '../../src/lvs/model/schema.js';
import { labInventory } from '../fixtures/clusters/inventory.js';

/** Every property of the schema, with its dotted path: the schema is the operator's reference. */
function properties(node: unknown, path: string, out: [string, Record<string, unknown>][] = []) {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  for (const [k, v] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
    out.push([`${path}.${k}`, v as Record<string, unknown>]);
    properties(v, `${path}.${k}`, out);
  }
  for (const key of ['items', 'additionalProperties', 'then', 'else']) if (n[key] && typeof n[key] === 'object') properties(n[key], `${path}[]`, out);
  for (const key of ['anyOf', 'oneOf']) for (const b of (n[key] as unknown[]) ?? []) properties(b, path, out);
  return out;
}

describe('cluster.yml schema', () => {
  it('describes every property', () => {
    const all = properties(clusterSchema, '');
    expect(all.length).toBeGreaterThan(60);
    expect(all.filter(([, v]) => typeof v.description !== 'string' || !v.description).map(([p]) => p)).toEqual([]);
  });

  it('refuses values that would inject keepalived.conf syntax', () => {
    const text = `lvs:
  directors: [dir1]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      health_check: { type: MISC_CHECK, misc_path: '/bin/true" } evil {' }
      realservers:
        - { host: rs-dr, method: dr }
`;
    let e: unknown;
    try {
      parseCluster(text, 'inject.yml', labInventory());
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).issues.map((i) => [i.line, i.field])).toEqual([[6, 'lvs.virtual_services[0].health_check.misc_path']]);
  });

  it('tells which check fields go with which kind', () => {
    let e: unknown;
    try {
      parseCluster(`lvs:
  directors: [dir1]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      health_check: { type: TCP_CHECK, misc_path: /bin/true }
      realservers:
        - { host: rs-dr, method: dr, health_check: { type: MISC_CHECK } }
`, 'kinds.yml', labInventory());
    } catch (err) {
      e = err;
    }
    expect((e as ConfigError).issues.map((i) => [i.line, i.message])).toEqual([
      [6, 'misc_path does not apply to TCP_CHECK (it takes: connect_port, connect_ip, connect_timeout, retry, delay_before_retry)'],
      [8, 'MISC_CHECK needs misc_path (the command to run)'],
    ]);
  });

  it('warns that health checks and sorry servers need keepalived', () => {
    const m = parseCluster(`lvs:
  directors: [dir1]
  virtual_services:
    - vip: 198.51.100.10
      port: 80
      sorry_server: { address: 192.0.2.99 }
      realservers:
        - { host: rs-dr, method: dr, health_check: { type: TCP_CHECK } }
`, 'w.yml', labInventory());
    expect(m.warnings.map((w) => [w.line, w.message])).toEqual([
      [6, 'a sorry server needs keepalived (manager: keepalived); with manager ipvsadm it is ignored'],
      [8, 'health checks run only when keepalived programs IPVS (manager: keepalived); with manager ipvsadm they are ignored'],
    ]);
  });
});
