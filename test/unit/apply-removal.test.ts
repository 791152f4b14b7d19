import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostsBeingRemoved } from '../../src/commands/apply.js';
import { openInventory } from '../../src/commands/inventory-view.js';

/**
 * Which hosts an apply removes from the cluster (and so are not verified against the model afterwards):
 * lvs_state=absent from -e, host_vars or group_vars, resolved as the roles will see it. On examples/mixed
 * (client, two directors, three realservers), copied so that vars files can be added beside it.
 */
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function inventory(files: Record<string, string> = {}) {
  dir = mkdtempSync(join(tmpdir(), 'lvsible-removal-'));
  cpSync('examples/mixed/inventory', dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return openInventory([dir]);
}
const cluster = ['dir1', 'dir2', 'rs-dr', 'rs-nat', 'rs-tun'];

describe('apply: the hosts a run removes from the cluster', () => {
  it('none by default (the roles default to present)', () => {
    expect(hostsBeingRemoved(inventory(), {})).toEqual([]);
  });

  it('-e lvs_state=absent: every member of the cluster, never a host outside it', () => {
    expect(hostsBeingRemoved(inventory(), { lvs_state: 'absent' }).sort()).toEqual(cluster);
  });

  it('group_vars/all.yml lvs_state: absent removes them just the same; -e lvs_state=present overrides it', () => {
    const opened = inventory({ 'group_vars/all.yml': 'lvs_state: absent\n' });
    expect(hostsBeingRemoved(opened, {}).sort()).toEqual(cluster);
    expect(hostsBeingRemoved(opened, { lvs_state: 'present' })).toEqual([]);
  });

  it('host_vars for one realserver: only that one; --limit leaves it out when it is not in scope', () => {
    const opened = inventory({ 'host_vars/rs-dr.yml': 'lvs_state: absent\n' });
    expect(hostsBeingRemoved(opened, {})).toEqual(['rs-dr']);
    expect(hostsBeingRemoved(opened, {}, 'lvs_directors')).toEqual([]);
    expect(hostsBeingRemoved(opened, {}, 'rs-dr')).toEqual(['rs-dr']);
  });
});
