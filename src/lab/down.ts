import { existsSync, readFileSync, rmSync } from 'node:fs';
import { labPaths, type LabPaths } from './paths.js';
import { isListening } from './ports.js';
import { LabError, sleep } from './proc.js';
import { readState, stateFile } from './state.js';
import { stopPid } from './vm.js';

/** Whether `pid` is still the process we started (its command line names it), not a recycled pid. */
export function isOurProcess(pid: number, ...needles: string[]): boolean {
  const file = `/proc/${pid}/cmdline`;
  if (!existsSync(file)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(file, 'utf8').replace(/\0/g, ' ');
  } catch {
    return false;
  }
  return needles.every((n) => cmdline.includes(n));
}

export interface DownResult {
  stopped: string[];
  /** Ports that were ours and are now closed (checked, not assumed). */
  closedPorts: number[];
}

/**
 * Stop exactly the processes `lab up` recorded (each checked against its command line first), wait for
 * them to exit, and check that none of their forwarded ports still listens.
 */
export async function downLab(paths: LabPaths = labPaths()): Promise<DownResult> {
  const state = readState(paths.labDir);
  if (!state) return { stopped: [], closedPorts: [] };
  const stopped: string[] = [];
  const stuck: string[] = [];
  await Promise.all(
    state.vms.map(async (vm) => {
      if (!isOurProcess(vm.pid, 'qemu-system', `-name ${vm.name} `)) return;
      if (await stopPid(vm.pid)) stopped.push(vm.name);
      else stuck.push(`${vm.name} (pid ${vm.pid})`);
    }),
  );
  if (isOurProcess(state.proxy.pid, 'apt-cacher-ng', `Port=${state.proxy.port}`)) {
    if (await stopPid(state.proxy.pid)) stopped.push('proxy');
    else stuck.push(`proxy (pid ${state.proxy.pid})`);
  }
  const ports = [...state.vms.map((v) => v.sshPort), state.proxy.port];
  let open: number[] = [];
  for (let i = 0; i < 20; i++) {
    open = [];
    for (const p of ports) if (await isListening(p, 300)) open.push(p);
    if (!open.length) break;
    await sleep(250);
  }
  if (stuck.length || open.length) {
    throw new LabError(`lab down is incomplete: ${[...stuck.map((s) => `${s} did not exit`), ...open.map((p) => `port ${p} still listens`)].join('; ')}`);
  }
  rmSync(stateFile(paths.labDir), { force: true });
  return { stopped, closedPorts: ports };
}
