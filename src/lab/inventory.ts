import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOGIN_USER } from './guest.js';
import { knownHostsLine } from './keys.js';
import type { LabState } from './state.js';

/** The inventory as data: Ansible's YAML layout, groups from the topology, one host per VM. */
export function inventoryDoc(state: LabState): Record<string, unknown> {
  const groups = new Map<string, Record<string, unknown>>();
  const ungrouped: Record<string, unknown> = {};
  for (const vm of state.vms) {
    const vars = { ansible_host: '127.0.0.1', ansible_port: vm.sshPort, lvs_interfaces: vm.interfaces };
    if (!vm.groups.length) ungrouped[vm.name] = vars;
    vm.groups.forEach((g, i) => {
      const hosts = groups.get(g) ?? {};
      // Ansible merges a host's vars from every place it is listed; writing them once is enough.
      hosts[vm.name] = i === 0 ? vars : null;
      groups.set(g, hosts);
    });
  }
  const children: Record<string, unknown> = {};
  for (const [g, hosts] of groups) children[g] = { hosts };
  return { all: { ...(Object.keys(ungrouped).length ? { hosts: ungrouped } : {}), children } };
}

export function groupVarsAll(state: LabState): Record<string, unknown> {
  return {
    ansible_user: LOGIN_USER,
    ansible_become: true,
    ansible_ssh_private_key_file: state.keyFile,
    lvsible_known_hosts_file: state.knownHostsFile,
  };
}

export function knownHosts(state: LabState): string {
  return state.vms.map((vm) => knownHostsLine(vm.sshPort, vm.hostPublicKey)).join('\n') + '\n';
}

const HEADER = '# Written by `lvsible lab up` from the lab topology: edits are overwritten.\n';

/** Write hosts.yml, group_vars/all.yml and known_hosts into the lab's inventory directory. */
export function writeInventory(dir: string, state: LabState): void {
  mkdirSync(join(dir, 'group_vars'), { recursive: true });
  writeFileSync(join(dir, 'hosts.yml'), HEADER + `# topology: ${state.topologyFile}\n` + stringify(inventoryDoc(state), { nullStr: '' }));
  writeFileSync(join(dir, 'group_vars', 'all.yml'), HEADER + stringify(groupVarsAll(state)));
  writeFileSync(state.knownHostsFile, knownHosts(state));
}
