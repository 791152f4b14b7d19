import { describe, expect, it } from 'vitest';
import { openInventory } from '../../src/commands/inventory-view.js';
import { factVars } from '../../src/facts/host.js';
import { prepareTask, type Prepared } from '../../src/engine/invocation.js';
import { scopeFor } from '../../src/engine/scope.js';
import { renderKeepalivedConf } from '../../src/lvs/keepalived/render.js';
import type { ClusterModel } from '../../src/lvs/model/types.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { renderString } from '../../src/playbook/template.js';
import type { HostFacts } from '../../src/types.js';
import { debianFacts } from '../helpers/converge.js';

/**
 * Every template expression of roles/ and examples/ (task names, parameters, loops, when:, role defaults),
 * rendered by the engine's own path (scope, loop, when, args) for every host of every example, with the vars
 * src/lvs/model derives, on Debian and on RHEL, to build and to remove. A templating regression shows up
 * here, not in a lab run.
 */
const examples = ['nat', 'dr', 'tun', 'mixed', 'keepalived-ha'] as const;
const rhel: HostFacts = { ...debianFacts, os: { id: 'rocky', idLike: ['rhel'], versionId: '9.4', family: 'redhat' }, packageManager: 'dnf' };

type Run = Extract<Prepared, { kind: 'run' }>['invocations'][number];

function renderAll(name: string, state: 'present' | 'absent', facts: HostFacts) {
  const opened = openInventory([`examples/${name}/inventory`]);
  const playbook = loadPlaybook(`examples/${name}/site.yml`);
  const opts = { inventory: opened.view, playbook, extraVars: { lvs_state: state }, check: true };
  const runs: Array<Run & { host: string }> = [];
  const errors: string[] = [];
  for (const play of playbook.plays) {
    for (const host of opened.view.resolve(play.hosts).hosts) {
      const { vars, broken } = scopeFor(opts, play, host, factVars(facts));
      expect([...broken.keys()], `${name} ${host}: unresolved variables`).toEqual([]);
      for (const task of play.tasks) {
        const p = prepareTask(task, vars, broken);
        if (p.kind === 'error') errors.push(`${host} ${task.name}: ${p.error.message}`);
        if (p.kind === 'run') runs.push(...p.invocations.map((i) => ({ ...i, host })));
      }
    }
  }
  return { runs, errors, model: opened.cluster as ClusterModel };
}

const of = (runs: Array<Run & { host: string }>, host: string, module: string) => runs.filter((r) => r.host === host && r.task.module === module);

describe.each(examples)('examples/%s through roles/', (name) => {
  for (const state of ['present', 'absent'] as const) {
    for (const [os, facts] of [['Debian', debianFacts], ['RHEL', rhel]] as const) {
      it(`every task renders for every host (${state}, ${os})`, () => {
        const { runs, errors } = renderAll(name, state, facts);
        expect(errors).toEqual([]);
        expect(runs.length).toBeGreaterThan(5);
        // Task names are templates too (rendered by the engine when the task runs): none prints a JavaScript value.
        for (const r of runs) expect(renderString(r.task.name, r.vars)).not.toMatch(/undefined|\[object|\{\{|^$/);
      });
    }
  }
});

describe('what the roles render, checked against the model', () => {
  it('dr: the realserver gets the VIP on lo and the ARP sysctls; the director the ipvs table and its VIP', () => {
    const { runs } = renderAll('dr', 'present', debianFacts);
    expect(of(runs, 'rs-dr', 'ip_address').map((r) => r.params)).toEqual([{ address: '198.51.100.10/32', dev: 'lo' }]);
    const sysctls = of(runs, 'rs-dr', 'sysctl').map((r) => [r.params.name, r.params.value, r.params.sysctl_file]);
    expect(sysctls).toContainEqual(['net.ipv4.conf.all.arp_ignore', '1', '/etc/sysctl.d/90-lvsible-lvs.conf']);
    expect(of(runs, 'dir1', 'ip_address').map((r) => r.params)).toEqual([{ address: '198.51.100.10/32', dev: 'eth1' }]);
    const ipvs = of(runs, 'dir1', 'ipvs');
    expect(ipvs).toHaveLength(1);
    expect(Array.isArray(ipvs[0]!.params.services)).toBe(true);
    expect([ipvs[0]!.params.drain, ipvs[0]!.params.drain_timeout, ipvs[0]!.params.persist]).toEqual([true, 30, true]);
    expect(ipvs[0]!.params.timeouts).toEqual({ tcp: 3600, tcpfin: 60, udp: 120 });
    // `timeouts: "{{ ... if ... else omit }}"`: the parameter is dropped when the model sets none.
    const without = prepareTask(ipvs[0]!.task, { ...ipvs[0]!.vars, lvs_director: { ...(ipvs[0]!.vars.lvs_director as object), ipvs_timeouts: null } }, new Map());
    expect(without.kind === 'run' && 'timeouts' in without.invocations[0]!.params).toBe(false);
    expect(without.kind === 'run' && without.invocations[0]!.params.drain).toBe(true);
    expect(of(runs, 'dir1', 'kernel_module').map((r) => r.params.name)).toEqual(expect.arrayContaining(['ip_vs']));
  });

  it('nat: the realserver routes replies through the director; the director forwards', () => {
    const { runs } = renderAll('nat', 'present', debianFacts);
    expect(of(runs, 'rs-nat', 'route').map((r) => r.params.via)).toEqual(['192.0.2.2']);
    const route = of(runs, 'rs-nat', 'route')[0]!;
    expect(renderString(route.task.name, route.vars)).toBe('replies go back through the director (192.0.2.2)');
    expect(of(runs, 'dir1', 'sysctl').map((r) => r.params.name)).toContain('net.ipv4.ip_forward');
  });

  it('keepalived-ha: keepalived.conf is the model rendering, installed by the package task of the host OS', () => {
    for (const [facts, pkgTask] of [[debianFacts, 'Debian'], [rhel, 'RedHat']] as const) {
      const { runs, model } = renderAll('keepalived-ha', 'present', facts);
      const director = model.directors[0]!;
      const conf = of(runs, director, 'copy').filter((r) => r.params.dest === '/etc/keepalived/keepalived.conf').map((r) => r.params.content);
      expect(conf).toEqual([renderKeepalivedConf(model, director)]);
      const pkgs = of(runs, director, 'package').map((r) => r.params.name);
      expect(pkgs.flat(), pkgTask).toEqual(expect.arrayContaining(['ipvsadm', 'keepalived']));
    }
  });

  it('absent: the director removes its modules in reverse order', () => {
    const { runs } = renderAll('dr', 'absent', debianFacts);
    const mods = of(runs, 'dir1', 'kernel_module').map((r) => r.params.name);
    expect(mods.length).toBeGreaterThan(1);
    expect(mods[mods.length - 1]).toBe('ip_vs');
  });
});
