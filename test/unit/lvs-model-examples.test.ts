import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openInventory } from '../../src/commands/inventory-view.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { precheck } from '../../src/engine/precheck.js';
import { renderKeepalivedConf } from '../../src/lvs/keepalived/render.js';
import type { ClusterModel } from '../../src/lvs/model/types.js';

/**
 * The shipped examples, through the real inventory loader, cluster loader and playbook loader: each one
 * loads without a warning, its playbook resolves the roles, and its plays target the groups the model adds.
 */
const examples = ['nat', 'dr', 'tun', 'mixed', 'keepalived-ha'] as const;
const open = (name: string) => openInventory([`examples/${name}/inventory`]);

describe.each(examples)('examples/%s', (name) => {
  const opened = open(name);
  const model = opened.cluster as ClusterModel;

  it('loads clean with the lab topology', () => {
    expect(model).toBeDefined();
    expect(model.warnings).toEqual([]);
    expect(opened.clusterFile).toMatch(new RegExp(`examples/${name}/inventory/cluster.yml$`));
  });

  it('site.yml loads with the roles and targets non-empty model groups', () => {
    const pb = loadPlaybook(`examples/${name}/site.yml`);
    const groups = opened.view.groups();
    for (const play of pb.plays) {
      const pattern = (play as unknown as { hosts: string | string[] }).hosts;
      for (const g of [pattern].flat()) expect(groups[g], `${g} in ${name}`).toBeDefined();
      expect(opened.view.resolve([pattern].flat().join(':')).hosts.length).toBeGreaterThan(0);
    }
  });

  // The engine's own pre-run check: every task of both roles renders for every host against the derived
  // vars, and the rendered parameters pass each module's schema. For building the cluster and removing it.
  for (const state of ['present', 'absent']) {
    it(`roles render and validate for every host (lvs_state: ${state})`, () => {
      const run = {
        inventory: opened.view,
        playbook: loadPlaybook(`examples/${name}/site.yml`),
        extraVars: { lvs_state: state },
        check: true,
        connect: () => Promise.reject(new Error('no connection in a precheck')),
        emit: () => {},
      };
      expect(() => precheck(run as unknown as Parameters<typeof precheck>[0])).not.toThrow();
    });
  }

  it('gives every host the vars its role reads', () => {
    for (const h of model.directors) {
      const v = opened.view.hostVars(h) as { lvs_director: Record<string, unknown> };
      expect(Object.keys(v.lvs_director).sort()).toEqual(
        ['ipvs_services', 'ipvs_timeouts', 'keepalived', 'keepalived_conf', 'manager', 'modules', 'needs_ip_forward', 'packages', 'sysctls', 'sysctls_unmanaged', 'vips'],
      );
    }
  });
});

describe('examples: what each one sets up', () => {
  const view = (name: string, host: string) => open(name).view.hostVars(host) as Record<string, Record<string, unknown>>;

  it('nat/dr/tun: one director, static VIP on eth1, ipvsadm owns IPVS', () => {
    for (const name of ['nat', 'dr', 'tun']) {
      const d = view(name, 'dir1').lvs_director!;
      expect(d.vips).toEqual([{ address: '198.51.100.10/32', dev: 'eth1' }]);
      expect([d.manager, d.keepalived, (d.ipvs_services as unknown[]).length]).toEqual(['ipvsadm', false, 1]);
    }
    expect(view('nat', 'rs-nat').lvs_realserver!.nat_gateway).toBe('192.0.2.2');
    expect(view('nat', 'dir1').lvs_director!.needs_ip_forward).toBe(true);
    expect(view('dr', 'dir1').lvs_director!.needs_ip_forward).toBe(false);
  });

  it('mixed and keepalived-ha: playbook order realservers, BACKUP, MASTER', () => {
    for (const name of ['mixed', 'keepalived-ha']) {
      const pb = loadPlaybook(`examples/${name}/site.yml`);
      expect(pb.plays.map((p) => (p as unknown as { hosts: string }).hosts)).toEqual(['lvs_realservers', 'lvs_backup', 'lvs_master']);
      const g = open(name).view.groups();
      expect([g.lvs_backup, g.lvs_master]).toEqual([['dir2'], ['dir1']]);
    }
  });
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('examples: real keepalived -t on every director config (own netns with eth1/eth2)', () => {
  for (const name of ['mixed', 'keepalived-ha']) {
    for (const host of ['dir1', 'dir2']) {
      it(`${name} ${host}`, (ctx) => {
        if (spawnSync('keepalived', ['--version']).error) return ctx.skip();
        const dir = mkdtempSync(join(tmpdir(), 'ka-ex-'));
        dirs.push(dir);
        writeFileSync(join(dir, 'k.conf'), renderKeepalivedConf(open(name).cluster!, host));
        const script = 'ip link add eth1 type veth peer name eth2 && ip link set eth1 up && ip link set eth2 up && exec keepalived -t -l -n -f "$1"';
        const res = spawnSync('unshare', ['-n', 'sh', '-c', script, 'sh', join(dir, 'k.conf')], { encoding: 'utf8', timeout: 20_000 });
        if (res.error || /Operation not permitted/.test(res.stderr)) return ctx.skip();
        expect(`${res.stdout}${res.stderr}`).toBe('');
        expect(res.status).toBe(0);
      });
    }
  }
});
