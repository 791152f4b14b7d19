import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, LabError, sleep, tail } from './proc.js';
import { sshRun } from './ssh.js';
import type { LabState, VmState } from './state.js';
import { consolePath } from './vm.js';

function logTail(file: string, lines: number): string {
  return existsSync(file) ? tail(readFileSync(file, 'utf8'), lines) : '(empty)';
}

/** Why a VM is not up, with the end of its console (and qemu's own messages when qemu died). */
export function bootFailure(vm: VmState, reason: string): string {
  const qemu = logTail(join(vm.dir, 'qemu.log'), 5);
  return [
    `${vm.name}: ${reason}`,
    ...(isAlive(vm.pid) ? [] : [`  qemu said: ${qemu.replace(/\n/g, '\n    ')}`]),
    `  console (${consolePath(vm.dir)}), last lines:`,
    `    ${logTail(consolePath(vm.dir), 20).replace(/\n/g, '\n    ')}`,
  ].join('\n');
}

/** Poll one VM until a real SSH login with strict host key checking works, its qemu dies, or time runs out. */
async function waitOne(state: LabState, vm: VmState, deadline: number): Promise<string | undefined> {
  let last = '';
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    if (!isAlive(vm.pid)) return bootFailure(vm, 'qemu exited during boot');
    const left = deadline - Date.now();
    const r = await sshRun(state, vm, 'true', Math.max(1000, Math.min(15_000, left)));
    if (r.code === 0) return undefined;
    last = r.stderr.trim().split('\n').pop() ?? '';
    await sleep(2000);
  }
  return bootFailure(vm, `no SSH login before the timeout${last ? ` (last error: ${last})` : ''}`);
}

/** Wait for every VM in parallel; one error listing each VM that did not come up. */
export async function waitForSsh(state: LabState, timeoutMs: number, log: (s: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const start = Date.now();
  const failures = await Promise.all(
    state.vms.map(async (vm) => {
      const f = await waitOne(state, vm, deadline);
      if (!f) log(`${vm.name} is up (ssh on 127.0.0.1:${vm.sshPort}) after ${((Date.now() - start) / 1000).toFixed(1)} s`);
      return f;
    }),
  );
  const bad = failures.filter((f): f is string => !!f);
  if (bad.length) throw new LabError(`${bad.length} of ${state.vms.length} lab VMs did not come up within ${Math.round(timeoutMs / 1000)} s:`, bad.join('\n\n'));
}
