import { LOGIN_USER } from './guest.js';
import { runRaw, type RunResult } from './proc.js';
import type { LabState, VmState } from './state.js';

/**
 * OpenSSH client options for a lab VM: key auth only, strict host key checking against the lab's own
 * known_hosts (written from the keys generated at build time), never a prompt.
 */
export function sshArgs(state: LabState, vm: VmState, connectTimeoutS = 5): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${state.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-o', `ConnectTimeout=${connectTimeoutS}`,
    '-i', state.keyFile,
    '-p', String(vm.sshPort),
    `${LOGIN_USER}@127.0.0.1`,
  ];
}

/** Run a command on a VM through the OpenSSH client (bounded by `timeoutMs`). */
export function sshRun(state: LabState, vm: VmState, command: string, timeoutMs = 30_000, input?: string): Promise<RunResult> {
  return runRaw('ssh', [...sshArgs(state, vm), '--', command], { timeoutMs, ...(input !== undefined ? { input } : {}) });
}
